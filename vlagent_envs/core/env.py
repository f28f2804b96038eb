"""The base class of every vlagent-envs environment.

A :class:`VLAgentEnv` takes a text action and returns an image + text observation. Subclasses
implement the simulator-specific parts (``_reset``, ``_step``, ``_render_image``, the grammar,
the instruction and ``task_prompt``); the base class owns everything that must be the same in
every family:

* the observation space (``"image"``, ``"text"``, ``"instruction"``, plus whatever a subclass
  adds through :meth:`VLAgentEnv._extra_observation`);
* reading the action out of a completion (:func:`~vlagent_envs.core.actions.extract_action`),
  canonicalising it against the env's grammar, and applying the declared
  :class:`InvalidActionPolicy` when it is not valid -- a step never raises on any ``str``;
* the fixed ``info`` keys: ``raw_action``, ``parsed_action``, ``action_valid``,
  ``admissible_actions``, ``success``, ``progress`` (plus the cumulative ``invalid_actions``);
  the reset info also carries ``task_prompt``, so an agent behind a vector env can read it;
* ``render_mode`` ``"rgb_array"`` (the image) and ``"ansi"`` (instruction, text, actions).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from vlagent_envs.core.actions import ActionGrammar, extract_action
from vlagent_envs.core.spaces import FreeText

__all__ = ["DatasetEnv", "InvalidActionPolicy", "StepResult", "VLAgentEnv"]

INFO_KEYS: tuple[str, ...] = (
    "raw_action",
    "parsed_action",
    "action_valid",
    "admissible_actions",
    "success",
    "progress",
)


@dataclass(frozen=True)
class InvalidActionPolicy:
    """What an env does with an action it cannot parse (or one not admissible now).

    Attributes:
        kind: ``"noop"`` -- the simulator does not move, the step counts and ``penalty`` is the
            reward; ``"default"`` -- ``default_action`` is executed instead (BALROG's rule),
            ``penalty`` is added to its reward; ``"random"`` -- a uniformly random admissible
            action is executed (RL4VLM's text projection), ``penalty`` added.
        penalty: Reward added for the invalid action (0 or negative).
        default_action: The action executed under ``kind="default"``.
        additive: Under ``"noop"``, add ``penalty`` to the reward of the idle step instead of
            paying it alone (RL4VLM's ALFWorld reward, which VL-DAC keeps: ``won +
            goal-condition rate - 1``, the rate still paid on an inadmissible command).
    """

    kind: Literal["noop", "default", "random"] = "noop"
    penalty: float = 0.0
    default_action: str | None = None
    additive: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("noop", "default", "random"):
            raise ValueError(f"unknown invalid-action policy {self.kind!r}")
        if self.kind == "default" and not self.default_action:
            raise ValueError("kind='default' needs a default_action")

    @classmethod
    def coerce(
        cls, value: InvalidActionPolicy | dict[str, Any] | str | None, default: InvalidActionPolicy
    ) -> InvalidActionPolicy:
        """Build a policy from registration kwargs (a dict or a kind name); ``None`` = default."""
        if value is None:
            return default
        if isinstance(value, InvalidActionPolicy):
            return value
        if isinstance(value, str):
            return cls(
                kind=value,
                penalty=default.penalty,  # type: ignore[arg-type]
                default_action=default.default_action,
                additive=default.additive,
            )
        if isinstance(value, dict):
            return cls(**{**asdict(default), **value})
        raise TypeError(f"invalid_action_policy must be a dict, str or None, got {value!r}")


@dataclass
class StepResult:
    """What a subclass's ``_step`` returns for one canonical action.

    Attributes:
        reward: The simulator's reward for the step.
        terminated: The episode reached a terminal state.
        truncated: The simulator cut the episode (a formula or step limit of its own).
        text: What the simulator says happened (``"You hit and drew the 7 of hearts."``).
        success: The episode's goal is reached (sticky: set on the step it happens).
        progress: Progress towards the goal in [0, 1] (``None`` keeps the previous value).
        info: Extra, family-specific info keys.
    """

    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    text: str = ""
    success: bool = False
    progress: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


class VLAgentEnv(gym.Env[dict, str]):
    """Base class: an image + text observation, a free-text action.

    Subclasses set :attr:`grammar` (in ``__init__`` if it depends on arguments), the image size,
    and implement ``_reset``, ``_step``, ``_render_image``, ``instruction`` and ``task_prompt``.
    ``admissible_actions`` defaults to the grammar's actions; open grammars return ``None``.

    Args:
        render_mode: ``"rgb_array"`` or ``"ansi"``.
        invalid_action_policy: Override the class's declared :attr:`default_invalid_action_policy`
            (a dict of :class:`InvalidActionPolicy` fields or a kind name).
        max_action_length: Actions longer than this are truncated and invalid.
        max_text_length: Upper bound of the ``text`` and ``instruction`` observation strings.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}
    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy("noop")
    image_shape: tuple[int, int, int]
    grammar: ActionGrammar

    def __init__(
        self,
        render_mode: str | None = None,
        invalid_action_policy: dict[str, Any] | str | None = None,
        max_action_length: int = 4096,
        max_text_length: int = 8192,
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.invalid_action_policy = InvalidActionPolicy.coerce(
            invalid_action_policy, self.default_invalid_action_policy
        )
        self.action_space = FreeText(max_action_length)
        self.observation_space = spaces.Dict(
            {
                "image": spaces.Box(0, 255, self.image_shape, np.uint8),
                "text": FreeText(max_text_length),
                "instruction": FreeText(max_text_length),
                **self._extra_observation_spaces(),
            }
        )
        self._text = ""
        self._success = False
        self._progress = 0.0
        self._invalid_actions = 0
        self._needs_reset = True

    # ------------------------------------------------------------------ subclass interface
    def _reset(self, options: dict[str, Any] | None) -> str:
        """Start a new episode with ``self.np_random``; return the opening text."""
        raise NotImplementedError

    def _step(self, action: str) -> StepResult:
        """Apply one canonical, admissible action."""
        raise NotImplementedError

    def _render_image(self) -> np.ndarray:
        """The current image, ``image_shape``, uint8 (a fresh array the caller may keep)."""
        raise NotImplementedError

    @property
    def instruction(self) -> str:
        """The goal of the current episode, in words."""
        raise NotImplementedError

    @property
    def task_prompt(self) -> str:
        """Standing instruction for an agent: the world, the actions, the answer format."""
        raise NotImplementedError

    def admissible_actions(self) -> list[str] | None:
        """Actions valid now; ``None`` for an open grammar. Default: the grammar's choices."""
        actions = getattr(self.grammar, "actions", None)
        return list(actions) if actions is not None else None

    def _idle(self, event: str) -> StepResult | None:
        """Let one step of simulated time pass without acting (the no-op of an invalid action).

        ``None`` (the default): the simulator has no clock of its own and nothing happens.
        Simulators where time matters (a step limit they count, health that drains) advance it
        and return the step's result with ``event`` as its text; the policy's penalty replaces
        the reward (or is added to it, for an ``additive`` policy).
        """
        return None

    def expert_action(self) -> str | None:
        """The scripted solver's next action from the simulator state, ``None`` if none ships."""
        return None

    def _extra_observation_spaces(self) -> dict[str, spaces.Space]:
        return {}

    def _extra_observation(self) -> dict[str, Any]:
        return {}

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        self._success = False
        self._progress = 0.0
        self._invalid_actions = 0
        self._text = self._clip_text(self._reset(options))
        self._needs_reset = False
        info = self._info(
            raw_action=None, parsed_action=None, action_valid=True, task_prompt=self.task_prompt
        )
        return self._observation(), info

    def step(self, action: str) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        if self._needs_reset:
            raise gym.error.ResetNeeded("Call reset() before step() (or after an episode ended).")
        raw = action if isinstance(action, str) else repr(action)
        parsed, valid, raw = self._parse(raw)
        extra: dict[str, Any] = {}
        if valid:
            assert parsed is not None
            result = self._step(parsed)
        else:
            self._invalid_actions += 1
            result = self._apply_invalid(raw)
            extra["invalid_action_policy"] = self.invalid_action_policy.kind
        if result.success:
            self._success = True
        if result.progress is not None:
            self._progress = float(min(1.0, max(0.0, result.progress)))
        self._text = self._clip_text(result.text)
        if result.terminated or result.truncated:
            self._needs_reset = True
        info = self._info(
            raw_action=raw,
            parsed_action=parsed if valid else None,
            action_valid=valid,
            **extra,
            **result.info,
        )
        return self._observation(), float(result.reward), result.terminated, result.truncated, info

    def render(self) -> np.ndarray | str | None:
        if self.render_mode == "rgb_array":
            return self._render_image()
        if self.render_mode == "ansi":
            return self.render_text()
        return None

    def render_text(self) -> str:
        """The ``"ansi"`` rendering: instruction, latest text and the admissible actions."""
        lines = [f"Instruction: {self.instruction}", self._text]
        actions = self.admissible_actions()
        if actions is not None:
            lines.append("Actions: " + ", ".join(actions))
        return "\n".join(line for line in lines if line) + "\n"

    # ------------------------------------------------------------------ internals
    def _parse(self, raw: str) -> tuple[str | None, bool, str]:
        limit = self.action_space.max_length
        if len(raw) > limit:
            return None, False, raw[:limit]
        try:
            parsed = self.grammar.parse(extract_action(raw))
        except Exception:  # a grammar must never crash a step; treat as unparseable
            parsed = None
        if parsed is None:
            return None, False, raw
        return parsed, self._admissible(parsed), raw

    def _admissible(self, action: str) -> bool:
        """Whether a parsed action may be played now; by default, whether it is one of
        ``admissible_actions()`` (always, for an open grammar). Envs whose list holds a template
        (WebShop's ``search[<query>]``) override it."""
        admissible = self.admissible_actions()
        return admissible is None or action in admissible

    def _apply_invalid(self, raw: str) -> StepResult:
        policy = self.invalid_action_policy
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        if policy.kind == "noop":
            text = f"Invalid action {shown!r}: nothing happened. {self.grammar.describe()}"
            idle = self._idle(text)
            if idle is None:
                return StepResult(reward=policy.penalty, text=text)
            idle.reward = idle.reward + policy.penalty if policy.additive else policy.penalty
            return idle
        if policy.kind == "default":
            fallback = policy.default_action
        else:
            choices = self.admissible_actions() or list(getattr(self.grammar, "actions", []))
            fallback = choices[int(self.np_random.integers(len(choices)))]
        assert fallback is not None
        result = self._step(fallback)
        result.reward += policy.penalty
        result.text = f"Invalid action {shown!r}; played {fallback!r} instead. {result.text}"
        return result

    def _clip_text(self, text: str) -> str:
        limit = self.observation_space["text"].max_length  # type: ignore[attr-defined]
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def _observation(self) -> dict[str, Any]:
        instruction = self._clip_text(self.instruction)
        return {
            "image": self._render_image(),
            "text": self._text,
            "instruction": instruction,
            **self._extra_observation(),
        }

    def _info(self, **values: Any) -> dict[str, Any]:
        return {
            **values,
            "admissible_actions": self.admissible_actions(),
            "success": self._success,
            "progress": 1.0 if self._success else self._progress,
            "invalid_actions": self._invalid_actions,
        }


class DatasetEnv(VLAgentEnv):
    """A :class:`VLAgentEnv` whose episodes are the items of a fixed list (a test set).

    ``reset(seed=s)`` plays item ``s % num_items``, so seeds ``0..n-1`` enumerate the set in
    order; ``options={"index": i}`` plays item ``i`` whatever the seed; a reset without either
    draws an item from ``np_random``. Subclasses define :attr:`num_items` and call
    :meth:`_choose_item` first thing in ``_reset``; the current item's position is
    :attr:`index`. The reset info adds :meth:`_item_info` (which item this episode plays).
    """

    index: int = 0
    _reset_seed: int | None = None

    @property
    def num_items(self) -> int:
        """How many items the env plays."""
        raise NotImplementedError

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self._reset_seed = seed  # _choose_item picks the item from it
        obs, info = super().reset(seed=seed, options=options)
        info.update(self._item_info())
        return obs, info

    def _item_info(self) -> dict[str, Any]:
        """Info keys naming the current item, added to the reset info (none by default)."""
        return {}

    def _choose_item(self, options: dict[str, Any] | None) -> int:
        """Set and return :attr:`index` for a new episode (see the class docstring).

        Raises:
            ValueError: ``options["index"]`` is out of range.
        """
        count = self.num_items
        if options and "index" in options:
            index = int(options["index"])
            if not 0 <= index < count:
                raise ValueError(f"options['index'] must be in [0, {count}), got {index}")
        elif self._reset_seed is not None:
            index = self._reset_seed % count
        else:
            index = int(self.np_random.integers(count))
        self.index = index
        return index

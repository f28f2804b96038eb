"""The MiniWorld adapter: a Farama ``miniworld`` task behind the text-action API."""

from __future__ import annotations

import os
import weakref
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv
from vlagent_envs.envs.miniworld.expert import NavigationExpert
from vlagent_envs.envs.miniworld.goals import Goal, Verdict, entity_name, make_goal
from vlagent_envs.envs.miniworld.headless import check_installed
from vlagent_envs.envs.miniworld.tasks import ACTION_SYNONYMS, MiniWorldTask, get_task

__all__ = ["MiniWorldEnv"]

# MiniWorld's "done" action: no task of miniworld 2.1.0 reacts to it, the step still counts.
_NOOP = 7

_PAST = {
    "turn left": "You turned left.",
    "turn right": "You turned right.",
    "move forward": "You moved forward.",
    "move back": "You moved back.",
}


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class MiniWorldEnv(VLAgentEnv):
    """A MiniWorld 3-D task (Farama ``miniworld``) with text actions and a text report.

    ## Description
    The agent sees the world through its own camera and acts in words. VL-DAC (Bredis et al.,
    2025) trains on four of these tasks -- OneRoom, Hallway, FourRooms and WallGap: go to the
    red box -- and this class follows its protocol there (128 steps, 80x60 frames, four moving
    actions numbered 0..3). Every other task MiniWorld 2.1.0 registers is wrapped too, with its
    own step limit and actions. Rendering is headless (EGL, Mesa's llvmpipe on a CPU): no
    display, GPU or Xvfb is needed (see :mod:`vlagent_envs.envs.miniworld.headless`).

    ## Action Space
    Text naming one of the task's actions -- ``"turn left"``, ``"turn right"``,
    ``"move forward"``, ``"move back"`` (VL-DAC tasks and the tasks that allow it), ``"pick up"``
    and ``"drop"`` where the task uses them, Sign's ``"end episode"`` -- or its number
    (``"0"`` .. ``"3"``, the simulator's numbering, as VL-DAC's prompt uses), or a synonym
    (``"forward"``, ``"left"``, ``"pickup"``, ...). The RL4VLM answer format
    ``{"thoughts": ..., "action": ...}`` is read. MiniWorld's ``toggle`` and ``done`` are not
    offered: no task of miniworld 2.1.0 reacts to them.

    ## Observation Space
    ``image``: the agent's view, ``obs_height`` x ``obs_width`` RGB (80x60 by default, as
    VL-DAC); ``text``: what happened (``"You moved forward."``, ``"You bumped into a wall."``,
    ``"You picked up the red key."``, ``"Health: 86."``); ``instruction``: the goal in words
    (``"Go to the red box."``).

    ## Rewards
    MiniWorld's: ``1 - 0.2 * steps / max_steps`` on reaching the goal (Sign: +1 right object,
    -1 wrong one; PickupObjects: +1 per object; CollectHealth: +2 a step, -100 on dying).
    With ``vldac_reward=True`` an episode that ends with a reward <= 0 gets -1 on its last step
    instead (VL-DAC's reward processing). An invalid action is a no-op with reward 0.

    ## Starting State
    MiniWorld's random world for the seed: ``reset(seed=s)`` generates the same world as the
    original env's ``reset(seed=s)``; later unseeded resets draw their world seed from
    ``np_random``.

    ## Episode End
    Terminated when the goal is reached (or failed for good: Sidewalk's street, Sign's wrong
    object, CollectHealth's death); truncated at ``step_limit`` (VL-DAC tasks: 128;
    others: MiniWorld's own limit; RoomObjects: 180). ``info["success"]`` says the goal was
    reached (CollectHealth: survived to the limit); ``progress`` is 1 on success.

    ## Arguments
    ``task_name`` (``"OneRoom"``; see :data:`~vlagent_envs.envs.miniworld.tasks.TASKS`),
    ``obs_width`` (80), ``obs_height`` (60), ``step_limit`` (the task's limit: the episode's
    length and the time scale of the reward; ``gym.make``'s ``max_episode_steps`` only adds a
    ``TimeLimit``, which can shorten episodes but not lengthen them), ``vldac_reward`` (False),
    ``invalid_action_policy``, ``render_mode``.

    ## Differences from the original
    * VL-DAC tasks: 128 steps (so the reward is ``1 - 0.2 * steps / 128``) and ``move back``.
    * RoomObjects and ThreeRooms have no goal in MiniWorld; here each episode names one of
      their objects to go to (reward and end as above) and RoomObjects stops at 180 steps.
    * Invalid text is a no-op that counts as a step: MiniWorld's ``done`` action, which every
      task ignores (time passes: CollectHealth's health drains), with reward 0.

    ## Version History
    * v0: Initial release (miniworld 2.1.0).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 10}
    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy("noop")

    def __init__(
        self,
        task_name: str = "OneRoom",
        obs_width: int = 80,
        obs_height: int = 60,
        step_limit: int | None = None,
        vldac_reward: bool = False,
        **kwargs: Any,
    ):
        check_installed()  # a missing extra fails here, naming the pip command
        self.task: MiniWorldTask = get_task(task_name)
        self.obs_width = _positive_int("obs_width", obs_width)
        self.obs_height = _positive_int("obs_height", obs_height)
        limit = self.task.max_episode_steps if step_limit is None else step_limit
        self.max_episode_steps = _positive_int("step_limit", limit)
        self.vldac_reward = bool(vldac_reward)
        self.image_shape = (self.obs_height, self.obs_width, 3)
        self.grammar = ChoiceGrammar(
            self.task.actions,
            synonyms={k: v for k, v in ACTION_SYNONYMS.items() if v in self.task.actions},
            numbered=0,
        )
        super().__init__(**kwargs)
        self._action_index = {name: i for i, name in enumerate(self.task.actions)}
        self._goal: Goal = make_goal(self.task)
        self._expert = NavigationExpert()
        self._image = np.zeros(self.image_shape, dtype=np.uint8)
        # The simulator is built on the first reset (in a vector env's worker, not its parent).
        self._sim: Any = None
        self._finalizer: weakref.finalize | None = None
        # What it takes to rebuild the episode (pickling): the world seed and the actions since.
        self._world_seed: int | None = None
        self._history: list[int] = []
        self._reset_seed: int | None = None

    # ------------------------------------------------------------------ simulator lifetime
    @property
    def _pool_key(self) -> tuple:
        return (self.task.entry_point, self.obs_width, self.obs_height)

    def _simulator(self) -> Any:
        if self._sim is None:
            from vlagent_envs.envs.miniworld.simulator import POOL

            key = self._pool_key
            self._sim = POOL.acquire(key, self.task.entry_point, self.obs_width, self.obs_height)
            self._finalizer = weakref.finalize(self, POOL.release, key, self._sim, os.getpid())
            self._finalizer.atexit = False
        return self._sim

    @property
    def simulator(self) -> Any:
        """The wrapped ``miniworld`` env (built on first use). Read it; do not step it."""
        return self._simulator()

    def close(self) -> None:
        """Give the simulator back to the process's pool (its GL context is reused)."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._sim = None
        super().close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_sim"] = None
        state["_finalizer"] = None
        state["_expert"] = NavigationExpert()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._world_seed is not None:
            self._replay()

    def _replay(self) -> None:
        """Rebuild the current episode in a fresh simulator: its world, then its actions."""
        sim, _ = self._start_world(self._world_seed)
        for index in self._history:
            sim.step(index)

    def _start_world(self, seed: int | None) -> tuple[Any, np.ndarray]:
        """Generate the world of ``seed``; returns the simulator and its first frame."""
        sim = self._simulator()
        sim.shadow_window.switch_to()  # reset compiles the scene with whatever context is current
        obs, _ = sim.reset(seed=seed)
        sim.max_episode_steps = self.max_episode_steps
        return sim, self._frame(obs)

    # ------------------------------------------------------------------ VLAgentEnv interface
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self._reset_seed = seed
        return super().reset(seed=seed, options=options)

    def _reset(self, options: dict[str, Any] | None) -> str:
        seed = self._reset_seed
        if seed is None:
            seed = int(self.np_random.integers(2**31 - 1))
        self._reset_seed = None
        self._world_seed, self._history = seed, []
        sim, self._image = self._start_world(seed)
        self._goal.start(sim, self.np_random)
        self._expert.reset()
        return "You look around."

    def _step(self, action: str) -> StepResult:
        sim = self._sim
        index = self._action_index[action]
        agent = sim.agent
        pos, direction, carrying = agent.pos, agent.dir, agent.carrying
        front = self._in_front(sim) if action == "pick up" else None
        obs, reward, terminated, truncated, _ = sim.step(index)
        self._history.append(index)
        self._image = self._frame(obs)
        event = self._event(sim, action, pos, direction, carrying, front)
        return self._finish(self._goal.judge(sim, float(reward), terminated, truncated), event)

    def _idle(self, event: str) -> StepResult:
        # The no-op is MiniWorld's own do-nothing action: the agent stays, time passes (the step
        # counts towards the limit; CollectHealth's health drains); the base class sets the
        # reward to the policy's penalty.
        sim = self._sim
        obs, reward, terminated, truncated, _ = sim.step(_NOOP)
        self._history.append(_NOOP)
        self._image = self._frame(obs)
        return self._finish(self._goal.judge(sim, float(reward), terminated, truncated), event)

    def _finish(self, verdict: Verdict, event: str) -> StepResult:
        """The step's result: VL-DAC's reward processing, the end of time, one text."""
        reward, terminated = verdict.reward, verdict.terminated
        truncated = verdict.truncated and not terminated
        if self.vldac_reward and (terminated or truncated) and reward <= 0:
            reward = -1.0
        text = f"{event} {verdict.text}" if verdict.text else event
        if truncated:
            text += f" Time is up after {self._sim.step_count} steps."
        return StepResult(
            reward, terminated, truncated, text.strip(), verdict.success, verdict.progress
        )

    def _render_image(self) -> np.ndarray:
        # The simulator's frame is a flipped view of a buffer of its own: one copy makes it a
        # fresh, contiguous array for the caller.
        return np.array(self._image, dtype=np.uint8, order="C")

    @property
    def instruction(self) -> str:
        return self._goal.instruction(self._sim if self._world_seed is not None else None)

    @property
    def task_prompt(self) -> str:
        task = self.task
        numbered = "\n".join(f"{i}: {name}" for i, name in enumerate(task.actions))
        return (
            f"You are an agent in a 3-D world: {task.world}. The image is what your camera "
            f"sees. {self._goal.instruction(None)} Each step you take one action; a turn "
            f"turns {task.turn_degrees} degrees and a move goes {task.step_meters} m. You have "
            f"{self.max_episode_steps} steps. The actions are:\n{numbered}\n"
            "Answer with the action's name or its number. Your response should be a valid json "
            "object in the following format:\n"
            '{"thoughts": "{first describe what you see and where the goal is, then think '
            'carefully about which action brings you closer to it}", "action": "move forward"}'
        )

    def expert_action(self) -> str:
        """The scripted navigator's next action, read from the simulator state.

        Plans on the floor plan (walls, objects, goal position) and steers the agent there;
        see :mod:`vlagent_envs.envs.miniworld.expert`.
        """
        if self._world_seed is None or self._sim is None:
            return self.task.actions[0]
        return self._expert.act(self._sim, self._goal.objective(self._sim))

    # ------------------------------------------------------------------ feedback text
    @staticmethod
    def _frame(obs: Any) -> np.ndarray:
        return obs["obs"] if isinstance(obs, dict) else obs  # Sign returns {"obs", "goal"}

    @staticmethod
    def _in_front(sim: Any) -> Any:
        """What MiniWorld's pick-up would hit now: an entity, ``True`` (a wall) or ``None``."""
        agent = sim.agent
        probe = agent.pos + agent.dir_vec * 1.5 * agent.radius
        return sim.intersect(agent, probe, 1.2 * agent.radius)

    def _event(
        self, sim: Any, action: str, pos: Any, direction: float, carrying: Any, front: Any
    ) -> str:
        agent = sim.agent
        if action in ("move forward", "move back"):
            if agent.pos is not pos:  # MiniWorld assigns a new position only when it moved
                return _PAST[action]
            return self._bump(sim, 1.0 if action == "move forward" else -1.0)
        if action in ("turn left", "turn right"):
            if agent.dir != direction:
                return _PAST[action]
            return f"You could not turn: the {entity_name(carrying)} you carry is in the way."
        if action == "pick up":
            if carrying is not None:
                return f"You are already carrying the {entity_name(carrying)}."
            if front is None or front is True or front.is_static:
                return "There is nothing in front of you to pick up."
            return f"You picked up the {entity_name(front)}."
        if action == "drop":
            if carrying is None:
                return "You are not carrying anything."
            return f"You dropped the {entity_name(carrying)}."
        return "You ended the episode."

    @staticmethod
    def _bump(sim: Any, sign: float) -> str:
        agent = sim.agent
        target = agent.pos + agent.dir_vec * sign * sim.params.sample(None, "forward_step")
        hit = sim.intersect(agent, target, agent.radius)
        if hit is True:
            return "You bumped into a wall."
        if hit is not None:
            return f"You bumped into the {entity_name(hit)}."
        if agent.carrying is not None:
            return f"The {entity_name(agent.carrying)} you carry bumped into something."
        return "You could not move."

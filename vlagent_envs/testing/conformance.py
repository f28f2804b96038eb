"""The conformance suite every vlagent-envs environment passes.

Third-party env authors run it on their own ids (``python -m vlagent_envs check ID`` or
``check_env_conformance("My/Env-v0")``); the project's tests run it over every registered id.
Each check is a plain function that raises :class:`ConformanceError` (an ``AssertionError``)
with a message naming the id and what broke.

Checks:

* :func:`check_gymnasium` -- Gymnasium's own ``check_env`` plus both render modes;
* :func:`check_contract` -- observation keys and types, the fixed ``info`` keys, ``task_prompt``;
* :func:`check_determinism` -- the same seed and actions give identical trajectories;
* :func:`check_pickle` -- a pickled env (before and mid-episode) continues identically;
* :func:`check_spec_roundtrip` -- the spec survives a JSON round trip and rebuilds the env;
* :func:`check_vector` -- ``gym.make_vec`` in ``sync`` and ``async`` modes agree;
* :func:`check_action` / :func:`check_hostile_actions` -- no action ever raises; unparseable
  and over-long actions are invalid and, under the no-op policy, change nothing;
* :func:`check_scripted_success` -- the env's scripted solver ends an episode successfully.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec
from gymnasium.utils.env_checker import check_env

from vlagent_envs.core.env import INFO_KEYS, VLAgentEnv
from vlagent_envs.core.spaces import FreeText

__all__ = [
    "ConformanceError",
    "check_action",
    "check_contract",
    "check_determinism",
    "check_env_conformance",
    "check_gymnasium",
    "check_hostile_actions",
    "check_pickle",
    "check_scripted_success",
    "check_spec_roundtrip",
    "check_vector",
    "hostile_actions",
    "rollout",
]


class ConformanceError(AssertionError):
    """An env breaks the vlagent-envs contract."""


def _fail(env_id: str, message: str) -> None:
    raise ConformanceError(f"{env_id}: {message}")


def _unwrapped(env: gym.Env) -> VLAgentEnv:
    base = env.unwrapped
    if not isinstance(base, VLAgentEnv):
        raise ConformanceError(f"{env.spec.id if env.spec else env}: not a VLAgentEnv")
    return base


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


def _action_sequence(env: VLAgentEnv, rng: np.random.Generator, info: dict[str, Any]) -> str:
    """A mix of admissible actions, scripted moves and junk, drawn from ``rng``."""
    roll = rng.random()
    admissible = info.get("admissible_actions")
    if roll < 0.15:
        return "xyzzy not an action"
    if roll < 0.45:
        expert = env.expert_action()
        if expert is not None:
            return expert
    if admissible:
        choice = admissible[int(rng.integers(len(admissible)))]
        return json.dumps({"thoughts": "...", "action": choice}) if roll > 0.8 else choice
    env.action_space.seed(int(rng.integers(2**31)))  # free text, drawn from rng too
    return env.action_space.sample()


def rollout(
    env: gym.Env,
    seed: int,
    actions: Sequence[str] | None = None,
    max_steps: int = 200,
    action_seed: int = 0,
) -> list[tuple]:
    """Reset with ``seed`` and step; returns ``[(obs, reward, term, trunc, info), ...]``.

    With ``actions`` those are played (the episode may end earlier); otherwise a mix of
    admissible, scripted and junk actions drawn from ``action_seed``. Each recorded step also
    carries the action played as its sixth element.
    """
    obs, info = env.reset(seed=seed)
    steps: list[tuple] = [(obs, 0.0, False, False, info, None)]
    rng = np.random.default_rng(action_seed)
    base = _unwrapped(env)
    for t in range(max_steps if actions is None else len(actions)):
        action = _action_sequence(base, rng, info) if actions is None else actions[t]
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((obs, reward, terminated, truncated, info, action))
        if terminated or truncated:
            break
    return steps


def check_gymnasium(env_id: str, **kwargs: Any) -> None:
    """Gymnasium's ``check_env`` (on the unwrapped env) and the two render modes."""
    env = gym.make(env_id, **kwargs)
    try:
        check_env(env.unwrapped, skip_render_check=True)
    except Exception as error:  # re-raise with the id
        raise ConformanceError(f"{env_id}: gymnasium check_env failed: {error}") from error
    finally:
        env.close()
    for mode, kind in (("rgb_array", np.ndarray), ("ansi", str)):
        env = gym.make(env_id, render_mode=mode, **kwargs)
        obs, _ = env.reset(seed=0)
        frame = env.render()
        if not isinstance(frame, kind):
            _fail(env_id, f"render_mode={mode!r} returned {type(frame).__name__}")
        if mode == "rgb_array" and not np.array_equal(frame, obs["image"]):
            _fail(env_id, "render('rgb_array') differs from the observation's image")
        env.close()


def check_contract(env_id: str, **kwargs: Any) -> None:
    """Observation keys and types, the fixed info keys, ``task_prompt`` and ``instruction``."""
    env = gym.make(env_id, **kwargs)
    base = _unwrapped(env)
    space = env.observation_space
    if not isinstance(space, gym.spaces.Dict):
        _fail(env_id, "observation space is not a Dict")
    for key in ("image", "text", "instruction"):
        if key not in space.spaces:
            _fail(env_id, f"observation space lacks {key!r}")
    image_space = space["image"]
    if not (
        isinstance(image_space, gym.spaces.Box)
        and image_space.dtype == np.uint8
        and len(image_space.shape) == 3
        and image_space.shape[2] == 3
    ):
        _fail(env_id, f"'image' must be a (H, W, 3) uint8 Box, got {image_space}")
    if not isinstance(env.action_space, FreeText):
        _fail(env_id, f"action space must be FreeText, got {env.action_space}")
    if not isinstance(base.task_prompt, str) or len(base.task_prompt) < 20:
        _fail(env_id, "task_prompt must describe the task, actions and answer format")
    obs, info = env.reset(seed=0)
    if info.get("task_prompt") != base.task_prompt:
        _fail(env_id, "reset info must carry task_prompt")
    _check_info(env_id, info)
    if not obs["instruction"]:
        _fail(env_id, "empty instruction after reset")
    obs, *_, info = env.step(base.expert_action() or "look")
    _check_info(env_id, info)
    env.close()


def _check_info(env_id: str, info: dict[str, Any]) -> None:
    missing = [k for k in INFO_KEYS if k not in info]
    if missing:
        _fail(env_id, f"info lacks {missing}")
    if not isinstance(info["success"], (bool, np.bool_)):
        _fail(env_id, f"info['success'] must be a bool, got {info['success']!r}")
    if not 0.0 <= float(info["progress"]) <= 1.0:
        _fail(env_id, f"info['progress'] out of [0, 1]: {info['progress']}")
    admissible = info["admissible_actions"]
    if admissible is not None and not all(isinstance(a, str) for a in admissible):
        _fail(env_id, "admissible_actions must be a list of str or None")


def check_determinism(env_id: str, seeds: Iterable[int] = (0, 1, 2), **kwargs: Any) -> None:
    """The same seed and actions twice (in two env instances) give identical trajectories."""
    for seed in seeds:
        first = rollout(gym.make(env_id, **kwargs), seed, action_seed=seed)
        actions = [step[5] for step in first[1:]]
        second = rollout(gym.make(env_id, **kwargs), seed, actions=actions)
        again = rollout(gym.make(env_id, **kwargs), seed, action_seed=seed)
        for label, other in (("replayed actions", second), ("same action seed", again)):
            if len(first) != len(other):
                _fail(env_id, f"seed {seed}: {label} gave {len(other)} steps, not {len(first)}")
            for t, (a, b) in enumerate(zip(first, other)):
                if not _same(a[:5], b[:5]):
                    _fail(env_id, f"seed {seed}: {label} differ at step {t}")


def check_pickle(env_id: str, seed: int = 3, **kwargs: Any) -> None:
    """A pickled env continues exactly as the original (pickled mid-episode and fresh)."""
    fresh = gym.make(env_id, **kwargs)
    pickle.loads(pickle.dumps(fresh)).close()
    env = gym.make(env_id, **kwargs)
    reference = rollout(env, seed, action_seed=seed)
    actions = [step[5] for step in reference[1:]]
    if len(actions) < 2:
        return
    env = gym.make(env_id, **kwargs)
    env.reset(seed=seed)
    env.step(actions[0])
    clone = pickle.loads(pickle.dumps(env))
    for t, action in enumerate(actions[1:], start=2):
        a, b = env.step(action), clone.step(action)
        if not _same(a, b) or not _same(a, reference[t][:5]):
            _fail(env_id, f"pickled env diverged at step {t}")
        if a[2] or a[3]:
            break


def check_spec_roundtrip(env_id: str) -> None:
    """``env.spec`` survives ``to_json``/``from_json`` and rebuilds an equal env."""
    env = gym.make(env_id)
    assert env.spec is not None
    text = env.spec.to_json()
    spec = EnvSpec.from_json(text)
    if spec.to_json() != text:
        _fail(env_id, "spec JSON round trip is not the identity")
    rebuilt = gym.make(spec)
    a, b = rollout(env, 5, action_seed=5), rollout(rebuilt, 5, action_seed=5)
    if not (len(a) == len(b) and all(_same(x[:5], y[:5]) for x, y in zip(a, b))):
        _fail(env_id, "an env rebuilt from its JSON spec behaves differently")


def check_vector(env_id: str, num_envs: int = 2, steps: int = 6, **kwargs: Any) -> None:
    """``gym.make_vec`` in ``sync`` and ``async`` modes: batched spaces, equal trajectories."""
    results: dict[str, list] = {}
    for mode in ("sync", "async"):
        envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **kwargs)
        try:
            obs, infos = envs.reset(seed=list(range(num_envs)))
            trace = [obs]
            rng = np.random.default_rng(0)
            for _ in range(steps):
                actions = []
                for i in range(num_envs):
                    admissible = infos.get("admissible_actions")
                    choices = admissible[i] if admissible is not None else None
                    actions.append(
                        str(choices[int(rng.integers(len(choices)))]) if choices else "look"
                    )
                obs, rewards, terminated, truncated, infos = envs.step(tuple(actions))
                trace.append((obs, rewards, terminated, truncated))
            image = obs["image"]
            single = envs.single_observation_space["image"].shape
            if image.shape != (num_envs, *single):
                _fail(env_id, f"{mode}: batched image shape {image.shape}")
            if not (
                isinstance(obs["text"], tuple)
                and len(obs["text"]) == num_envs
                and all(isinstance(t, str) for t in obs["text"])
            ):
                _fail(env_id, f"{mode}: batched text must be a tuple of {num_envs} str")
            results[mode] = trace
        finally:
            envs.close()
    if not _same(results["sync"], results["async"]):
        _fail(env_id, "sync and async vector envs disagree")


def hostile_actions(max_length: int) -> list[str]:
    """Actions that no grammar may accept: junk, broken JSON, deep braces, over-long text."""
    return [
        "",
        "   ",
        "\x00\x01\x02",
        "\u202e\u0301\U0001f600 \ud7ff",
        "{",
        "}{",
        '{"action": }',
        '{"action": null}',
        '{"action": ["+", "-"]}',
        '{"thoughts": "no action here"}',
        "{" * 5000 + "}" * 5000,
        "[" * 3000,
        '{"a": ' * 400 + "1" + "}" * 400,
        "Action:",
        "__import__('os').system('echo pwned')",
        "x" * (max_length + 1),
        "+" * (max_length + 10),
        "\n" * 100,
    ]


def check_action(env: gym.Env, action: str, *, expect_invalid: bool = False) -> tuple:
    """Step ``env`` (already reset, not ended) with ``action`` and check the step contract.

    Never raises for any ``str``; an over-long action is truncated and invalid; an invalid
    action under the no-op policy leaves the image and instruction unchanged and pays the
    declared penalty. Returns the step's result.
    """
    base = _unwrapped(env)
    env_id = env.spec.id if env.spec else type(base).__name__
    before = base._observation()
    try:
        result = env.step(action)
    except Exception as error:
        raise ConformanceError(f"{env_id}: step({action[:40]!r}...) raised {error!r}") from error
    obs, reward, terminated, truncated, info = result
    _check_info(env_id, info)
    if not isinstance(info["raw_action"], str):
        _fail(env_id, "info['raw_action'] must be the action text")
    if len(info["raw_action"]) > env.action_space.max_length:  # type: ignore[attr-defined]
        _fail(env_id, "an over-long action was not truncated in info['raw_action']")
    if len(action) > env.action_space.max_length:  # type: ignore[attr-defined]
        expect_invalid = True
    if expect_invalid and info["action_valid"]:
        _fail(env_id, f"{action[:40]!r} was accepted as {info['parsed_action']!r}")
    if not info["action_valid"]:
        if info["parsed_action"] is not None:
            _fail(env_id, "an invalid action must have parsed_action None")
        policy = base.invalid_action_policy
        if policy.kind == "noop":
            if not np.array_equal(obs["image"], before["image"]):
                _fail(env_id, "a no-op (invalid action) changed the image")
            if obs["instruction"] != before["instruction"]:
                _fail(env_id, "a no-op (invalid action) changed the instruction")
            if reward != policy.penalty and not policy.additive:
                _fail(env_id, f"invalid action paid {reward}, the policy says {policy.penalty}")
    return result


def check_hostile_actions(env_id: str, **kwargs: Any) -> None:
    """Every :func:`hostile_actions` string is handled: never raises, invalid, no-op."""
    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    for action in hostile_actions(env.action_space.max_length):  # type: ignore[attr-defined]
        _, _, terminated, truncated, _ = check_action(env, action, expect_invalid=True)
        if terminated or truncated:
            env.reset(seed=0)
    env.close()


def check_scripted_success(env_id: str, seeds: Iterable[int] = range(20), **kwargs: Any) -> int:
    """The env's scripted solver ends an episode successfully; returns the first such seed.

    An env states what its solver reaches with a ``scripted_solver`` attribute: ``"success"``
    (the default), ``"progress"`` (a goal no script reaches, such as ascending in NetHack: the
    solver must raise ``progress`` above 0 instead) or ``"none"`` (no solver for this task,
    said in its docstring: nothing to check; -1 when no episode had a solver).
    """
    env = gym.make(env_id, **kwargs)
    base = _unwrapped(env)
    if base.expert_action.__func__ is VLAgentEnv.expert_action:  # type: ignore[attr-defined]
        _fail(env_id, "ships no scripted solver (expert_action)")
    checked = False
    for seed in seeds:
        env.reset(seed=seed)
        kind = getattr(base, "scripted_solver", "success")
        if kind not in ("success", "progress", "none"):
            _fail(env_id, f"unknown scripted_solver {kind!r}")
        if kind == "none":  # this episode's task has no solver (an id drawing tasks: next)
            continue
        checked = True
        while True:
            action = base.expert_action()
            _, _, terminated, truncated, info = env.step(action or "")
            if terminated or truncated or (kind == "progress" and info["progress"] > 0):
                break
        if kind == "progress" and info["progress"] > 0:
            return seed
        if info["success"]:
            if info["progress"] != 1.0:
                _fail(env_id, "success without progress 1.0")
            return seed
    if not checked:
        return -1
    _fail(env_id, f"the scripted solver never succeeded on seeds {list(seeds)}")
    return -1


CHECKS: dict[str, Callable[..., Any]] = {
    "gymnasium": check_gymnasium,
    "contract": check_contract,
    "determinism": check_determinism,
    "pickle": check_pickle,
    "spec": check_spec_roundtrip,
    "vector": check_vector,
    "hostile-actions": check_hostile_actions,
    "scripted": check_scripted_success,
}


def check_env_conformance(env_id: str, skip: Iterable[str] = ()) -> dict[str, str]:
    """Run every check on ``env_id``; returns ``{check: "ok" | "FAILED: ..."}``."""
    report: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in skip:
            report[name] = "skipped"
            continue
        try:
            check(env_id)
            report[name] = "ok"
        except ConformanceError as error:
            report[name] = f"FAILED: {error}"
    return report

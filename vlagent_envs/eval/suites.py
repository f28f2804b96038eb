"""Suites: versioned data files naming what an evaluation runs.

A suite lists env ids, the number of episodes and the fixed seed list of each, a step limit and
the headline metric. The shipped suites live in ``vlagent_envs/eval/suites/*.json``:

* ``quick`` -- every registered env, a few episodes: minutes on a 2-core CPU (CI, README);
* ``paper`` -- the papers' protocols (50 episodes per training env, BALROG's counts, full test
  sets of the QA benchmarks).

Any change to a suite's envs, seeds, episode counts, step limits or metrics bumps its
``version`` and adds a ``changelog`` line; results name the suite version they ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym

__all__ = ["EnvEntry", "Suite", "SuiteError", "available_suites", "load_suite"]

Metric = Literal["success", "progress", "return"]
HIGHER_IS_BETTER: dict[str, bool] = {"success": True, "progress": True, "return": True}


class SuiteError(ValueError):
    """A suite file is malformed or names something that does not exist."""


@dataclass(frozen=True)
class EnvEntry:
    """One env of a suite.

    Attributes:
        env_id: A registered ``VLAgent/...-vN`` id.
        episodes: Number of episodes (equals ``len(seeds)``).
        seeds: The reset seed of each episode, in order.
        max_steps: Step limit of an episode (passed to ``gym.make`` as ``max_episode_steps``).
        metric: Headline metric: ``success`` rate, mean ``progress`` or mean ``return``.
        kwargs: Extra ``gym.make`` kwargs (JSON-serialisable).
    """

    env_id: str
    episodes: int
    seeds: tuple[int, ...]
    max_steps: int
    metric: Metric = "success"
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> int:
        """The ``N`` of ``-vN``."""
        return int(self.env_id.rsplit("-v", 1)[1])

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER[self.metric]

    def make(self, **overrides: Any) -> gym.Env:
        """Build the env as the suite runs it."""
        return gym.make(
            self.env_id, max_episode_steps=self.max_steps, **{**self.kwargs, **overrides}
        )


@dataclass(frozen=True)
class Suite:
    """A named, versioned list of :class:`EnvEntry`."""

    name: str
    version: int
    description: str
    envs: tuple[EnvEntry, ...]
    changelog: tuple[str, ...] = ()

    def entry(self, env_id: str) -> EnvEntry:
        for env in self.envs:
            if env.env_id == env_id:
                return env
        raise KeyError(env_id)

    @property
    def env_ids(self) -> list[str]:
        return [env.env_id for env in self.envs]

    def subset(self, env_ids: list[str]) -> Suite:
        """The same suite restricted to ``env_ids`` (for quick local runs; not submittable)."""
        missing = set(env_ids) - set(self.env_ids)
        if missing:
            raise SuiteError(f"suite {self.name!r} has no {sorted(missing)}")
        return Suite(
            self.name,
            self.version,
            self.description,
            tuple(e for e in self.envs if e.env_id in env_ids),
            self.changelog,
        )


def available_suites() -> list[str]:
    """Names of the shipped suites."""
    folder = resources.files("vlagent_envs.eval") / "suites"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load_suite(name_or_path: str | Path, check_registered: bool = True) -> Suite:
    """Load a shipped suite by name (``"quick"``) or a suite file by path.

    Raises:
        SuiteError: Unknown name, malformed file, seeds that do not match the episode count,
            or (with ``check_registered``) an env id that is not registered.
    """
    path = Path(name_or_path)
    if path.suffix == ".json" and path.exists():
        text = path.read_text()
    else:
        name = str(name_or_path)
        if name not in available_suites():
            raise SuiteError(f"unknown suite {name!r}; shipped suites: {available_suites()}")
        text = (resources.files("vlagent_envs.eval") / "suites" / f"{name}.json").read_text()
    try:
        data = json.loads(text)
        envs = tuple(
            EnvEntry(
                env_id=str(e["env_id"]),
                episodes=int(e["episodes"]),
                seeds=tuple(int(s) for s in e["seeds"]),
                max_steps=int(e["max_steps"]),
                metric=e.get("metric", "success"),
                kwargs=dict(e.get("kwargs", {})),
            )
            for e in data["envs"]
        )
        suite = Suite(
            str(data["name"]),
            int(data["version"]),
            str(data.get("description", "")),
            envs,
            tuple(data.get("changelog", ())),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise SuiteError(f"malformed suite {name_or_path}: {error!r}") from error
    _check(suite, check_registered)
    return suite


def _check(suite: Suite, check_registered: bool) -> None:
    seen: set[str] = set()
    for env in suite.envs:
        if env.env_id in seen:
            raise SuiteError(f"suite {suite.name}: {env.env_id} is listed twice")
        seen.add(env.env_id)
        if len(env.seeds) != env.episodes or len(set(env.seeds)) != env.episodes:
            raise SuiteError(
                f"suite {suite.name}: {env.env_id} needs {env.episodes} distinct "
                f"seeds, has {len(env.seeds)} ({len(set(env.seeds))} distinct)"
            )
        if env.metric not in HIGHER_IS_BETTER:
            raise SuiteError(f"suite {suite.name}: unknown metric {env.metric!r}")
        if env.max_steps < 1:
            raise SuiteError(f"suite {suite.name}: {env.env_id} max_steps must be >= 1")
        if check_registered:
            gym.spec(env.env_id)  # raises gymnasium's error, with close matches

"""Batches of envs for rollouts: in this process, or spread over Ray actors.

Both pools step a list of envs with one text action each and reset an env as soon as its
episode ends (the step returns the reset observation, and the ended episode's final observation
and info for bootstrapping and logging). Envs are seeded once, at construction, from
``seed + index``; later resets continue each env's own RNG, so a run is reproducible. A pool's
state (its envs, pickled) can be saved and restored for exact resumption.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

__all__ = ["LocalEnvPool", "RayEnvPool", "Transition", "make_env_fn"]


@dataclass
class Transition:
    """One env's step: the next observation (after any reset) and what happened."""

    obs: dict[str, Any]
    info: dict[str, Any]
    reward: float
    terminated: bool
    truncated: bool
    final_obs: dict[str, Any] | None = None
    final_info: dict[str, Any] | None = None


def make_env_fn(env_id: str, env_kwargs: dict[str, Any], frames: int) -> Callable[[], gym.Env]:
    """A picklable factory for one env (with ``FrameHistory(k=frames)`` when ``frames > 1``)."""
    return _EnvFactory(env_id, dict(env_kwargs), frames)


class _EnvFactory:
    def __init__(self, env_id: str, env_kwargs: dict[str, Any], frames: int):
        self.env_id, self.env_kwargs, self.frames = env_id, env_kwargs, frames

    def __call__(self) -> gym.Env:
        import vlagent_envs  # noqa: F401  (registers the ids in a fresh worker process)
        from vlagent_envs.core import FrameHistory

        env = gym.make(self.env_id, **self.env_kwargs)
        return FrameHistory(env, k=self.frames) if self.frames > 1 else env


class LocalEnvPool:
    """Envs stepped one after the other in this process.

    Args:
        env_fn: Builds one env.
        num_envs: How many.
        seed: Env ``i`` is first reset with ``seed + i``.
    """

    def __init__(self, env_fn: Callable[[], gym.Env], num_envs: int, seed: int):
        self.envs = [env_fn() for _ in range(num_envs)]
        self.seed = seed

    def __len__(self) -> int:
        return len(self.envs)

    def reset(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [env.reset(seed=self.seed + i) for i, env in enumerate(self.envs)]

    def step(self, actions: Sequence[str]) -> list[Transition]:
        out = []
        for env, action in zip(self.envs, actions, strict=True):
            obs, reward, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                next_obs, next_info = env.reset()
                out.append(
                    Transition(next_obs, next_info, float(reward), terminated, truncated, obs, info)
                )
            else:
                out.append(Transition(obs, info, float(reward), terminated, truncated))
        return out

    def get_state(self) -> bytes:
        return pickle.dumps(self.envs)

    def set_state(self, state: bytes) -> None:
        for env in self.envs:
            env.close()
        self.envs = pickle.loads(state)

    def close(self) -> None:
        for env in self.envs:
            env.close()


class RayEnvPool:
    """The same pool spread over Ray actors, each holding a :class:`LocalEnvPool`.

    For users with many CPUs or machines: actor ``w`` holds envs ``w * per .. (w+1) * per - 1``
    and all actors step in parallel. Ray is initialised here unless it already is: on this
    machine (``address=None``; ``RAY_TMPDIR`` sets its temp folder) or by joining a cluster.

    Args:
        env_fn: Builds one env (must be picklable: it travels to the actors).
        num_envs: Total envs.
        seed: Env ``i`` is first reset with ``seed + i``, as in :class:`LocalEnvPool`.
        num_workers: Actors (``num_envs`` must be a multiple).
        address: A Ray cluster's address (``"auto"``), or ``None`` for a local Ray.
    """

    def __init__(
        self,
        env_fn: Callable[[], gym.Env],
        num_envs: int,
        seed: int,
        num_workers: int = 2,
        address: str | None = None,
    ):
        from vlagent_envs.core import require

        ray = require("ray", "baselines")
        if num_envs % num_workers:
            raise ValueError(
                f"num_envs ({num_envs}) must be a multiple of the Ray workers ({num_workers})"
            )
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self.ray = ray
        self.per = num_envs // num_workers
        actor = ray.remote(num_cpus=1)(LocalEnvPool)
        self.workers = [
            actor.remote(env_fn, self.per, seed + w * self.per) for w in range(num_workers)
        ]
        self.num_envs = num_envs

    def __len__(self) -> int:
        return self.num_envs

    def reset(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        parts = self.ray.get([w.reset.remote() for w in self.workers])
        return [item for part in parts for item in part]

    def step(self, actions: Sequence[str]) -> list[Transition]:
        futures = [
            w.step.remote(list(actions[i * self.per : (i + 1) * self.per]))
            for i, w in enumerate(self.workers)
        ]
        return [item for part in self.ray.get(futures) for item in part]

    def get_state(self) -> bytes:
        return pickle.dumps(self.ray.get([w.get_state.remote() for w in self.workers]))

    def set_state(self, state: bytes) -> None:
        self.ray.get(
            [w.set_state.remote(s) for w, s in zip(self.workers, pickle.loads(state), strict=True)]
        )

    def close(self) -> None:
        self.ray.get([w.close.remote() for w in self.workers])
        for worker in self.workers:
            self.ray.kill(worker)

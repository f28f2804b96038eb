"""Every ``gym.register`` call of the project, with string entry points only.

Importing this module (``import vlagent_envs`` does) registers every id and imports no
simulator: an env's module, and its simulator, load when ``gym.make`` builds it. Registration
kwargs are JSON-serialisable. Any change to an env's observations, rewards, dynamics, grammar,
invalid-action policy or data split bumps its ``-vN`` (see CONTRIBUTING.md).

Each family records its pip extra in ``FAMILIES`` so ``python -m vlagent_envs list`` and the
``DependencyNotInstalled`` messages can name it.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

__all__ = ["FAMILIES", "Family", "registered_ids"]

NAMESPACE = "VLAgent"


@dataclass(frozen=True)
class Family:
    """An env family: its name, pip extra, the modules it needs and a one-line summary."""

    name: str
    extra: str
    modules: tuple[str, ...]
    summary: str


FAMILIES: dict[str, Family] = {}


def _register(
    family: Family,
    task: str | None,
    entry_point: str,
    *,
    max_episode_steps: int | None = None,
    version: int = 0,
    **kwargs: object,
) -> None:
    FAMILIES.setdefault(family.name, family)
    name = family.name if task is None else f"{family.name}-{task}"
    env_id = f"{NAMESPACE}/{name}-v{version}"
    if env_id in gym.registry:  # re-import (importlib.reload) is harmless
        return
    gym.register(
        env_id,
        entry_point=entry_point,
        max_episode_steps=max_episode_steps,
        kwargs=kwargs,
        disable_env_checker=False,
    )


def registered_ids(family: str | None = None) -> list[str]:
    """Every registered ``VLAgent/...`` id, sorted; only one family's with ``family``."""
    prefix = f"{NAMESPACE}/" + (f"{family}-" if family else "")
    return sorted(i for i in gym.registry if i.startswith(prefix))


# --- Gym-Cards -----------------------------------------------------------------------------
GYM_CARDS = Family(
    "GymCards",
    "cards",
    ("PIL", "numpy"),
    "RL4VLM's card games: NumberLine, EZPoints, Points24, Blackjack",
)
_CARDS = "vlagent_envs.envs.gym_cards"
_register(GYM_CARDS, "NumberLine", f"{_CARDS}.numberline:NumberLineEnv", max_episode_steps=10)
_register(GYM_CARDS, "EZPoints", f"{_CARDS}.points:EZPointsEnv", max_episode_steps=10)
_register(GYM_CARDS, "Points24", f"{_CARDS}.points:Points24Env", max_episode_steps=30)
_register(GYM_CARDS, "Blackjack", f"{_CARDS}.blackjack:BlackjackEnv", max_episode_steps=20)

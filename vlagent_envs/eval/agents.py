"""The Agent protocol and the agents that need nothing but the envs: random and scripted.

An agent maps an observation and the step's ``info`` to a text action. History belongs to the
agent (BALROG's rule): the harness calls :meth:`Agent.reset` with the episode's seed at the start
of every episode and then :meth:`Agent.act` once per step. Agents that batch (a VLM) may also
implement ``act_batch(observations, infos) -> list[str]``; the runner then steps a vector env.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

__all__ = ["Agent", "BatchAgent", "RandomAgent", "ScriptedAgent"]


@runtime_checkable
class Agent(Protocol):
    """What the harness runs. ``name`` and ``config`` go into the results JSON."""

    name: str

    def reset(self, seed: int | None = None) -> None:
        """Start an episode (clear history; reseed any randomness from ``seed``)."""
        ...

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        """The text action for this step (a raw completion is fine)."""
        ...


@runtime_checkable
class BatchAgent(Agent, Protocol):
    """An agent that can act for many envs at once (one forward pass for the batch).

    The runner calls ``reset`` once, then ``act_batch`` with the envs still playing. ``slots``
    names each env's stable slot number, so an agent can keep history per slot; a slot starts a
    new episode when its ``info`` is a reset info (it carries ``"task_prompt"``).
    """

    def act_batch(
        self,
        observations: list[dict[str, Any]],
        infos: list[dict[str, Any]],
        slots: list[int] | None = None,
    ) -> list[str]:
        """One action per env, in order."""
        ...


class RandomAgent:
    """Samples uniformly from ``info["admissible_actions"]``.

    For open grammars (``admissible_actions`` is ``None``) it samples from the env's
    ``example_actions`` when the env lists some, else answers with a random string from the
    action space, which is almost always invalid (and counted so).

    Args:
        seed: Base seed; each episode reseeds from ``(seed, episode seed)``.
        action_space: Used for open grammars without examples.
    """

    name = "random"

    def __init__(self, seed: int = 0, action_space: gym.Space | None = None):
        self.seed = seed
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        self.config: dict[str, Any] = {"seed": seed}

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng([self.seed, 0 if seed is None else int(seed)])

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        choices = info.get("admissible_actions") or info.get("example_actions")
        if choices:
            return str(choices[int(self.rng.integers(len(choices)))])
        if self.action_space is not None:
            self.action_space.seed(int(self.rng.integers(2**31)))
            return str(self.action_space.sample())
        return ""


class ScriptedAgent:
    """Plays the env's own scripted solver (``env.unwrapped.expert_action()``).

    The solvers read the simulator state (the optimal NumberLine move, an exact 24-game
    solution, Blackjack basic strategy, ...), so this agent is *privileged*: the runner hands it
    the env with :meth:`bind` before each episode (any agent with a ``bind`` method gets this).

    Args:
        env: The env it plays (or ``None`` until :meth:`bind`).
    """

    name = "scripted"

    def __init__(self, env: gym.Env | None = None):
        self.env = env
        self.config: dict[str, Any] = {}

    def bind(self, env: gym.Env) -> None:
        """Play ``env`` from now on."""
        self.env = env

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        if self.env is None:
            raise RuntimeError("ScriptedAgent is not bound to an env; call bind(env) first")
        base = self.env.unwrapped
        action = base.expert_action()  # type: ignore[attr-defined]
        if action is None:
            from vlagent_envs.core import VLAgentEnv

            if type(base).expert_action is VLAgentEnv.expert_action:
                name = self.env.spec.id if self.env.spec else type(base).__name__
                raise NotImplementedError(f"{name} ships no scripted solver")
            # The solver has no move from here (a task it does not solve, a state it cannot
            # plan from): an empty answer, so the env's declared invalid-action policy plays
            # and the step counts as invalid.
            return ""
        return action

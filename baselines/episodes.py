"""Whole episodes played by a policy, many envs in lockstep: what ESSA's fitness, GRPO's groups
and the supervised warm start (with the env's scripted expert) are made of.

Unlike the VL-DAC pool, which runs envs forever and cuts rollouts at a fixed length, a
:class:`EpisodePlayer` plays exactly one episode per given seed, from its reset to its end, and
returns every step's prompt, answer and reward.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from baselines.env_pool import make_env_fn
from baselines.policy import AnswerFormat, VLMPolicy

__all__ = ["Episode", "EpisodePlayer", "Prompting", "Step", "answer_text", "mean_return"]


@dataclass(frozen=True)
class Prompting:
    """How a policy is prompted and decodes (kept identical between training and evaluation).

    Args:
        answer_format: ``"json"``, ``"action"``, or ``"free"`` (the env's own format, e.g.
            MathQA's ``#### <number>``).
        frames: Last k frames shown (0: none).
        task_prompt: Show the env's task prompt as the system message.
        constrained: Decode only admissible actions.
        max_new_tokens: Most tokens per answer.
    """

    answer_format: AnswerFormat = "free"
    frames: int = 1
    task_prompt: bool = True
    constrained: bool = False
    max_new_tokens: int = 64

    @property
    def shown_format(self) -> AnswerFormat:
        return "action" if self.constrained else self.answer_format


@dataclass
class Step:
    """One step of one episode."""

    prompt: str
    images: list
    admissible: list[str] | None
    completion: list[int]
    reward: float


@dataclass
class Episode:
    """One episode: its seed, steps, return and whether it succeeded."""

    seed: int
    steps: list[Step] = field(default_factory=list)
    total_return: float = 0.0
    success: bool = False

    @property
    def length(self) -> int:
        return len(self.steps)


def answer_text(action: str, answer_format: AnswerFormat) -> str:
    """A demonstration's answer in the policy's answer format (JSON demos carry no thoughts)."""
    if answer_format == "json":
        return json.dumps({"thoughts": "", "action": action})
    return action


class EpisodePlayer:
    """Plays one episode per seed with a policy (or the env's scripted expert).

    Args:
        env_id: The env.
        env_kwargs: Its kwargs.
        prompting: How the policy is prompted.
        batch_size: Envs stepped together (one ``generate`` call for all).
        max_steps: Cut episodes here (default: the env's registered limit).
    """

    def __init__(
        self,
        env_id: str,
        env_kwargs: dict[str, Any],
        prompting: Prompting,
        batch_size: int = 16,
        max_steps: int | None = None,
    ):
        self.env_id, self.prompting = env_id, prompting
        self.batch_size = max(1, batch_size)
        self._make = make_env_fn(env_id, env_kwargs, prompting.frames)
        self._envs: list[gym.Env] = []
        self.max_steps = max_steps or gym.spec(env_id).max_episode_steps or 128

    def _env(self, i: int) -> gym.Env:
        while len(self._envs) <= i:
            self._envs.append(self._make())
        return self._envs[i]

    def play(
        self,
        policy: VLMPolicy,
        seeds: Sequence[int],
        greedy: bool = True,
        record: bool = True,
        expert: bool = False,
    ) -> list[Episode]:
        """One episode per seed.

        Args:
            policy: The policy (it also renders the prompts of expert demonstrations).
            seeds: Reset seeds, one episode each (repeats allowed: GRPO's groups).
            greedy: Greedy decoding, or sampling at the policy's temperature.
            record: Keep every step's prompt, images and answer (off: returns only).
            expert: Act with the env's scripted ``expert_action()`` instead (demonstrations:
                each step's completion is the expert's answer tokenised, then end-of-turn).
        """
        episodes: list[Episode] = []
        for start in range(0, len(seeds), self.batch_size):
            chunk = [int(s) for s in seeds[start : start + self.batch_size]]
            episodes += self._play_chunk(policy, chunk, greedy, record, expert)
        return episodes

    def _play_chunk(
        self, policy: VLMPolicy, seeds: list[int], greedy: bool, record: bool, expert: bool
    ) -> list[Episode]:
        episodes = [Episode(seed) for seed in seeds]
        state: list[tuple[dict[str, Any], dict[str, Any], str]] = []
        for i, seed in enumerate(seeds):
            obs, info = self._env(i).reset(seed=seed)
            state.append((obs, info, info.get("task_prompt", "")))
        active = list(range(len(seeds)))
        for _ in range(self.max_steps):
            if not active:
                break
            prompts, images, admissible, answers, completions = [], [], [], [], []
            for i in active:
                obs, info, task_prompt = state[i]
                actions = info.get("admissible_actions")
                admissible.append(list(actions) if actions is not None else None)
                shown = task_prompt if self.prompting.task_prompt else ""
                prompt, imgs = policy.prompt(
                    shown, obs, admissible[-1], self.prompting.shown_format, self.prompting.frames
                )
                prompts.append(prompt)
                images.append(imgs)
            if expert:
                for i in active:
                    action = self._env(i).unwrapped.expert_action()  # type: ignore[attr-defined]
                    answers.append(answer_text(action, self.prompting.shown_format))
                completions = [
                    [*policy.tokenizer.encode(a, add_special_tokens=False), policy.eos_ids[0]]
                    for a in answers
                ]
            else:
                allowed = admissible if self.prompting.constrained else None
                completions = policy.generate(
                    prompts,
                    images,
                    self.prompting.max_new_tokens,
                    greedy=greedy,
                    constrain_to=allowed,  # type: ignore[arg-type]
                )
                answers = policy.tokenizer.batch_decode(completions, skip_special_tokens=True)
            still = []
            for k, i in enumerate(active):
                obs, reward, terminated, truncated, info = self._env(i).step(answers[k])
                episode = episodes[i]
                episode.total_return += float(reward)
                if record:
                    episode.steps.append(
                        Step(prompts[k], images[k], admissible[k], completions[k], float(reward))
                    )
                else:
                    episode.steps.append(Step("", [], None, [], float(reward)))
                if terminated or truncated or episode.length >= self.max_steps:
                    episode.success = bool(info.get("success", False))
                else:
                    state[i] = (obs, info, state[i][2])
                    still.append(i)
            active = still
        return episodes

    def close(self) -> None:
        for env in self._envs:
            env.close()
        self._envs = []


def mean_return(episodes: Sequence[Episode]) -> float:
    """Mean episode return (ESSA's fitness)."""
    return float(np.mean([e.total_return for e in episodes])) if episodes else 0.0

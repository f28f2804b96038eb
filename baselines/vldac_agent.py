"""A trained VL-DAC policy as a harness agent, so it is evaluated like any other and can be
submitted to the leaderboard.

``VLDACAgent`` prompts exactly as training did (the env's task prompt, the last k frames, the
instruction, text and admissible actions) and decodes greedily. It keeps its own frame history
per batch slot (history belongs to the agent), padded like ``FrameHistory`` at reset.

Evaluate a finished run on a suite::

    python -m baselines.vldac_agent runs/<run> --suite quick --submit
"""

from __future__ import annotations

import argparse
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.policy import VLMPolicy, build_prompt, load_policy

__all__ = ["VLDACAgent", "agent_for", "evaluate_policy", "load_run"]


@dataclass
class _Slot:
    task_prompt: str
    frames: deque


class VLDACAgent:
    """Greedy (or sampled) play of a :class:`~baselines.policy.VLMPolicy`.

    Args:
        policy: The trained policy.
        answer_format: ``"json"`` or ``"action"``, as in training.
        frames: Last k frames shown (as in training).
        constrained: Decode only admissible actions (as in training, if it was).
        max_new_tokens: Most tokens per answer.
        name: Leaderboard name.
        config: Recorded in the results (the training budget goes here).
    """

    def __init__(
        self,
        policy: VLMPolicy,
        answer_format: str = "json",
        frames: int = 1,
        constrained: bool = False,
        max_new_tokens: int = 128,
        name: str = "VL-DAC",
        config: dict[str, Any] | None = None,
        task_prompt: bool = True,
    ):
        self.policy = policy
        self.answer_format = "action" if constrained else answer_format
        self.frames, self.constrained = frames, constrained
        self.max_new_tokens = max_new_tokens
        self.show_task_prompt = task_prompt
        self.name = name
        self.config = dict(config or {})
        self._slots: dict[int, _Slot] = {}

    def reset(self, seed: int | None = None) -> None:
        self._slots = {}

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        return self.act_batch([observation], [info], [0])[0]

    def act_batch(
        self,
        observations: list[dict[str, Any]],
        infos: list[dict[str, Any]],
        slots: list[int] | None = None,
    ) -> list[str]:
        slots = list(range(len(observations))) if slots is None else list(slots)
        prompts, images, admissible = [], [], []
        for slot, obs, info in zip(slots, observations, infos, strict=True):
            state = self._slots.get(slot)
            if "task_prompt" in info and info.get("raw_action") is None:
                state = self._slots[slot] = _Slot(
                    info["task_prompt"], deque([obs["image"]] * self.frames, maxlen=self.frames)
                )
            elif state is None:
                raise ValueError(f"slot {slot}: the first act of an episode needs the reset info")
            else:
                state.frames.append(obs["image"])
            actions = info.get("admissible_actions")
            shown = {**obs, "frames": np.stack(state.frames)} if self.frames > 1 else obs
            messages, imgs = build_prompt(
                state.task_prompt if self.show_task_prompt else "",
                shown,
                list(actions) if actions is not None else None,
                self.answer_format,
                self.frames,
            )  # type: ignore[arg-type]
            prompts.append(self.policy.render(messages))
            images.append(imgs)
            admissible.append(list(actions) if actions is not None else None)
        allowed = admissible if self.constrained else None
        completions = self.policy.generate(
            prompts, images, self.max_new_tokens, greedy=True, constrain_to=allowed
        )  # type: ignore[arg-type]
        return self.policy.tokenizer.batch_decode(completions, skip_special_tokens=True)


def _suite_for(args: Any) -> Any:
    import gymnasium as gym

    from vlagent_envs.eval import EnvEntry, Suite
    from vlagent_envs.eval.suites import load_suite  # noqa: F401

    seeds = tuple(range(args.eval_seed, args.eval_seed + args.eval_episodes))
    limit = gym.spec(args.env_id).max_episode_steps or 128
    entry = EnvEntry(args.env_id, len(seeds), seeds, limit, "success", json.loads(args.env_kwargs))
    return Suite("vldac-eval", 1, "held-out seeds of the training env", (entry,))


def agent_for(policy: VLMPolicy, args: Any, **kwargs: Any) -> VLDACAgent:
    """The agent that prompts and decodes as the run ``args`` trained."""
    return VLDACAgent(
        policy,
        args.answer_format,
        _frames(args),
        args.constrained,
        args.max_new_tokens,
        task_prompt=args.task_prompt,
        **kwargs,
    )


def evaluate_policy(policy: VLMPolicy, args: Any, output_dir: str | Path) -> dict[str, float]:
    """Greedy success rate and mean return on ``args.eval_episodes`` held-out seeds.

    Each evaluation's results JSON goes to ``output_dir`` (the run's ``eval/`` folder).
    """
    from vlagent_envs.eval import evaluate

    agent = agent_for(policy, args)
    was_training = policy.training
    policy.eval()
    results, _ = evaluate(
        agent,
        _suite_for(args),
        output_dir=output_dir,
        num_envs=min(args.eval_episodes, 64),
        resume=False,
        progress=False,
    )
    policy.train(was_training)
    aggregate = results["aggregates"]["per_env"][args.env_id]
    return {
        "success_rate": aggregate["success"]["mean"],
        "return": aggregate["return"]["mean"],
        "episodes": aggregate["episodes"],
    }


def _frames(args: Any) -> int:
    return args.frames or (4 if "MiniWorld" in args.env_id else 1)


def load_run(run_dir: str | Path, device: str = "cpu") -> tuple[VLDACAgent, dict[str, Any]]:
    """The agent of a finished VL-DAC run folder (its ``model/`` and ``args.json``)."""
    from baselines.vldac import Args

    run_dir = Path(run_dir)
    args = Args(**json.loads((run_dir / "args.json").read_text()))
    model_dir = run_dir / "model"
    if args.model == "tiny":
        policy = load_policy(
            str(model_dir),
            lora=False,
            temperature=args.temperature,
            value_layers=(1,),
            device=device,
            with_reference=False,
        )
    else:
        from vlagent_envs.core import require

        peft = require("peft", "baselines")
        policy = load_policy(
            args.model,
            lora=False,
            temperature=args.temperature,
            value_layers=(1,),
            device=device,
            with_reference=False,
        )
        policy.model = peft.PeftModel.from_pretrained(policy.model, model_dir)
    evals = (
        [json.loads(line) for line in (run_dir / "eval.jsonl").read_text().splitlines()]
        if (run_dir / "eval.jsonl").exists()
        else []
    )
    budget = {
        "env_id": args.env_id,
        "env_kwargs": json.loads(args.env_kwargs),
        "logprob_mode": args.logprob_mode,
        "model": args.model,
        "seed": args.seed,
        "env_steps": evals[-1]["global_step"] if evals else None,
        "train_wall_time_s": evals[-1]["wall_time_s"] if evals else None,
        "task_prompt": args.task_prompt,
        "constrained": args.constrained,
        "device": "CPU (2 cores)" if device == "cpu" else device,
    }
    mode = "VL-DAC" if args.logprob_mode == "vldac" else "RL4VLM"
    agent = agent_for(policy, args, name=f"{mode} ({args.model}, CPU)", config=budget)
    agent.model_info = {"path": str(model_dir), "revision": None}  # type: ignore[attr-defined]
    return agent, budget


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate a VL-DAC run with the harness.")
    parser.add_argument("run_dir")
    parser.add_argument("--suite", default="quick")
    parser.add_argument(
        "--envs",
        nargs="*",
        default=None,
        help="evaluate only these env ids (a subset run cannot be submitted)",
    )
    parser.add_argument("--output-dir", default="results")
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--submit", action="store_true", help="submit to the leaderboard")
    options = parser.parse_args(argv)
    from vlagent_envs.eval import evaluate, load_suite

    torch.set_num_threads(1)
    agent, _ = load_run(options.run_dir)
    suite = load_suite(options.suite)
    if options.envs:
        suite = replace(suite, envs=tuple(e for e in suite.envs if e.env_id in options.envs))
    results, path = evaluate(agent, suite, output_dir=options.output_dir, num_envs=options.num_envs)
    print(path)
    print(json.dumps(results["aggregates"]["suite"]))
    if options.submit:
        from leaderboard.submit import submit

        print(submit(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

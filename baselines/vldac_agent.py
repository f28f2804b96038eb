"""A trained policy (VL-DAC, ESSA or GRPO) as a harness agent, so it is evaluated like any other
and can be submitted to the leaderboard.

``VLDACAgent`` prompts exactly as training did (the env's task prompt, the last k frames, the
instruction, text and admissible actions) and decodes greedily. It keeps its own frame history
per batch slot (history belongs to the agent), padded like ``FrameHistory`` at reset.

Evaluate a finished run (of any of the three trainers) on a suite::

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

from baselines.policy import VLMPolicy, default_frames, load_policy

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
                    info["task_prompt"],
                    deque([obs["image"]] * self.frames, maxlen=max(1, self.frames)),
                )
            elif state is None:
                raise ValueError(f"slot {slot}: the first act of an episode needs the reset info")
            else:
                state.frames.append(obs["image"])
            actions = info.get("admissible_actions")
            shown = {**obs, "frames": np.stack(state.frames)} if self.frames > 1 else obs
            prompt, imgs = self.policy.prompt(
                state.task_prompt if self.show_task_prompt else "",
                shown,
                list(actions) if actions is not None else None,
                self.answer_format,  # type: ignore[arg-type]
                self.frames,
            )
            prompts.append(prompt)
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
    return args.frames or default_frames(args.env_id)


def load_run(run_dir: str | Path, device: str = "cpu") -> tuple[VLDACAgent, dict[str, Any]]:
    """The agent of a finished run folder (its ``model/`` and ``args.json``): VL-DAC, ESSA or
    GRPO (told apart by their arguments)."""
    run_dir = Path(run_dir)
    saved = json.loads((run_dir / "args.json").read_text())
    if "population" in saved or "group_size" in saved:
        return _load_es_or_grpo_run(run_dir, saved, device)
    from baselines.vldac import Args

    args = Args(**saved)
    model_dir = run_dir / "model"
    adapter = (model_dir / "adapter_config.json").exists()  # LoRA: base + adapter
    policy = _load_trained(args.model, model_dir, args, device, lora=adapter)
    evals = _records(run_dir / "eval.jsonl")
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


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _load_trained(model: str, model_dir: Path, args: Any, device: str, lora: bool) -> VLMPolicy:
    """A run's policy: its full weights (``model_dir``), or its base plus the saved adapter."""
    if not lora:
        return load_policy(
            str(model_dir),
            lora=False,
            temperature=getattr(args, "temperature", 1.0),
            value_layers=(1,),
            device=device,
            with_reference=False,
        )
    from vlagent_envs.core import require

    peft = require("peft", "baselines")
    policy = load_policy(
        model,
        lora=False,
        temperature=getattr(args, "temperature", 1.0),
        tiny_options=json.loads(getattr(args, "tiny_options", "{}") or "{}"),
        seed=args.seed,
        value_layers=(1,),
        device=device,
        with_reference=False,
    )
    policy.model = peft.PeftModel.from_pretrained(policy.model, model_dir)
    return policy


def _load_es_or_grpo_run(
    run_dir: Path, saved: dict[str, Any], device: str
) -> tuple[VLDACAgent, dict[str, Any]]:
    from types import SimpleNamespace

    from baselines.sft import prompting

    args = SimpleNamespace(**saved)
    essa = "population" in saved
    model_dir = run_dir / "model"
    if not model_dir.exists():
        raise FileNotFoundError(f"{run_dir} has no model/ (the run has not finished)")
    policy = _load_trained(args.model, model_dir, args, device, lora=True)
    shown = prompting(args)
    evals = _records(run_dir / "eval.jsonl")
    budget = {
        "env_id": args.env_id,
        "env_kwargs": json.loads(args.env_kwargs),
        "model": args.model,
        "seed": args.seed,
        "lora_r": args.lora_r,
        "warm_start_steps": args.sft_steps,
        ("generations" if essa else "steps"): evals[-1]["generation" if essa else "step"]
        if evals
        else None,
        "train_episodes": evals[-1]["train_episodes"] if evals else None,
        "train_wall_time_s": evals[-1]["wall_time_s"] if evals else None,
        "device": "CPU (2 cores)" if device == "cpu" else device,
    }
    name = f"{'ESSA' if essa else 'GRPO'} ({args.model}, CPU)"
    agent = VLDACAgent(
        policy,
        shown.answer_format,
        shown.frames,
        shown.constrained,
        shown.max_new_tokens,
        name=name,
        config=budget,
        task_prompt=shown.task_prompt,
    )
    agent.model_info = {"path": str(model_dir), "revision": None}  # type: ignore[attr-defined]
    return agent, budget


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Evaluate a VL-DAC, ESSA or GRPO run with the harness."
    )
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

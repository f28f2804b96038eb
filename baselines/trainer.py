"""What ESSA and GRPO share, so that both start from the same point: the LoRA policy and the
supervised warm start of its adapters."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import torch

from baselines.episodes import EpisodePlayer
from baselines.policy import VLMPolicy, load_policy
from baselines.sft import demonstrations, prompting, supervised_fine_tune

__all__ = [
    "build_lora_policy",
    "load_warm_start",
    "lora_state",
    "peak_memory_mb",
    "record_eval",
    "set_lora_state",
    "warm_start",
]


def build_lora_policy(args: Any, with_reference: bool = False) -> VLMPolicy:
    """The run's model with fresh LoRA adapters (same seed: the same weights everywhere)."""
    return load_policy(
        args.model,
        lora=True,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_targets=tuple(t for t in args.lora_targets.split(",") if t),
        tiny_options=json.loads(args.tiny_options),
        temperature=getattr(args, "temperature", 1.0),
        seed=args.seed,
        value_layers=(1,),
        with_reference=with_reference,
    )


def lora_state(policy: VLMPolicy) -> dict[str, torch.Tensor]:
    """The adapter weights (every parameter named ``lora_``)."""
    return {
        name: p.detach().clone() for name, p in policy.model.named_parameters() if "lora_" in name
    }


def warm_start(policy: VLMPolicy, args: Any, path: str | Path) -> dict[str, Any]:
    """Supervised fine-tune of the adapters on the env's expert; saves them to ``path``.

    Returns what happened (demonstrations, steps, first and last loss, seconds).
    """
    started = time.perf_counter()
    losses: list[float] = []
    demos = []
    if args.sft_steps > 0:
        player = EpisodePlayer(args.env_id, json.loads(args.env_kwargs), prompting(args))
        demos = demonstrations(policy, player, range(args.sft_demos))
        player.close()
        losses = supervised_fine_tune(
            policy,
            demos,
            args.sft_steps,
            args.sft_learning_rate,
            args.sft_batch_size,
            args.seed,
        )
    torch.save(lora_state(policy), path)
    return {
        "demonstrations": len(demos),
        "steps": args.sft_steps,
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "seconds": round(time.perf_counter() - started, 1),
    }


def set_lora_state(policy: VLMPolicy, state: dict[str, torch.Tensor], source: str = "") -> None:
    """Write adapter weights (as :func:`lora_state` returns them) into the model."""
    expected = set(lora_state(policy))
    if set(state) != expected:
        missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
        raise ValueError(
            f"{source or 'the weights'} do not fit this model's adapters "
            f"(missing {missing[:3]}, extra {extra[:3]})"
        )
    params = dict(policy.model.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)


def load_warm_start(policy: VLMPolicy, path: str | Path) -> dict[str, torch.Tensor]:
    """Load adapter weights saved by :func:`warm_start` (every adapter weight must match);
    returns them."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    set_lora_state(policy, saved, str(path))
    return saved


def peak_memory_mb() -> float:
    """Peak resident memory of this process plus its waited-for children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def record_eval(
    run_dir: Path,
    writer: Any,
    progress: dict[str, int],
    wall_time: float,
    result: dict[str, float],
) -> None:
    """One held-out evaluation into ``eval.jsonl`` and TensorBoard.

    Args:
        progress: Where training is (``{"generation": g}`` or ``{"step": s}``, then
            ``"train_episodes"``); the first entry is TensorBoard's step.
        wall_time: Training seconds so far (evaluations and the warm start excluded).
        result: What :func:`baselines.sft.evaluate_player` returned.
    """
    step = next(iter(progress.values()))
    writer.add_scalar("eval/success_rate", result["success_rate"], step)
    writer.add_scalar("eval/episodic_return", result["return"], step)
    record = {
        **progress,
        "wall_time_s": round(wall_time, 2),
        "peak_memory_mb": round(peak_memory_mb(), 1),
        **result,
    }
    with (run_dir / "eval.jsonl").open("a") as handle:
        handle.write(json.dumps(record) + "\n")

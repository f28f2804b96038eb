"""GRPO: the gradient method ESSA is measured against (Shao et al., 2024, DeepSeekMath).

For each of ``--prompts`` episode seeds (a MathQA problem, or an env's start state) the policy
plays a **group** of ``G`` episodes by sampling; each episode's return is normalised within its
group, ``A_i = (R_i - mean(R)) / (std(R) + eps)``, and every generated token of every step of
the episode gets that advantage. The loss is the clipped surrogate per token with the k3 KL to
the reference policy (the warm-started adapters, where training starts), averaged over each
answer's tokens and then over answers, as in the paper; ``--iterations`` > 1 reuses a batch
(the ratio then moves off 1).

Same model, LoRA placement and warm start as :mod:`baselines.essa` (the paper compares the two
from the same SFT adapter). Defaults: learning rate 1e-5, clip 0.2 and KL beta 0.04 as in
DeepSeekMath; ``G = 8``. The std is the unbiased one (as TRL computes it).

Run from the repository root::

    python -m baselines.grpo --model tiny --sft-steps 20 --prompts 4 --group-size 4 --steps 3 \\
        --eval-episodes 20
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.episodes import Episode, EpisodePlayer
from baselines.policy import VLMPolicy
from baselines.sft import evaluate_player, prompting
from baselines.trainer import (
    RunArgs,
    build_lora_policy,
    lora_state,
    open_run,
    over_budget,
    record_eval,
    save_args,
    set_lora_state,
    warm_start_once,
)
from baselines.vldac import _padded, k3_kl

__all__ = ["Args", "Sample", "group_advantages", "grpo_loss", "main"]

logger = logging.getLogger(__name__)


@dataclass
class Args(RunArgs):
    """GRPO's arguments (one line of help under each); the shared ones are in ``RunArgs``."""

    prompts: int = 8
    """Episode seeds (prompts) per step."""
    group_size: int = 8
    """G: sampled episodes per seed."""
    steps: int = 50
    """Optimiser steps (each on a fresh batch of groups)."""
    iterations: int = 1
    """Passes over each batch (GRPO's mu)."""
    minibatch_size: int = 16
    """Answers per gradient accumulation chunk."""
    learning_rate: float = 1e-5
    """Adam learning rate of the adapters (DeepSeekMath: 1e-6 full; ESSA's GRPO: 1e-5)."""
    clip_coef: float = 0.2
    """Clip range."""
    kl_beta: float = 0.04
    """Weight of the per-token k3 KL to the reference (the warm-started adapters)."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip."""
    env_batch: int = 32
    """Episodes played in lockstep per generate call."""
    stop_after_steps: int = 0
    """Stop (with a checkpoint) after this many steps in this invocation (0 = to the end)."""


def group_advantages(rewards: torch.Tensor, group_size: int, eps: float = 1e-4) -> torch.Tensor:
    """``(R - group mean) / (group std + eps)`` for rewards laid out group after group."""
    groups = rewards.view(-1, group_size)
    mean = groups.mean(dim=1, keepdim=True)
    std = groups.std(dim=1, keepdim=True) if group_size > 1 else torch.zeros_like(mean)
    return ((groups - mean) / (std + eps)).flatten()


@dataclass
class Sample:
    """One answer to train on: its prompt, tokens, advantage and log-probs at sampling time."""

    prompt: str
    images: list
    admissible: list[str] | None
    completion: list[int]
    advantage: float
    old_logprobs: torch.Tensor
    ref_logprobs: torch.Tensor


def grpo_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip: float,
    kl_beta: float,
) -> tuple[torch.Tensor, dict[str, float]]:
    """GRPO's objective for a batch of answers, negated (a loss), **summed** over answers.

    Per answer: the mean over its tokens of ``-min(r A, clip(r) A) + beta * k3``; the caller
    divides by the number of answers in the batch.
    """
    mask = mask.float()
    ratio = (logprobs - old_logprobs).exp()
    adv = advantages.unsqueeze(1)
    surrogate = torch.max(-adv * ratio, -adv * ratio.clamp(1 - clip, 1 + clip))
    kl = k3_kl(logprobs, ref_logprobs)
    lengths = mask.sum(1).clamp(min=1)
    per_answer = ((surrogate + kl_beta * kl) * mask).sum(1) / lengths
    with torch.no_grad():
        stats = {
            "kl_ref": float(((kl * mask).sum(1) / lengths).mean()),
            "clipfrac": float(
                ((((ratio - 1).abs() > clip).float() * mask).sum(1) / lengths).mean()
            ),
        }
    return per_answer.sum(), stats


@torch.no_grad()
def collect(
    policy: VLMPolicy,
    player: EpisodePlayer,
    seeds: list[int],
    args: Args,
    reference: dict[str, torch.Tensor],
) -> tuple[list[Sample], list[Episode]]:
    """Play ``group_size`` sampled episodes per seed and score their answers, under the policy
    and under the ``reference`` adapter weights."""
    group_seeds = [s for s in seeds for _ in range(args.group_size)]
    episodes = player.play(policy, group_seeds, greedy=False)
    returns = torch.tensor([e.total_return for e in episodes], dtype=torch.float32)
    advantages = group_advantages(returns, args.group_size)
    steps = [(step, float(a)) for e, a in zip(episodes, advantages) for step in e.steps]
    size = args.minibatch_size
    chunks = [steps[i : i + size] for i in range(0, len(steps), size)]

    encoded = [
        policy.encode(
            [s.prompt for s, _ in chunk],
            [s.images for s, _ in chunk],
            [s.completion for s, _ in chunk],
        )
        for chunk in chunks
    ]

    def logprobs() -> list[torch.Tensor]:
        scores = []
        for chunk, inputs in zip(chunks, encoded, strict=True):
            allowed = [s.admissible for s, _ in chunk] if args.constrained else None
            scores.append(policy.score(inputs, allowed).logprobs)  # type: ignore[arg-type]
        return scores

    old = logprobs()
    ref = old
    if args.kl_beta > 0:
        current = lora_state(policy)
        set_lora_state(policy, reference)
        ref = logprobs()
        set_lora_state(policy, current)
    samples: list[Sample] = []
    for chunk, old_chunk, ref_chunk in zip(chunks, old, ref, strict=True):
        for n, (step, advantage) in enumerate(chunk):
            length = len(step.completion)
            samples.append(
                Sample(
                    step.prompt,
                    step.images,
                    step.admissible,
                    step.completion,
                    advantage,
                    old_chunk[n, :length].clone(),
                    ref_chunk[n, :length].clone(),
                )
            )
    return samples, episodes


def update(
    policy: VLMPolicy, optimizer: torch.optim.Optimizer, samples: list[Sample], args: Args
) -> dict[str, float]:
    """``iterations`` passes over the batch, one optimiser step each."""
    params = [p for p in policy.model.parameters() if p.requires_grad]
    stats: dict[str, list[float]] = {}
    policy.train()
    for _ in range(args.iterations):
        optimizer.zero_grad(set_to_none=True)
        for start in range(0, len(samples), args.minibatch_size):
            chunk = samples[start : start + args.minibatch_size]
            allowed = [s.admissible for s in chunk] if args.constrained else None
            encoded = policy.encode(
                [s.prompt for s in chunk], [s.images for s in chunk], [s.completion for s in chunk]
            )
            out = policy.score(encoded, allowed)  # type: ignore[arg-type]
            length = out.logprobs.shape[1]
            loss, chunk_stats = grpo_loss(
                out.logprobs,
                _padded([s.old_logprobs for s in chunk], length),
                _padded([s.ref_logprobs for s in chunk], length),
                torch.tensor([s.advantage for s in chunk]),
                out.mask,
                args.clip_coef,
                args.kl_beta,
            )
            (loss / len(samples)).backward()
            for key, value in chunk_stats.items():
                stats.setdefault(key, []).append(value)
            stats.setdefault("loss", []).append(float(loss.detach()) / len(chunk))
        grad_norm = torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
        stats.setdefault("grad_norm", []).append(float(grad_norm))
        optimizer.step()
    policy.eval()
    return {key: float(np.mean(values)) for key, values in stats.items()}


def prompt_seeds(seed: int, step: int, count: int, train_seeds: int) -> list[int]:
    """The step's episode seeds (a function of the run seed and the step: resumable)."""
    rng = np.random.default_rng([seed, step])
    return [int(s) for s in rng.choice(train_seeds, size=count, replace=count > train_seeds)]


def main(args: Args) -> Path:
    """Train; returns the run folder (``model/`` adapter, checkpoint, TensorBoard, evals)."""
    from torch.utils.tensorboard import SummaryWriter

    args, run_dir = open_run(args, "grpo", keep=("stop_after_steps",))
    if args.group_size < 2:
        raise ValueError("GRPO needs groups of at least 2 answers (--group-size)")
    save_args(run_dir, args)
    torch.set_num_threads(args.torch_threads)
    torch.manual_seed(args.seed)
    policy = build_lora_policy(args)
    shown = prompting(args)
    reference = warm_start_once(policy, args, run_dir)
    params = [p for p in policy.model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=args.learning_rate)
    checkpoint = run_dir / "checkpoint.pt"
    state: dict[str, Any] = {"step": 0, "wall_time": 0.0, "episodes": 0}
    if args.resume and checkpoint.exists():
        saved_state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        set_lora_state(policy, saved_state["adapter"], str(checkpoint))
        optimizer.load_state_dict(saved_state["optimizer"])
        torch.set_rng_state(saved_state["torch_rng"])
        state = saved_state["state"]
    if state["step"] >= args.steps and (run_dir / "model").exists():
        return run_dir  # finished already
    player = EpisodePlayer(args.env_id, json.loads(args.env_kwargs), shown, args.env_batch)
    held_out = EpisodePlayer(
        args.env_id, json.loads(args.eval_env_kwargs or args.env_kwargs), shown, args.env_batch
    )
    eval_seeds = range(args.eval_seed, args.eval_seed + args.eval_episodes)
    writer = SummaryWriter(str(run_dir), purge_step=state["step"] or None)
    if state["step"] == 0:
        _evaluate(policy, held_out, eval_seeds, run_dir, writer, state)
    stop_at = args.steps
    if args.stop_after_steps:
        stop_at = min(stop_at, state["step"] + args.stop_after_steps)
    while state["step"] < stop_at and not over_budget(args, state["wall_time"]):
        started = time.perf_counter()
        seeds = prompt_seeds(args.seed, state["step"], args.prompts, args.train_seeds)
        samples, episodes = collect(policy, player, seeds, args, reference)
        stats = update(policy, optimizer, samples, args)
        state["step"] += 1
        state["episodes"] += len(episodes)
        state["wall_time"] += time.perf_counter() - started
        step = state["step"]
        reward = float(np.mean([e.total_return for e in episodes]))
        writer.add_scalar("charts/episodic_return", reward, step)
        success = float(np.mean([e.success for e in episodes]))
        writer.add_scalar("charts/success_rate", success, step)
        for key, value in stats.items():
            writer.add_scalar(f"losses/{key}", value, step)
        logger.info("step %d: reward %.3f %s", step, reward, stats)
        with (run_dir / "steps.jsonl").open("a") as handle:
            seconds = round(time.perf_counter() - started, 3)
            record = {"step": step, "reward": reward, "success": success, **stats}
            handle.write(json.dumps({**record, "seconds": seconds}) + "\n")
        finishing = step == args.steps or over_budget(args, state["wall_time"])
        if args.eval_every and step % args.eval_every == 0 and not finishing:
            _evaluate(policy, held_out, eval_seeds, run_dir, writer, state)
        torch.save(
            {
                "adapter": lora_state(policy),
                "optimizer": optimizer.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "state": state,
            },
            checkpoint,
        )
    if state["step"] == args.steps or over_budget(args, state["wall_time"]):
        _evaluate(policy, held_out, eval_seeds, run_dir, writer, state)
        policy.save(run_dir / "model")
    writer.close()
    player.close()
    held_out.close()
    return run_dir


def _evaluate(
    policy: VLMPolicy,
    player: EpisodePlayer,
    seeds: range,
    run_dir: Path,
    writer: Any,
    state: dict[str, Any],
) -> None:
    result = evaluate_player(policy, player, seeds)
    progress = {"step": state["step"], "train_episodes": state["episodes"]}
    record_eval(run_dir, writer, progress, state["wall_time"], result)


if __name__ == "__main__":
    import tyro

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(main(tyro.cli(Args)))

"""Supervised fine-tuning on demonstrations: ESSA's warm start (and GRPO's, so both start from
the same adapter), and a way to give the tiny model a base that already knows a little.

Demonstrations are the env's scripted expert (``expert_action()``: Gym-Cards' solvers, the
MiniWorld navigator, MathQA's dataset answers) played through :class:`~baselines.episodes.
EpisodePlayer`, so the prompts are exactly the ones the policy sees later. The loss is the mean
cross-entropy of the answer tokens (then end-of-turn), at temperature 1.

Make a tiny base that knows one-operation MathQA a little, then train ESSA on top of it::

    python -m baselines.sft --model tiny --env-id VLAgent/MathQA-v0 --steps 300 --full
    python -m baselines.essa --model runs/<sft run>/model ...
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from baselines.episodes import Episode, EpisodePlayer, Prompting
from baselines.policy import VLMPolicy, default_frames, load_policy

__all__ = ["Args", "Demo", "demonstrations", "evaluate_player", "sft_loss", "supervised_fine_tune"]

logger = logging.getLogger(__name__)


@dataclass
class Demo:
    """One demonstrated step: the prompt the policy sees and the answer's token ids."""

    prompt: str
    images: list
    completion: list[int]


def demonstrations(policy: VLMPolicy, player: EpisodePlayer, seeds: Sequence[int]) -> list[Demo]:
    """Every step of the expert's episodes from ``seeds``."""
    episodes = player.play(policy, seeds, expert=True)
    return [Demo(s.prompt, s.images, s.completion) for e in episodes for s in e.steps]


def sft_loss(policy: VLMPolicy, demos: Sequence[Demo]) -> torch.Tensor:
    """Mean cross-entropy of the demonstrated answer tokens."""
    encoded = policy.encode(
        [d.prompt for d in demos], [d.images for d in demos], [d.completion for d in demos]
    )
    length = encoded.completion.shape[1]
    out = policy.model(**encoded.inputs, logits_to_keep=length + 1)
    logits = out.logits[:, :length].float()
    targets = encoded.completion.masked_fill(~encoded.completion_mask.bool(), -100)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def supervised_fine_tune(
    policy: VLMPolicy,
    demos: Sequence[Demo],
    steps: int,
    learning_rate: float,
    batch_size: int,
    seed: int,
) -> list[float]:
    """AdamW on the trainable weights (the LoRA adapters, or all for a full fine-tune).

    Returns the loss of every step. Batches are drawn with ``seed`` (reproducible).
    """
    if not demos:
        raise ValueError("supervised fine-tuning needs at least one demonstration")
    params = [p for p in policy.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    losses = []
    policy.train()
    for _ in range(steps):
        chosen = rng.choice(len(demos), size=min(batch_size, len(demos)), replace=False)
        loss = sft_loss(policy, [demos[i] for i in chosen])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
    policy.eval()
    return losses


def evaluate_player(
    policy: VLMPolicy, player: EpisodePlayer, seeds: Sequence[int]
) -> dict[str, float]:
    """Greedy success rate and mean return on ``seeds`` (one episode each)."""
    with torch.no_grad():
        episodes: list[Episode] = player.play(policy, seeds, greedy=True, record=False)
    return {
        "success_rate": float(np.mean([e.success for e in episodes])),
        "return": float(np.mean([e.total_return for e in episodes])),
        "episodes": len(episodes),
    }


@dataclass
class Args:
    """Supervised fine-tuning on the env's scripted demonstrations."""

    env_id: str = "VLAgent/MathQA-v0"
    """The env whose expert demonstrates."""
    env_kwargs: str = '{"split": "train"}'
    """JSON kwargs for gym.make."""
    eval_env_kwargs: str = '{"split": "test"}'
    """JSON kwargs of the held-out evaluation env ("" = env_kwargs)."""
    model: str = "tiny"
    """"tiny", "smollm2" or a local checkpoint folder."""
    tiny_options: str = "{}"
    """JSON overrides of the tiny model's config."""
    full: bool = False
    """Fine-tune every weight (else LoRA adapters)."""
    lora_r: int = 8
    """LoRA rank."""
    lora_alpha: int = 16
    """LoRA alpha."""
    answer_format: Literal["json", "action", "free"] = "free"
    """'free' (the env's format), 'action' or 'json'."""
    frames: int = -1
    """Frames shown (-1 = the env's default: none for MathQA)."""
    task_prompt: bool = False
    """Show the env's task prompt (long; off for tiny models)."""
    max_new_tokens: int = 64
    """Most tokens per answer at evaluation."""
    demos: int = 1000
    """Expert episodes to learn from (seeds 0..demos-1)."""
    steps: int = 300
    """Optimiser steps."""
    batch_size: int = 16
    """Demonstrated steps per optimiser step."""
    learning_rate: float = 1e-3
    """AdamW learning rate (ESSA's SFT on 7B models: 1e-4 with LoRA)."""
    eval_episodes: int = 100
    """Held-out episodes evaluated at the end."""
    eval_seed: int = 0
    """First held-out seed (MathQA: the test split's problem index)."""
    seed: int = 0
    """Seed of the model and of the batches."""
    torch_threads: int = 1
    """CPU threads for torch."""
    output_dir: str = "runs"
    """Where runs go."""
    run_name: str = ""
    """Run folder name (default: <env>__sft__<seed>__<time>)."""


def prompting(args: object) -> Prompting:
    """The prompting an argument set describes (shared by the SFT, ESSA and GRPO CLIs)."""
    frames = args.frames if args.frames >= 0 else default_frames(args.env_id)  # type: ignore[attr-defined]
    return Prompting(
        answer_format=args.answer_format,  # type: ignore[attr-defined]
        frames=frames,
        task_prompt=args.task_prompt,  # type: ignore[attr-defined]
        constrained=getattr(args, "constrained", False),
        max_new_tokens=args.max_new_tokens,  # type: ignore[attr-defined]
    )


def main(args: Args) -> Path:
    """Fine-tune; returns the run folder (``model/``, ``args.json``, ``metrics.json``)."""
    torch.set_num_threads(args.torch_threads)
    torch.manual_seed(args.seed)
    run_dir = Path(args.output_dir) / (
        args.run_name or f"{args.env_id.split('/')[-1]}__sft__{args.seed}__{int(time.time())}"
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(asdict(args), indent=2) + "\n")
    policy = load_policy(
        args.model,
        lora=not args.full,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        tiny_options=json.loads(args.tiny_options),
        seed=args.seed,
        with_reference=False,
    )
    shown = prompting(args)
    player = EpisodePlayer(args.env_id, json.loads(args.env_kwargs), shown)
    started = time.perf_counter()
    demos = demonstrations(policy, player, range(args.demos))
    losses = supervised_fine_tune(
        policy, demos, args.steps, args.learning_rate, args.batch_size, args.seed
    )
    train_time = time.perf_counter() - started
    held_out = EpisodePlayer(
        args.env_id, json.loads(args.eval_env_kwargs or args.env_kwargs), shown
    )
    result = evaluate_player(
        policy, held_out, range(args.eval_seed, args.eval_seed + args.eval_episodes)
    )
    policy.save(run_dir / "model")
    metrics = {"train_time_s": round(train_time, 1), "final_loss": losses[-1], **result}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    logger.info("SFT: %s", metrics)
    return run_dir


if __name__ == "__main__":
    import tyro

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(main(tyro.cli(Args)))

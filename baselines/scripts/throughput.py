"""Throughput of VL-DAC on this machine: rollout env steps/s and update tokens/s.

    python -m baselines.scripts.throughput

Times one rollout (``num_envs x num_steps`` env steps: generate, score, reference score, env
step) and one PPO update on NumberLine, for the default tiny model (3.6M parameters) and a
~20M-parameter model of the same architecture, with the full task prompt in the system message
(the default) and JSON answers of up to 24 new tokens.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import torch

from baselines.vldac import (
    Args,
    EnvCursor,
    TrainState,
    build,
    collect,
    default_frames,
    gae,
    rollout_tensor,
    update_policy,
)

MODELS = {
    "tiny (3.6M)": {},
    "~20M": {
        "hidden_size": 512,
        "intermediate_size": 1536,
        "num_hidden_layers": 6,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "vision_embed_dim": 128,
        "vision_depth": 4,
        "vision_num_heads": 4,
    },
}


def measure(name: str, options: dict, args: Args) -> dict:
    args = replace(args, tiny_options=json.dumps(options))
    policy, optimizer, pool = build(args)
    params = sum(p.numel() for p in policy.model.parameters())
    cursors = [EnvCursor(o, i, i["task_prompt"]) for o, i in pool.reset()]
    state = TrainState()
    start = time.perf_counter()
    rollout, last = collect(policy, pool, cursors, args, default_frames(args), state)
    rollout_time = time.perf_counter() - start
    adv, ret = gae(
        rollout_tensor(rollout, "reward").float(),
        rollout_tensor(rollout, "value"),
        rollout_tensor(rollout, "terminated"),
        rollout_tensor(rollout, "truncated"),
        rollout_tensor(rollout, "final_value"),
        last,
        args.gamma,
        args.gae_lambda,
    )
    samples = [s for row in rollout for s in row]
    tokens = sum(len(s.completion) for s in samples)
    prompt_tokens = len(policy.tokenizer(samples[0].prompt)["input_ids"])
    policy.train()
    start = time.perf_counter()
    update_policy(policy, optimizer, samples, adv.flatten(), ret.flatten(), args, warmup=False)
    update_time = time.perf_counter() - start
    pool.close()
    steps = len(samples)
    return {
        "model": name,
        "parameters": params,
        "prompt_tokens": prompt_tokens,
        "rollout_env_steps_per_s": round(steps / rollout_time, 2),
        "update_generated_tokens_per_s": round(tokens * args.ppo_epochs / update_time, 1),
        "update_sequences_per_s": round(steps * args.ppo_epochs / update_time, 2),
        "env_steps_per_s_overall": round(steps / (rollout_time + update_time), 2),
    }


def main() -> None:
    torch.set_num_threads(1)
    args = Args(
        env_id="VLAgent/GymCards-NumberLine-v0",
        num_envs=8,
        num_steps=4,
        max_new_tokens=24,
        minibatch_size=16,
        progress=False,
    )
    for name, options in MODELS.items():
        print(json.dumps(measure(name, options, args)))


if __name__ == "__main__":
    main()

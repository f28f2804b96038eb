"""VL-DAC: the pure helpers against hand computations, and short runs of the trainer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from baselines.policy import ActionTrie, load_policy  # noqa: E402
from baselines.vldac import (  # noqa: E402
    Args,
    action_token_mask,
    cosine_lr,
    gae,
    k3_kl,
    main,
    ppo_token_loss,
    rl4vlm_step_logprob,
)

TINY = json.dumps(
    {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "vision_embed_dim": 32,
        "vision_depth": 1,
        "vision_num_heads": 2,
        "max_pixels": 56 * 56,
    }
)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_gae_matches_a_hand_computed_example() -> None:
    gamma, lam = 0.9, 0.8
    rewards = torch.tensor([[1.0], [0.0], [2.0]])
    values = torch.tensor([[0.5], [0.4], [0.3]])
    terminated = torch.tensor([[False], [True], [False]])
    truncated = torch.tensor([[False], [False], [False]])
    final = torch.zeros(3, 1)
    last = torch.tensor([0.7])
    adv, ret = gae(rewards, values, terminated, truncated, final, last, gamma, lam)
    d2 = 2.0 + gamma * 0.7 - 0.3
    d1 = 0.0 - 0.4  # terminal: no bootstrap
    d0 = 1.0 + gamma * 0.4 - 0.5
    expected = torch.tensor([[d0 + gamma * lam * d1], [d1], [d2]])
    assert torch.allclose(adv, expected)
    assert torch.allclose(ret, expected + values)


def test_gae_bootstraps_a_truncated_episode_from_its_final_value() -> None:
    rewards = torch.tensor([[1.0], [0.0]])
    values = torch.tensor([[0.5], [0.2]])
    terminated = torch.tensor([[False], [False]])
    truncated = torch.tensor([[True], [False]])
    final = torch.tensor([[0.9], [0.0]])
    adv, _ = gae(rewards, values, terminated, truncated, final, torch.tensor([0.0]), 0.5, 1.0)
    # Step 0 ends by truncation: bootstrap from V(final obs) = 0.9, not from the next episode.
    assert adv[0, 0].item() == pytest.approx(1.0 + 0.5 * 0.9 - 0.5)


def test_every_token_of_a_step_shares_its_advantage_and_padding_is_ignored() -> None:
    old = torch.zeros(2, 3)
    new = torch.zeros(2, 3, requires_grad=True)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    advantages = torch.tensor([2.0, -1.0])
    loss, stats = ppo_token_loss(new, old, advantages, mask, clip=0.2)
    loss.backward()
    # d(-A * exp(new - old))/d new = -A at ratio 1, averaged over the 3 real tokens.
    expected = torch.tensor([[-2.0, -2.0, 0.0], [1.0, 0.0, 0.0]]) / 3
    assert torch.allclose(new.grad, expected)
    assert stats["clipfrac"] == 0 and stats["approx_kl"] == 0


def test_clipping_stops_the_gradient_beyond_the_range() -> None:
    new = torch.full((1, 1), 0.5, requires_grad=True)  # ratio e^0.5 > 1.2
    loss, stats = ppo_token_loss(
        new, torch.zeros(1, 1), torch.tensor([1.0]), torch.ones(1, 1, dtype=torch.bool), clip=0.2
    )
    loss.backward()
    assert new.grad.item() == 0 and stats["clipfrac"] == 1


def test_k3_kl() -> None:
    same = torch.tensor([-1.0, -2.0])
    assert torch.allclose(k3_kl(same, same), torch.zeros(2))
    assert (k3_kl(torch.tensor([-1.0]), torch.tensor([-3.0])) > 0).all()
    # Unbiased: E_p[k3] = KL(p || q) for samples from p.
    p = torch.tensor([0.7, 0.3])
    q = torch.tensor([0.4, 0.6])
    expected = (p * (p / q).log()).sum()
    estimate = (p * k3_kl(p.log(), q.log())).sum()
    assert estimate.item() == pytest.approx(expected.item(), rel=1e-5)


def test_rl4vlm_step_logprob_weights_thoughts() -> None:
    logprobs = torch.tensor([[-1.0, -2.0, -3.0, 0.0]])
    action = torch.tensor([[False, False, True, False]])
    mask = torch.tensor([[True, True, True, False]])
    assert rl4vlm_step_logprob(logprobs, action, mask, 0.5).item() == pytest.approx(-1.5 - 3.0)


def test_action_tokens_follow_the_action_key() -> None:
    policy = load_policy("tiny", tiny_options=json.loads(TINY), with_reference=False)
    tokenizer = policy.tokenizer
    ids = tokenizer.encode('{"thoughts": "go", "action": "+"}', add_special_tokens=False)
    mask = action_token_mask(tokenizer, ids)
    first = mask.index(True)
    assert '"action"' in tokenizer.decode(ids[:first]) and all(mask[first:])
    assert '"action"' not in tokenizer.decode(ids[: first - 1])
    assert action_token_mask(tokenizer, tokenizer.encode("+", add_special_tokens=False)) == [True]


def test_cosine_schedule() -> None:
    assert cosine_lr(0, 10, 5e-5, 1e-7) == pytest.approx(5e-5)
    assert cosine_lr(10, 10, 5e-5, 1e-7) == pytest.approx(1e-7)
    assert cosine_lr(5, 10, 1.0, 0.0) == pytest.approx(0.5)


def test_trie_allows_only_admissible_continuations() -> None:
    trie = ActionTrie([[5, 6], [5, 7], [9]], eos_id=2)
    assert sorted(trie.allowed([])) == [5, 9]
    assert sorted(trie.allowed([5])) == [6, 7]
    assert trie.allowed([5, 6]) == [2] and trie.allowed([9, 2]) == [2]


def test_constrained_decoding_only_emits_admissible_actions() -> None:
    import gymnasium as gym
    import numpy as np

    import vlagent_envs  # noqa: F401
    from baselines.policy import build_prompt

    policy = load_policy(
        "tiny", tiny_options=json.loads(TINY), with_reference=False, temperature=2.0
    )
    env = gym.make("VLAgent/GymCards-EZPoints-v0")
    obs, info = env.reset(seed=0)
    messages, images = build_prompt("", obs, info["admissible_actions"], "action", 1)
    prompt = policy.render(messages)
    torch.manual_seed(0)
    completions = policy.generate(
        [prompt] * 24, [images] * 24, 8, constrain_to=[info["admissible_actions"]] * 24
    )
    texts = policy.tokenizer.batch_decode(completions, skip_special_tokens=True)
    assert set(texts) <= set(info["admissible_actions"]) and len(set(texts)) > 3
    # Scoring under the same constraint gives a proper distribution over the actions.
    encoded = policy.encode([prompt], [images], [completions[0]])
    out = policy.score(encoded, [info["admissible_actions"]])
    assert np.isfinite(out.logprobs.sum().item()) and out.logprobs.sum().item() <= 0


def test_value_loss_reaches_only_the_value_head() -> None:
    import gymnasium as gym

    import vlagent_envs  # noqa: F401
    from baselines.policy import build_prompt

    policy = load_policy("tiny", tiny_options=json.loads(TINY), with_reference=False)
    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    obs, info = env.reset(seed=0)
    messages, images = build_prompt("", obs, info["admissible_actions"], "action", 1)
    encoded = policy.encode([policy.render(messages)], [images], [[24, 2]])
    out = policy.score(encoded)
    (out.values**2 + 1).sum().backward()
    assert all(p.grad is None for p in policy.model.parameters())
    assert all(p.grad is not None for p in policy.value_head.parameters())


def small_args(tmp_path: Path, **changes) -> Args:
    base = Args(
        model="tiny",
        tiny_options=TINY,
        num_envs=2,
        num_steps=4,
        total_timesteps=24,
        answer_format="action",
        constrained=True,
        task_prompt=False,
        minibatch_size=4,
        grad_accum=2,
        value_warmup_updates=1,
        learning_rate=1e-3,
        eval_episodes=3,
        output_dir=str(tmp_path),
        run_name="run",
        checkpoint_every=1,
        progress=False,
        env_kwargs=json.dumps({"text_observation": True}),
    )
    return replace(base, **changes)


def _weights(run: Path) -> dict:
    return torch.load(run / "checkpoint.pt", weights_only=False)


def test_a_few_updates_change_the_policy_and_write_a_checkpoint(tmp_path: Path) -> None:
    from baselines.policy import load_policy as load

    run = main(small_args(tmp_path))
    checkpoint = _weights(run)
    assert checkpoint["state"]["update"] == 3 and checkpoint["state"]["global_step"] == 24
    initial = load("tiny", tiny_options=json.loads(TINY), with_reference=False).model.state_dict()
    assert set(checkpoint["model"]) <= set(initial)
    changed = [k for k, v in checkpoint["model"].items() if not torch.equal(v, initial[k])]
    assert changed  # the policy moved
    assert (run / "model" / "model.safetensors").exists()
    assert (run / "eval.jsonl").exists() and list(run.glob("events.out.tfevents.*"))


def test_resume_continues_with_identical_numbers(tmp_path: Path) -> None:
    straight = main(small_args(tmp_path, run_name="straight", total_timesteps=32))
    half = main(small_args(tmp_path, run_name="half", total_timesteps=32, stop_after_updates=2))
    assert _weights(half)["state"]["update"] == 2
    resumed = main(Args(resume=str(half), progress=False))
    a, b = _weights(straight), _weights(resumed)
    assert a["state"]["global_step"] == b["state"]["global_step"] == 32
    assert a["state"]["episodes"] == b["state"]["episodes"]
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for key in a["value_head"]:
        assert torch.equal(a["value_head"][key], b["value_head"][key]), key


def test_rl4vlm_mode_runs(tmp_path: Path) -> None:
    run = main(
        small_args(
            tmp_path,
            logprob_mode="rl4vlm",
            constrained=False,
            answer_format="json",
            max_new_tokens=6,
            total_timesteps=16,
        )
    )
    assert _weights(run)["state"]["update"] == 2


def test_trained_run_is_a_harness_agent(tmp_path: Path) -> None:
    from baselines.vldac_agent import load_run
    from vlagent_envs.eval import evaluate, load_suite

    run = main(small_args(tmp_path, total_timesteps=8))
    agent, budget = load_run(run)
    assert agent.name == "VL-DAC (tiny, CPU)" and budget["env_steps"] == 8
    suite = load_suite("quick")
    suite = replace(
        suite,
        envs=(
            replace(suite.entry("VLAgent/GymCards-NumberLine-v0"), episodes=2, seeds=(1000, 1001)),
        ),
    )
    results, _ = evaluate(agent, suite, output_dir=tmp_path / "eval", num_envs=2, progress=False)
    assert all(r["invalid_actions"] == 0 for r in results["episodes"])  # constrained


def test_a_checkpoint_folder_trains_lora_adapters_only(tmp_path: Path) -> None:
    from baselines.vldac_agent import load_run
    from vlagent_envs.eval.tiny_vlm import save_tiny_vlm

    folder = save_tiny_vlm(tmp_path / "base", seed=0, **json.loads(TINY))
    run = main(
        small_args(
            tmp_path,
            model=str(folder),
            lora=True,
            lora_r=4,
            lora_alpha=8,
            total_timesteps=16,
            value_layers="32,16",
        )
    )
    checkpoint = _weights(run)
    assert checkpoint["model"] and all("lora_" in k for k in checkpoint["model"])
    assert any(
        float(v.abs().sum()) > 0 for k, v in checkpoint["model"].items() if "lora_B" in k
    )  # the adapters moved off their zero init
    assert (run / "model" / "adapter_config.json").exists()
    agent, _ = load_run(run)  # the base checkpoint + the trained adapter
    import gymnasium as gym

    import vlagent_envs  # noqa: F401

    env = gym.make("VLAgent/GymCards-NumberLine-v0", text_observation=True)
    obs, info = env.reset(seed=0)
    agent.reset(0)
    assert agent.act(obs, info) in ("+", "-")


def test_free_answers_never_contain_special_tokens_but_end_of_turn() -> None:
    import gymnasium as gym

    import vlagent_envs  # noqa: F401
    from baselines.policy import build_prompt

    policy = load_policy(
        "tiny", tiny_options=json.loads(TINY), with_reference=False, temperature=5.0
    )
    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    obs, info = env.reset(seed=0)
    messages, images = build_prompt("", obs, None, "json", 1)
    prompt = policy.render(messages)
    torch.manual_seed(0)
    completions = policy.generate([prompt] * 16, [images] * 16, 24)
    special = set(policy.suppressed_ids)
    assert special and not any(set(c) & special for c in completions)
    # Scoring them again (prompt + completion) keeps the image placeholders consistent.
    out = policy.score(policy.encode([prompt] * 16, [images] * 16, completions))
    assert torch.isfinite(out.logprobs).all()

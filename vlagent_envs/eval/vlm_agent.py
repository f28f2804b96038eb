"""A zero-shot agent around any local Hugging Face image-text-to-text checkpoint.

:class:`ZeroShotVLMAgent` loads a folder with ``AutoProcessor`` and
``AutoModelForImageTextToText`` (``local_files_only=True``: nothing is downloaded), builds a chat
prompt per step and returns the model's raw completion; the env extracts the action itself.

Prompts follow BALROG's history prompt builder (``balrog/prompt_builder/history.py``):

* the env's standing ``task_prompt`` (read from the reset info) opens the conversation, as a
  ``system`` message (or, with ``system_role=False``, at the top of the first user message, for
  chat templates without a system role);
* the last ``history_length`` steps follow as alternating text-only turns: a user turn
  ``"Observation:\\n<text>"`` and an assistant turn with the action the env parsed from the
  agent's answer (the answer itself, clipped, when it was invalid);
* the current user turn holds the **only image** (BALROG's ``max_image_history: 0``), the
  episode's instruction, the current text, the admissible actions when the env lists them, and
  the style instruction:

  - ``"naive"``: answer with the action only (BALROG's naive agent);
  - ``"cot"``: think step by step first, then answer in the format the task prompt asks for
    (BALROG's chain-of-thought agent, but the env's own answer format instead of
    ``ACTION: <action>``: the env parses JSON ``{"thoughts", "action"}`` answers).

Unlike BALROG's CoT agent, past reasoning is not replayed: the history holds actions only, which
keeps prompts short for small models and long episodes.

The prompt helpers are pure functions at module level; torch and transformers are imported only
when an agent is built, so ``vlagent_envs.eval`` stays light.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from PIL import Image

from vlagent_envs.core.deps import require

if TYPE_CHECKING:
    import torch

__all__ = [
    "CHAIN_OF_THOUGHT_INSTRUCTION",
    "NAIVE_INSTRUCTION",
    "Turn",
    "VLMAgentConfig",
    "ZeroShotVLMAgent",
    "build_messages",
    "current_turn_text",
    "history_action",
    "resize_image",
    "style_instruction",
]

logger = logging.getLogger(__name__)

PromptStyle = Literal["naive", "cot"]

#: Appended to the current turn under ``prompt_style="naive"``.
NAIVE_INSTRUCTION = (
    "Answer with the action only: output exactly one action and no other text. You always have "
    "to output an action until the episode ends."
)
#: Appended to the current turn under ``prompt_style="cot"``.
CHAIN_OF_THOUGHT_INSTRUCTION = (
    "First think step by step about the best course of action. Then give exactly one action, "
    "in the answer format the task asks for."
)
#: Longest invalid answer kept in the history, in characters.
MAX_HISTORY_ANSWER_CHARS = 200


@dataclass(frozen=True)
class Turn:
    """One past step as the history shows it: what the env said, then what the agent did.

    Attributes:
        text: The observation's ``"text"`` at that step.
        action: The action taken (the env's parsed action, else the clipped raw answer).
    """

    text: str
    action: str


@dataclass(frozen=True)
class VLMAgentConfig:
    """Arguments of :class:`ZeroShotVLMAgent`; the whole dataclass goes into the results JSON."""

    model_path: str
    """Local folder of a Hugging Face image-text-to-text checkpoint (nothing is downloaded)."""
    prompt_style: PromptStyle = "naive"
    """"naive": answer with the action only; "cot": think step by step, then answer."""
    history_length: int = 16
    """Past steps kept in the prompt as text (BALROG's max_history default); 0 = none."""
    max_new_tokens: int = 256
    """Most tokens generated per step."""
    temperature: float = 0.0
    """Sampling temperature; 0 = greedy decoding (deterministic)."""
    top_p: float = 1.0
    """Nucleus sampling mass when temperature > 0."""
    seed: int = 0
    """Base seed of sampling; each episode reseeds from (seed, episode seed)."""
    device: str = "auto"
    """Torch device ("cpu", "cuda", "cuda:1"); "auto" = cuda when available, else cpu."""
    dtype: str = "auto"
    """"float32", "bfloat16", "float16"; "auto" = bfloat16 on cuda, float32 on cpu."""
    max_image_size: int | None = 512
    """Images larger than this (longer side, pixels) are downscaled first; None = never."""
    system_role: bool = True
    """Put the task prompt in a system message; False = on top of the first user message."""

    def __post_init__(self) -> None:
        if self.prompt_style not in ("naive", "cot"):
            raise ValueError(f"prompt_style must be 'naive' or 'cot', got {self.prompt_style!r}")
        if self.history_length < 0:
            raise ValueError(f"history_length must be >= 0, got {self.history_length}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_image_size is not None and self.max_image_size < 1:
            raise ValueError(f"max_image_size must be >= 1 or None, got {self.max_image_size}")
        if self.dtype not in ("auto", "float32", "bfloat16", "float16"):
            raise ValueError(f"unknown dtype {self.dtype!r}")


# ---------------------------------------------------------------------------- prompt helpers
def style_instruction(prompt_style: PromptStyle) -> str:
    """The instruction that closes the current turn for a prompt style."""
    if prompt_style == "naive":
        return NAIVE_INSTRUCTION
    if prompt_style == "cot":
        return CHAIN_OF_THOUGHT_INSTRUCTION
    raise ValueError(f"prompt_style must be 'naive' or 'cot', got {prompt_style!r}")


def current_turn_text(
    instruction: str,
    text: str,
    admissible_actions: Sequence[str] | None,
    prompt_style: PromptStyle,
) -> str:
    """The text of the current user turn (the image goes before it).

    Args:
        instruction: The episode's goal (``observation["instruction"]``).
        text: What the env says this step (``observation["text"]``).
        admissible_actions: The actions valid now, or ``None`` for an open grammar.
        prompt_style: ``"naive"`` or ``"cot"``.
    """
    parts = []
    if instruction:
        parts.append(f"Instruction: {instruction}")
    parts.append(f"Current observation:\n{text}" if text else "Current observation:")
    if admissible_actions:
        parts.append("Admissible actions: " + ", ".join(str(a) for a in admissible_actions))
    parts.append(style_instruction(prompt_style))
    return "\n\n".join(parts)


def build_messages(
    task_prompt: str,
    observation: dict[str, Any],
    admissible_actions: Sequence[str] | None,
    history: Sequence[Turn],
    prompt_style: PromptStyle,
    history_length: int,
    system_role: bool = True,
) -> list[dict[str, Any]]:
    """The chat messages for one step, in the format of Hugging Face chat templates.

    Content is a list of ``{"type": "text", "text": ...}`` and one ``{"type": "image"}`` item
    (in the last message); the image itself goes to the processor separately.

    Args:
        task_prompt: The env's standing instruction (``info["task_prompt"]`` at reset).
        observation: The current observation (``"instruction"`` and ``"text"`` are read).
        admissible_actions: The actions valid now, or ``None``.
        history: Past steps of this episode, oldest first; only the last ``history_length``
            are shown.
        prompt_style: ``"naive"`` or ``"cot"``.
        history_length: How many past steps to show (0 = none).
        system_role: Task prompt as a system message, else on top of the first user message.
    """
    shown = list(history)[-history_length:] if history_length > 0 else []
    turns: list[dict[str, Any]] = []
    for turn in shown:
        turns.append({"role": "user", "content": [_text(f"Observation:\n{turn.text}")]})
        turns.append({"role": "assistant", "content": [_text(turn.action)]})
    current = current_turn_text(
        str(observation.get("instruction", "")),
        str(observation.get("text", "")),
        admissible_actions,
        prompt_style,
    )
    turns.append({"role": "user", "content": [{"type": "image"}, _text(current)]})
    if not task_prompt:
        return turns
    if system_role:
        return [{"role": "system", "content": [_text(task_prompt)]}, *turns]
    first = turns[0]["content"]
    text_index = next(i for i, item in enumerate(first) if item["type"] == "text")
    first[text_index] = _text(task_prompt + "\n\n" + first[text_index]["text"])
    return turns


def history_action(info: dict[str, Any], answer: str) -> str:
    """What the history records for an answer, given the ``info`` of the step it caused.

    The env's ``parsed_action`` when there is one (the history stays short and canonical, as in
    BALROG), else the raw answer clipped to :data:`MAX_HISTORY_ANSWER_CHARS`.
    """
    parsed = info.get("parsed_action")
    if parsed:
        return str(parsed)
    answer = answer.strip()
    if len(answer) > MAX_HISTORY_ANSWER_CHARS:
        answer = answer[: MAX_HISTORY_ANSWER_CHARS - 3] + "..."
    return answer


def resize_image(image: np.ndarray | Image.Image, max_size: int | None) -> Image.Image:
    """An RGB PIL image whose longer side is at most ``max_size`` (aspect ratio kept).

    Args:
        image: ``HxWx3`` uint8 array or a PIL image.
        max_size: Longest side in pixels; ``None`` keeps the size.
    """
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    picture = picture.convert("RGB")
    if max_size is not None and max(picture.size) > max_size:
        scale = max_size / max(picture.size)
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.BICUBIC)
    return picture


def _is_reset_info(info: dict[str, Any]) -> bool:
    """A reset info carries ``task_prompt`` and no ``raw_action`` (a step info may carry both)."""
    return "task_prompt" in info and info.get("raw_action") is None


def _text(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


# ---------------------------------------------------------------------------- the agent
@dataclass
class _Episode:
    """What the agent remembers about one batch slot's episode."""

    task_prompt: str = ""
    history: list[Turn] = field(default_factory=list)
    last_text: str | None = None
    last_answer: str | None = None


class ZeroShotVLMAgent:
    """Plays any env with a local image-text-to-text model, zero-shot.

    Implements the :class:`~vlagent_envs.eval.agents.BatchAgent` protocol. Each batch slot keeps
    its own episode: a slot starts a new one whenever its ``info`` carries ``"task_prompt"`` (a
    reset info), and :meth:`reset` clears every slot. The harness must therefore pass the reset
    info to the first ``act`` of an episode; without it the agent warns and prompts without a
    task prompt. (An info with ``"task_prompt"`` and a non-``None`` ``"raw_action"`` is a step
    info, so wrappers that copy the task prompt into every info do not cut the history.)

    Greedy decoding (``temperature=0``) is deterministic. With sampling, each generate call is
    seeded from ``(config.seed, episode seed, call index)`` inside a forked RNG, so episodes
    replay and the global torch RNG is untouched.

    Args:
        config: A :class:`VLMAgentConfig`; or give its fields as keyword arguments.
        **kwargs: :class:`VLMAgentConfig` fields when ``config`` is ``None``.

    Raises:
        FileNotFoundError: ``model_path`` is not an existing folder.
    """

    name = "zero-shot-vlm"

    def __init__(self, config: VLMAgentConfig | None = None, **kwargs: Any):
        if config is None:
            config = VLMAgentConfig(**kwargs)
        elif kwargs:
            raise TypeError("give either a VLMAgentConfig or keyword arguments, not both")
        self.args = config
        self.config: dict[str, Any] = asdict(config)
        self.model, self.processor, self.device = _load(config)
        #: Recorded in the results JSON (``agent.model``).
        self.model_info = {"path": str(config.model_path), "revision": _revision(config)}
        self._episodes: dict[int, _Episode] = {}
        self._episode_seed: int | None = None
        self._calls = 0
        #: The rendered prompts of the latest ``act``/``act_batch`` call, one per slot.
        self.last_prompts: list[str] = []

    # -------------------------------------------------------------------------- protocol
    def reset(self, seed: int | None = None) -> None:
        """Forget every slot's episode; reseed sampling from ``seed``."""
        self._episodes = {}
        self._episode_seed = seed
        self._calls = 0

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        """The raw completion for one env (batch slot 0)."""
        return self.act_batch([observation], [info])[0]

    def act_batch(
        self,
        observations: list[dict[str, Any]],
        infos: list[dict[str, Any]],
        slots: list[int] | None = None,
    ) -> list[str]:
        """One raw completion per env, generated in one left-padded batch.

        ``slots`` names each env's stable slot (the runner passes it as envs finish at
        different times); by default the position in the batch.
        """
        if len(observations) != len(infos):
            raise ValueError(f"{len(observations)} observations but {len(infos)} infos")
        slot_ids = list(range(len(observations))) if slots is None else list(slots)
        if len(slot_ids) != len(observations):
            raise ValueError(f"{len(observations)} observations but {len(slot_ids)} slots")
        prompts = []
        images = []
        for slot, observation, info in zip(slot_ids, observations, infos, strict=True):
            episode = self._update_episode(slot, observation, info)
            messages = build_messages(
                episode.task_prompt,
                observation,
                info.get("admissible_actions"),
                episode.history,
                self.args.prompt_style,
                self.args.history_length,
                self.args.system_role,
            )
            prompts.append(
                self.processor.apply_chat_template(
                    messages, add_generation_prompt=True, tokenize=False
                )
            )
            images.append([resize_image(observation["image"], self.args.max_image_size)])
        self.last_prompts = prompts
        answers = self._generate(prompts, images)
        for slot, observation, answer in zip(slot_ids, observations, answers, strict=True):
            episode = self._episodes[slot]
            episode.last_text = str(observation.get("text", ""))
            episode.last_answer = answer
        return answers

    def history(self, slot: int = 0) -> list[Turn]:
        """A slot's recorded past steps, oldest first (the last ``history_length`` at most)."""
        return list(self._episodes[slot].history) if slot in self._episodes else []

    # -------------------------------------------------------------------------- internals
    def _update_episode(self, slot: int, observation: dict[str, Any], info: dict) -> _Episode:
        episode = self._episodes.setdefault(slot, _Episode())
        if _is_reset_info(info):
            episode = self._episodes[slot] = _Episode(task_prompt=str(info["task_prompt"]))
        elif episode.last_answer is None:
            if not episode.task_prompt:
                logger.warning(
                    "slot %d: first act of an episode without info['task_prompt']; pass the "
                    "reset info to the first act so the model sees the task prompt",
                    slot,
                )
        else:
            assert episode.last_text is not None
            episode.history.append(
                Turn(episode.last_text, history_action(info, episode.last_answer))
            )
            # Only the window is ever shown, so only the window is kept.
            del episode.history[: max(0, len(episode.history) - max(1, self.args.history_length))]
        return episode

    def _generate(self, prompts: list[str], images: list[list[Image.Image]]) -> list[str]:
        import torch

        inputs = self.processor(text=prompts, images=images, padding=True, return_tensors="pt")
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs and inputs["pixel_values"].is_floating_point():
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        sampling = self.args.temperature > 0
        options: dict[str, Any] = {"max_new_tokens": self.args.max_new_tokens}
        if sampling:
            options.update(do_sample=True, temperature=self.args.temperature, top_p=self.args.top_p)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        tokenizer = self.processor.tokenizer
        if tokenizer.pad_token_id is not None:
            options["pad_token_id"] = tokenizer.pad_token_id
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.inference_mode(), torch.random.fork_rng(devices=devices):
            if sampling:
                torch.manual_seed(self._sampling_seed())
            output = self.model.generate(**inputs, **options)
        self._calls += 1
        completions = output[:, inputs["input_ids"].shape[1] :]
        texts = self.processor.batch_decode(completions, skip_special_tokens=True)
        return [text.strip() for text in texts]

    def _sampling_seed(self) -> int:
        episode = 0 if self._episode_seed is None else int(self._episode_seed)
        sequence = np.random.SeedSequence([self.args.seed, episode, self._calls])
        return int(sequence.generate_state(1, dtype=np.uint64)[0] % (2**63))


def _revision(config: VLMAgentConfig) -> str | None:
    """The checkpoint's commit hash when the folder is a hub snapshot, else ``None``."""
    path = Path(config.model_path).expanduser().resolve()
    if path.parent.name == "snapshots" and len(path.name) == 40:
        return path.name
    return None


def _load(config: VLMAgentConfig) -> tuple[Any, Any, torch.device]:
    """Load processor and model from ``config.model_path``, offline, on the chosen device."""
    path = Path(config.model_path).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(
            f"no model folder at {str(path)!r}: ZeroShotVLMAgent loads local checkpoints only "
            "(local_files_only=True). Save or download the checkpoint there first (for a tiny "
            "test model: vlagent_envs.eval.tiny_vlm.save_tiny_vlm(folder))."
        )
    torch = require("torch", "baselines")
    transformers = require("transformers", "baselines")
    # Registers the tiny model's processor, so its folders load like any other checkpoint.
    from vlagent_envs.eval import tiny_vlm  # noqa: F401

    if config.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(config.device)
    if config.dtype == "auto":
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    else:
        dtype = getattr(torch, config.dtype)

    logger.info("loading %s on %s (%s)", path, device, dtype)
    processor = transformers.AutoProcessor.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModelForImageTextToText.from_pretrained(
        path, local_files_only=True, dtype=dtype
    )
    model.to(device).eval()
    tokenizer = processor.tokenizer
    tokenizer.padding_side = "left"  # generation continues at the right end of every row
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, processor, device

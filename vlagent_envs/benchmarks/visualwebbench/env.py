"""VisualWebBench as one-step Gymnasium envs: a screenshot and the official prompt, one answer."""

from __future__ import annotations

import ast
import functools
import logging
import os
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.benchmarks.visualwebbench.data import (
    CHOICE_TASKS,
    LAYOUT,
    TASKS,
    ImageError,
    Item,
    decode_image,
    find_parquet_files,
    load_items,
)
from vlagent_envs.benchmarks.visualwebbench.metrics import (
    HEADLINE,
    parse_multi_choice_response,
    score,
)
from vlagent_envs.benchmarks.visualwebbench.prompts import (
    build_prompt,
    caption_from_output,
    postprocess,
)
from vlagent_envs.core import DatasetEnv, InvalidActionPolicy, StepResult

__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "ENV_VAR",
    "SHIPPED_DATA",
    "AnswerGrammar",
    "VisualWebBenchEnv",
    "fit_screenshot",
]

logger = logging.getLogger(__name__)

ENV_VAR = "VISUALWEBBENCH_ROOT"
# The generated set (generate.py: Chromium screenshots of the WebShop site), official layout.
SHIPPED_DATA = Path(__file__).parent / "data" / "webshop"
# (height, width): a 1280x1024 desktop viewport. Screenshots up to 1280 pixels wide and 1024 high
# (the shipped WebShop set's are 1280x960) keep their full resolution; taller full-page
# screenshots are scaled down to fit (screenshot() gives the original).
DEFAULT_IMAGE_SIZE: tuple[int, int] = (1024, 1280)
# What rouge-scored answers must reach to count as a success: an exact match scores
# 2 / (2 + 1e-8) = 0.999999995 under rouge 1.0.1, never 1.0.
ROUGE_SUCCESS = 0.999
_CACHE_SIZE = 4
_ELEMENT_OCR_LEAD = "The text content within the red bounding box is: "
_JSON_LITERALS = frozenset({"null", "true", "false"})
_METRIC_NAMES = {"rouge_l": "ROUGE-L F", "f1": "best ROUGE-1 F", "accuracy": "exact choice"}


def _names_no_answer(text: str) -> bool:
    """Whether free text is no answer at all: nothing readable, structured output, a bare
    ``Action:`` label, a JSON literal, or a Python call (code, not words)."""
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        return True
    if text[0] in "{[" or text in _JSON_LITERALS:
        return True
    if text.rstrip(":= ").lower() == "action":
        return True
    try:
        with warnings.catch_warnings():  # SyntaxWarning on odd escapes: not our business
            warnings.simplefilter("ignore")
            return isinstance(ast.parse(text, mode="eval").body, ast.Call)  # parsed, never run
    except Exception:  # SyntaxError, ValueError (NUL), RecursionError, ...: not code
        return False


class AnswerGrammar:
    """The open grammar of one VisualWebBench task: every answer is scored by the official code.

    Choice tasks: the answer is the letter the official parser reads
    (:func:`~vlagent_envs.benchmarks.visualwebbench.metrics.parse_multi_choice_response`);
    text naming no uppercase letter (the parser's ``"z"``/``"a"`` fallbacks) is invalid, which
    scores 0 as the official -1 does. Text tasks: the answer is the official post-processed
    prediction (:func:`~vlagent_envs.benchmarks.visualwebbench.prompts.postprocess`); text that
    names no answer (no letter or digit, a JSON object or list, ``null``, a bare ``Action:``, a
    Python call) is invalid and scores 0.

    Args:
        task: The task config.
    """

    def __init__(self, task: str):
        self.task = task

    def parse(self, text: str) -> str | None:
        """The canonical answer of ``text`` (already extracted by the base class), or ``None``."""
        if self.task in CHOICE_TASKS:
            letter = parse_multi_choice_response(text)
            return letter if "A" <= letter <= "Z" else None
        stripped = text.strip()
        if not stripped or _names_no_answer(stripped):
            return None
        return postprocess(self.task, stripped)

    def describe(self) -> str:
        """One line for a prompt saying what may be answered."""
        if self.task in CHOICE_TASKS:
            return "Answer with a single uppercase letter naming your choice."
        if self.task == "web_caption":
            return 'Answer with <meta name="description" content="YOUR ANSWER">.'
        if self.task == "element_ocr":
            return f"Answer with '{_ELEMENT_OCR_LEAD}<YOUR ANSWER>'."
        return "Answer in plain text, in the fewest words possible."

    def __repr__(self) -> str:
        return f"AnswerGrammar({self.task!r})"


def _fingerprint(files: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    stats = [f.stat() for f in files]
    return tuple((str(f), s.st_mtime_ns, s.st_size) for f, s in zip(files, stats))


@functools.lru_cache(maxsize=8)  # envs of one task in one process (a sync vector env) share it
def _cached_items(root: str, task: str, fingerprint: tuple[Any, ...]) -> tuple[Item, ...]:
    del fingerprint  # part of the key only: a rewritten file is read again
    return tuple(load_items(root, task))


def _load(root: Path, task: str) -> tuple[Item, ...]:
    return _cached_items(str(root), task, _fingerprint(find_parquet_files(root, task)))


def fit_screenshot(image: Any, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """A screenshot scaled to fit ``size`` (height, width), aspect kept, top-left on white.

    Returns:
        The ``(height, width, 3)`` uint8 array and the scale (observation pixels per
        screenshot pixel).
    """
    from PIL import Image

    height, width = size
    scale = min(width / image.width, height / image.height)
    new_size = (
        max(1, min(width, round(image.width * scale))),
        max(1, min(height, round(image.height * scale))),
    )
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    if new_size != image.size:
        image = image.resize(new_size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    canvas.paste(image, (0, 0))
    return np.asarray(canvas, dtype=np.uint8).copy(), scale


class VisualWebBenchEnv(DatasetEnv):
    """VisualWebBench: answer one question about a web page screenshot.

    ## Description
    The web transfer benchmark of VL-DAC (Liu et al., 2024, "VisualWebBench: How Far Have
    Multimodal LLMs Evolved in Web Page Understanding and Grounding?"). One id per task config:
    ``web_caption`` (write the page's meta description), ``webqa`` (answer a question),
    ``heading_ocr`` (read the main heading), ``element_ocr`` (read the text in a red box),
    ``element_ground`` (pick the labelled element matching a description),
    ``action_prediction`` (pick the title of the page a click on the boxed element opens) and
    ``action_ground`` (pick the labelled element to click for a task). Each episode is one
    item; the prompt is the official one (:mod:`.prompts`) and the score the official metric
    (:mod:`.metrics`). The official test set is a download (``$VISUALWEBBENCH_ROOT`` or
    ``root=``); ``generated=True`` plays the set that ships, generated from the WebShop site in
    the same layout.

    ## Action Space
    Free text: the answer, as the prompt asks for it. The base class reads a JSON object's
    ``"action"`` key (or an ``Action: ...`` line) first. Choice tasks: ``parsed_action`` is the
    letter the official parser reads (``"B"``, ``"(B)"``, ``"The answer is B"``); text naming no
    letter is invalid. Text tasks: ``parsed_action`` is the official post-processed prediction
    (the ``content`` of ``<meta name="description" content="...">`` for web_caption, the text
    after the first ``:`` for element_ocr, else the answer); text naming no answer at all (no
    letter or digit, a JSON object, ``null``, a bare ``Action:``, a Python call) is invalid.
    ``admissible_actions()`` lists a choice task's option letters (``"A"``..``"H"`` for eight
    options; a letter past them is invalid, as the official index then matches no option) and is
    ``None`` for a text task (an open grammar).

    ## Observation Space
    ``image``: the screenshot scaled to fit ``image_size`` (height, width; default 1024x1280),
    aspect ratio kept, at the top-left of a white canvas. VisualWebBench's images already carry
    what the prompts mention (the red rectangle, the lettered candidate boxes) and the official
    code draws nothing, so neither does the env. The prompt's ``[x1, y1, x2, y2]`` ratios are
    fractions of the screenshot's width and height: pixel ``(x1 * w * s, y1 * h * s)`` of the
    image, with ``w, h`` the screenshot size and ``s`` = ``info["image_scale"]``.
    ``env.unwrapped.screenshot()`` gives the full-resolution screenshot. ``instruction``: the
    official prompt, filled as the official ``run.py`` fills it. ``text``: one line naming the
    item (after the step: the score and the answer).

    ## Rewards
    The item's official score in [0, 1]: ROUGE-L F (web_caption, heading_ocr, element_ocr),
    the best ROUGE-1 F over the references (webqa), 1 or 0 (choice tasks), computed with
    ``rouge`` 1.0.1 as the official code does. The benchmark's number is 100 x the mean reward
    over the test set (for webqa, over the items where ``rouge`` does not raise; see
    :mod:`.metrics`). An invalid answer is the no-op policy's penalty, 0 by default.

    ## Starting State
    ``reset(seed=s)`` shows item ``s % len(items)``, so seeds ``0..n-1`` enumerate the test set;
    ``options={"index": i}`` picks item ``i``; a reset without either draws from
    ``np_random``. An item whose screenshot cannot be decoded shows a blank image (a warning
    names it) and scores 0 whatever the answer.

    ## Episode End
    Terminated after the one step, an invalid answer included. ``success`` is a score of 1
    for the choice tasks and at least 0.999 for the ROUGE tasks (an exact match scores
    0.999999995 under ``rouge`` 1.0.1); ``progress`` is the score (1 on a success). Registered with
    ``max_episode_steps=1``.

    ## Arguments
    ``task`` (one of the seven configs), ``root`` (the dataset folder: ``<root>/<task>/*.parquet``,
    the Hugging Face layout), ``generated`` (``root=None`` and ``True``: the shipped WebShop
    set), ``image_size`` (height, width), plus the base class's ``render_mode``,
    ``invalid_action_policy`` (``"noop"``, or ``"default"`` with an answer the grammar leaves
    unchanged), ``max_action_length``, ``max_text_length``.

    ## Version History
    * v0: Initial release.
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy("noop")
    scripted_solver: ClassVar[str] = "success"

    def __init__(
        self,
        task: str,
        root: str | os.PathLike[str] | None = None,
        generated: bool = False,
        image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
        **kwargs: Any,
    ):
        if task not in TASKS:
            raise ValueError(f"unknown VisualWebBench task {task!r}; tasks: {', '.join(TASKS)}")
        size = tuple(int(v) for v in image_size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"image_size must be (height, width), got {image_size!r}")
        self.task = task
        self.image_size: tuple[int, int] = (size[0], size[1])
        self.image_shape = (size[0], size[1], 3)
        self.root = self._resolve_root(root, generated)
        self.items: tuple[Item, ...] = _load(self.root, task)
        if not self.items:
            raise ValueError(f"{task}: no items in {str(self.root)!r}; {LAYOUT}")
        self.grammar = AnswerGrammar(task)
        super().__init__(**kwargs)
        policy = self.invalid_action_policy
        if policy.kind == "random" or (
            policy.kind == "default"
            and self.grammar.parse(policy.default_action or "") != policy.default_action
        ):
            raise ValueError(
                "VisualWebBench has no action set to draw from: use invalid_action_policy "
                f"'noop' or 'default' with an answer the grammar leaves unchanged, got {policy}"
            )
        self._images: OrderedDict[int, tuple[np.ndarray, float, str]] = OrderedDict()
        self._image_error = ""
        self._scale = 1.0

    @staticmethod
    def _resolve_root(root: str | os.PathLike[str] | None, generated: bool) -> Path:
        if root is not None:
            return Path(root).expanduser().absolute()
        if generated:
            return SHIPPED_DATA
        value = os.environ.get(ENV_VAR)
        if not value:
            raise FileNotFoundError(
                f"VisualWebBench's official test set is a download: set ${ENV_VAR} or pass "
                "root=... (gym.make(id, root=...)) to the folder holding it, or use "
                f"generated=True (the VisualWebBench-WebShop ids) for the set that ships; {LAYOUT}"
            )
        return Path(value).expanduser().absolute()

    # ------------------------------------------------------------------ state
    @property
    def item(self) -> Item:
        """The current episode's item."""
        return self.items[self.index]

    def screenshot(self) -> Any:
        """The current item's screenshot at full resolution (``PIL.Image``); raises
        :class:`~vlagent_envs.benchmarks.visualwebbench.data.ImageError` if it is corrupt."""
        return decode_image(self.item)

    def _fitted(self, index: int) -> tuple[np.ndarray, float, str]:
        """The observation image of item ``index``, its scale, and the decoding error (if any)."""
        if index in self._images:
            self._images.move_to_end(index)
            return self._images[index]
        item = self.items[index]
        try:
            array, scale = fit_screenshot(decode_image(item), self.image_size)
            error = ""
        except ImageError as exc:
            logger.warning("%s; showing a blank image, the item scores 0", exc)
            array = np.full(self.image_shape, 255, dtype=np.uint8)
            scale, error = 0.0, str(exc)
        array.flags.writeable = False
        self._images[index] = (array, scale, error)
        while len(self._images) > _CACHE_SIZE:
            self._images.popitem(last=False)
        return self._images[index]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_images"] = OrderedDict()  # a cache: rebuilt on demand
        return state

    # ------------------------------------------------------------------ episode
    @property
    def num_items(self) -> int:
        return len(self.items)

    def _item_info(self) -> dict[str, Any]:
        return {
            "item_id": self.item.id,
            "image_scale": self._scale,
            "image_error": self._image_error,
        }

    def _reset(self, options: dict[str, Any] | None) -> str:
        index = self._choose_item(options)
        _, self._scale, self._image_error = self._fitted(index)
        site = f" from {self.item.website}" if self.item.website else ""
        return (
            f"VisualWebBench {self.task}, item {self.item.id}{site}: answer as the instruction "
            "asks, in one reply."
        )

    def admissible_actions(self) -> list[str] | None:
        """A choice task's option letters; ``None`` for a text task (an open grammar)."""
        if self.task not in CHOICE_TASKS:
            return None
        return [chr(ord("A") + i) for i in range(min(len(self.item.options or ()), 26))]

    def _gold_text(self) -> str:
        answer = self.item.answer
        if self.task in CHOICE_TASKS:
            return chr(ord("A") + int(answer))  # type: ignore[arg-type]
        if isinstance(answer, tuple):
            return " | ".join(answer)
        return str(answer)

    def _step(self, action: str) -> StepResult:
        value = 0.0 if self._image_error else score(self.item, action)
        success = value >= (1.0 if self.task in CHOICE_TASKS else ROUGE_SUCCESS)
        metric = _METRIC_NAMES[HEADLINE[self.task]]
        if self._image_error:
            text = (
                f"The screenshot could not be decoded: scored 0. The answer is {self._gold_text()}."
            )
        else:
            text = f"Score {value:.3f} ({metric}); the answer is {self._gold_text()}."
        return StepResult(
            value,
            terminated=True,
            success=success,
            progress=value,
            text=text,
            info={
                **self._item_info(),
                "gold": self._gold_text(),
                "prediction": action,
                "score": value,
            },
        )

    def _idle(self, event: str) -> StepResult:
        # An answer naming nothing still spends the episode's one attempt, and scores 0.
        return StepResult(
            terminated=True,
            progress=0.0,
            text=f"{event} That was the one attempt; the answer is {self._gold_text()}.",
            info={**self._item_info(), "gold": self._gold_text(), "prediction": None, "score": 0.0},
        )

    def _render_image(self) -> np.ndarray:
        return self._fitted(self.index)[0].copy()

    @property
    def instruction(self) -> str:
        return build_prompt(self.item)

    @property
    def task_prompt(self) -> str:
        height, width = self.image_size
        formats = {
            "web_caption": (
                'Reply with <meta name="description" content="YOUR ANSWER">: the content is '
                "scored by ROUGE-L F against the page's real meta description."
            ),
            "heading_ocr": "Reply with the page's main heading text only, scored by ROUGE-L F.",
            "webqa": (
                "Reply with the answer in the fewest words possible, scored by ROUGE-1 F against "
                "the closest reference answer."
            ),
            "element_ocr": (
                f"Reply '{_ELEMENT_OCR_LEAD}<YOUR ANSWER>': the text after the first colon is "
                "scored by ROUGE-L F."
            ),
        }
        answer = formats.get(
            self.task,
            "Reply with a single uppercase letter naming your choice: 1 if it is right, else 0.",
        )
        return (
            f"You are answering one VisualWebBench question ({self.task}) about a web page "
            f"screenshot. The image is the screenshot scaled to fit {width}x{height} pixels at "
            "its top-left corner (white padding); bounding-box coordinates in the question are "
            "fractions of the screenshot's width and height. Read the instruction and answer "
            f"once. {answer}"
        )

    def expert_action(self) -> str:
        """The gold answer in the form the official post-processing reads back unchanged."""
        answer = self.item.answer
        if self.task in CHOICE_TASKS:
            return chr(ord("A") + int(answer))  # type: ignore[arg-type]
        if self.task == "webqa":
            return answer[0] if answer else ""  # type: ignore[index,return-value]
        assert isinstance(answer, str)
        if self.task == "web_caption":
            wrapped = f'<meta name="description" content="{answer}">'
            return wrapped if caption_from_output(wrapped) == answer else answer
        if self.task == "element_ocr":
            return _ELEMENT_OCR_LEAD + answer
        return answer

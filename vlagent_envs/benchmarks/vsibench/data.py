"""Reading VSI-Bench in its official layout, the official prompt, and uniform frame sampling.

The official layout (Hugging Face ``nyu-visionx/VSI-Bench``; the three video zips unpacked in
place)::

    <root>/test-00000-of-00001.parquet     # or <root>/test.parquet, or <root>/data/test-*.parquet
    <root>/arkitscenes/<scene_name>.mp4
    <root>/scannet/<scene_name>.mp4
    <root>/scannetpp/<scene_name>.mp4

The parquet has one row per question with the columns :data:`REQUIRED_COLUMNS` (``id`` int,
``options`` a list of ``"A. ..."`` strings for multiple-choice rows and null otherwise; extra
columns are ignored); a row's video is ``<root>/<dataset>/<scene_name>.mp4``, the path
``vsibench_doc_to_visual`` builds in the official ``lmms_eval/tasks/vsibench/utils.py``
(vision-x-nyu/thinking-in-space and EvolvingLMMs-Lab/lmms-eval).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vlagent_envs.core.deps import require

__all__ = [
    "LAYOUT",
    "MCA_TYPES",
    "NA_TYPES",
    "PARQUET_NAMES",
    "QUESTION_TYPES",
    "REQUIRED_COLUMNS",
    "TASKS",
    "Item",
    "VideoError",
    "find_parquet",
    "frame_indices",
    "load_items",
    "prompt",
    "sample_frames",
    "task_of",
]

logger = logging.getLogger(__name__)

# MCA_QUESTION_TYPES and NA_QUESTION_TYPES of the official utils.py, in its order.
MCA_TYPES: tuple[str, ...] = (
    "object_rel_direction_easy",
    "object_rel_direction_medium",
    "object_rel_direction_hard",
    "object_rel_distance",
    "route_planning",
    "obj_appearance_order",
)
NA_TYPES: tuple[str, ...] = (
    "object_abs_distance",
    "object_counting",
    "object_size_estimation",
    "room_size_estimation",
)
QUESTION_TYPES: tuple[str, ...] = MCA_TYPES + NA_TYPES
# The eight tasks the official aggregation reports: the three rel-direction levels are one.
TASKS: tuple[str, ...] = (
    "object_counting",
    "object_abs_distance",
    "object_size_estimation",
    "room_size_estimation",
    "object_rel_distance",
    "object_rel_direction",
    "route_planning",
    "obj_appearance_order",
)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "id",
    "dataset",
    "scene_name",
    "question_type",
    "question",
    "ground_truth",
    "options",
)
# The test split's file in the official Hub repository, then the plain name we also accept.
PARQUET_NAMES: tuple[str, ...] = ("test-00000-of-00001.parquet", "test.parquet")
LAYOUT = (
    "expected the official VSI-Bench layout: <root>/test-00000-of-00001.parquet (or "
    "<root>/test.parquet, or <root>/data/test-*.parquet) with the columns "
    f"{', '.join(REQUIRED_COLUMNS)}, and the videos at <root>/<dataset>/<scene_name>.mp4 "
    "(the unpacked arkitscenes.zip, scannet.zip and scannetpp.zip of nyu-visionx/VSI-Bench)"
)
# The official prompt pieces (vsibench_doc_to_text with the default lmms_eval_specific_kwargs,
# whose empty pre_prompt falls back to this line).
PRE_PROMPT = "These are frames of a video."
MCA_POST_PROMPT = "Answer with the option's letter from the given choices directly."
NA_POST_PROMPT = "Please answer the question using a single word or phrase."


def task_of(question_type: str) -> str:
    """The task a question type belongs to (the rel-direction levels map to one task)."""
    if question_type not in QUESTION_TYPES:
        raise ValueError(f"Unknown question type {question_type!r}; known: {QUESTION_TYPES}")
    return (
        "object_rel_direction"
        if question_type.startswith("object_rel_direction")
        else (question_type)
    )


class VideoError(RuntimeError):
    """A video is missing, unreadable or holds no frame (the message names the file)."""


@dataclass(frozen=True)
class Item:
    """One VSI-Bench question.

    Attributes:
        id: The row's ``id``.
        dataset: The source scan set (``arkitscenes``, ``scannet``, ``scannetpp``).
        scene_name: The scene, which names the video.
        question_type: One of :data:`QUESTION_TYPES`.
        question: The question text.
        ground_truth: The answer: an option letter, or a number written as text.
        options: The ``"A. ..."`` choices of a multiple-choice question, else ``None``.
        video_path: ``<root>/<dataset>/<scene_name>.mp4``.
    """

    id: int | str
    dataset: str
    scene_name: str
    question_type: str
    question: str
    ground_truth: str
    options: tuple[str, ...] | None
    video_path: Path

    @property
    def task(self) -> str:
        """The item's task name (:func:`task_of` of its question type)."""
        return task_of(self.question_type)

    @property
    def is_multiple_choice(self) -> bool:
        """Whether the item is answered with an option letter."""
        return self.question_type in MCA_TYPES


def prompt(item: Item) -> str:
    """The question as the official ``vsibench_doc_to_text`` writes it (default kwargs).

    Numerical: ``pre + "\\n" + question + "\\n" + post``. Multiple choice: the lines
    ``pre``, ``question``, ``"Options:\\n" + "\\n".join(options)``, ``post`` joined by ``"\\n"``.
    """
    if item.question_type in NA_TYPES:
        return PRE_PROMPT + "\n" + item.question + "\n" + NA_POST_PROMPT
    if item.question_type in MCA_TYPES:
        options = "Options:\n" + "\n".join(item.options or ())
        return "\n".join([PRE_PROMPT, item.question, options, MCA_POST_PROMPT])
    raise ValueError(f"Unknown question type: {item.question_type!r}")


def find_parquet(root: str | os.PathLike[str]) -> list[Path]:
    """The test parquet file(s) of a VSI-Bench root, per :data:`LAYOUT`.

    Raises:
        FileNotFoundError: The root or its parquet is missing (the message gives the layout).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"VSI-Bench root {root} is not a directory; {LAYOUT}")
    for name in PARQUET_NAMES:
        if (root / name).is_file():
            return [root / name]
    shards = sorted((root / "data").glob("test-*.parquet"))
    if shards:
        return shards
    raise FileNotFoundError(f"no VSI-Bench test parquet in {root}; {LAYOUT}")


def _options(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):  # a CSV/JSON round trip may have turned the list into text
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValueError(
                f"{where}: 'options' must be a list of strings, got {value!r}"
            ) from error
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(str(option) for option in value)
    raise ValueError(f"{where}: 'options' must be a list of strings or null, got {value!r}")


def _ground_truth(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a float column written by pandas: 3.0 -> "3"
    return str(value)


def _item(row: dict[str, Any], root: Path, where: str) -> Item:
    question_type = str(row["question_type"])
    if question_type not in QUESTION_TYPES:
        raise ValueError(f"{where}: unknown question_type {question_type!r}; {QUESTION_TYPES}")
    options = _options(row["options"], where)
    ground_truth = _ground_truth(row["ground_truth"])
    if question_type in MCA_TYPES and not options:
        raise ValueError(f"{where}: multiple-choice question without options")
    if question_type in NA_TYPES:
        try:
            value = float(ground_truth)
        except ValueError:
            raise ValueError(
                f"{where}: numerical ground_truth {ground_truth!r} is not a number"
            ) from None
        if value == 0 or not math.isfinite(value):  # the official MRA divides by it
            raise ValueError(f"{where}: numerical ground_truth {ground_truth!r} is not usable")
    row_id = row["id"]
    row_id = int(row_id) if isinstance(row_id, (int, np.integer)) else str(row_id)
    dataset, scene = str(row["dataset"]), str(row["scene_name"])
    return Item(
        id=row_id,
        dataset=dataset,
        scene_name=scene,
        question_type=question_type,
        question=str(row["question"]),
        ground_truth=ground_truth,
        options=options,
        video_path=root / dataset / f"{scene}.mp4",
    )


def load_items(
    root: str | os.PathLike[str], question_type_or_task: str | None = None
) -> list[Item]:
    """Load the questions of a VSI-Bench root in file order.

    Args:
        root: A folder in the official layout (:data:`LAYOUT`).
        question_type_or_task: Keep only one question type (``"object_rel_direction_hard"``) or
            one task (``"object_rel_direction"``, all three levels); ``None`` keeps everything.

    Raises:
        FileNotFoundError: The root or the parquet is missing.
        ValueError: A column is missing, a row is malformed, the filter names nothing known, or
            no question is left.

    Every row is kept, in file order: the official ``process_docs`` only shuffles, when
    ``LMMS_EVAL_SHUFFLE_DOCS`` is set (one thinking-in-space commit, e6a72f3, also filters a
    hard-coded debugging subset of ids there; upstream lmms-eval does not, and neither do we).
    Videos are not opened here (a missing one is reported when its item is played).
    """
    pandas = require("pandas", "vsibench")
    require("pyarrow", "vsibench")
    if question_type_or_task is not None and question_type_or_task not in (
        *TASKS,
        *QUESTION_TYPES,
    ):
        raise ValueError(
            f"unknown VSI-Bench task or question type {question_type_or_task!r}; "
            f"tasks: {', '.join(TASKS)}; question types: {', '.join(QUESTION_TYPES)}"
        )
    root = Path(root)
    items: list[Item] = []
    for path in find_parquet(root):
        frame = pandas.read_parquet(path)
        missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
        if missing:
            raise ValueError(f"{path} lacks the column(s) {missing}; {LAYOUT}")
        for index, row in enumerate(frame[list(REQUIRED_COLUMNS)].to_dict("records")):
            items.append(_item(row, root, f"{path} row {index} (id {row['id']!r})"))
    if question_type_or_task is not None:
        items = [item for item in items if question_type_or_task in (item.question_type, item.task)]
    if not items:
        what = f" of {question_type_or_task!r}" if question_type_or_task else ""
        raise ValueError(f"no VSI-Bench question{what} in {root}")
    return items


def frame_indices(total_frames: int, num_frames: int) -> np.ndarray:
    """Uniformly spaced frame indices, as lmms-eval's video readers pick them.

    ``np.linspace(0, total_frames - 1, num_frames, dtype=int)``: ``load_video_decord`` and
    ``read_video_pyav`` in EvolvingLMMs-Lab/lmms-eval ``lmms_eval/models/model_utils/load_video.py``
    (and the ``load_video`` of its LLaVA model wrappers). ``read_video_pyav`` first caps
    ``num_frames`` at ``total_frames``; the decord readers do not, and neither do we, so a video
    shorter than ``num_frames`` repeats frames and the observation keeps its fixed shape (the
    indices are the same whenever the video is long enough).
    """
    if total_frames < 1 or num_frames < 1:
        raise ValueError(
            f"need total_frames >= 1 and num_frames >= 1, got {total_frames}, {num_frames}"
        )
    return np.linspace(0, total_frames - 1, num_frames, dtype=int)


def _count_frames(container: Any) -> int:
    stream = container.streams.video[0]
    if stream.frames > 0:
        return int(stream.frames)
    # No frame count in the header: count the video packets (no decoding).
    count = sum(1 for packet in container.demux(stream) if packet.size > 0)
    container.seek(0)
    return count


def sample_frames(
    path: str | os.PathLike[str],
    num_frames: int = 32,
    size: Sequence[int] | None = None,
) -> np.ndarray:
    """Decode ``num_frames`` uniformly spaced RGB frames of a video with PyAV.

    Args:
        path: The video file.
        num_frames: How many frames (indices from :func:`frame_indices`).
        size: ``(height, width)`` to resize every frame to, or ``None`` to keep the video's.
            Resizing uses Pillow's bicubic filter (the filter of the CLIP/SigLIP image
            processors the evaluated models apply to these frames); the official pipeline
            hands full-size frames to the model's processor, we resize here so an observation
            has a fixed shape.

    Returns:
        ``(num_frames, H, W, 3)`` uint8.

    Raises:
        VideoError: The file is missing, cannot be decoded, or holds no frame.
    """
    av = require("av", "vsibench")
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"video {path} does not exist")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"video {path} has no video stream")
            total = _count_frames(container)
            indices = frame_indices(max(total, 1), num_frames)
            wanted = set(indices.tolist())
            last = int(indices[-1])
            decoded: dict[int, np.ndarray] = {}
            previous: np.ndarray | None = None
            for index, frame in enumerate(container.decode(video=0)):
                if index > last:
                    break
                if index in wanted:
                    decoded[index] = _resize(frame.to_ndarray(format="rgb24"), size)
                previous = frame
            if not decoded:
                raise VideoError(f"video {path} holds no decodable frame")
            if len(decoded) < len(wanted) and previous is not None:
                # The header overstated the length: repeat the last decoded frame.
                logger.warning(
                    "video %s: decoded fewer frames than its header announced (%d)", path, total
                )
                tail = decoded[max(decoded)]
                for index in wanted - decoded.keys():
                    decoded[index] = tail
    except VideoError:
        raise
    except Exception as error:  # PyAV raises its own error types (InvalidDataError, ...)
        raise VideoError(f"video {path} cannot be decoded: {error}") from error
    return np.stack([decoded[int(i)] for i in indices])


def _resize(array: np.ndarray, size: Sequence[int] | None) -> np.ndarray:
    if size is None:
        return np.ascontiguousarray(array, dtype=np.uint8)
    height, width = int(size[0]), int(size[1])
    if array.shape[:2] == (height, width):
        return np.ascontiguousarray(array, dtype=np.uint8)
    from PIL import Image

    image = Image.fromarray(array).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.uint8)

"""Reading VisualWebBench in its official layout (the Hugging Face dataset's parquet files).

Layout (``visualwebbench/VisualWebBench`` on the Hub): one folder per task config under a root,
holding that config's ``test`` split as parquet::

    <root>/web_caption/test-00000-of-00001.parquet      (the Hub's main branch)
    <root>/webqa/test/0000.parquet                      (the Hub's refs/convert/parquet branch)
    ...

Every ``*.parquet`` directly in ``<root>/<task>/`` is read, else every one in
``<root>/<task>/test/`` (sorted by name, rows in file order). A ``datasets`` download
(``load_dataset("visualwebbench/VisualWebBench", task)["test"].to_parquet(...)``) or
``huggingface-cli download visualwebbench/VisualWebBench --repo-type dataset`` gives it.

Columns (the dataset card's ``dataset_info``; other columns are kept in ``Item.extra``):

============================  ===========================================================
column                        type
============================  ===========================================================
``id``, ``task_type``,        ``string`` (optional here: ``id`` defaults to
``website``                   ``"<task>_<row>"``)
``image``                     HF ``Image``: a struct ``{bytes: binary, path: string}``
                              (also accepted: raw bytes, or a path relative to the file)
``image_size``                ``list<int64>``, ``[width, height]`` of the screenshot
``raw_image``                 HF ``Image`` (element/action grounding: the screenshot
                              without the candidate labels); not loaded
``answer``                    ``string`` (web_caption, heading_ocr, element_ocr);
                              ``list<string>`` (webqa: every reference answer);
                              ``int64`` option index, 0 = ``A`` (element_ground,
                              action_prediction, action_ground)
``question``                  ``string`` (webqa)
``bbox``                      ``list<float64>``: ``[x1, y1, x2, y2]`` as ratios of the
                              screenshot's width/height (element_ocr, action_prediction)
``elem_desc``                 ``string`` (element_ground; also element_ocr and
                              action_prediction, where the prompt does not use it)
``options``                   ``list<string>``: the candidate page titles
                              (action_prediction); ``list<list<float64>>``: the
                              candidates' boxes (element_ground, action_ground)
``instruction``               ``string`` (action_ground)
============================  ===========================================================

The images already carry what the prompts refer to: the red rectangle of element_ocr and
action_prediction, the lettered candidate boxes of element_ground and action_ground (the
official ``run.py`` passes ``sample['image']`` to the model untouched and draws nothing;
``utils/data_utils.py`` built the grounding items from an annotated ``choice_img_path``).

Sources: the dataset card of ``visualwebbench/VisualWebBench`` (features per config, file
names), and ``VisualWebBench/VisualWebBench`` ``run.py`` / ``utils/data_utils.py`` /
``utils/constants.py`` (the seven config names, which fields each task reads).
"""

from __future__ import annotations

import difflib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "CHOICE_TASKS",
    "LAYOUT",
    "ROUGE_TASKS",
    "TASKS",
    "TASK_COLUMNS",
    "DatasetError",
    "ImageError",
    "Item",
    "decode_image",
    "find_parquet_files",
    "load_items",
]

# The seven configs, in the order of the paper's tables (utils/constants.py names them).
TASKS: tuple[str, ...] = (
    "web_caption",
    "webqa",
    "heading_ocr",
    "element_ocr",
    "element_ground",
    "action_prediction",
    "action_ground",
)
# Tasks scored by ROUGE on free text / by accuracy on one option letter (utils/eval_utils.py).
ROUGE_TASKS: frozenset[str] = frozenset({"web_caption", "heading_ocr", "element_ocr"})
CHOICE_TASKS: frozenset[str] = frozenset({"element_ground", "action_prediction", "action_ground"})

# The columns a task cannot do without: what run.py formats into the prompt, plus the image
# and the answer.
TASK_COLUMNS: dict[str, tuple[str, ...]] = {
    "web_caption": ("image", "answer"),
    "webqa": ("image", "question", "answer"),
    "heading_ocr": ("image", "answer"),
    "element_ocr": ("image", "bbox", "answer"),
    "element_ground": ("image", "elem_desc", "answer"),
    "action_prediction": ("image", "bbox", "options", "answer"),
    "action_ground": ("image", "instruction", "answer"),
}

LAYOUT = (
    "expected VisualWebBench's Hugging Face layout: <root>/<task>/*.parquet (or "
    "<root>/<task>/test/*.parquet), one folder per task config "
    f"({', '.join(TASKS)}), e.g. <root>/web_caption/test-00000-of-00001.parquet; download "
    "it with `huggingface-cli download visualwebbench/VisualWebBench --repo-type dataset "
    "--local-dir <root>`"
)

# Columns Item holds as attributes (everything else goes to Item.extra); raw_image is dropped.
_KNOWN = frozenset(
    {
        "id",
        "task_type",
        "website",
        "image",
        "image_size",
        "raw_image",
        "answer",
        "question",
        "bbox",
        "elem_desc",
        "options",
        "instruction",
    }
)


class DatasetError(ValueError):
    """A VisualWebBench file is missing, unreadable or malformed; the message names it."""


class ImageError(ValueError):
    """One item's screenshot cannot be decoded; the message names the item and its file."""


@dataclass(frozen=True)
class Item:
    """One VisualWebBench test item.

    Attributes:
        task: The task config (one of :data:`TASKS`).
        id: The dataset's ``id`` (``"<task>_<row>"`` when the column is absent).
        row: The item's position in the task (0-based, over all of the task's files).
        source: The parquet file it was read from.
        answer: ``str`` (caption, heading OCR, element OCR), ``tuple[str, ...]`` (webqa: every
            reference), ``int`` option index with 0 = ``A`` (the three choice tasks).
        image: The encoded screenshot (PNG/JPEG bytes), or ``None`` when only a path is given.
        image_path: The HF ``Image`` struct's path (resolved against the file's folder when
            relative), used when ``image`` is ``None``.
        website: The page's site, when given.
        image_size: ``(width, height)`` from the ``image_size`` column, when given.
        question: The webqa question.
        bbox: ``(x1, y1, x2, y2)`` as ratios of the screenshot size, the values as stored.
        elem_desc: The element description (element_ground's prompt uses it).
        options: The candidates: page titles (action_prediction) or boxes (grounding tasks).
        instruction: The action_ground task.
        extra: Every other column, read-only.
    """

    task: str
    id: str
    row: int
    source: str
    answer: str | tuple[str, ...] | int
    image: bytes | None = field(default=None, repr=False)
    image_path: str | None = None
    website: str | None = None
    image_size: tuple[int, ...] | None = None
    question: str | None = None
    bbox: tuple[float, ...] | None = None
    elem_desc: str | None = None
    options: tuple[Any, ...] | None = None
    instruction: str | None = None
    extra: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False, repr=False
    )

    @property
    def name(self) -> str:
        """How messages name the item: ``"web_caption item 'web_caption_3' (row 3 of f)"``."""
        return f"{self.task} item {self.id!r} (row {self.row} of {self.source})"

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType does not pickle: rebuild from a plain dict.
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["extra"] = dict(self.extra)
        return (_rebuild_item, (values,))


def _rebuild_item(values: dict[str, Any]) -> Item:
    values = dict(values)
    values["extra"] = MappingProxyType(dict(values["extra"]))
    return Item(**values)


def _check_task(task: str) -> None:
    if task not in TASKS:
        close = difflib.get_close_matches(str(task), TASKS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown VisualWebBench task {task!r}{hint}; tasks: {', '.join(TASKS)}")


def find_parquet_files(root: str | os.PathLike[str], task: str) -> list[Path]:
    """The parquet files of one task config under ``root``, in reading order.

    Args:
        root: The dataset root (the folder holding one folder per task config).
        task: The task config, one of :data:`TASKS`.

    Returns:
        ``<root>/<task>/*.parquet`` sorted by name, else ``<root>/<task>/test/*.parquet``.

    Raises:
        ValueError: ``task`` is not a VisualWebBench task.
        FileNotFoundError: ``root`` or its task folder is missing or holds no parquet file; the
            message names the path and the expected layout.
    """
    _check_task(task)
    base = Path(root).expanduser()
    if not base.is_dir():
        raise FileNotFoundError(f"VisualWebBench root {str(base)!r} is not a folder; {LAYOUT}")
    folder = base / task
    if not folder.is_dir():
        present = sorted(p.name for p in base.iterdir() if p.is_dir())
        raise FileNotFoundError(
            f"VisualWebBench task folder {str(folder)!r} is missing (folders there: "
            f"{present or 'none'}); {LAYOUT}"
        )
    files = sorted(folder.glob("*.parquet")) or sorted((folder / "test").glob("*.parquet"))
    if not files:
        raise FileNotFoundError(
            f"no parquet file in {str(folder)!r} (nor in its test/ folder); {LAYOUT}"
        )
    return files


def _read_table(path: Path) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as error:  # pragma: no cover - pyarrow is a core dependency here
        from gymnasium.error import DependencyNotInstalled

        raise DependencyNotInstalled(
            'VisualWebBench needs pyarrow: pip install "vlagent-envs[visualwebbench]"'
        ) from error
    try:
        return pq.read_table(path)
    except Exception as error:
        raise DatasetError(f"cannot read parquet file {str(path)!r}: {error}; {LAYOUT}") from error


def _freeze(value: Any) -> Any:
    """Lists (as pyarrow gives them) to tuples, recursively; other values unchanged."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _image_fields(value: Any, folder: Path, where: str) -> tuple[bytes | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), None
    if isinstance(value, str):
        path = value
        data = None
    elif isinstance(value, Mapping):
        data = value.get("bytes")
        path = value.get("path")
        data = bytes(data) if data is not None else None
    else:
        raise DatasetError(
            f"{where}: 'image' must be an HF Image struct {{bytes, path}}, bytes or a path, "
            f"got {type(value).__name__}"
        )
    if path is not None and not os.path.isabs(path):
        path = str(folder / path)
    return data, path


def _answer(task: str, value: Any, where: str) -> str | tuple[str, ...] | int:
    if task in CHOICE_TASKS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DatasetError(
                f"{where}: {task} 'answer' must be an int64 option index (0 = A), got {value!r}"
            )
        return value
    if task == "webqa":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise DatasetError(
                f"{where}: webqa 'answer' must be a list of strings (the references), got {value!r}"
            )
        return tuple(value)
    if not isinstance(value, str):
        raise DatasetError(f"{where}: {task} 'answer' must be a string, got {value!r}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def load_items(root: str | os.PathLike[str], task: str) -> list[Item]:
    """Read every item of one task config (its ``test`` split) from the official layout.

    Images are kept encoded (:func:`decode_image` decodes one); a corrupt image does not stop
    the load, it is reported when that item is decoded.

    Args:
        root: The dataset root: ``<root>/<task>/*.parquet`` (see the module docstring).
        task: The task config, one of :data:`TASKS`.

    Returns:
        The items in file and row order (``Item.row`` counts from 0 over all files).

    Raises:
        ValueError: ``task`` is unknown.
        FileNotFoundError: The root, the task folder or its parquet files are missing.
        DatasetError: A file cannot be read, lacks columns (all missing ones are listed) or
            holds a value of the wrong type (the file and row are named).
    """
    items: list[Item] = []
    for path in find_parquet_files(root, task):
        table = _read_table(path)
        missing = [c for c in TASK_COLUMNS[task] if c not in table.column_names]
        if missing:
            raise DatasetError(
                f"{str(path)!r} lacks the column(s) {missing} that {task} needs "
                f"(it has {table.column_names}); {task} items need {list(TASK_COLUMNS[task])}"
            )
        folder = path.parent
        for offset, record in enumerate(table.to_pylist()):
            row = len(items)
            where = f"{path} row {offset}"
            image, image_path = _image_fields(record.get("image"), folder, where)
            size = record.get("image_size")
            extra = {k: v for k, v in record.items() if k not in _KNOWN}
            items.append(
                Item(
                    task=task,
                    id=str(record["id"]) if record.get("id") is not None else f"{task}_{row}",
                    row=row,
                    source=str(path),
                    answer=_answer(task, record.get("answer"), where),
                    image=image,
                    image_path=image_path,
                    website=_optional_str(record.get("website")),
                    image_size=tuple(int(v) for v in size) if size is not None else None,
                    question=_optional_str(record.get("question")),
                    bbox=_freeze(record.get("bbox")),
                    elem_desc=_optional_str(record.get("elem_desc")),
                    options=_freeze(record.get("options")),
                    instruction=_optional_str(record.get("instruction")),
                    extra=MappingProxyType(extra),
                )
            )
    return items


def decode_image(item: Item) -> Any:
    """The item's screenshot as an RGB ``PIL.Image.Image``, fully decoded.

    Raises:
        ImageError: The bytes (or the file at ``image_path``) are missing or not an image
            PIL can decode; the message names the item and its parquet file.
    """
    from PIL import Image

    try:
        if item.image is not None:
            image = Image.open(io.BytesIO(item.image))
        elif item.image_path is not None:
            image = Image.open(item.image_path)
        else:
            raise ValueError("the row has no image bytes and no image path")
        image.load()
        return image.convert("RGB")
    except Exception as error:
        raise ImageError(f"{item.name}: cannot decode its screenshot: {error}") from error

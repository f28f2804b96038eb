"""VisualWebBench's official prompts, how they are filled, and the official answer post-processing.

Templates: verbatim from ``VisualWebBench/VisualWebBench`` ``utils/prompts.py``
(``DEFAULT_PROMPTS``), including its spelling ("candicates", "coordinates ... is") and the
trailing newline of each template; lmms-eval's ``tasks/visualwebbench/prompts.py`` copies them.

Filling (``run.py`` ``evaluate``; lmms-eval's ``visualwebbench_doc_to_text`` does the same):
web_caption and heading_ocr use the template as is; webqa formats ``question``; element_ocr
formats ``bbox_ratio=sample['bbox']``; element_ground ``element_desc=sample['elem_desc']``;
action_prediction ``bbox_ratio=sample['bbox'], choices_text=sample['options']``; action_ground
``instruction=sample['instruction']``. The samples come from ``datasets``, so ``bbox`` and
``options`` are Python lists and ``str.format`` writes their ``repr``:
``[0.238, 0.376, 0.762, 0.402]`` and ``['Title one', 'Title two']`` -- the choices are not
lettered or put on lines by the code (the prompt still asks for an uppercase letter).

Post-processing (the model adapters, ``model_adapters/openai_adapter.py`` and
``llava_adapter.py``, which agree): web_caption keeps the first match of
``<meta name="description" content="(.*)">`` (``.`` does not cross a newline; greedy) and else
the whole output; element_ocr keeps the text after the first ``:`` (all of it, later colons
included), stripped of whitespace, then of ``"`` and then of ``'`` at both ends, and the whole
output when it has no ``:``; every other task keeps the output unchanged. (The Qwen-VL adapter
also splits webqa on ``:`` and keeps the first character of action_prediction; the Claude
adapter skips the caption regex. We follow the OpenAI/LLaVA adapters, used for the paper's
GPT-4V and LLaVA rows.)
"""

from __future__ import annotations

import re

from vlagent_envs.benchmarks.visualwebbench.data import Item

__all__ = [
    "ACTION_GROUND_PROMPT",
    "ACTION_PREDICTION_PROMPT",
    "DEFAULT_PROMPTS",
    "ELEMENT_GROUND_PROMPT",
    "ELEMENT_OCR_PROMPT",
    "HEADING_OCR_PROMPT",
    "WEBQA_PROMPT",
    "WEB_CAPTION_PROMPT",
    "build_prompt",
    "caption_from_output",
    "element_ocr_from_output",
    "postprocess",
]

WEB_CAPTION_PROMPT = """You are given a screenshot of a webpage. Please generate the meta web description information of this webpage, i.e., content attribute in <meta name="description" content=""> HTML element.

You should use the following format, and do not output any explanation or any other contents:
<meta name="description" content="YOUR ANSWER">
"""  # noqa: E501

HEADING_OCR_PROMPT = """You are given a screenshot of a webpage. Please generate the main text within the screenshot, which can be regarded as the heading of the webpage.

You should directly tell me the main content, and do not output any explanation or any other contents.
"""  # noqa: E501

WEBQA_PROMPT = """{question}
You should directly tell me your answer in the fewest words possible, and do not output any explanation or any other contents.
"""  # noqa: E501

ELEMENT_OCR_PROMPT = """You are given a screenshot of a webpage with a red rectangle bounding box. The [x1, y1, x2, y2] coordinates of the bounding box is {bbox_ratio}.
Please perform OCR in the bounding box and recognize the text content within the red bounding box.

You should use the following format:
The text content within the red bounding box is: <YOUR ANSWER>
"""  # noqa: E501

ELEMENT_GROUND_PROMPT = """In this website screenshot, I have labeled IDs for some HTML elements as candicates. Tell me which one best matches the description: {element_desc}

You should directly tell me your choice in a single uppercase letter, and do not output any explanation or any other contents.
"""  # noqa: E501

ACTION_PREDICTION_PROMPT = """You are given a screenshot of a webpage with a red rectangle bounding box. The [x1, y1, x2, y2] coordinates of the bounding box is {bbox_ratio}.
Please select the best webpage description that matches the new webpage after clicking the selected element in the bounding box:
{choices_text}

You should directly tell me your choice in a single uppercase letter, and do not output any explanation or any other contents.
"""  # noqa: E501

ACTION_GROUND_PROMPT = """In this website screenshot, I have labeled IDs for some HTML elements as candicates. Tell me which one I should click to complete the following task: {instruction}

You should directly tell me your choice in a single uppercase letter, and do not output any explanation or any other contents.
"""  # noqa: E501

# Keyed by task config (the official dict is keyed "<task>_prompt").
DEFAULT_PROMPTS: dict[str, str] = {
    "web_caption": WEB_CAPTION_PROMPT,
    "heading_ocr": HEADING_OCR_PROMPT,
    "webqa": WEBQA_PROMPT,
    "element_ocr": ELEMENT_OCR_PROMPT,
    "element_ground": ELEMENT_GROUND_PROMPT,
    "action_prediction": ACTION_PREDICTION_PROMPT,
    "action_ground": ACTION_GROUND_PROMPT,
}

# The adapters' caption pattern, as written there (no flags).
_META = re.compile(r"<meta name=\"description\" content=\"(.*)\">")


def _as_list(value: object) -> object:
    """Tuples (as :class:`Item` stores sequences) back to the lists ``datasets`` gives, so
    ``str.format`` writes the same ``repr`` as the official code."""
    if isinstance(value, tuple):
        return [_as_list(v) for v in value]
    return value


def build_prompt(item: Item) -> str:
    """The official prompt for one item, filled as ``run.py`` fills it.

    Args:
        item: A loaded item (:func:`~vlagent_envs.benchmarks.visualwebbench.data.load_items`).

    Returns:
        The prompt text sent with the screenshot.
    """
    task = item.task
    prompt = DEFAULT_PROMPTS[task]
    if task in ("web_caption", "heading_ocr"):
        return prompt
    if task == "webqa":
        return prompt.format(question=item.question)
    if task == "element_ocr":
        return prompt.format(bbox_ratio=_as_list(item.bbox))
    if task == "element_ground":
        return prompt.format(element_desc=item.elem_desc)
    if task == "action_prediction":
        return prompt.format(bbox_ratio=_as_list(item.bbox), choices_text=_as_list(item.options))
    if task == "action_ground":
        return prompt.format(instruction=item.instruction)
    raise ValueError(f"unknown VisualWebBench task {task!r}")


def caption_from_output(output: str) -> str:
    """web_caption: the first ``<meta name="description" content="...">`` content, else all."""
    found = _META.findall(output)
    return found[0] if found else output


def element_ocr_from_output(output: str) -> str:
    """element_ocr: the text after the first ``:``, stripped as the adapters strip it."""
    if ":" not in output:
        return output
    return ":".join(output.split(":")[1:]).strip().strip('"').strip("'")


def postprocess(task: str, output: str) -> str:
    """The prediction the official adapters hand to the metric, from a model's output.

    Args:
        task: The task config.
        output: The model's answer text.

    Returns:
        The caption content (web_caption), the OCR text (element_ocr), else ``output``.
    """
    if task == "web_caption":
        return caption_from_output(output)
    if task == "element_ocr":
        return element_ocr_from_output(output)
    return output

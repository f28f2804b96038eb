"""VisualWebBench's official layout, prompts, metrics and envs, on a fixture written in tmp_path.

The fixture is the Hugging Face layout (``<root>/<task>/test-00000-of-00001.parquet``, the
image an HF ``Image`` struct ``{bytes, path}``), two or three items per task, plus an extra
column the loader must keep. Expected values are written out by hand.
"""

from __future__ import annotations

import io
import logging
import pickle
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from vlagent_envs.benchmarks.visualwebbench import data, metrics, prompts
from vlagent_envs.benchmarks.visualwebbench.env import VisualWebBenchEnv
from vlagent_envs.testing import CHECKS, check_action, hostile_actions

RED = (200, 30, 30)
SHOT_W, SHOT_H = 40, 80  # a tall "screenshot": it fits a 32x40 canvas at scale 0.4
IMAGE_SIZE = (32, 40)  # (height, width) of the observation in these tests


def png(color: tuple[int, int, int] = RED, size: tuple[int, int] = (SHOT_W, SHOT_H)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def image(data_bytes: bytes | None = None) -> dict[str, Any]:
    return {"bytes": data_bytes if data_bytes is not None else png(), "path": "shot.png"}


ROWS: dict[str, list[dict[str, Any]]] = {
    "web_caption": [
        {"answer": "Shop laptops and tablets with free shipping"},
        {"answer": "Daily news about the weather"},
    ],
    "heading_ocr": [{"answer": "Welcome to WebShop"}, {"answer": "Your cart"}],
    "webqa": [
        {"question": "What is the price of the red shoes?", "answer": ["$25", "25 dollars"]},
        {"question": "Which city is the store in?", "answer": ["Paris"]},
    ],
    "element_ocr": [
        {
            "bbox": [0.1, 0.25, 0.5, 0.75],
            "elem_desc": "Add to cart: 2 items",
            "answer": "Add to cart: 2 items",
        },
        {"bbox": [0.0, 0.5, 1.0, 0.625], "elem_desc": "Buy now", "answer": "Buy now"},
    ],
    "element_ground": [
        {
            "elem_desc": "The search button",
            "options": [[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.6, 0.6]],
            "answer": 1,
        },
        {"elem_desc": "The logo", "options": [[0.0, 0.0, 0.1, 0.1]], "answer": 0},
    ],
    "action_prediction": [
        {
            "bbox": [0.25, 0.5, 0.75, 0.625],
            "elem_desc": "Sign in",
            "options": ["Home page", "Bob's shop", "Sign in to your account"],
            "answer": 2,
        },
        {
            "bbox": [0.1, 0.1, 0.2, 0.2],
            "elem_desc": "Cart",
            "options": ["Cart", "Help"],
            "answer": 0,
        },
    ],
    "action_ground": [
        {
            "instruction": "Open the shopping cart",
            "options": [[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4], [0.5, 0.5, 0.6, 0.6]],
            "answer": 2,
        },
        {"instruction": "Search for shoes", "options": [[0.0, 0.0, 0.1, 0.1]], "answer": 0},
    ],
}


def write_task(
    root: Path, task: str, rows: list[dict[str, Any]], images: list[bytes] | None = None
) -> Path:
    records = []
    for i, row in enumerate(rows):
        records.append(
            {
                "id": f"{task}_{i}",
                "task_type": task,
                "website": "webshop.test",
                "image": image(images[i] if images else None),
                "image_size": [SHOT_W, SHOT_H],
                **row,
                "note": f"extra {i}",  # a column the loader does not know
            }
        )
    folder = root / task
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "test-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(records), path)
    return path


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("visualwebbench")
    for task, rows in ROWS.items():
        write_task(base, task, rows)
    return base


def make(root: Path, task: str, **kwargs: Any) -> VisualWebBenchEnv:
    return VisualWebBenchEnv(task, root=root, image_size=IMAGE_SIZE, **kwargs)


# ---------------------------------------------------------------------------- data
def test_load_items_reads_the_official_fields(root: Path) -> None:
    items = data.load_items(root, "action_prediction")
    assert [i.id for i in items] == ["action_prediction_0", "action_prediction_1"]
    first = items[0]
    assert first.bbox == (0.25, 0.5, 0.75, 0.625)
    assert first.options == ("Home page", "Bob's shop", "Sign in to your account")
    assert first.answer == 2 and first.image_size == (SHOT_W, SHOT_H)
    assert first.website == "webshop.test" and first.extra == {"note": "extra 0"}
    assert first.image_path == str(root / "action_prediction" / "shot.png")
    assert data.load_items(root, "webqa")[0].answer == ("$25", "25 dollars")
    assert data.decode_image(first).size == (SHOT_W, SHOT_H)
    assert pickle.loads(pickle.dumps(first)) == first


def test_load_items_reads_the_parquet_converter_layout(tmp_path: Path) -> None:
    write_task(tmp_path, "heading_ocr", ROWS["heading_ocr"])
    (tmp_path / "heading_ocr" / "test").mkdir()
    (tmp_path / "heading_ocr" / "test-00000-of-00001.parquet").rename(
        tmp_path / "heading_ocr" / "test" / "0000.parquet"
    )
    assert [i.answer for i in data.load_items(tmp_path, "heading_ocr")] == [
        "Welcome to WebShop",
        "Your cart",
    ]


def test_missing_root_and_task_folder_name_the_path_and_layout(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere.*<root>/<task>/\*\.parquet"):
        data.load_items(tmp_path / "nowhere", "webqa")
    (tmp_path / "webqa").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no parquet file in .*webqa.*<root>/<task>"):
        data.load_items(tmp_path, "webqa")
    with pytest.raises(FileNotFoundError, match=r"heading_ocr.* is missing \(folders there: "):
        data.load_items(tmp_path, "heading_ocr")
    with pytest.raises(ValueError, match="did you mean 'element_ocr'"):
        data.load_items(tmp_path, "elemnt_ocr")


def test_missing_columns_and_bad_answers_are_listed(tmp_path: Path) -> None:
    write_task(tmp_path, "action_prediction", [{"answer": 1}])
    with pytest.raises(data.DatasetError, match=r"lacks the column\(s\) \['bbox', 'options'\]"):
        data.load_items(tmp_path, "action_prediction")
    write_task(tmp_path, "element_ground", [{"elem_desc": "x", "answer": "B"}])
    with pytest.raises(data.DatasetError, match=r"row 0: element_ground 'answer' must be an int64"):
        data.load_items(tmp_path, "element_ground")
    (tmp_path / "webqa").mkdir()
    (tmp_path / "webqa" / "test.parquet").write_bytes(b"not parquet")
    with pytest.raises(data.DatasetError, match=r"cannot read parquet file .*test\.parquet"):
        data.load_items(tmp_path, "webqa")


def test_a_corrupt_image_names_the_item(tmp_path: Path) -> None:
    write_task(tmp_path, "heading_ocr", ROWS["heading_ocr"], images=[png(), b"not an image"])
    items = data.load_items(tmp_path, "heading_ocr")  # loading does not decode
    with pytest.raises(data.ImageError, match=r"heading_ocr item 'heading_ocr_1' \(row 1 of "):
        data.decode_image(items[1])


# ---------------------------------------------------------------------------- prompts
def test_prompts_are_filled_as_the_official_run_py(root: Path) -> None:
    def first(task: str) -> data.Item:
        return data.load_items(root, task)[0]

    assert prompts.build_prompt(first("element_ocr")) == (
        "You are given a screenshot of a webpage with a red rectangle bounding box. The "
        "[x1, y1, x2, y2] coordinates of the bounding box is [0.1, 0.25, 0.5, 0.75].\n"
        "Please perform OCR in the bounding box and recognize the text content within the red "
        "bounding box.\n\nYou should use the following format:\n"
        "The text content within the red bounding box is: <YOUR ANSWER>\n"
    )
    # run.py formats the options list itself: its repr, not lettered lines.
    assert prompts.build_prompt(first("action_prediction")) == (
        "You are given a screenshot of a webpage with a red rectangle bounding box. The "
        "[x1, y1, x2, y2] coordinates of the bounding box is [0.25, 0.5, 0.75, 0.625].\n"
        "Please select the best webpage description that matches the new webpage after "
        "clicking the selected element in the bounding box:\n"
        "['Home page', \"Bob's shop\", 'Sign in to your account']\n\n"
        "You should directly tell me your choice in a single uppercase letter, and do not "
        "output any explanation or any other contents.\n"
    )
    assert prompts.build_prompt(first("element_ground")) == (
        "In this website screenshot, I have labeled IDs for some HTML elements as candicates. "
        "Tell me which one best matches the description: The search button\n\n"
        "You should directly tell me your choice in a single uppercase letter, and do not "
        "output any explanation or any other contents.\n"
    )
    assert prompts.build_prompt(first("action_ground")).startswith(
        "In this website screenshot, I have labeled IDs for some HTML elements as candicates. "
        "Tell me which one I should click to complete the following task: Open the shopping cart"
        "\n\n"
    )
    assert prompts.build_prompt(first("webqa")) == (
        "What is the price of the red shoes?\nYou should directly tell me your answer in the "
        "fewest words possible, and do not output any explanation or any other contents.\n"
    )
    assert prompts.build_prompt(first("web_caption")) == prompts.WEB_CAPTION_PROMPT
    assert prompts.build_prompt(first("heading_ocr")) == prompts.HEADING_OCR_PROMPT


def test_postprocessing_as_the_official_adapters() -> None:
    caption = 'Sure.\n<meta name="description" content="Cheap "red" shoes">\nDone'
    assert prompts.postprocess("web_caption", caption) == 'Cheap "red" shoes'  # greedy (.*)
    assert prompts.postprocess("web_caption", "no tag here") == "no tag here"
    assert prompts.postprocess("element_ocr", 'The text ... box is: "Price: $5"') == "Price: $5"
    assert prompts.postprocess("element_ocr", "Buy now") == "Buy now"
    assert prompts.postprocess("webqa", "Answer: Paris") == "Answer: Paris"


# ---------------------------------------------------------------------------- metrics
def test_rouge_l_f_by_hand() -> None:
    # rouge 1.0.1 counts each word once. hyp "the cat sat on the mat": n = |{the, cat, sat,
    # on, mat}| = 5; ref "the cat is on the mat": m = |{the, cat, is, on, mat}| = 5. The LCS of
    # the word sequences is "the cat on the mat", whose distinct words {the, cat, on, mat} give
    # LCS_u = 4: R = 4/5, P = 4/5, F = 2PR / (P + R + 1e-8) = 1.28 / 1.60000001.
    assert metrics.rouge_f("the cat sat on the mat", "the cat is on the mat") == pytest.approx(
        1.28 / (1.6 + 1e-8), abs=1e-15
    )
    assert metrics.rouge_f("Paris", "paris") == 0.0  # case-sensitive
    exact = 2.0 / (2.0 + 1e-8)  # an exact match: P = R = 1
    assert metrics.rouge_f("Buy now", "Buy now") == pytest.approx(exact, abs=1e-15)


def test_dataset_rouge_is_the_mean_of_item_f() -> None:
    exact = 2.0 / (2.0 + 1e-8)
    result = metrics.eval_web_caption(["Buy now", ""], ["Buy now", "Buy now"])
    assert result["rouge_l"] == pytest.approx(exact / 2 * 100, abs=1e-12)
    assert result["rouge_1"] == pytest.approx(exact / 2 * 100, abs=1e-12)
    # element_ocr: a one-character prediction becomes " " (scores 0).
    assert metrics.eval_element_ocr(["a"], ["a"])["rouge_l"] == 0.0
    assert metrics.eval_heading_ocr(["a"], ["a"])["rouge_l"] == pytest.approx(exact * 100)
    # A prediction of only "." is an empty hypothesis: the official code raises.
    with pytest.raises(ValueError, match="Hypothesis is empty"):
        metrics.eval_web_caption(["..."], ["Buy now"])


def test_webqa_takes_the_best_reference_and_skips_what_rouge_rejects() -> None:
    # ROUGE-1 of "in Paris" vs "Paris": P = 1/2, R = 1, F = 2 * 0.5 / (1.5 + 1e-8).
    in_paris = 1.0 / (1.5 + 1e-8)
    assert metrics.eval_webqa(["in Paris"], [["London", "Paris"]])["f1"] == pytest.approx(
        in_paris * 100, abs=1e-12
    )
    # "..." raises inside rouge: the official `except: pass` drops the item from the mean.
    official = metrics.eval_webqa(["...", "in Paris"], [["x"], ["Paris"]])
    assert official["f1"] == pytest.approx(in_paris * 100, abs=1e-12)
    item = data.Item(task="webqa", id="q", row=0, source="f", answer=("x",))
    assert metrics.score(item, "...") == 0.0  # per item: 0, so the mean can be lower


def test_multiple_choice_parser() -> None:
    parse = metrics.parse_multi_choice_response
    assert parse("B", metrics.CHOICES) == "B"
    assert parse("b", metrics.CHOICES) == "B"  # one character: upper-cased
    assert parse("(B)", metrics.CHOICES) == "B"
    assert parse("The answer is C", metrics.CHOICES) == "C"
    assert parse("A. Home page", metrics.CHOICES) == "A"
    assert parse("I. think it is B", metrics.CHOICES) == "I"  # the "<capital>." shortcut
    assert parse("(A) or rather (C)", metrics.CHOICES) == "C"  # the last one found
    assert parse("A or B", metrics.CHOICES) == "B"
    # Nothing parsable: the official code returns "z" (MMMU's random.choice is commented
    # out there), so it is deterministic and always wrong; an empty answer gives "a". A lone
    # "z" is upper-cased first: option Z, index 25.
    assert parse("no idea", metrics.CHOICES) == "z"
    assert parse("", metrics.CHOICES) == "a"
    assert [metrics.choice_index(r) for r in ("C", "z", "", "no idea")] == [2, 25, -1, -1]
    assert metrics.eval_choice(["C", "(A)", "no idea"], [2, 1, 0]) == {"accuracy": 1 / 3 * 100}


def test_aggregate_reads_run_py_records() -> None:
    records = [{"score": "accuracy: 50.00"}, {"pred": "B", "gold": 1}, {"pred": "x", "gold": 0}]
    assert metrics.aggregate("action_ground", records) == 50.0
    exact = 2.0 / (2.0 + 1e-8)
    pairs = [("...", "Buy now"), ("Buy now", "Buy now")]
    assert metrics.aggregate("web_caption", pairs) == pytest.approx(exact / 2 * 100)
    with pytest.raises(ValueError, match="Hypothesis is empty"):
        metrics.aggregate("web_caption", pairs, strict=True)
    with pytest.raises(ValueError, match="no records"):
        metrics.aggregate("webqa", [])


# ---------------------------------------------------------------------------- env
@pytest.mark.parametrize("task", data.TASKS)
def test_the_expert_answer_scores_one(root: Path, task: str) -> None:
    env = make(root, task)
    for seed in range(2):
        obs, info = env.reset(seed=seed)
        assert obs["instruction"] == prompts.build_prompt(env.item)
        assert obs["image"].shape == (*IMAGE_SIZE, 3)
        _, reward, terminated, _, info = env.step(env.expert_action())
        assert terminated and info["success"] and info["progress"] == 1.0
        assert reward == (1.0 if task in data.CHOICE_TASKS else pytest.approx(1.0, abs=1e-8))


def test_env_scores_with_the_official_code(root: Path) -> None:
    env = make(root, "element_ocr")
    env.reset(seed=0)
    # "Add to cart: 2 items": the text after the first colon is read, later colons kept.
    _, reward, _, _, info = env.step("The text content within the red bounding box is: Add to")
    assert info["parsed_action"] == "Add to"
    # hyp {Add, to} (n = 2), ref {Add, to, cart:, 2, items} (m = 5), LCS_u = 2.
    assert reward == pytest.approx(2 * 1.0 * 0.4 / (1.4 + 1e-8), abs=1e-12)
    assert not info["success"]
    env = make(root, "action_prediction")
    env.reset(seed=2)  # seed 2 -> item 0 of 2
    _, reward, *_, info = env.step('{"thoughts": "...", "action": "(C)"}')
    assert (reward, info["parsed_action"], info["success"]) == (1.0, "C", True)
    env.reset(options={"index": 1})
    _, reward, *_, info = env.step("B")
    assert (reward, info["gold"]) == (0.0, "A")


def test_the_screenshot_is_letterboxed_top_left(root: Path) -> None:
    env = make(root, "heading_ocr")
    obs, info = env.reset(seed=0)
    # 40x80 screenshot into a 40-wide, 32-high canvas: scale 0.4, so 16x32 pixels of red.
    assert info["image_scale"] == pytest.approx(0.4)
    assert tuple(obs["image"][10, 8]) == RED
    assert tuple(obs["image"][10, 30]) == (255, 255, 255)
    assert env.screenshot().size == (SHOT_W, SHOT_H)


def test_hostile_answers_are_invalid_and_end_the_episode(root: Path) -> None:
    for task in ("webqa", "action_ground"):
        env = make(root, task)
        for action in hostile_actions(env.action_space.max_length):
            env.reset(seed=0)
            _, reward, terminated, _, info = check_action(env, action, expect_invalid=True)
            assert terminated and reward == 0.0 and not info["success"]


def test_a_corrupt_image_scores_zero_without_raising(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_task(tmp_path, "heading_ocr", ROWS["heading_ocr"], images=[png(), b"\x89PNG broken"])
    env = make(tmp_path, "heading_ocr")
    with caplog.at_level(logging.WARNING):
        obs, info = env.reset(seed=1)
    assert "heading_ocr item 'heading_ocr_1'" in caplog.text
    assert "heading_ocr_1" in info["image_error"]
    assert np.all(obs["image"] == 255)
    _, reward, terminated, _, info = env.step(env.expert_action())
    assert (reward, terminated, info["success"]) == (0.0, True, False)
    env.reset(seed=0)  # the other item is fine
    assert env.step(env.expert_action())[1] == pytest.approx(1.0, abs=1e-8)


def test_root_resolution_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VISUALWEBBENCH_ROOT", raising=False)
    with pytest.raises(FileNotFoundError, match=r"\$VISUALWEBBENCH_ROOT.*root=.*<root>/<task>"):
        VisualWebBenchEnv("webqa")
    monkeypatch.setenv("VISUALWEBBENCH_ROOT", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="absent"):
        VisualWebBenchEnv("webqa")
    with pytest.raises(ValueError, match="unknown VisualWebBench task"):
        VisualWebBenchEnv("captions", root=tmp_path)


def test_env_pickles_mid_episode(root: Path) -> None:
    env = make(root, "webqa")
    env.reset(seed=1)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.step("Paris")[1] == env.step("Paris")[1] == pytest.approx(1.0, abs=1e-8)


def test_conformance_on_the_fixture(root: Path) -> None:
    env_id = "VLAgentTest/VisualWebBench-ActionPrediction-v0"
    gym.register(
        env_id,
        entry_point="vlagent_envs.benchmarks.visualwebbench.env:VisualWebBenchEnv",
        max_episode_steps=1,
        kwargs={"task": "action_prediction", "root": str(root), "image_size": list(IMAGE_SIZE)},
    )
    try:
        for name, check in CHECKS.items():
            if name != "vector":  # spawned async workers would not know this test-only id
                check(env_id)
    finally:
        del gym.registry[env_id]


def test_answer_grammar_reads_what_the_official_code_reads() -> None:
    from vlagent_envs.benchmarks.visualwebbench.env import AnswerGrammar

    caption = AnswerGrammar("web_caption")
    assert caption.parse('<meta name="description" content="Buy shoes">') == "Buy shoes"
    assert caption.parse("Buy shoes") == "Buy shoes"
    assert caption.parse("Amazon.com") == "Amazon.com"
    for junk in ("null", "{}", "[1, 2]", "Action:", "print('x')", "-- ... --"):
        assert caption.parse(junk) is None, junk
    choice = AnswerGrammar("element_ground")
    assert [choice.parse(t) for t in ("c", "(D)", "I think B", "none")] == ["C", "D", "B", None]


def test_expert_caption_with_a_newline_is_given_bare(tmp_path: Path) -> None:
    write_task(tmp_path, "web_caption", [{"answer": "Line one\nline two"}])
    env = make(tmp_path, "web_caption")
    env.reset(seed=0)
    assert env.expert_action() == "Line one\nline two"  # the regex's "." stops at a newline
    assert env.step(env.expert_action())[4]["success"]


def test_invalid_action_policies(root: Path) -> None:
    with pytest.raises(ValueError, match="no action set to draw from"):
        make(root, "webqa", invalid_action_policy="random")
    with pytest.raises(ValueError, match="no action set to draw from"):
        make(
            root,
            "web_caption",
            invalid_action_policy={
                "kind": "default",
                "default_action": '<meta name="description" content="x">',
            },
        )
    env = make(
        root, "action_ground", invalid_action_policy={"kind": "default", "default_action": "A"}
    )
    env.reset(seed=1)  # gold A: the default answer is played for an invalid one
    _, reward, *_, info = env.step("no idea")
    assert (reward, info["action_valid"]) == (1.0, False)


def test_choice_tasks_list_their_option_letters() -> None:
    env = gym.make("VLAgent/VisualWebBench-WebShop-ElementGround-v0")
    _, info = env.reset(seed=0)
    letters = info["admissible_actions"]
    assert letters == [chr(ord("A") + i) for i in range(len(env.unwrapped.item.options))]
    _, _, _, _, info = env.step(chr(ord("A") + len(letters)))  # a letter past the options
    assert not info["action_valid"]
    env.close()
    env = gym.make("VLAgent/VisualWebBench-WebShop-HeadingOCR-v0")
    _, info = env.reset(seed=0)
    assert info["admissible_actions"] is None
    env.close()

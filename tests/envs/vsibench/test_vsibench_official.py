"""VSI-Bench in the official layout: loader, frame sampling, prompts, official metrics, env.

Expected values are written out by hand from the official code
(``lmms_eval/tasks/vsibench/utils.py``, vision-x-nyu/thinking-in-space and lmms-eval).
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from vsibench_fixtures import LEVEL, ROWS, write_root

from vlagent_envs.benchmarks.vsibench import data, metrics
from vlagent_envs.benchmarks.vsibench.data import VideoError, load_items, prompt
from vlagent_envs.benchmarks.vsibench.env import GENERATED_ROOT, VSIBenchEnv, resolve_root
from vlagent_envs.core import extract_action
from vlagent_envs.testing import conformance

SMALL = {"num_frames": 4, "frame_size": (48, 64)}


def _levels(frames: np.ndarray) -> list[int]:
    return [round(float(frame.mean()) / LEVEL) for frame in frames]


# ----------------------------------------------------------------------------- loader
def test_load_items_reads_the_official_columns(vsibench_root: Path) -> None:
    items = load_items(vsibench_root)
    assert [item.id for item in items] == [0, 1, 2, 3, 4]
    first = items[0]
    assert first.question_type == "route_planning"
    assert first.ground_truth == "B"
    assert first.options == ("A. Turn Left", "B. Turn Right", "C. Go forward", "D. Turn Back")
    assert first.video_path == vsibench_root / "scannet" / "scene0001_00.mp4"
    assert items[1].options is None and items[1].ground_truth == "4"
    assert items[2].task == "object_rel_direction"


def test_load_items_filters_by_task_or_question_type(vsibench_root: Path) -> None:
    assert [i.id for i in load_items(vsibench_root, "object_rel_direction")] == [2]
    assert [i.id for i in load_items(vsibench_root, "object_rel_direction_easy")] == [2]
    assert [i.id for i in load_items(vsibench_root, "route_planning")] == [0]
    with pytest.raises(ValueError, match="no VSI-Bench question of 'obj_appearance_order'"):
        load_items(vsibench_root, "obj_appearance_order")
    with pytest.raises(ValueError, match=r"unknown VSI-Bench task.*route_planning"):
        load_items(vsibench_root, "route_plan")


def test_task_and_type_lists() -> None:
    assert len(data.QUESTION_TYPES) == 10 and len(data.TASKS) == 8
    assert {data.task_of(t) for t in data.QUESTION_TYPES} == set(data.TASKS)
    assert data.task_of("object_rel_direction_hard") == "object_rel_direction"


def test_missing_root_names_the_path_and_layout(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere.*test-00000-of-00001.parquet"):
        load_items(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"no VSI-Bench test parquet in .*<dataset>"):
        load_items(tmp_path)


def test_other_parquet_names_are_accepted(tmp_path: Path) -> None:
    rows = ROWS[:2]
    assert len(load_items(write_root(tmp_path / "a", rows, "test.parquet"))) == 2
    root = tmp_path / "b"
    write_root(root, rows[:1], "data/test-00000-of-00002.parquet")
    write_root(root, rows[1:], "data/test-00001-of-00002.parquet")
    assert [i.id for i in load_items(root)] == [0, 1]


def test_missing_column_is_named(tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "options"} for row in ROWS[:1]]
    root = write_root(tmp_path, rows)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['options'\]"):
        load_items(root)


def test_malformed_rows_are_named(tmp_path: Path) -> None:
    bad = [{**ROWS[1], "ground_truth": "four"}]
    with pytest.raises(ValueError, match=r"row 0 .*'four' is not a number"):
        load_items(write_root(tmp_path / "a", bad))
    for value in ("0", "nan"):
        bad = [{**ROWS[1], "ground_truth": value}]
        with pytest.raises(ValueError, match=f"'{value}' is not usable"):
            load_items(write_root(tmp_path / value, bad))
    bad = [{**ROWS[0], "question_type": "route_planing"}]
    with pytest.raises(ValueError, match="unknown question_type 'route_planing'"):
        load_items(write_root(tmp_path / "b", bad))


# ----------------------------------------------------------------------------- frames
def test_frame_indices_are_the_official_linspace() -> None:
    # np.linspace(0, 19, 8) = 0, 2.71, 5.43, 8.14, 10.86, 13.57, 16.29, 19 -> int
    assert data.frame_indices(20, 8).tolist() == [0, 2, 5, 8, 10, 13, 16, 19]
    assert data.frame_indices(20, 20).tolist() == list(range(20))
    # Shorter than asked: frames repeat (the official reader would return 3 frames).
    assert data.frame_indices(3, 5).tolist() == [0, 0, 1, 1, 2]


def test_sample_frames_decodes_the_official_indices(vsibench_root: Path) -> None:
    path = vsibench_root / "scannet" / "scene0001_00.mp4"
    frames = data.sample_frames(path, 8)
    assert frames.shape == (8, 48, 64, 3) and frames.dtype == np.uint8
    assert _levels(frames) == [0, 2, 5, 8, 10, 13, 16, 19]
    resized = data.sample_frames(path, 4, (30, 40))
    assert resized.shape == (4, 30, 40, 3)
    assert _levels(resized) == [0, 6, 12, 19]


def test_sample_frames_names_a_bad_video(vsibench_root: Path, tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"missing.mp4 does not exist"):
        data.sample_frames(tmp_path / "missing.mp4")
    with pytest.raises(VideoError, match=r"broken.mp4 cannot be decoded"):
        data.sample_frames(vsibench_root / "scannetpp" / "broken.mp4")


# ----------------------------------------------------------------------------- prompts
def test_prompts_are_the_official_doc_to_text(vsibench_root: Path) -> None:
    items = load_items(vsibench_root)
    assert prompt(items[0]) == (
        "These are frames of a video.\n"
        "You are a robot beginning at the door. Which turn reaches the sofa?\n"
        "Options:\n"
        "A. Turn Left\n"
        "B. Turn Right\n"
        "C. Go forward\n"
        "D. Turn Back\n"
        "Answer with the option's letter from the given choices directly."
    )
    assert prompt(items[1]) == (
        "These are frames of a video.\n"
        "How many chair(s) are in this room?\n"
        "Please answer the question using a single word or phrase."
    )


# ----------------------------------------------------------------------------- metrics
def test_fuzzy_matching_splits_on_a_space_only() -> None:
    assert metrics.fuzzy_matching("B. Turn Right") == "B"
    assert metrics.fuzzy_matching("3.5 meters") == "3.5"
    assert metrics.fuzzy_matching("4..") == "4"
    assert metrics.fuzzy_matching(" 10") == ""
    assert metrics.fuzzy_matching("A\nbecause") == "A\nbecause"


def test_exact_match_ignores_case() -> None:
    assert metrics.exact_match(metrics.fuzzy_matching("a."), "A") == 1.0
    assert metrics.score(("route_planning", "A"), "a.") == 1.0
    assert metrics.score(("route_planning", "A"), "A)") == 0.0
    assert metrics.score(("route_planning", "A"), "B") == 0.0


def test_mra_thresholds_are_the_official_array() -> None:
    # int((0.95 - 0.5) / 0.05 + 2) = int(10.999999999999998) = 10 points.
    thresholds = metrics.mra_thresholds()
    assert len(thresholds) == 10
    np.testing.assert_allclose(thresholds, [0.5 + 0.05 * k for k in range(10)])


@pytest.mark.parametrize(
    ("prediction", "expected"),
    [
        ("10", 1.0),
        ("9.6", 1.0),  # relative error 0.04 <= 1 - 0.95
        # relative error 0.2: 1 - theta >= 0.2 for theta 0.5..0.75 (6 of 10); theta 0.8 fails
        # because 1 - 0.8 is 0.19999999999999996 in floating point (0.7 if idealised).
        ("8", 0.6),
        # relative error 0.45: only theta 0.5 (1 - 0.55 is 0.44999999999999996), so 0.1.
        ("5.5", 0.1),
        ("3.5m", 0.0),  # not a number: TypeError -> worst case
        ("three", 0.0),
        ("", 0.0),
        (" 10", 0.0),  # split(' ')[0] is ''
        ("10 meters", 1.0),
        ("10.", 1.0),
        ("20", 0.0),
    ],
)
def test_mean_relative_accuracy_for_ground_truth_ten(prediction: str, expected: float) -> None:
    assert metrics.score(("object_counting", "10"), prediction) == pytest.approx(expected)


def test_score_rejects_unknown_question_types() -> None:
    with pytest.raises(ValueError, match="Unknown question type"):
        metrics.score(("object_colour", "A"), "A")


def test_aggregate_merges_rel_direction_and_averages_tasks() -> None:
    records = [
        ("object_rel_direction_easy", 1.0),
        ("object_rel_direction_easy", 0.0),
        ("object_rel_direction_medium", 1.0),
        # no hard item: the official sum counts it 0, so (0.5 + 1 + 0) / 3 = 0.5
        ("route_planning", 1.0),
        ("route_planning", 1.0),
        ("route_planning", 0.0),
        ("object_counting", 0.6),
        ("object_counting", 1.0),
    ]
    result = metrics.aggregate(records)
    assert set(result) == {
        "route_planning_accuracy",
        "object_counting_MRA:.5:.95:.05",
        "object_rel_direction_accuracy",
        "overall",
    }
    assert result["object_rel_direction_accuracy"] == pytest.approx(0.5)
    assert result["route_planning_accuracy"] == pytest.approx(2 / 3)
    assert result["object_counting_MRA:.5:.95:.05"] == pytest.approx(0.8)
    assert result["overall"] == pytest.approx((2 / 3 + 0.8 + 0.5) / 3)


def test_aggregate_of_the_full_set_is_the_mean_of_eight_tasks() -> None:
    values = dict(zip(data.QUESTION_TYPES, [0.3, 0.6, 0.9, 0.1, 0.2, 0.4, 0.5, 0.7, 0.8, 1.0]))
    result = metrics.aggregate(list(values.items()))
    assert len(result) == 9  # 8 tasks + overall
    assert result["object_rel_direction_accuracy"] == pytest.approx(0.6)  # (0.3+0.6+0.9)/3
    tasks = [0.6, 0.1, 0.2, 0.4, 0.5, 0.7, 0.8, 1.0]
    assert result["overall"] == pytest.approx(sum(tasks) / 8)
    with pytest.raises(ValueError, match="Unknown question type"):
        metrics.aggregate([("object_colour", 1.0)])
    with pytest.raises(ValueError, match="at least one"):
        metrics.aggregate([])


# ----------------------------------------------------------------------------- env
@pytest.fixture
def env(vsibench_root: Path) -> VSIBenchEnv:
    return VSIBenchEnv(root=vsibench_root)


def test_env_plays_one_question(env: VSIBenchEnv) -> None:
    obs, info = env.reset(seed=0)
    assert obs["frames"].shape == (32, 336, 448, 3) and obs["frames"].dtype == np.uint8
    assert np.array_equal(obs["image"], obs["frames"][-1])
    assert obs["instruction"] == prompt(env.item)
    assert obs["text"] == "VSI-Bench route_planning question (multiple choice)."
    assert info["question_type"] == "route_planning" and info["item_id"] == 0
    assert "ground_truth" not in info and "score" not in info
    assert env.observation_space.contains(obs)
    obs, reward, terminated, truncated, info = env.step('{"thoughts": "...", "action": "B"}')
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["success"] and info["progress"] == 1.0
    assert info["score"] == 1.0 and info["ground_truth"] == "B" and info["parsed_action"] == "B"


def test_env_scores_numerical_answers_with_mra(env: VSIBenchEnv) -> None:
    env.reset(seed=1)  # object_counting, ground truth 4
    _, reward, terminated, _, info = env.step("3")
    # relative error 0.25 <= 1 - theta for theta 0.5..0.75 (1 - 0.75 = 0.25 exactly): 6 of 10.
    assert reward == pytest.approx(0.6) and terminated
    assert not info["success"] and info["progress"] == pytest.approx(0.6)
    env.reset(seed=1)
    _, reward, terminated, _, info = env.step("three")
    assert (reward, terminated, info["action_valid"], info["score"]) == (0.0, True, False, 0.0)


def test_env_multiple_choice_validity(env: VSIBenchEnv) -> None:
    env.reset(seed=2)  # three options A-C, ground truth A
    _, reward, _, _, info = env.step("a.")
    assert reward == 1.0 and info["action_valid"]
    env.reset(seed=2)
    _, reward, _, _, info = env.step("D")  # not an option: invalid, scores 0 as officially
    assert reward == 0.0 and not info["action_valid"]


ANSWERS = [
    "B",
    "b",
    "B.",
    "B. Turn Right",
    " B",
    "B\nbecause",
    "A",
    "E",
    "Turn right",
    "",
    "4",
    "3.5",
    "4.0 chairs",
    "4m",
    "four",
    "nan",
    "-4",
    '{"action": "B"}',
    "Action: 4",
    "null",
]


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_env_reward_is_the_official_score_of_the_extracted_answer(
    vsibench_root: Path, seed: int
) -> None:
    # An invalid answer scores 0 in the env; the official code scores it 0 as well.
    env = VSIBenchEnv(root=vsibench_root, **SMALL)
    for answer in ANSWERS:
        env.reset(seed=seed)
        _, reward, terminated, _, info = env.step(answer)
        assert terminated
        assert reward == metrics.score(env.item, extract_action(answer)), answer
        if not info["action_valid"]:
            assert reward == 0.0


def test_env_seed_and_index_pick_items(env: VSIBenchEnv) -> None:
    assert env.reset(seed=7)[1]["item_id"] == 2  # 7 % 5
    assert env.reset(seed=0, options={"index": 3})[1]["item_id"] == 3
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        env.reset(options={"index": 5})


def test_env_corrupt_video_scores_zero_without_raising(
    env: VSIBenchEnv, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        obs, _ = env.reset(seed=4)
    assert "VSI-Bench item 4" in caplog.text and "broken.mp4" in caplog.text
    assert not obs["frames"].any() and not obs["image"].any()
    _, reward, terminated, _, info = env.step(env.expert_action())
    assert (reward, terminated, info["success"]) == (0.0, True, False)
    assert "broken.mp4" in info["video_error"]


def test_env_frames_are_copies(env: VSIBenchEnv) -> None:
    obs, _ = env.reset(seed=0)
    obs["frames"][:] = 255
    obs["image"][:] = 255
    again, _ = env.reset(seed=0)
    assert _levels(again["frames"][:1]) == [0]


def test_env_task_filter_and_errors(vsibench_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = VSIBenchEnv(root=vsibench_root, task="object_rel_direction", **SMALL)
    assert [item.id for item in env.items] == [2]
    assert "multiple-choice" in env.task_prompt
    with pytest.raises(ValueError, match=r"unknown VSI-Bench task 'routes'.*route_planning"):
        VSIBenchEnv(root=vsibench_root, task="routes")
    monkeypatch.delenv("VSIBENCH_ROOT", raising=False)
    with pytest.raises(FileNotFoundError, match=r"\$VSIBENCH_ROOT.*root=.*<dataset>"):
        VSIBenchEnv()
    assert resolve_root(None, generated=True) == GENERATED_ROOT
    monkeypatch.setenv("VSIBENCH_ROOT", str(vsibench_root))
    assert len(VSIBenchEnv(**SMALL).items) == 5
    with pytest.raises(ValueError, match="noop"):
        VSIBenchEnv(root=vsibench_root, invalid_action_policy="random")


def test_env_pickles_mid_episode(vsibench_root: Path) -> None:
    env = VSIBenchEnv(root=vsibench_root, **SMALL)
    env.reset(seed=1)
    clone = pickle.loads(pickle.dumps(env))
    a, b = env.step("4"), clone.step("4")
    assert a[1] == b[1] == 1.0 and np.array_equal(a[0]["frames"], b[0]["frames"])


@pytest.fixture
def registered(vsibench_root: Path):
    env_id = "VLAgentTest/VSIBench-Fixture-v0"
    gym.register(
        env_id,
        entry_point="vlagent_envs.benchmarks.vsibench.env:VSIBenchEnv",
        max_episode_steps=1,
        kwargs={"root": str(vsibench_root), "num_frames": 4, "frame_size": [48, 64]},
    )
    yield env_id
    gym.registry.pop(env_id)


@pytest.mark.parametrize(
    "check",
    ["gymnasium", "contract", "determinism", "pickle", "spec", "hostile-actions", "scripted"],
)
def test_conformance(registered: str, check: str) -> None:
    conformance.CHECKS[check](registered)


@pytest.mark.slow
def test_conformance_vector(registered: str) -> None:
    conformance.check_vector(registered)


def test_multiple_choice_questions_list_their_option_letters() -> None:
    env = gym.make("VLAgent/VSIBench-MiniWorld-ObjectRelDistance-v0")
    _, info = env.reset(seed=0)
    options = env.unwrapped.item.options
    assert info["admissible_actions"] == ["A", "B", "C", "D"][: len(options)]
    wrong = next(a for a in info["admissible_actions"] if a != env.unwrapped.item.ground_truth)
    _, reward, _, _, info = env.step(wrong)
    assert info["action_valid"] and reward == 0.0
    env.close()
    env = gym.make("VLAgent/VSIBench-MiniWorld-RoomSize-v0")
    _, info = env.reset(seed=0)
    assert info["admissible_actions"] is None  # a numerical answer: an open grammar
    env.close()

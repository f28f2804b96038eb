"""BALROG interop: the results layout export and BALROG's aggregate, checked by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from vlagent_envs.eval import RandomAgent, ResultsError, evaluate, load_suite
from vlagent_envs.eval.balrog import (
    BalrogTask,
    balrog_score,
    balrog_summary,
    balrog_task,
    export_balrog,
    main,
)
from vlagent_envs.eval.runner import agent_block, journal_file

# Per-episode progressions of a small run (the seeds are 0, 1, ...).
PROGRESS = {
    "VLAgent/BALROG-BabyAI-goto-v0": [1.0, 0.0, 1.0],
    "VLAgent/BALROG-BabyAI-pickup-v0": [0.0, 1.0],
    "VLAgent/BALROG-BabyAI-v0": [1.0, 1.0],  # draws a task per episode: not a BALROG task
    "VLAgent/BALROG-Crafter-v0": [0.5, 0.25],
    "VLAgent/BALROG-TextWorld-coin_collector-v0": [1.0, 0.0],
    "VLAgent/GymCards-NumberLine-v0": [1.0, 1.0],
}


def _results(folder: Path, progress: dict[str, list[float]] = PROGRESS) -> tuple[dict, Path, Path]:
    """A real results file of RandomAgent(seed=3) on a suite of ``progress``'s envs, whose
    episodes the runner resumes from a journal holding the given progressions; the results,
    their path and the suite file's."""
    folder.mkdir(parents=True)
    suite_path = folder / "balrog-test.json"
    suite_path.write_text(
        json.dumps(
            {
                "name": "balrog-test",
                "version": 1,
                "envs": [
                    {
                        "env_id": env_id,
                        "episodes": len(values),
                        "seeds": list(range(len(values))),
                        "max_steps": 10,
                        "metric": "progress",
                    }
                    for env_id, values in progress.items()
                ],
            }
        )
    )
    suite = load_suite(suite_path)
    agent = RandomAgent(seed=3)
    journal = journal_file(folder, suite, agent_block(agent))
    journal.parent.mkdir(parents=True, exist_ok=True)
    with journal.open("w") as out:
        for env_id, values in progress.items():
            for seed, value in enumerate(values):
                record = {
                    "env_id": env_id,
                    "seed": seed,
                    "return": 2 * value,
                    "length": 3 + seed,
                    "success": value == 1.0,
                    "progress": value,
                    "invalid_actions": seed,
                    "trajectory_hash": f"{seed:064x}",
                    "actions": ["go forward", "Go forward", "toggle"][: 3 + seed],
                    "wall_time_s": 0.0,
                    "error": None,
                }
                out.write(json.dumps(record) + "\n")
    data, path = evaluate(agent, suite, output_dir=folder, progress=False)
    return data, path, suite_path


def _population_se(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) / math.sqrt(len(values))


def test_balrog_task_names() -> None:
    assert balrog_task("VLAgent/BALROG-BabyAI-pick_up_seq_go_to-v0") == BalrogTask(
        "babyai", "BabyAI-MixedTrainLocal-v0/pick_up_seq_go_to"
    )
    assert balrog_task("VLAgent/BALROG-Crafter-v0") == BalrogTask("crafter", "default")
    assert balrog_task("VLAgent/BALROG-TextWorld-the_cooking_game-v1") == BalrogTask(
        "textworld", "the_cooking_game"
    )
    assert balrog_task("VLAgent/BALROG-NetHack-v0") == BalrogTask("nle", "NetHackChallenge-v0")
    assert balrog_task("VLAgent/BALROG-MiniHack-Boxoban-Hard-v0") == BalrogTask(
        "minihack", "MiniHack-Boxoban-Hard-v0"
    )
    assert balrog_task("VLAgent/BALROG-BabaIsAI-goto_win-v0") == BalrogTask(
        "babaisai", "env/goto_win"
    )
    for not_a_task in (
        "VLAgent/BALROG-BabyAI-v0",
        "VLAgent/BALROG-TextWorld-v0",
        "VLAgent/GymCards-NumberLine-v0",
        "VLAgent/BALROG-Chess-v0",
    ):
        assert balrog_task(not_a_task) is None


def test_score_is_the_mean_over_envs_by_hand() -> None:
    mean, se = balrog_score({"a": [1.0, 0.0], "b": [0.5]})
    # a: mean 0.5, population std 0.5, se 0.5 / sqrt(2); b: one episode, se 0.
    assert mean == pytest.approx(0.5)
    assert se == pytest.approx(math.sqrt((0.5 / math.sqrt(2)) ** 2 + 0.0) / 2)
    with pytest.raises(ValueError):
        balrog_score({})


def test_export_layout_and_numbers(tmp_path: Path) -> None:
    data, path, suite = _results(tmp_path / "run")
    out = tmp_path / "balrog"
    summary = export_balrog(path, out, suite=suite)

    # BALROG's layout, its own os.path.join of the task name (which may hold a "/").
    mixed = "BabyAI-MixedTrainLocal-v0"
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.json"))
    assert files == sorted(
        [
            "summary.json",
            "babyai/babyai_summary.json",
            *(f"babyai/{mixed}/goto/{mixed}/goto_run_{i:02d}.json" for i in range(3)),
            *(f"babyai/{mixed}/pickup/{mixed}/pickup_run_{i:02d}.json" for i in range(2)),
            "crafter/crafter_summary.json",
            "crafter/default/default_run_00.json",
            "crafter/default/default_run_01.json",
            "textworld/textworld_summary.json",
            "textworld/coin_collector/coin_collector_run_00.json",
            "textworld/coin_collector/coin_collector_run_01.json",
        ]
    )
    episode = json.loads((out / f"babyai/{mixed}/goto/{mixed}/goto_run_02.json").read_text())
    assert episode["task"] == f"{mixed}/goto"
    assert episode["progression"] == 1.0 and episode["seed"] == 2
    assert episode["num_steps"] == 5 and episode["episode_return"] == 2.0
    assert episode["action_frequency"] == {"go forward": 1, "Go forward": 1, "toggle": 1}
    assert episode["agent"]["type"] == "random" and episode["agent"]["seed"] == 3

    # Env summaries: progression pooled over the env's tasks, BALROG's standard error.
    babyai = [1.0, 0.0, 1.0, 0.0, 1.0]
    env_summary = json.loads((out / "babyai/babyai_summary.json").read_text())
    assert env_summary["progression_percentage"] == pytest.approx(60.0)
    assert env_summary["standard_error"] == pytest.approx(100 * _population_se(babyai))
    assert env_summary["standard_error"] == pytest.approx(100 * math.sqrt(0.24 / 5))
    assert env_summary["episodes_played"] == 5
    assert env_summary["average_steps"] == pytest.approx((3 + 4 + 5 + 3 + 4) / 5)
    assert set(env_summary["tasks"]) == {f"{mixed}/goto", f"{mixed}/pickup"}

    # Each task's numbers are the ones our results JSON holds for its env id: the same mean,
    # and BALROG's standard error = ours (n - 1 in the variance) * sqrt((n - 1) / n).
    for env_id in ("VLAgent/BALROG-BabyAI-goto-v0", "VLAgent/BALROG-BabyAI-pickup-v0"):
        ours = data["aggregates"]["per_env"][env_id]["progress"]
        n = len(PROGRESS[env_id])
        task = env_summary["tasks"][balrog_task(env_id).task]
        assert task["progression_percentage"] == pytest.approx(100 * ours["mean"])
        assert task["standard_error"] == pytest.approx(
            100 * ours["stderr"] * math.sqrt((n - 1) / n)
        )
        assert task["episodes_played"] == n

    # The overall score: unweighted mean over the three envs, SE = sqrt(sum SE^2) / 3.
    per_env = {"babyai": (60.0, babyai), "crafter": (37.5, [0.5, 0.25]),
               "textworld": (50.0, [1.0, 0.0])}  # fmt: skip
    for env, (percent, values) in per_env.items():
        stats = summary["environments"][env]
        assert stats["progression_percentage"] == pytest.approx(percent)
        assert stats["standard_error"] == pytest.approx(100 * _population_se(values))
    assert summary["Final score"] == pytest.approx((60.0 + 37.5 + 50.0) / 3)
    ses = [100 * _population_se(values) for _, values in per_env.values()]
    assert summary["standard_error"] == pytest.approx(math.sqrt(sum(s * s for s in ses)) / 3)
    # BALROG's own collect_and_summarize_results pools all 9 episodes instead.
    pooled = [*babyai, 0.5, 0.25, 1.0, 0.0]
    assert summary["pooled_score"]["Final score"] == pytest.approx(100 * sum(pooled) / 9)
    assert json.loads((out / "summary.json").read_text()) == summary
    assert summary == balrog_summary(data)


def test_export_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    data, path, suite = _results(tmp_path / "run")
    out = tmp_path / "balrog"

    tampered = json.loads(path.read_text())
    tampered["episodes"][0]["progress"] = 0.5  # the aggregates no longer match the episodes
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    with pytest.raises(ResultsError, match="aggregates"):
        export_balrog(bad, out, suite=suite)
    (tmp_path / "broken.json").write_text('{"schema_version": ')
    with pytest.raises(ResultsError, match="not JSON"):
        export_balrog(tmp_path / "broken.json", out, suite=suite)
    assert not out.exists()

    _, cards, cards_suite = _results(tmp_path / "cards", {"VLAgent/GymCards-NumberLine-v0": [1.0]})
    with pytest.raises(ResultsError, match="no episode of a BALROG task"):
        export_balrog(cards, out, suite=cards_suite)
    with pytest.raises(ResultsError, match="cannot load the results' suite"):
        export_balrog(path, out)  # a suite that is not shipped must be named
    assert not out.exists()

    export_balrog(path, out, suite=suite)
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    with pytest.raises(ResultsError, match="already holds a BALROG export"):
        export_balrog(path, out, suite=suite)
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before
    again = export_balrog(path, out, suite=suite, overwrite=True)
    assert again == json.loads((out / "summary.json").read_text())


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, path, suite = _results(tmp_path / "run")
    assert main([str(path), "--out", str(tmp_path / "b"), "--suite", str(suite)]) == 0
    out = capsys.readouterr().out
    assert "BALROG score 49.17%" in out and "babyai: 60.00%" in out
    assert main([str(tmp_path / "missing.json"), "--out", str(tmp_path / "c")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_export_covers_all_six_balrog_envs(tmp_path: Path) -> None:
    progress = {
        "VLAgent/BALROG-BabyAI-goto-v0": [1.0],
        "VLAgent/BALROG-Crafter-v0": [0.5],
        "VLAgent/BALROG-TextWorld-coin_collector-v0": [1.0],
        "VLAgent/BALROG-NetHack-v0": [0.0154, 0.1256],
        "VLAgent/BALROG-MiniHack-MazeWalk-9x9-v0": [1.0, 0.0],
        "VLAgent/BALROG-MiniHack-v0": [1.0],  # draws a task per episode: not a BALROG task
        "VLAgent/BALROG-BabaIsAI-two_room-goto_win-v0": [1.0, 1.0, 0.0],
    }
    _, path, suite = _results(tmp_path / "run", progress)
    out = tmp_path / "balrog"
    summary = export_balrog(path, out, suite=suite)
    assert set(summary["environments"]) == {
        "babyai", "crafter", "textworld", "nle", "minihack", "babaisai"
    }  # fmt: skip
    assert (out / "nle/NetHackChallenge-v0/NetHackChallenge-v0_run_01.json").is_file()
    assert (
        out / "minihack/MiniHack-MazeWalk-9x9-v0/MiniHack-MazeWalk-9x9-v0_run_00.json"
    ).is_file()
    assert (out / "babaisai/env/two_room-goto_win/env/two_room-goto_win_run_02.json").is_file()
    nle = summary["environments"]["nle"]
    assert nle["progression_percentage"] == pytest.approx(100 * (0.0154 + 0.1256) / 2)
    assert summary["environments"]["minihack"]["episodes_played"] == 2
    means = [1.0, 0.5, 1.0, (0.0154 + 0.1256) / 2, 0.5, 2 / 3]
    assert summary["Final score"] == pytest.approx(100 * sum(means) / 6)

"""Submitting: acceptable files are stored, anything else is rejected and changes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from results_factory import ROOT, read_json, snapshot, write_json

from leaderboard.store import store_submission, submission_paths
from leaderboard.submit import MAX_BYTES, main, submit
from vlagent_envs.eval import ResultsError, aggregate, load_suite

NUMBER_LINE = "VLAgent/GymCards-NumberLine-v0"


@pytest.fixture(scope="module")
def accepted_board(tmp_path_factory: pytest.TempPathFactory, scripted_results: Path) -> Path:
    """A leaderboard folder with one accepted submission and its outputs (do not modify)."""
    folder = tmp_path_factory.mktemp("accepted") / "board"
    submit(scripted_results, folder)
    return folder


@pytest.fixture
def board(tmp_path: Path, accepted_board: Path) -> Path:
    """A copy of ``accepted_board`` of the test's own (times and contents preserved)."""
    return Path(shutil.copytree(accepted_board, tmp_path / "board"))


def test_accepted_submission_is_stored_unchanged(tmp_path: Path, random_results: Path) -> None:
    folder = tmp_path / "board"
    stored = submit(random_results, folder)
    assert stored.parent == folder / "submissions" / "quick"
    assert stored.name.endswith("__random__bd0488843468.json")
    assert read_json(stored) == read_json(random_results)
    assert (folder / "LEADERBOARD.md").is_file() and (folder / "site" / "index.html").is_file()
    assert not [p for p in folder.rglob(".*")]  # no temporary files left behind


def test_submissions_never_overwrite(tmp_path: Path, random_results: Path) -> None:
    data = read_json(random_results)
    other = json.loads(json.dumps(data))
    other["episodes"][0]["trajectory_hash"] = "0" * 64
    when = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone.utc)
    first = store_submission(tmp_path, "quick", data, accepted=when)
    second = store_submission(tmp_path, "quick", other, accepted=when)  # same name wanted
    assert first != second and second.name.endswith("-2.json")
    assert read_json(first) == data and read_json(second) == other
    assert submission_paths(tmp_path) == sorted([first, second])


def test_an_identical_resubmission_is_not_stored_twice(
    tmp_path: Path, random_results: Path
) -> None:
    first = submit(random_results, tmp_path, rebuild_outputs=False)
    again = json.loads(random_results.read_text())
    again["wall_time_s"] += 1.0
    again["episodes"][0]["wall_time_s"] += 1.0
    path = tmp_path / "again.json"
    path.write_text(json.dumps(again))
    assert submit(path, tmp_path, rebuild_outputs=False) == first
    assert submission_paths(tmp_path) == [first]


# Each mutation of a valid results object, and a piece of the message it must be rejected with.
def _tamper_return(data: dict[str, Any]) -> None:
    data["episodes"][0]["return"] += 1.0  # the aggregates are left as they were


def _schema(data: dict[str, Any]) -> None:
    data["episodes"][3]["success"] = "yes"


def _rename_env(old: str, new: str, version: int | None = None) -> Callable[[dict], None]:
    def mutate(data: dict[str, Any]) -> None:
        for env in data["envs"]:
            if env["env_id"] == old:
                env["env_id"] = new
                env["version"] = env["version"] if version is None else version
        for record in data["episodes"]:
            if record["env_id"] == old:
                record["env_id"] = new
        per_env = data["aggregates"]["per_env"]
        per_env[new] = per_env.pop(old)

    return mutate


def _other_seeds(data: dict[str, Any]) -> None:
    data["envs"][0]["seeds"] = [s + 5000 for s in data["envs"][0]["seeds"]]
    for record in data["episodes"]:
        if record["env_id"] == data["envs"][0]["env_id"]:
            record["seed"] += 5000


def _episode_missing(data: dict[str, Any]) -> None:
    # One episode dropped and every aggregate recomputed: only the count gives it away.
    index = max(i for i, r in enumerate(data["episodes"]) if r["env_id"] == NUMBER_LINE)
    del data["episodes"][index]
    data["aggregates"] = aggregate(data["episodes"], data["envs"])


def _aggregates_edited(data: dict[str, Any]) -> None:
    data["aggregates"]["suite"]["score"] += 0.05


QUICK_VERSION = load_suite("quick").version


def _old_suite(data: dict[str, Any]) -> None:
    data["suite"]["version"] = QUICK_VERSION + 1


def _config_edited(data: dict[str, Any]) -> None:
    data["agent"]["config"]["seed"] = 1


REJECTIONS = {
    "tampered return": (_tamper_return, "aggregates.per_env.VLAgent/GymCards-NumberLine-v0"),
    "schema": (_schema, "schema: at episodes/3/success"),
    "unknown env id": (
        _rename_env(NUMBER_LINE, "VLAgent/GymCards-Nowhere-v0"),
        "'VLAgent/GymCards-Nowhere-v0' is not in suite quick",
    ),
    "old env version": (
        _rename_env(NUMBER_LINE, "VLAgent/GymCards-NumberLine-v9", 9),
        "the current version is VLAgent/GymCards-NumberLine-v0",
    ),
    "other seeds": (_other_seeds, "seeds or episode count differ from the suite"),
    "wrong episode count": (_episode_missing, "19 episodes recorded, the suite has 20"),
    "aggregates edited": (_aggregates_edited, "aggregates.suite.score"),
    "old suite version": (_old_suite, f"is not the current v{QUICK_VERSION}"),
    "config edited": (_config_edited, "config_hash does not match"),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_rejected_submission_changes_nothing(
    case: str, board: Path, tmp_path: Path, random_results: Path
) -> None:
    mutate, message = REJECTIONS[case]
    data = copy.deepcopy(read_json(random_results))
    mutate(data)
    path = write_json(tmp_path / "bad.json", data)
    before = snapshot(board)
    with pytest.raises(ResultsError, match=message.replace(".", r"\.").replace("(", r"\(")):
        submit(path, board)
    assert snapshot(board) == before


def test_not_json_is_rejected(board: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"schema_version": "1.0", ', encoding="utf-8")
    before = snapshot(board)
    with pytest.raises(ResultsError, match="is not JSON"):
        submit(path, board)
    assert snapshot(board) == before


def test_over_size_file_is_refused_before_reading(
    board: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_BYTES + 1)

    read_bytes = Path.read_bytes

    def guarded(self: Path) -> bytes:
        assert self != path, "the over-size file was read"
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    before = snapshot(board)
    with pytest.raises(ResultsError, match=f"{MAX_BYTES + 1:,} bytes; the limit is"):
        submit(path, board)
    assert snapshot(board) == before


def test_rejection_does_not_create_the_folder(tmp_path: Path, random_results: Path) -> None:
    data = read_json(random_results)
    _aggregates_edited(data)
    with pytest.raises(ResultsError):
        submit(write_json(tmp_path / "bad.json", data), tmp_path / "new-board")
    assert not (tmp_path / "new-board").exists()


def _change_an_action(data: dict[str, Any]) -> None:
    record = next(r for r in data["episodes"] if r["env_id"] == NUMBER_LINE and r["length"] > 2)
    record["actions"][1] = "-" if record["actions"][1] == "+" else "+"  # the hash is left


def test_replay_catches_a_changed_action(tmp_path: Path, board: Path, random_results: Path) -> None:
    data = read_json(random_results)
    _change_an_action(data)
    path = write_json(tmp_path / "changed.json", data)
    # The file is internally consistent, so only a replay can tell.
    assert submit(path, tmp_path / "no-replay", rebuild_outputs=False).exists()
    before = snapshot(board)
    with pytest.raises(ResultsError, match=r"^replay: VLAgent/GymCards-NumberLine-v0 seed \d+"):
        submit(path, board, replay=True)
    assert snapshot(board) == before


def test_replay_accepts_a_faithful_file(tmp_path: Path, random_results: Path) -> None:
    assert submit(random_results, tmp_path, replay=True, rebuild_outputs=False).exists()


def test_cli_exit_codes_and_messages(
    tmp_path: Path, board: Path, random_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = read_json(random_results)
    _tamper_return(data)
    bad = write_json(tmp_path / "bad.json", data)
    before = snapshot(board)
    assert main([str(bad), "--leaderboard-dir", str(board)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rejected: aggregates.per_env.VLAgent/GymCards-NumberLine-v0")
    assert snapshot(board) == before

    assert main([str(random_results), "--leaderboard-dir", str(board), "--replay"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("accepted: ") and "rebuilt: " in out
    assert len(submission_paths(board)) == 2


def test_cli_runs_as_a_module(tmp_path: Path, random_results: Path) -> None:
    env = {**os.environ, "CI": "true"}
    command = [sys.executable, "-m", "leaderboard.submit", "--leaderboard-dir", str(tmp_path)]
    bad = tmp_path.parent / f"{tmp_path.name}-bad.json"
    bad.write_text("[]", encoding="utf-8")
    rejected = subprocess.run(
        [*command, str(bad)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert rejected.returncode == 1, rejected.stderr
    assert rejected.stderr.strip().endswith("a results file is a JSON object, got list")
    assert rejected.stderr.startswith("rejected: ") and not tmp_path.joinpath("site").exists()
    accepted = subprocess.run(
        [*command, str(random_results)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stderr == ""  # no warnings
    assert (tmp_path / "site" / "leaderboard.png").is_file()

"""The README's main job: baselines on the quick suite, submitted and rebuilt."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from leaderboard.run import main
from leaderboard.store import submission_paths
from vlagent_envs.eval import load_suite


def test_run_quick_suite(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    random_results: Path,
    scripted_results: Path,
) -> None:
    monkeypatch.setenv("CI", "true")  # no progress bars
    board = tmp_path / "board"
    # The session's random and scripted runs are the same agents on the same suite: main resumes
    # their journals (as after an interruption) instead of playing every episode again; --replay
    # still plays every recorded episode and compares.
    for results in (random_results, scripted_results):
        shutil.copytree(results.parent / "runs", tmp_path / "results" / "runs", dirs_exist_ok=True)
    status = main(
        [
            "--suite",
            "quick",
            "--output-dir",
            str(tmp_path / "results"),
            "--leaderboard-dir",
            str(board),
            "--replay",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    version = load_suite("quick").version
    assert f"==> random on quick v{version}" in out and f"==> scripted on quick v{version}" in out
    assert f"### quick v{version}" in out
    assert re.search(r"\| 1 \| scripted `44136fa3` \| \*\*0\.\d\d ± 0\.\d\d\*\* \|", out)
    assert re.search(r"\| 2 \| random `bd048884` \| 0\.\d\d ± 0\.\d\d \|", out)
    for name in ("LEADERBOARD.md", "site/index.html", "site/leaderboard.png"):
        assert f"wrote {board / name}" in out and (board / name).is_file()
    assert len(submission_paths(board)) == 2
    assert len(list((tmp_path / "results").glob("quick__*.json"))) == 2


def test_run_refuses_a_missing_model_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--vlm", str(tmp_path / "nowhere"), "--leaderboard-dir", str(tmp_path / "b")])
    assert exit_info.value.code == 2
    assert "--vlm: not a folder" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()

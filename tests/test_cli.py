"""The command line: list, check, play."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from vlagent_envs.cli import main


def test_list_shows_every_id_with_its_extra() -> None:
    out = io.StringIO()
    assert main(["list"], out=out) == 0
    text = out.getvalue()
    assert "VLAgent/GymCards-Points24-v0" in text and "cards" in text and "yes" in text


def test_check_reports_conformance() -> None:
    out = io.StringIO()
    assert main(["check", "VLAgent/GymCards-NumberLine-v0", "--skip", "vector"], out=out) == 0
    assert "conforms" in out.getvalue() and "vector           skipped" in out.getvalue()


def test_check_unknown_id_suggests_close_matches(capsys) -> None:
    assert main(["check", "VLAgent/GymCards-NumberLin-v0"], out=io.StringIO()) == 2
    assert "NumberLine" in capsys.readouterr().err


def test_play_reads_actions_and_saves_images(tmp_path: Path) -> None:
    out = io.StringIO()
    inp = io.StringIO("hello\nstand\n")
    assert (
        main(
            ["play", "VLAgent/GymCards-Blackjack-v0", "--save-dir", str(tmp_path)], inp=inp, out=out
        )
        == 0
    )
    text = out.getvalue()
    assert "(invalid)" in text and "episode over" in text
    assert (tmp_path / "step_0000.png").exists() and (tmp_path / "step_0002.png").exists()


def test_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vlagent_envs", "list"], capture_output=True, text=True, check=True
    )
    assert "GymCards" in done.stdout

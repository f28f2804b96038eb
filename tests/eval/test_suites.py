"""Shipped suites cover the registry; malformed suites are refused."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest

import vlagent_envs
from vlagent_envs.eval import SuiteError, available_suites, load_suite
from vlagent_envs.registration import FAMILIES, family_of


def test_shipped_suites() -> None:
    assert {"quick", "paper"} <= set(available_suites())


@pytest.mark.parametrize("name", ["quick", "paper"])
def test_suites_cover_every_registered_env(name: str) -> None:
    suite = load_suite(name)
    expected = vlagent_envs.registered_ids()
    if name == "quick":  # quick plays what ships; official test sets are downloads
        downloads = {f for f, family in FAMILIES.items() if family.needs_download}
        expected = [i for i in expected if family_of(i) not in downloads]
        assert downloads == {"VSIBench", "VisualWebBench"}
    assert sorted(suite.env_ids) == expected
    for entry in suite.envs:
        spec = gym.spec(entry.env_id)
        assert spec.max_episode_steps is None or entry.max_steps >= spec.max_episode_steps


def test_paper_suite_follows_the_training_env_protocol() -> None:
    for entry in load_suite("paper").envs:
        if "GymCards" in entry.env_id:
            assert entry.episodes == 50


def test_suite_entries_build_envs_with_the_step_limit() -> None:
    entry = load_suite("quick").entry("VLAgent/GymCards-Points24-v0")
    env = entry.make()
    assert env.spec.max_episode_steps == entry.max_steps


def _write(tmp_path: Path, **changes) -> Path:
    data = {
        "name": "mine",
        "version": 1,
        "envs": [
            {
                "env_id": "VLAgent/GymCards-NumberLine-v0",
                "episodes": 2,
                "seeds": [1, 2],
                "max_steps": 10,
                "metric": "success",
            }
        ],
    }
    data["envs"][0].update(changes)
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(data))
    return path


def test_suite_files_load_from_a_path(tmp_path: Path) -> None:
    assert load_suite(_write(tmp_path)).name == "mine"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"seeds": [1, 1]}, SuiteError),
        ({"episodes": 3}, SuiteError),
        ({"metric": "vibes"}, SuiteError),
        ({"max_steps": 0}, SuiteError),
        ({"env_id": "VLAgent/GymCards-NumberLin-v0"}, gym.error.NameNotFound),
        ({"seeds": "abc"}, SuiteError),
    ],
)
def test_malformed_suites_are_refused(tmp_path: Path, changes: dict, error: type) -> None:
    with pytest.raises(error):
        load_suite(_write(tmp_path, **changes))


def test_unknown_suite_name() -> None:
    with pytest.raises(SuiteError, match="shipped suites"):
        load_suite("nightly")

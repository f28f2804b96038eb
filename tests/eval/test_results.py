"""The results validator names the first problem of a bad file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from vlagent_envs.eval import (
    RandomAgent,
    ResultsError,
    aggregate,
    evaluate,
    load_results,
    load_suite,
    results_schema,
    validate_results,
)
from vlagent_envs.eval.results import config_hash

SUITE = load_suite("quick")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data, _ = evaluate(
        RandomAgent(seed=3), SUITE, output_dir=tmp_path_factory.mktemp("r"), progress=False
    )
    return data


def broken(results: dict, edit) -> dict:
    data = copy.deepcopy(results)
    edit(data)
    return data


def test_schema_file_is_a_valid_draft_2020_12_schema() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(results_schema())


def test_valid_results_pass(results: dict) -> None:
    assert validate_results(results) == SUITE


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["episodes"][0].update({"return": 99.0}), "aggregates"),
        (lambda d: d["aggregates"]["suite"].update({"score": 1.0}), "aggregates.suite.score"),
        (lambda d: d.pop("software"), "software"),
        (lambda d: d.update({"schema_version": "0.9"}), "schema"),
        (lambda d: d["episodes"][0].update({"success": "yes"}), "schema"),
        (lambda d: d["suite"].update({"version": 0}), "schema"),
        (lambda d: d["suite"].update({"name": "nonexistent"}), "unknown suite"),
        (
            lambda d: d["envs"][0].update({"env_id": "VLAgent/GymCards-NumberLine-v9"}),
            "current version is VLAgent/GymCards-NumberLine-v0",
        ),
        (lambda d: d["envs"][0].update({"env_id": "VLAgent/Nope-v0"}), "not in suite"),
        (lambda d: d["envs"][0].update({"seeds": list(range(20))}), "seeds"),
        (lambda d: d["episodes"].pop(), "episodes recorded"),
        (lambda d: d["episodes"][1].update({"seed": d["episodes"][0]["seed"]}), "twice"),
        (lambda d: d["episodes"][0].update({"seed": 424242}), "not a"),
        (lambda d: d["agent"]["config"].update({"seed": 12345}), "config_hash"),
        (lambda d: d["envs"][0].update({"max_steps": 1000}), "max_steps"),
    ],
)
def test_bad_results_are_rejected_with_the_first_problem(results: dict, edit, message: str) -> None:
    with pytest.raises(ResultsError, match=message.replace("[", r"\[")):
        validate_results(broken(results, edit))


def test_aggregates_are_means_with_standard_errors() -> None:
    envs = [{"env_id": "E-v0", "metric": "success", "higher_is_better": True}]
    records = [
        {
            "env_id": "E-v0",
            "return": r,
            "success": s,
            "progress": float(s),
            "length": 3,
            "invalid_actions": 0,
            "error": None,
        }
        for r, s in ((1.0, True), (0.0, False), (1.0, True), (1.0, True))
    ]
    out = aggregate(records, envs)["per_env"]["E-v0"]
    assert out["score"]["mean"] == pytest.approx(0.75)
    assert out["score"]["stderr"] == pytest.approx((0.25 / 4) ** 0.5)


def test_config_hash_is_order_independent() -> None:
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})


def test_load_results_refuses_bad_files(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(ResultsError, match="not JSON"):
        load_results(tmp_path / "x.json")
    (tmp_path / "y.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ResultsError, match="JSON object"):
        load_results(tmp_path / "y.json")
    (tmp_path / "z.json").write_text(" " * 2000)
    with pytest.raises(ResultsError, match="limit"):
        load_results(tmp_path / "z.json", max_bytes=1000)
    with pytest.raises(ResultsError, match="cannot read"):
        load_results(tmp_path / "missing.json")
    (tmp_path / "b.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ResultsError, match="UTF-8"):
        load_results(tmp_path / "b.json")

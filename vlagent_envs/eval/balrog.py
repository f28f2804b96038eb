"""BALROG interop: a vlagent-envs results JSON in BALROG's own results layout, and its aggregate.

BALROG (``balrog/evaluator.py``, ``balrog/utils.py:collect_and_summarize_results``) writes, under
its output folder::

    <env>/<task>/<task>_run_NN.json     one episode: task, progression, episode_return, ...
    <env>/<env>_summary.json            progression_percentage, standard_error, tasks, ...
    summary.json                        "Final score", standard_error, environments, ...

:func:`export_balrog` writes an evaluation of the ``VLAgent/BALROG-*`` envs in that layout, so a
run on our fixed seeds can go to BALROG's own leaderboard; :func:`balrog_summary` computes the
aggregate (our leaderboard shows it as the BALROG column).

The numbers follow BALROG:

* an env's progression is the mean over all its episodes, pooled across its tasks, in percent;
  its standard error is BALROG's: the population standard deviation (divided by ``n``) over
  ``sqrt(n)``, 0 for a single episode (our results JSON divides by ``n - 1``: the means agree
  exactly, the errors by ``sqrt((n - 1) / n)``);
* the overall score is the unweighted mean of the env progressions with
  ``SE = sqrt(sum SE_env^2) / n_envs`` -- the score of BALROG's paper and leaderboard. BALROG's
  ``collect_and_summarize_results`` pools every episode instead (weighting BabyAI's 50 episodes
  five times Crafter's 10); ``summary.json`` keeps that number too, as ``"pooled_score"``.

Env and task names are BALROG's (``babyai`` / ``BabyAI-MixedTrainLocal-v0/goto``, ``crafter`` /
``default``, ``textworld`` / ``coin_collector``, ``nle`` / ``NetHackChallenge-v0``, ``minihack`` /
``MiniHack-Boxoban-Hard-v0``, ``babaisai`` / ``env/goto_win``). An env id that draws a task per
episode (``VLAgent/BALROG-BabyAI-v0``) is no BALROG task and is left out of the export.

Run as ``python -m vlagent_envs.eval.balrog RESULTS.json --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vlagent_envs.eval.atomic import write_text_atomic
from vlagent_envs.eval.results import ResultsError, load_results, validate_results
from vlagent_envs.eval.suites import Suite, SuiteError, load_suite

__all__ = [
    "BalrogTask",
    "balrog_score",
    "balrog_summary",
    "balrog_task",
    "export_balrog",
    "main",
]

_BALROG_ID = re.compile(r"^VLAgent/BALROG-(?P<env>[A-Za-z]+)(?:-(?P<task>.+))?-v\d+$")


@dataclass(frozen=True)
class BalrogTask:
    """Where an env id's episodes go in BALROG's layout: its env and task names."""

    env: str
    task: str


def _babyai(task: str | None) -> BalrogTask | None:
    return None if task is None else BalrogTask("babyai", f"BabyAI-MixedTrainLocal-v0/{task}")


def _crafter(task: str | None) -> BalrogTask | None:
    return BalrogTask("crafter", "default") if task is None else None


def _textworld(task: str | None) -> BalrogTask | None:
    return None if task is None else BalrogTask("textworld", task)


def _nethack(task: str | None) -> BalrogTask | None:
    return BalrogTask("nle", "NetHackChallenge-v0") if task is None else None


def _minihack(task: str | None) -> BalrogTask | None:
    return None if task is None else BalrogTask("minihack", f"MiniHack-{task}-v0")


def _babaisai(task: str | None) -> BalrogTask | None:
    return None if task is None else BalrogTask("babaisai", f"env/{task}")


# Our family name (VLAgent/BALROG-<family>[-<task>]-vN) -> BALROG's env and task names.
_FAMILIES = {
    "BabyAI": _babyai,
    "Crafter": _crafter,
    "TextWorld": _textworld,
    "NetHack": _nethack,
    "MiniHack": _minihack,
    "BabaIsAI": _babaisai,
}


def balrog_task(env_id: str) -> BalrogTask | None:
    """BALROG's env and task for one of our ids; ``None`` if the id is no BALROG task.

    >>> balrog_task("VLAgent/BALROG-BabyAI-goto-v0")
    BalrogTask(env='babyai', task='BabyAI-MixedTrainLocal-v0/goto')
    >>> balrog_task("VLAgent/BALROG-BabyAI-v0") is None  # draws a task per episode
    True
    """
    match = _BALROG_ID.match(env_id)
    if match is None or match["env"] not in _FAMILIES:
        return None
    return _FAMILIES[match["env"]](match["task"])


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    """BALROG's mean and standard error: population standard deviation over ``sqrt(n)``."""
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return mean, 0.0
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / n)
    return mean, std / math.sqrt(n)


def _percent(values: Sequence[float]) -> dict[str, Any]:
    mean, se = _mean_se(values)
    return {
        "progression_percentage": 100 * mean,
        "standard_error": 100 * se,
        "episodes_played": len(values),
    }


def _run_index(data: Mapping[str, Any]) -> dict[tuple[str, int], int]:
    """Each episode's ``NN`` in BALROG's layout: its seed's place in the env's seed list."""
    return {(e["env_id"], seed): i for e in data["envs"] for i, seed in enumerate(e["seeds"])}


def _balrog_episodes(data: Mapping[str, Any]) -> dict[str, dict[str, list[Mapping[str, Any]]]]:
    """The results' episodes of BALROG tasks: env -> task -> records (in seed-list order)."""
    index = _run_index(data)
    by_env: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    records = sorted(data["episodes"], key=lambda r: (r["env_id"], index[r["env_id"], r["seed"]]))
    for record in records:
        where = balrog_task(record["env_id"])
        if where is not None:
            by_env.setdefault(where.env, {}).setdefault(where.task, []).append(record)
    return by_env


def balrog_score(env_progressions: Mapping[str, Sequence[float]]) -> tuple[float, float]:
    """BALROG's overall score from each env's per-episode progressions (fractions in [0, 1]).

    Returns:
        ``(mean, stderr)`` as fractions: the unweighted mean of the env means, and
        ``sqrt(sum se_env^2) / n_envs`` with BALROG's per-env standard error.
    """
    if not env_progressions:
        raise ValueError("no BALROG env to score")
    stats = [_mean_se(list(values)) for values in env_progressions.values()]
    mean = math.fsum(m for m, _ in stats) / len(stats)
    stderr = math.sqrt(math.fsum(se**2 for _, se in stats)) / len(stats)
    return mean, stderr


def balrog_summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """BALROG's ``summary.json`` for a results object (BALROG envs only).

    Raises:
        ResultsError: The results hold no episode of a BALROG task.
    """
    return _summary(data, _balrog_episodes(data))


def _summary(
    data: Mapping[str, Any], by_env: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]]
) -> dict[str, Any]:
    if not by_env:
        raise ResultsError(
            "the results hold no episode of a BALROG task (VLAgent/BALROG-<env>-<task>-vN ids)"
        )
    progressions = {
        env: [float(r["progress"]) for runs in tasks.values() for r in runs]
        for env, tasks in by_env.items()
    }
    score, stderr = balrog_score(progressions)
    pooled, pooled_se = _mean_se([p for values in progressions.values() for p in values])
    agent = data["agent"]
    return {
        "Final score": 100 * score,
        "standard_error": 100 * stderr,
        "environments": {env: _percent(values) for env, values in progressions.items()},
        "total_input_tokens": 0,
        "total_output_tokens": 0,
        "client": {"client_name": "vlagent-envs", "model_id": _model_id(agent)},
        "agent": {**dict(agent["config"]), "type": agent["name"]},
        "pooled_score": {"Final score": 100 * pooled, "standard_error": 100 * pooled_se},
        "source": {
            "suite": dict(data["suite"]),
            "created": data["created"],
            "agent_config_hash": agent["config_hash"],
            "git_commit": data.get("git_commit"),
        },
    }


def _model_id(agent: Mapping[str, Any]) -> str | None:
    model = agent.get("model")
    return str(model["path"]) if model else None


def _episode_log(record: Mapping[str, Any], task: str, agent: Mapping[str, Any]) -> dict:
    # What BALROG's evaluator writes per episode, from what our record holds: the actions are
    # the agent's answers as given (BALROG counts them after its validity check, which replays
    # would be needed to redo); token counts are not recorded by our harness (0).
    frequency: dict[str, int] = {}
    for action in record["actions"]:
        frequency[action] = frequency.get(action, 0) + 1
    return {
        "task": task,
        "action_frequency": frequency,
        "input_tokens": 0,
        "output_tokens": 0,
        "done": True,
        "episode_return": float(record["return"]),
        "num_steps": int(record["length"]),
        "failed_candidates": [],
        "invalid_actions": int(record["invalid_actions"]),
        "progression": float(record["progress"]),
        "success": bool(record["success"]),
        "seed": int(record["seed"]),
        "env_id": record["env_id"],
        "trajectory_hash": record["trajectory_hash"],
        "error": record.get("error"),
        "agent": {**dict(agent["config"]), "type": agent["name"]},
        "client": {"client_name": "vlagent-envs", "model_id": _model_id(agent)},
    }


def _env_summary(tasks: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    runs = [r for records in tasks.values() for r in records]
    return {
        **_percent([float(r["progress"]) for r in runs]),
        "average_steps": math.fsum(r["length"] for r in runs) / len(runs),
        "tasks": {
            task: _percent([float(r["progress"]) for r in records])
            for task, records in tasks.items()
        },
        "input_tokens": 0,
        "output_tokens": 0,
    }


def _dump(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=4) + "\n")


def _validated(data: Mapping[str, Any], suite: Suite | str | Path | None) -> None:
    """Validate the results against (the part they ran of) their suite."""
    if not isinstance(suite, Suite):
        name = suite if suite is not None else data.get("suite", {}).get("name")
        try:
            suite = load_suite(name)  # type: ignore[arg-type]
        except (SuiteError, TypeError) as error:
            raise ResultsError(f"cannot load the results' suite: {error}") from error
    listed = [e.get("env_id") for e in data.get("envs", []) if isinstance(e, Mapping)]
    try:
        suite = suite.subset([i for i in listed if isinstance(i, str)])
    except SuiteError as error:
        raise ResultsError(str(error)) from error
    validate_results(data, suite)


def export_balrog(
    results: Mapping[str, Any] | str | Path,
    out_dir: str | Path,
    *,
    suite: Suite | str | Path | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write a results JSON's BALROG episodes in BALROG's results layout.

    The results are validated first (schema, seeds, every aggregate recomputed) against their
    suite -- restricted to the envs they ran, so a ``Suite.subset`` run of the BALROG envs
    exports too. Episode ``NN`` of a task is the ``NN``-th seed of the env's seed list.

    Args:
        results: A results object or the path of a results JSON.
        out_dir: BALROG's output folder (created).
        suite: The suite the results ran (default: the shipped suite they name).
        overwrite: Replace files of an earlier export; without it a folder that already holds
            BALROG files is refused and nothing is written.

    Returns:
        The ``summary.json`` written.

    Raises:
        ResultsError: Unreadable or invalid results, no BALROG episode, or an existing export.
    """
    data = load_results(results) if isinstance(results, (str, Path)) else results
    _validated(data, suite)
    by_env = _balrog_episodes(data)
    summary = _summary(data, by_env)
    out = Path(out_dir)
    if not overwrite and (out / "summary.json").exists():
        raise ResultsError(f"{out} already holds a BALROG export (summary.json); pass overwrite")
    run_index = _run_index(data)
    agent = data["agent"]
    for env, tasks in by_env.items():
        for task, records in tasks.items():
            for record in records:
                index = run_index[record["env_id"], record["seed"]]
                # BALROG's own join: a task name with "/" (BabyAI-MixedTrainLocal-v0/goto)
                # nests folders, as os.path.join makes it in balrog/evaluator.py.
                name = f"{task}_run_{index:02d}.json"
                _dump(out / env / task / name, _episode_log(record, task, agent))
        _dump(out / env / f"{env}_summary.json", _env_summary(tasks))
    _dump(out / "summary.json", summary)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vlagent_envs.eval.balrog RESULTS.json --out DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m vlagent_envs.eval.balrog",
        description="Write a results JSON's BALROG episodes in BALROG's results layout.",
    )
    parser.add_argument("results", type=Path, help="a results JSON written by evaluate()")
    parser.add_argument("--out", type=Path, required=True, help="BALROG's output folder")
    parser.add_argument("--suite", help="the suite name or file the results ran (default: theirs)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export")
    args = parser.parse_args(argv)
    try:
        summary = export_balrog(args.results, args.out, suite=args.suite, overwrite=args.overwrite)
    except ResultsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"BALROG score {summary['Final score']:.2f}% ± {summary['standard_error']:.2f}%")
    for env, stats in summary["environments"].items():
        print(
            f"  {env}: {stats['progression_percentage']:.2f}% ± {stats['standard_error']:.2f}%, "
            f"episodes: {stats['episodes_played']}"
        )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

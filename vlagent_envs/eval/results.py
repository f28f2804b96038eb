"""The results JSON: building, aggregating, validating and writing it.

The JSON Schema shipped at ``vlagent_envs/eval/schema/results.schema.json`` is the source of
truth for the format. :func:`validate_results` goes further than the schema: the suite and env
versions must be current, the seeds and episode counts must be the suite's, and every aggregate
is recomputed from the per-episode records. Replaying the recorded actions on deterministic envs
is :func:`replay_episodes`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jsonschema

from vlagent_envs.eval.atomic import write_text_atomic
from vlagent_envs.eval.suites import Suite, SuiteError, load_suite

__all__ = [
    "SCHEMA_VERSION",
    "ResultsError",
    "aggregate",
    "config_hash",
    "git_commit",
    "load_results",
    "replay_episodes",
    "results_schema",
    "software_versions",
    "trajectory_hasher",
    "validate_results",
    "write_json_atomic",
]

SCHEMA_VERSION = "1.0"
# Aggregates are recomputed and compared to this tolerance (JSON round-trips floats exactly,
# so any difference beyond rounding noise is a tampered or stale file).
_TOLERANCE = 1e-9


class ResultsError(ValueError):
    """A results file is not acceptable; the message names the first problem."""


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    """The results JSON Schema (draft 2020-12)."""
    text = (resources.files("vlagent_envs.eval") / "schema" / "results.schema.json").read_text()
    return json.loads(text)


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an agent's config (sorted keys, no whitespace)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def trajectory_hasher() -> Any:
    """A SHA-256 object the runner feeds one line per step: action, reward, end flags, text."""
    return hashlib.sha256()


def hash_step(
    hasher: Any, action: str, reward: float, terminated: bool, truncated: bool, text: str
) -> None:
    """Add one step to a trajectory hash (floats by ``repr`` so the hash is exact)."""
    line = json.dumps([action, repr(float(reward)), bool(terminated), bool(truncated), text])
    hasher.update(line.encode("utf-8", "surrogatepass"))
    hasher.update(b"\n")


@lru_cache(maxsize=1)
def _software_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for package in (
        "vlagent-envs",
        "gymnasium",
        "numpy",
        "pillow",
        "torch",
        "transformers",
        "peft",
    ):
        key = package.replace("-", "_")
        try:
            versions[key] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[key] = None
    if versions["vlagent_envs"] is None:
        from vlagent_envs import __version__

        versions["vlagent_envs"] = __version__
    return versions


def software_versions() -> dict[str, str | None]:
    """Versions of Python, the platform and the packages an evaluation depends on."""
    return dict(_software_versions())


@lru_cache(maxsize=8)
def git_commit(path: str | Path | None = None) -> str | None:
    """The commit of the checkout at ``path`` (``-dirty`` if it has changes), or ``None``.

    Cached per process: a run records the code it started with.
    """
    cwd = Path(path) if path else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit or None


def _mean_se(values: Sequence[float]) -> dict[str, float]:
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return {"mean": mean, "stderr": 0.0}
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return {"mean": mean, "stderr": math.sqrt(variance / n)}


def aggregate(
    episodes: Iterable[Mapping[str, Any]], envs: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Per-env means with standard errors, and the suite score (mean of the env scores).

    Args:
        episodes: Per-episode records.
        envs: The results' ``envs`` entries (``env_id``, ``metric``, ``higher_is_better``).

    The suite score's standard error treats envs as independent:
    ``sqrt(sum(se_i^2)) / n_envs``.
    """
    by_env: dict[str, list[Mapping[str, Any]]] = {}
    for record in episodes:
        by_env.setdefault(record["env_id"], []).append(record)
    per_env: dict[str, Any] = {}
    for env in envs:
        records = by_env.get(env["env_id"], [])
        if not records:
            continue
        stats = {
            "return": _mean_se([float(r["return"]) for r in records]),
            "success": _mean_se([float(bool(r["success"])) for r in records]),
            "progress": _mean_se([float(r["progress"]) for r in records]),
            "length": _mean_se([float(r["length"]) for r in records]),
            "invalid_actions": _mean_se([float(r["invalid_actions"]) for r in records]),
        }
        per_env[env["env_id"]] = {
            "metric": env["metric"],
            "higher_is_better": env["higher_is_better"],
            "episodes": len(records),
            "score": dict(stats[env["metric"]]),
            **stats,
            "errors": sum(1 for r in records if r.get("error")),
        }
    scores = [a["score"] for a in per_env.values()]
    suite = {
        "score": math.fsum(s["mean"] for s in scores) / len(scores) if scores else 0.0,
        "stderr": math.sqrt(math.fsum(s["stderr"] ** 2 for s in scores)) / len(scores)
        if scores
        else 0.0,
        "envs": max(1, len(scores)),
    }
    return {"per_env": per_env, "suite": suite}


def utc_now() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def dumps_results(data: Mapping[str, Any]) -> str:
    """A results object as indented JSON with one episode record per line.

    Readable top to bottom and fast to write (each record goes through the C encoder; Python's
    ``indent`` would use the slow pure-Python one for the whole file).
    """
    parts = []
    for key, value in data.items():
        if key == "episodes" and isinstance(value, list) and value:
            body = ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in value)
            text = "[\n" + body + "\n  ]"
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_json_atomic(path: str | Path, data: Any, text: str | None = None) -> Path:
    """Write JSON (or the given ``text``) to ``path`` atomically, replacing any file there."""
    if text is None:
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    return write_text_atomic(path, text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_results(path: str | Path, max_bytes: int = 64 * 1024 * 1024) -> dict[str, Any]:
    """Read a results file, refusing files over ``max_bytes`` and anything that is not JSON.

    Raises:
        ResultsError: Too large, unreadable, not UTF-8 JSON, or not a JSON object.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ResultsError(f"cannot read {path}: {error.strerror}") from error
    if size > max_bytes:
        raise ResultsError(f"{path} is {size:,} bytes; the limit is {max_bytes:,}")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as error:
        raise ResultsError(f"{path} is not UTF-8 text") from error
    except ValueError as error:  # JSONDecodeError, or NaN / Infinity
        raise ResultsError(f"{path} is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: a results file is a JSON object, got {type(data).__name__}")
    return data


def validate_results(data: Mapping[str, Any], suite: Suite | None = None) -> Suite:
    """Check a results object completely; return the suite it ran.

    Checks, in order: the JSON Schema; that the suite exists and its version is current; that
    the envs, their versions, kwargs, seeds, step limits, metrics and episode counts are the
    suite's; that there is exactly one record per (env, seed); the agent's config hash; and
    every aggregate, recomputed from the records.

    Raises:
        ResultsError: Naming the first problem found.
    """
    validator = jsonschema.Draft202012Validator(results_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ResultsError(f"schema: at {where}: {error.message[:300]}")
    if suite is None:
        try:
            suite = load_suite(data["suite"]["name"])
        except SuiteError as err:
            raise ResultsError(str(err)) from err
    if data["suite"]["name"] != suite.name:
        raise ResultsError(f"suite is {data['suite']['name']!r}, expected {suite.name!r}")
    if data["suite"]["version"] != suite.version:
        raise ResultsError(
            f"suite {suite.name} v{data['suite']['version']} is not the current "
            f"v{suite.version}; re-run the evaluation"
        )
    _check_envs(data, suite)
    _check_episodes(data, suite)
    if config_hash(data["agent"]["config"]) != data["agent"]["config_hash"]:
        raise ResultsError("agent.config_hash does not match agent.config")
    _check_aggregates(data)
    return suite


def _check_envs(data: Mapping[str, Any], suite: Suite) -> None:
    listed = [e["env_id"] for e in data["envs"]]
    expected = suite.env_ids
    unknown = [i for i in listed if i not in expected]
    if unknown:
        base = {i.rsplit("-v", 1)[0]: i for i in expected}
        first = unknown[0]
        current = base.get(first.rsplit("-v", 1)[0])
        hint = f" (the current version is {current})" if current else ""
        raise ResultsError(f"env {first!r} is not in suite {suite.name} v{suite.version}{hint}")
    if sorted(listed) != sorted(expected):
        missing = sorted(set(expected) - set(listed))
        raise ResultsError(
            f"envs missing from the results: {missing}" if missing else "an env is listed twice"
        )
    for env in data["envs"]:
        entry = suite.entry(env["env_id"])
        if env["version"] != entry.version:
            raise ResultsError(f"{env['env_id']}: version {env['version']} != {entry.version}")
        if list(env["seeds"]) != list(entry.seeds) or env["episodes"] != entry.episodes:
            raise ResultsError(f"{env['env_id']}: seeds or episode count differ from the suite")
        if env["max_steps"] != entry.max_steps:
            raise ResultsError(
                f"{env['env_id']}: max_steps {env['max_steps']} != {entry.max_steps}"
            )
        if env["metric"] != entry.metric or env["higher_is_better"] != entry.higher_is_better:
            raise ResultsError(f"{env['env_id']}: metric differs from the suite")
        for key, value in entry.kwargs.items():
            if env["kwargs"].get(key) != value:
                raise ResultsError(
                    f"{env['env_id']}: kwarg {key}={env['kwargs'].get(key)!r}, "
                    f"the suite says {value!r}"
                )


def _check_episodes(data: Mapping[str, Any], suite: Suite) -> None:
    seen: dict[str, set[int]] = {e.env_id: set() for e in suite.envs}
    for i, record in enumerate(data["episodes"]):
        env_id, seed = record["env_id"], record["seed"]
        if env_id not in seen:
            raise ResultsError(f"episodes[{i}]: env {env_id!r} is not in the suite")
        if seed not in suite.entry(env_id).seeds:
            raise ResultsError(f"episodes[{i}]: seed {seed} is not a {env_id} seed of the suite")
        if seed in seen[env_id]:
            raise ResultsError(f"episodes[{i}]: {env_id} seed {seed} is recorded twice")
        seen[env_id].add(seed)
        if record["length"] > suite.entry(env_id).max_steps:
            raise ResultsError(f"episodes[{i}]: length {record['length']} exceeds max_steps")
    for entry in suite.envs:
        if len(seen[entry.env_id]) != entry.episodes:
            raise ResultsError(
                f"{entry.env_id}: {len(seen[entry.env_id])} episodes recorded, "
                f"the suite has {entry.episodes}"
            )


def _check_aggregates(data: Mapping[str, Any]) -> None:
    expected = aggregate(data["episodes"], data["envs"])
    claimed = data["aggregates"]

    def compare(path: str, want: Any, got: Any) -> None:
        if isinstance(want, dict):
            if not isinstance(got, dict) or set(want) != set(got):
                raise ResultsError(f"aggregates{path} do not match the episodes")
            for key in want:
                compare(f"{path}.{key}", want[key], got[key])
        elif isinstance(want, float):
            if not isinstance(got, (int, float)) or not math.isclose(
                want, got, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE
            ):
                raise ResultsError(f"aggregates{path} is {got!r}, the episodes give {want!r}")
        elif want != got:
            raise ResultsError(f"aggregates{path} is {got!r}, the episodes give {want!r}")

    compare("", expected, claimed)


def replay_episodes(
    data: Mapping[str, Any], suite: Suite, env_ids: Sequence[str] | None = None
) -> list[str]:
    """Re-run the recorded actions of every (or the named envs') episode and compare.

    Returns a list of mismatches (empty when all match). Episodes that ended in an agent error
    are skipped (their records hold no trajectory to check beyond the failure).
    """
    from vlagent_envs.eval.runner import play_actions

    problems: list[str] = []
    envs = {}
    for record in data["episodes"]:
        env_id = record["env_id"]
        if (env_ids is not None and env_id not in env_ids) or record.get("error"):
            continue
        if env_id not in envs:
            envs[env_id] = suite.entry(env_id).make()
        replayed = play_actions(envs[env_id], record["seed"], record["actions"])
        for key in ("return", "length", "success", "trajectory_hash"):
            if replayed[key] != record[key]:
                problems.append(
                    f"{env_id} seed {record['seed']}: {key} is {record[key]!r} in "
                    f"the file, {replayed[key]!r} on replay"
                )
                break
    for env in envs.values():
        env.close()
    return problems

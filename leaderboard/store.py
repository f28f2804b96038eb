"""Where accepted submissions live, how they are named, and which one is the latest.

Layout of a leaderboard folder (``DIR``, by default this package's folder)::

    DIR/submissions/<suite>/<accepted>__<agent>__<config hash[:12]>.json
    DIR/LEADERBOARD.md
    DIR/site/index.html
    DIR/site/leaderboard.png

``<accepted>`` is the UTC time the submission was accepted, to the microsecond
(``2026-11-25T150239.123456Z``); names sort by it, and a name already taken gets ``-2``, ``-3``
... before ``.json``. Stored files are never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vlagent_envs.eval.atomic import write_new_atomic

__all__ = [
    "DEFAULT_LEADERBOARD_DIR",
    "SUBMISSIONS",
    "store_submission",
    "submission_order",
    "submission_paths",
]

#: The folder the CLIs use when ``--leaderboard-dir`` is not given: this package's own.
DEFAULT_LEADERBOARD_DIR = Path(__file__).resolve().parent
#: Name of the folder, inside a leaderboard folder, holding one folder of submissions per suite.
SUBMISSIONS = "submissions"

_NAME = re.compile(
    r"^(?P<accepted>\d{4}-\d{2}-\d{2}T\d{6}(?:\.\d{1,6})?Z)__.*__[0-9a-f]{12}(?:-(?P<n>\d+))?\.json$"
)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:60] or "agent"


def submission_paths(leaderboard_dir: str | Path) -> list[Path]:
    """Every stored submission of every suite, sorted by path (hidden temporary files skipped)."""
    folder = Path(leaderboard_dir) / SUBMISSIONS
    return sorted(p for p in folder.glob("*/*.json") if not p.name.startswith(".") and p.is_file())


def submission_order(path: Path) -> tuple[str, int, str]:
    """Sort key of a stored submission: acceptance time, then collision counter, then name.

    Files whose names do not follow the store's pattern (added by hand) sort before all others.
    """
    match = _NAME.match(path.name)
    if match is None:
        return ("", 0, path.name)
    return (match["accepted"], int(match["n"] or 1), path.name)


def store_submission(
    leaderboard_dir: str | Path,
    suite_name: str,
    data: Mapping[str, Any],
    accepted: dt.datetime | None = None,
) -> Path:
    """Write a validated results object under ``submissions/<suite_name>/``; never overwrites.

    Args:
        leaderboard_dir: The leaderboard folder.
        suite_name: The suite the results ran (a validated suite name, safe as a folder name).
        data: The results object, stored as indented JSON.
        accepted: Acceptance time for the file name (default: now, UTC).

    Returns:
        The path of the stored file. A resubmission whose episodes equal those of the latest
        stored submission of the same agent and config (a deterministic baseline run again) is
        not stored twice: the existing file's path is returned.
    """
    same = _identical_stored(Path(leaderboard_dir) / SUBMISSIONS / suite_name, data)
    if same is not None:
        return same
    accepted = accepted or dt.datetime.now(dt.timezone.utc)
    stamp = accepted.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H%M%S.%fZ")
    agent = data["agent"]
    stem = f"{stamp}__{_slug(str(agent['name']))}__{agent['config_hash'][:12]}"
    folder = Path(leaderboard_dir) / SUBMISSIONS / suite_name
    try:
        payload = (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (valid as a JSON escape): keep the escapes
        payload = (json.dumps(data, indent=1) + "\n").encode("ascii")
    n = 1
    while True:
        path = folder / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
        try:
            return write_new_atomic(path, payload)
        except FileExistsError:
            n += 1


def _episodes_key(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k != "wall_time_s"} for record in data["episodes"]]


def _identical_stored(folder: Path, data: Mapping[str, Any]) -> Path | None:
    """The latest stored submission of the same agent and config, if its episodes are equal."""
    agent = data["agent"]
    suffix = f"__{_slug(str(agent['name']))}__{agent['config_hash'][:12]}"
    same = [
        p
        for p in folder.glob("*.json")
        if not p.name.startswith(".") and re.sub(r"-\d+$", "", p.stem).endswith(suffix)
    ]
    if not same:
        return None
    latest = max(same, key=submission_order)
    try:
        stored = json.loads(latest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("agent", {}).get("config_hash") != agent["config_hash"]:
        return None
    return latest if _episodes_key(stored) == _episodes_key(data) else None

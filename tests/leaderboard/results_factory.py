"""Helpers of the leaderboard tests: results files of any shape, and folder snapshots.

(A module with its own name rather than ``conftest``, so test modules can import it without
clashing with another folder's ``conftest``.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from vlagent_envs.eval import RandomAgent, evaluate, load_suite
from vlagent_envs.eval.runner import agent_block, journal_file

ROOT = Path(__file__).resolve().parents[2]
SUITE = load_suite("quick")
XSS = "<script>alert(1)</script>"
# Envs every agent of these tests really plays (each in well under a second); the other envs'
# episodes (browsers, 3-D rendering, planners, 2,000-step worlds: minutes for the whole suite)
# are played once per session by RandomAgent(seed=0) and recorded into the other agents' run
# journals, from which `evaluate` resumes them as a run interrupted midway would be.
PLAYED_FAMILIES = ("VLAgent/GymCards-", "VLAgent/MathQA-")
_recorded: dict[tuple[str, int], dict[str, Any]] = {}


class NamedAgent(RandomAgent):
    """A random agent under another name, with a model entry: submissions of any shape."""

    def __init__(
        self, name: str, seed: int = 0, model: dict[str, Any] | None = None, **config: Any
    ):
        super().__init__(seed=seed)
        self.name = name
        self.model_info = model
        self.config.update(config)


def run(agent: Any, folder: Path, full: bool = False) -> Path:
    """Evaluate ``agent`` on the quick suite; the results path.

    With ``full`` (or for the first call of the session) every episode is played. Otherwise the
    envs of ``PLAYED_FAMILIES`` are played and the rest resumed from RandomAgent(seed=0)'s
    recorded episodes: a complete, valid results file in seconds instead of minutes.
    """
    if not full and not _recorded:
        run(RandomAgent(seed=0), folder / "recorded", full=True)
    if not full:
        _seed_journal(agent, folder)
    data, path = evaluate(agent, SUITE, output_dir=folder, progress=False)
    if full and getattr(agent, "name", None) == "random" and agent.config == {"seed": 0}:
        _recorded.update({(r["env_id"], r["seed"]): r for r in data["episodes"]})
    return path


def _seed_journal(agent: Any, folder: Path) -> None:
    path = journal_file(folder, SUITE, agent_block(agent))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as journal:
        for (env_id, _), record in _recorded.items():
            if not env_id.startswith(PLAYED_FAMILIES):
                journal.write(json.dumps(record) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, tuple[Any, ...]]:
    """Every file and folder under ``folder``: size, modification time and content hash."""
    if not folder.exists():
        return {}
    state: dict[str, tuple[Any, ...]] = {}
    for path in sorted(folder.rglob("*")):
        stat = path.stat()
        key = str(path.relative_to(folder))
        if path.is_dir():
            state[key] = ("dir", stat.st_mtime_ns)
        else:
            state[key] = (
                stat.st_size,
                stat.st_mtime_ns,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return state

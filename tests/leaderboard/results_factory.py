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

ROOT = Path(__file__).resolve().parents[2]
SUITE = load_suite("quick")
XSS = "<script>alert(1)</script>"


class NamedAgent(RandomAgent):
    """A random agent under another name, with a model entry: submissions of any shape."""

    def __init__(
        self, name: str, seed: int = 0, model: dict[str, Any] | None = None, **config: Any
    ):
        super().__init__(seed=seed)
        self.name = name
        self.model_info = model
        self.config.update(config)


def run(agent: Any, folder: Path) -> Path:
    """Evaluate ``agent`` on the full quick suite (well under a second); the results path."""
    return evaluate(agent, SUITE, output_dir=folder, progress=False)[1]


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

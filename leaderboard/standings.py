"""The standings: every accepted submission re-validated, the latest per agent, ranked.

A leaderboard is rebuilt from the stored files alone. Each one is validated again on load, so a
submission made for a suite or env version that has since been bumped drops out (with a
warning) instead of being compared with results it no longer matches. Of the submissions with
the same suite, agent name and config hash, only the latest accepted one is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leaderboard.store import submission_order, submission_paths
from vlagent_envs.eval import ResultsError, Suite, load_results, validate_results
from vlagent_envs.eval.balrog import balrog_summary, balrog_task

__all__ = ["Board", "Entry", "EnvColumn", "Estimate", "Skipped", "Standings", "load_standings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Estimate:
    """A mean and its standard error."""

    mean: float
    stderr: float


@dataclass(frozen=True)
class EnvColumn:
    """One env of a suite, as a leaderboard column.

    Attributes:
        env_id: The registered id (``VLAgent/GymCards-NumberLine-v0``).
        metric: The headline metric (``success``, ``progress`` or ``return``).
        higher_is_better: Whether a larger value is better.
        episodes: Episodes behind each cell.
    """

    env_id: str
    metric: str
    higher_is_better: bool
    episodes: int


@dataclass(frozen=True)
class Entry:
    """One agent's row: its latest accepted submission on a suite.

    Every string comes from a submission, so renderers must escape it.

    Attributes:
        agent: The agent's name.
        config_hash: SHA-256 of the agent's config.
        config: The agent's config.
        model: ``{"path", "revision"}`` or ``None``.
        created: When the evaluation finished (ISO 8601, from the file).
        score: The suite score.
        per_env: Each env's headline metric, by env id.
        source: The stored submission file.
        balrog: BALROG's aggregate progression (a fraction: the unweighted mean over its envs,
            see :mod:`vlagent_envs.eval.balrog`); ``None`` for a suite without BALROG tasks.
    """

    agent: str
    config_hash: str
    config: Mapping[str, Any]
    model: Mapping[str, Any] | None
    created: str
    score: Estimate
    per_env: Mapping[str, Estimate]
    source: Path
    balrog: Estimate | None = None


@dataclass(frozen=True)
class Board:
    """One suite's table: its envs and its entries, best suite score first."""

    suite: str
    version: int
    description: str
    envs: tuple[EnvColumn, ...]
    entries: tuple[Entry, ...]

    @property
    def balrog(self) -> bool:
        """Whether the suite has BALROG tasks (the board then shows BALROG's aggregate)."""
        return any(balrog_task(c.env_id) is not None for c in self.envs)

    def best_balrog(self) -> float | None:
        """The best BALROG aggregate (``None``: fewer than two entries, or no BALROG tasks)."""
        values = [e.balrog.mean for e in self.entries if e.balrog is not None]
        return max(values) if len(self.entries) > 1 and values else None

    def best(self, env_id: str | None = None) -> float | None:
        """The best mean of an env's column (``None``: the Score column); ``None`` when the
        board has fewer than two entries (nothing to compare)."""
        if len(self.entries) < 2:
            return None
        if env_id is None:
            return max(e.score.mean for e in self.entries)
        column = next(c for c in self.envs if c.env_id == env_id)
        means = [e.per_env[env_id].mean for e in self.entries]
        return max(means) if column.higher_is_better else min(means)


@dataclass(frozen=True)
class Skipped:
    """A stored submission that no longer validates, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Standings:
    """All boards (one per suite with entries, by suite name) and the files skipped."""

    boards: tuple[Board, ...]
    skipped: tuple[Skipped, ...]
    submissions: int

    @property
    def shown(self) -> int:
        """Number of rows over all boards."""
        return sum(len(b.entries) for b in self.boards)


def _estimate(block: Mapping[str, Any]) -> Estimate:
    return Estimate(float(block["mean"]), float(block["stderr"]))


def _entry(data: Mapping[str, Any], path: Path) -> Entry:
    agent = data["agent"]
    aggregates = data["aggregates"]
    return Entry(
        agent=str(agent["name"]),
        config_hash=str(agent["config_hash"]),
        config=dict(agent["config"]),
        model=dict(agent["model"]) if agent["model"] else None,
        created=str(data["created"]),
        score=Estimate(float(aggregates["suite"]["score"]), float(aggregates["suite"]["stderr"])),
        per_env={k: _estimate(v["score"]) for k, v in aggregates["per_env"].items()},
        source=path,
        balrog=_balrog(data),
    )


def _balrog(data: Mapping[str, Any]) -> Estimate | None:
    if not any(balrog_task(e["env_id"]) is not None for e in data["envs"]):
        return None
    summary = balrog_summary(data)
    return Estimate(summary["Final score"] / 100, summary["standard_error"] / 100)


def _board(suite: Suite, entries: list[Entry]) -> Board:
    ranked = sorted(entries, key=lambda e: (-e.score.mean, e.agent.casefold(), e.config_hash))
    columns = tuple(
        EnvColumn(e.env_id, e.metric, e.higher_is_better, e.episodes) for e in suite.envs
    )
    return Board(suite.name, suite.version, suite.description, columns, tuple(ranked))


def load_standings(leaderboard_dir: str | Path) -> Standings:
    """Read, re-validate and rank every stored submission of a leaderboard folder.

    Args:
        leaderboard_dir: The leaderboard folder.

    Returns:
        The standings; submissions that no longer validate are in ``skipped`` (and logged as
        warnings), not on a board.
    """
    latest: dict[tuple[str, str, str], tuple[tuple[str, int, str], Entry]] = {}
    suites: dict[str, Suite] = {}
    skipped: list[Skipped] = []
    paths = submission_paths(leaderboard_dir)
    for path in paths:
        try:
            data = load_results(path)
            suite = validate_results(data)
        except ResultsError as error:
            logger.warning("skipping %s: %s", path, error)
            skipped.append(Skipped(path, str(error)))
            continue
        suites[suite.name] = suite
        entry = _entry(data, path)
        key = (suite.name, entry.agent, entry.config_hash)
        order = submission_order(path)
        if key not in latest or order >= latest[key][0]:
            latest[key] = (order, entry)
    boards = []
    for name in sorted(suites):
        entries = [entry for (suite_name, _, _), (_, entry) in latest.items() if suite_name == name]
        boards.append(_board(suites[name], entries))
    return Standings(tuple(boards), tuple(skipped), len(paths))

"""The evaluation runner: an agent on a suite, to a results JSON.

``evaluate(agent, suite)`` plays every episode the suite names (its env ids, seeds and step
limits), records each episode as it finishes in a journal (``episodes.jsonl`` in a run folder
keyed by suite, agent and config hash), so an interrupted run resumes where it stopped, and
writes one timestamped results JSON that never overwrites another.

Agents that implement ``act_batch`` are run on ``num_envs`` envs at once (one model call for
the whole batch); others episode by episode. An exception raised by the agent (or by a
simulator) ends that episode as a failure with the traceback in its record; the run goes on.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
from tqdm.auto import tqdm

from vlagent_envs.eval.agents import Agent
from vlagent_envs.eval.atomic import write_new_atomic
from vlagent_envs.eval.results import (
    SCHEMA_VERSION,
    aggregate,
    config_hash,
    dumps_results,
    git_commit,
    hash_step,
    software_versions,
    trajectory_hasher,
    utc_now,
)
from vlagent_envs.eval.suites import EnvEntry, Suite, load_suite

__all__ = ["EpisodeRecorder", "evaluate", "journal_file", "play_actions", "run_episode"]

logger = logging.getLogger(__name__)


@dataclass
class EpisodeRecorder:
    """Accumulates one episode's record step by step."""

    env_id: str
    seed: int
    started: float = field(default_factory=time.perf_counter)
    total: float = 0.0
    length: int = 0
    success: bool = False
    progress: float = 0.0
    invalid_actions: int = 0
    actions: list[str] = field(default_factory=list)
    error: str | None = None
    hasher: Any = field(default_factory=trajectory_hasher)

    def step(self, action: str, result: tuple) -> bool:
        """Record ``env.step(action)``'s result; returns whether the episode ended."""
        obs, reward, terminated, truncated, info = result
        self.actions.append(action)
        self.total += float(reward)
        self.length += 1
        self.success = bool(info.get("success", False))
        self.progress = float(info.get("progress", 0.0))
        self.invalid_actions += not info.get("action_valid", True)
        hash_step(self.hasher, action, reward, terminated, truncated, obs.get("text", ""))
        return bool(terminated or truncated)

    def fail(self, error: BaseException) -> None:
        """End the episode as a failure: the agent (or simulator) raised."""
        self.error = "".join(traceback.format_exception(error))[-8000:]
        self.success = False

    def record(self) -> dict[str, Any]:
        return {
            "env_id": self.env_id,
            "seed": self.seed,
            "return": self.total,
            "length": self.length,
            "success": self.success,
            "progress": self.progress,
            "invalid_actions": self.invalid_actions,
            "trajectory_hash": self.hasher.hexdigest(),
            "actions": self.actions,
            "wall_time_s": round(time.perf_counter() - self.started, 6),
            "error": self.error,
        }


def run_episode(
    env: gym.Env, agent: Agent, seed: int, max_steps: int | None = None
) -> dict[str, Any]:
    """Play one episode of ``agent`` on ``env`` from ``reset(seed=seed)``; return its record.

    ``max_steps`` is a safety net only: suites build envs with their own ``TimeLimit``.
    """
    recorder = EpisodeRecorder(_env_id(env), seed)
    try:
        _bind(agent, env)
        agent.reset(seed)
        obs, info = env.reset(seed=seed)
        while max_steps is None or recorder.length < max_steps:
            action = agent.act(obs, info)
            if not isinstance(action, str):
                raise TypeError(f"agent {agent.name!r} returned {type(action).__name__}, not str")
            result = env.step(action)
            obs, info = result[0], result[4]
            if recorder.step(action, result):
                break
    except Exception as error:  # the agent or simulator crashed: a failed episode, run goes on
        logger.warning("%s seed %d: episode failed: %r", recorder.env_id, seed, error)
        recorder.fail(error)
    return recorder.record()


def play_actions(env: gym.Env, seed: int, actions: Sequence[str]) -> dict[str, Any]:
    """Replay recorded ``actions`` from ``reset(seed=seed)``; the record they produce."""
    recorder = EpisodeRecorder(_env_id(env), seed)
    env.reset(seed=seed)
    for action in actions:
        if recorder.step(action, env.step(action)):
            break
    return recorder.record()


def _env_id(env: gym.Env) -> str:
    # The unwrapped env's spec attribute is plain; a wrapper's `spec` property deep-copies.
    spec = env.unwrapped.spec
    return spec.id if spec is not None else type(env.unwrapped).__name__


def _bind(agent: Any, env: gym.Env) -> None:
    # Privileged agents (the scripted solvers) read the simulator; they get the env itself.
    bind = getattr(agent, "bind", None)
    if callable(bind):
        bind(env)


def _run_batched(
    entry: EnvEntry,
    agent: Any,
    seeds: Sequence[int],
    num_envs: int,
    on_record: Callable[[dict[str, Any]], None],
) -> None:
    """Run ``seeds`` on up to ``num_envs`` envs, one ``act_batch`` call per step for all."""
    queue = deque(seeds)
    envs = [entry.make() for _ in range(min(num_envs, len(seeds)))]
    slots: dict[int, tuple[EpisodeRecorder, dict, dict]] = {}
    agent.reset(seeds[0] if seeds else None)

    def start(slot: int) -> None:
        while queue:
            seed = queue.popleft()
            recorder = EpisodeRecorder(entry.env_id, seed)
            try:
                obs, info = envs[slot].reset(seed=seed)
            except Exception as error:
                recorder.fail(error)
                on_record(recorder.record())
                continue
            slots[slot] = (recorder, obs, info)
            return

    for slot in range(len(envs)):
        start(slot)
    while slots:
        active = sorted(slots)
        try:
            actions = agent.act_batch(
                [slots[s][1] for s in active], [slots[s][2] for s in active], slots=active
            )
            if len(actions) != len(active):
                raise ValueError(f"act_batch returned {len(actions)} actions for {len(active)}")
        except Exception as error:  # the whole batch's episodes fail; the run goes on
            for slot in active:
                slots[slot][0].fail(error)
                on_record(slots.pop(slot)[0].record())
                start(slot)
            continue
        for slot, action in zip(active, actions):
            recorder = slots[slot][0]
            try:
                if not isinstance(action, str):
                    raise TypeError(f"act_batch returned {type(action).__name__}, not str")
                result = envs[slot].step(action)
                ended = recorder.step(action, result)
            except Exception as error:
                recorder.fail(error)
                ended = True
            if ended:
                on_record(slots.pop(slot)[0].record())
                start(slot)
            else:
                slots[slot] = (recorder, result[0], result[4])
    for env in envs:
        env.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:60] or "agent"


def _read_journal(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            done[(record["env_id"], int(record["seed"]))] = record
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by an interruption: that episode simply runs again
    return done


def agent_block(agent: Any) -> dict[str, Any]:
    """The results' ``agent`` object: name, model (path, revision), config and its hash."""
    config = dict(getattr(agent, "config", {}) or {})
    model = getattr(agent, "model_info", None)
    return {
        "name": str(agent.name),
        "model": dict(model) if model else None,
        "config": config,
        "config_hash": config_hash(config),
    }


def journal_file(output_dir: str | Path, suite: Suite, block: dict[str, Any]) -> Path:
    """The run journal ``evaluate`` resumes from: one JSON record per finished episode.

    Args:
        output_dir: The evaluation's output folder.
        suite: The suite it runs.
        block: The agent's :func:`agent_block`.
    """
    name = f"{suite.name}-v{suite.version}__{_slug(block['name'])}__{block['config_hash'][:12]}"
    return Path(output_dir) / "runs" / name / "episodes.jsonl"


def evaluate(
    agent: Agent,
    suite: Suite | str,
    *,
    output_dir: str | Path = "results",
    num_envs: int = 1,
    resume: bool = True,
    progress: bool | None = None,
) -> tuple[dict[str, Any], Path]:
    """Evaluate ``agent`` on every episode of ``suite``; write and return the results.

    Args:
        agent: Any :class:`~vlagent_envs.eval.agents.Agent`; batching agents run ``num_envs``
            envs at once.
        suite: A :class:`Suite` or the name of a shipped one (``"quick"``).
        output_dir: Where the results JSON and the run's journal folder go.
        num_envs: Envs stepped together for an agent with ``act_batch``.
        resume: Reuse the episodes already in this agent's journal for this suite.
        progress: Show a progress bar (default: on, except when ``CI`` is set).

    Returns:
        The results object and the path of the JSON written.
    """
    suite = load_suite(suite) if isinstance(suite, str) else suite
    output_dir = Path(output_dir)
    block = agent_block(agent)
    journal_path = journal_file(output_dir, suite, block)
    journal_path.parent.mkdir(parents=True, exist_ok=True)
    if not resume:
        journal_path.unlink(missing_ok=True)
    done = {k: r for k, r in _read_journal(journal_path).items() if _in_suite(suite, k)}
    # Time spent on resumed episodes in earlier runs (their own wall times; batched episodes
    # overlap, so for batched runs this over-counts a little).
    previous_wall = sum(float(r.get("wall_time_s", 0.0)) for r in done.values())
    total = sum(e.episodes for e in suite.envs)
    show = (os.environ.get("CI", "").lower() not in ("1", "true")) if progress is None else progress
    started = time.perf_counter()
    bar = tqdm(
        total=total,
        desc=f"{block['name']} on {suite.name}",
        unit="ep",
        disable=not show,
        initial=len(done),
    )

    with journal_path.open("a", encoding="utf-8") as journal:

        def on_record(record: dict[str, Any]) -> None:
            journal.write(json.dumps(record, ensure_ascii=False) + "\n")
            journal.flush()
            done[(record["env_id"], record["seed"])] = record
            bar.update(1)

        for entry in suite.envs:
            todo = [s for s in entry.seeds if (entry.env_id, s) not in done]
            if not todo:
                continue
            bar.set_postfix_str(entry.env_id.split("/")[-1])
            if num_envs > 1 and callable(getattr(agent, "act_batch", None)):
                _run_batched(entry, agent, todo, num_envs, on_record)
                continue
            env = entry.make()
            for seed in todo:
                on_record(run_episode(env, agent, seed))
            env.close()
    bar.close()

    episodes = [done[(e.env_id, s)] for e in suite.envs for s in e.seeds]
    envs = [_env_block(e) for e in suite.envs]
    results = {
        "schema_version": SCHEMA_VERSION,
        "created": utc_now(),
        "suite": {"name": suite.name, "version": suite.version},
        "envs": envs,
        "agent": block,
        "software": software_versions(),
        "git_commit": git_commit(),
        "wall_time_s": round(previous_wall + time.perf_counter() - started, 3),
        "episodes": episodes,
        "aggregates": aggregate(episodes, envs),
    }
    stem = (
        f"{suite.name}__{_slug(block['name'])}__"
        f"{results['created'].replace(':', '').replace('+0000', 'Z')}"
    )
    path = _write_new(output_dir, stem, dumps_results(results))
    logger.info("wrote %s", path)
    return results, path


def _in_suite(suite: Suite, key: tuple[str, int]) -> bool:
    env_id, seed = key
    return env_id in suite.env_ids and seed in suite.entry(env_id).seeds


def _env_block(entry: EnvEntry) -> dict[str, Any]:
    spec = gym.spec(entry.env_id)
    return {
        "env_id": entry.env_id,
        "version": entry.version,
        "kwargs": json.loads(json.dumps({**spec.kwargs, **entry.kwargs}, default=str)),
        "episodes": entry.episodes,
        "seeds": list(entry.seeds),
        "max_steps": entry.max_steps,
        "metric": entry.metric,
        "higher_is_better": entry.higher_is_better,
    }


def _write_new(folder: Path, stem: str, text: str) -> Path:
    """Write ``text`` to ``<stem>.json`` in ``folder`` (``<stem>-2.json``, ... if taken)."""
    n = 1
    while True:
        try:
            return write_new_atomic(
                folder / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json"), text.encode("utf-8")
            )
        except FileExistsError:
            n += 1

"""The runner: records, resume, crashes, batching; the results file validates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

from vlagent_envs.eval import (
    RandomAgent,
    ScriptedAgent,
    evaluate,
    load_suite,
    play_actions,
    replay_episodes,
    run_episode,
    validate_results,
)

SUITE = load_suite("quick")


def small_suite(*names: str):
    ids = [i for i in SUITE.env_ids if any(n in i for n in names)] if names else SUITE.env_ids
    return SUITE.subset(ids)


def test_run_episode_records_the_episode() -> None:
    env = SUITE.entry("VLAgent/GymCards-NumberLine-v0").make()
    record = run_episode(env, ScriptedAgent(), seed=3)
    assert record["success"] is True and record["progress"] == 1.0
    assert record["length"] == len(record["actions"]) and record["error"] is None
    replayed = play_actions(env, 3, record["actions"])
    assert replayed["trajectory_hash"] == record["trajectory_hash"]
    assert replayed["return"] == record["return"]


def test_evaluate_writes_valid_timestamped_results(tmp_path: Path) -> None:
    results, path = evaluate(RandomAgent(seed=1), SUITE, output_dir=tmp_path, progress=False)
    assert path.exists() and json.loads(path.read_text()) == results
    assert validate_results(results).name == "quick"
    assert len(results["episodes"]) == sum(e.episodes for e in SUITE.envs)
    assert replay_episodes(results, SUITE) == []
    _, second = evaluate(RandomAgent(seed=1), SUITE, output_dir=tmp_path, progress=False)
    assert second != path and path.exists()  # never overwrites


def test_scripted_agent_scores(tmp_path: Path) -> None:
    results, _ = evaluate(ScriptedAgent(), SUITE, output_dir=tmp_path, progress=False)
    per_env = results["aggregates"]["per_env"]
    assert per_env["VLAgent/GymCards-NumberLine-v0"]["score"]["mean"] == 1.0
    assert per_env["VLAgent/GymCards-EZPoints-v0"]["score"]["mean"] == 1.0
    assert 0.25 <= per_env["VLAgent/GymCards-Blackjack-v0"]["score"]["mean"] <= 0.6


def test_resume_reuses_the_journal(tmp_path: Path) -> None:
    suite = small_suite("NumberLine", "EZPoints")

    class CountingAgent(RandomAgent):
        calls = 0

        def reset(self, seed: int | None = None) -> None:
            CountingAgent.calls += 1
            super().reset(seed)

    first, _ = evaluate(CountingAgent(), suite, output_dir=tmp_path, progress=False)
    journal = next((tmp_path / "runs").glob("*/episodes.jsonl"))
    lines = journal.read_text().splitlines()
    # Simulate an interruption: the last 5 episodes are lost, one line is cut in half.
    journal.write_text("\n".join(lines[:-5]) + "\n" + lines[-5][:20])
    CountingAgent.calls = 0
    again, _ = evaluate(CountingAgent(), suite, output_dir=tmp_path, progress=False)
    assert CountingAgent.calls == 5

    def strip(records):
        return [{k: v for k, v in r.items() if k != "wall_time_s"} for r in records]

    assert strip(again["episodes"]) == strip(first["episodes"])
    CountingAgent.calls = 0
    evaluate(CountingAgent(), suite, output_dir=tmp_path, progress=False, resume=False)
    assert CountingAgent.calls == sum(e.episodes for e in suite.envs)


class FlakyAgent(RandomAgent):
    """Crashes on one seed."""

    name = "flaky"

    def reset(self, seed: int | None = None) -> None:
        self.seed_now = seed
        super().reset(seed)

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        if self.seed_now == 1003:
            raise RuntimeError("model server went away")
        return super().act(observation, info)


def test_agent_crash_fails_one_episode_and_the_run_goes_on(tmp_path: Path) -> None:
    results, _ = evaluate(
        FlakyAgent(), small_suite("NumberLine"), output_dir=tmp_path, progress=False
    )
    crashed = [r for r in results["episodes"] if r["error"]]
    assert [r["seed"] for r in crashed] == [1003]
    assert "model server went away" in crashed[0]["error"] and not crashed[0]["success"]
    assert results["aggregates"]["per_env"]["VLAgent/GymCards-NumberLine-v0"]["errors"] == 1
    assert len(results["episodes"]) == 20


class BatchedRandom(RandomAgent):
    """A batching agent: one call for all envs, with per-slot randomness."""

    name = "batched-random"

    def __init__(self) -> None:
        super().__init__(seed=0)
        self.batch_sizes: list[int] = []

    def act_batch(self, observations, infos, slots=None) -> list[str]:
        self.batch_sizes.append(len(observations))
        assert slots is not None and len(slots) == len(observations)
        return [self.act(o, i) for o, i in zip(observations, infos)]


def test_batched_agents_step_many_envs(tmp_path: Path) -> None:
    agent = BatchedRandom()
    results, _ = evaluate(
        agent, small_suite("EZPoints", "Blackjack"), output_dir=tmp_path, num_envs=4, progress=False
    )
    assert max(agent.batch_sizes) == 4
    assert validate_results(results, small_suite("EZPoints", "Blackjack"))
    # Every recorded episode replays exactly, whatever slot it ran in.
    assert replay_episodes(results, SUITE) == []


def test_scripted_agent_needs_an_env() -> None:
    with pytest.raises(RuntimeError, match="bind"):
        ScriptedAgent().act({}, {})


def test_random_agent_samples_admissible_actions() -> None:
    agent = RandomAgent(seed=0)
    agent.reset(7)
    actions = {agent.act({}, {"admissible_actions": ["a", "b"]}) for _ in range(50)}
    assert actions == {"a", "b"}
    space_agent = RandomAgent(action_space=gym.make("VLAgent/GymCards-NumberLine-v0").action_space)
    assert isinstance(space_agent.act({}, {"admissible_actions": None}), str)

"""``VLAgent/WebShop-v0``: the env's modes, grammar, step limit, the scripted agent, playing on
a server, and the reliability of many envs sharing one server."""

from __future__ import annotations

import threading

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("flask")
pytest.importorskip("bm25s")

import vlagent_envs  # noqa: F401
from vlagent_envs.envs.webshop.server import ShopServer

ENV_ID = "VLAgent/WebShop-v0"


def _random_action(env: gym.Env, rng: np.random.Generator) -> str:
    """An admissible action (a search uses a query drawn from a few words), or now and then junk."""
    if rng.random() < 0.1:
        return ["click[nowhere]", "buy it", "search[]", ""][int(rng.integers(4))]
    actions = env.unwrapped.admissible_actions()
    action = actions[int(rng.integers(len(actions)))]
    words = ["bar stool", "shampoo", "women dress", "bluetooth speaker", "black", "tea"]
    return action.replace("<query>", words[int(rng.integers(len(words)))])


def test_works_offline_out_of_the_box() -> None:
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=0)
    assert env.unwrapped.split == "train"
    assert obs["image"].shape == (512, 512, 3) and obs["image"].dtype == np.uint8
    assert obs["image"].min() < 100  # text is drawn
    assert obs["instruction"] and obs["instruction"] in obs["text"]
    assert "[button] Search [button_]" in obs["text"]
    assert info["admissible_actions"] == ["search[<query>]"] and info["page"] == "search"
    assert env.spec.max_episode_steps == 15
    env.close()


@pytest.mark.parametrize(
    ("mode", "marker"),
    [
        ("text_rich", "[button] Back to Search [button_]"),
        ("text", " [SEP] "),
        ("html", "<!DOCTYPE html>"),
    ],
)
def test_observation_modes(mode: str, marker: str) -> None:
    env = gym.make(ENV_ID, observation_mode=mode, split="test")
    env.reset(seed=4)
    obs, reward, terminated, truncated, info = env.step("search[bar stool]")
    assert marker in obs["text"] and info["action_valid"] and reward == 0.0
    assert obs["image"].shape == (512, 512, 3)
    env.close()
    with pytest.raises(ValueError, match="observation_mode"):
        gym.make(ENV_ID, observation_mode="pixels")
    with pytest.raises(ValueError, match="split"):
        gym.make(ENV_ID, split="validation")


def test_grammar_validity_and_invalid_actions() -> None:
    env = gym.make(ENV_ID, split="test")
    env.reset(seed=1)
    obs, reward, _, _, info = env.step('{"thoughts": "look", "action": "Search[ Bar  Stool ]"}')
    assert info["action_valid"] and info["parsed_action"] == "search[bar stool]"
    before = obs
    for junk in ("click[not here]", "search[again]", "buy now", "click[search]"):
        obs, reward, terminated, truncated, info = env.step(junk)
        assert not info["action_valid"] and reward == 0.0 and not terminated
        assert info["parsed_action"] is None
        assert info["page"] == "results"
    assert obs["text"].startswith("Invalid action")
    obs, *_ = env.step("click[next >]")
    assert "Page 2" in obs["text"] and obs["text"] != before["text"]
    assert info["invalid_actions"] == 4
    env.close()


def test_the_step_limit_truncates_at_fifteen() -> None:
    env = gym.make(ENV_ID, split="test")
    env.reset(seed=2)
    env.step("search[bar stool]")
    for step in range(2, 16):
        _, _, terminated, truncated, _ = env.step("click[next >]" if step % 2 else "click[< prev]")
        assert not terminated
        assert truncated == (step == 15)
    longer = gym.make(ENV_ID, max_episode_steps=30)
    assert longer.spec.max_episode_steps == 30


def test_seeds_and_goal_index_pick_goals() -> None:
    env = gym.make(ENV_ID, split="test")
    shop = env.unwrapped.shop
    obs, _ = env.reset(seed=503)
    assert obs["instruction"] == shop.goals["test"][3].instruction_text
    obs, _ = env.reset(options={"goal_index": 7})
    assert obs["instruction"] == shop.goals["test"][7].instruction_text
    with pytest.raises(ValueError, match="goal_index"):
        env.reset(options={"goal_index": 500})


def test_the_scripted_agent_buys_the_goal(tmp_path) -> None:
    from vlagent_envs.eval import ScriptedAgent, evaluate
    from vlagent_envs.eval.suites import EnvEntry, Suite

    entry = EnvEntry(ENV_ID, 100, tuple(range(100)), 15, "progress", {"split": "test"})
    results, _ = evaluate(
        ScriptedAgent(), Suite("webshop-test", 1, "test goals 0-99", (entry,)), output_dir=tmp_path
    )
    stats = results["aggregates"]["per_env"][ENV_ID]
    assert stats["errors"] == 0
    assert stats["progress"]["mean"] >= 0.9  # the bar; it scores 1.0 here
    assert all(e["length"] <= 15 for e in results["episodes"])


def _trajectory(env: gym.Env, seed: int, actions: list[str]) -> list[tuple]:
    obs, _ = env.reset(seed=seed)
    steps = [(obs["text"], obs["instruction"], 0.0, False, None)]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((obs["text"], obs["instruction"], reward, terminated, info["action_valid"]))
        if terminated or truncated:
            obs, _ = env.reset(seed=seed + 1)
            steps.append((obs["text"], obs["instruction"], 0.0, False, None))
    return steps


def test_a_remote_env_matches_an_in_process_env(shop) -> None:
    rng = np.random.default_rng(0)
    local = gym.make(ENV_ID, split="test")
    local.reset(seed=11)
    actions = []
    for _ in range(40):
        action = _random_action(local, rng)
        actions.append(action)
        _, _, terminated, truncated, _ = local.step(action)
        if terminated or truncated:
            local.reset(seed=12)
    with ShopServer(shop) as server:
        remote = gym.make(ENV_ID, split="test", server_url=server.url)
        assert _trajectory(remote, 11, actions) == _trajectory(local, 11, actions)
        obs_remote, _ = remote.reset(seed=3)
        obs_local, _ = local.reset(seed=3)
        assert np.array_equal(obs_remote["image"], obs_local["image"])
        assert remote.unwrapped.expert_action() == local.unwrapped.expert_action()
        remote.close()
    with pytest.raises(Exception, match="unreachable"):
        remote.reset(seed=1)


def test_eight_envs_share_one_server_for_200_steps_each(shop) -> None:
    """Reliability: concurrent sessions on one server, no error, nothing leaking between them."""
    sessions_before = len(shop)
    threads_before = threading.active_count()
    errors: list[BaseException] = []
    played: dict[int, tuple[list[str], list[tuple]]] = {}
    with ShopServer(shop) as server:
        assert server.address[0] == "127.0.0.1"

        def worker(index: int) -> None:
            try:
                env = gym.make(ENV_ID, split="test", server_url=server.url)
                rng = np.random.default_rng(100 + index)
                seed = 20 * index
                obs, _ = env.reset(seed=seed)
                actions: list[str] = []
                steps = [(obs["text"], obs["instruction"], 0.0, False, None)]
                for _ in range(200):
                    action = _random_action(env, rng)
                    actions.append(action)
                    obs, reward, terminated, truncated, info = env.step(action)
                    steps.append(
                        (obs["text"], obs["instruction"], reward, terminated, info["action_valid"])
                    )
                    if terminated or truncated:
                        obs, _ = env.reset(seed=seed + 1)
                        steps.append((obs["text"], obs["instruction"], 0.0, False, None))
                env.close()
                played[index] = (actions, steps)
            except BaseException as error:
                errors.append(error)

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=300)
        assert not errors, errors
        assert sorted(played) == list(range(8))
    # Each session saw exactly what a lone in-process env sees with the same actions.
    for index, (actions, steps) in played.items():
        alone = gym.make(ENV_ID, split="test")
        assert _trajectory(alone, 20 * index, actions) == steps, f"env {index} diverged"
        alone.close()
    assert len(shop) == sessions_before  # every session was closed
    assert threading.active_count() <= threads_before


def test_official_data_files_load_through_the_env(tmp_path) -> None:
    from vlagent_envs.envs.webshop.catalog import write_catalog
    from vlagent_envs.envs.webshop.data import build_goals, load_catalog, split_goals

    folder = write_catalog(tmp_path / "data", seed=7, num_products=100)
    expected = split_goals(build_goals(load_catalog(folder)))
    env = gym.make(ENV_ID, data_dir=str(folder), split="test")
    assert env.unwrapped.num_goals == len(expected.test) == 200  # fewer than 500 goals in all
    obs, _ = env.reset(seed=5)
    assert obs["instruction"] == expected.test[5].instruction_text
    while True:
        obs, reward, terminated, truncated, _ = env.step(env.unwrapped.expert_action())
        if terminated or truncated:
            break
    assert reward == 1.0
    with pytest.raises(ValueError, match="dev split of this catalog has no goals"):
        gym.make(ENV_ID, data_dir=str(folder), split="dev")


def test_a_missing_data_folder_is_a_clear_error(tmp_path) -> None:
    from vlagent_envs.envs.webshop.data import DataError

    with pytest.raises(DataError, match="does not exist"):
        gym.make(ENV_ID, data_dir=str(tmp_path / "nowhere"))

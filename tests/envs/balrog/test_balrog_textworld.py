"""BALROG's TextWorld env: observations as BALROG builds them, progression, walkthroughs, games.

One game per task is generated once per session (game 0, into the session's cache, which the
conformance tests of the same session then reuse); every other test copies those games.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import pytest

import vlagent_envs  # noqa: F401

pytest.importorskip("textworld")

from vlagent_envs.benchmarks.balrog.textworld.env import (
    GAMES_ENV_VAR,
    INSTRUCTION_PROMPTS,
    TextWorldEnv,
    TextWorldGrammar,
    filter_objective,
    find_games,
    progression,
)
from vlagent_envs.benchmarks.balrog.textworld.generate import (
    SHIPPED_GAMES,
    TASKS,
    ensure_game,
    game_path,
    game_seed,
    generate_game,
    main,
)


@pytest.fixture(scope="session")
def generated() -> dict[str, Path]:
    """Game 0 of each task, in the session's cache (unpacked from the shipped games)."""
    return {task: ensure_game(task, 0) for task in TASKS}


@pytest.fixture
def games_dir(generated: dict[str, Path], tmp_path: Path) -> Path:
    """A folder in BALROG's layout holding the generated games."""
    root = tmp_path / "tw_games"
    for task, path in generated.items():
        (root / task).mkdir(parents=True)
        for suffix in (".z8", ".json"):
            shutil.copy(path.with_suffix(suffix), root / task / f"game{suffix}")
    return root


def _raw(path: Path):
    import textworld

    infos = textworld.EnvInfos(
        objective=True, description=True, score=True, max_score=True, won=True, lost=True
    )
    with warnings.catch_warnings():  # jericho: TextWorld's games are "not fully supported"
        warnings.simplefilter("ignore")
        return textworld.start(str(path), infos)


def test_import_does_not_import_textworld() -> None:
    code = (
        "import sys, gymnasium as gym, vlagent_envs;"
        "gym.spec('VLAgent/BALROG-TextWorld-v0');"
        "import vlagent_envs.benchmarks.balrog.textworld.env;"
        "assert 'textworld' not in sys.modules, 'textworld imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("answer", "command"),
    [
        ("go north", "go north"),
        ("  Take   the Red-Hot PEPPER. ", "take the red-hot pepper"),
        ('{"thoughts": "coin!", "action": "take coin"}', "take coin"),
        ("Action: open chef's locker", "open chef's locker"),
        ("cook carrot with BBQ\nbecause it says grilled", "cook carrot with bbq"),
        ("", None),
        ("   \n ", None),
        ('{"action": null}', None),
        ("__import__('os').system('ls')", None),
        ("{", None),
        ("\x00\x01", None),
        ("12", None),
        ("x" * 201, None),
    ],
)
def test_grammar_reads_commands_and_rejects_junk(answer: str, command: str | None) -> None:
    from vlagent_envs.core.actions import extract_action

    assert TextWorldGrammar().parse(extract_action(answer)) == command


def test_filter_objective_and_progression_follow_balrog() -> None:
    banner = "TEXTWORLD\n\nGet the coin.\n\n-= Kitchen =-\nA kitchen.\n\n>"
    assert filter_objective(banner, "Get the coin.") == "-= Kitchen =-\nA kitchen.\n\n>"
    assert filter_objective("  You can't go that way.\n", "Get the coin.") == (
        "You can't go that way."
    )
    assert filter_objective(" x ", "") == "x"
    assert progression(3, 17, False) == pytest.approx(3 / 17)
    assert progression(0, 1, True) == 1.0
    assert progression(17, 17, False) == 1.0
    assert progression(0, 0, False) == 0.0


@pytest.mark.parametrize("task", TASKS)
def test_observations_match_balrog_and_walkthrough_wins(
    task: str, generated: dict[str, Path]
) -> None:
    path = generated[task]
    metadata = json.loads(path.with_suffix(".json").read_text())["metadata"]
    walkthrough = metadata["walkthrough"]
    env = gym.make(f"VLAgent/BALROG-TextWorld-{task}-v0")
    obs, info = env.reset(seed=0)
    assert info["task_prompt"].startswith(INSTRUCTION_PROMPTS[task][:60])
    raw = _raw(path)
    state = raw.reset()
    objective = state["objective"]
    assert obs["instruction"] == objective
    assert obs["text"] == state.feedback.split(objective)[-1].strip()
    assert objective not in obs["text"] and "-=" in obs["text"]
    assert obs["image"].shape == (512, 512, 3) and obs["image"].std() > 0
    assert info["admissible_actions"] is None and info["progress"] == 0.0

    rewards, steps = [], 0
    while True:
        expert = env.unwrapped.expert_action()
        assert expert == walkthrough[steps].lower()
        state, score, done = raw.step(expert)
        obs, reward, terminated, truncated, info = env.step(expert)
        steps += 1
        rewards.append(reward)
        assert obs["text"] == state.feedback.split(objective)[-1].strip()
        assert info["score"] == score and info["max_score"] == state["max_score"]
        assert info["progress"] == pytest.approx(
            progression(score, state["max_score"], state["won"])
        )
        if terminated or truncated:
            break
    raw.close()
    env.close()
    assert terminated and not truncated and steps == len(walkthrough) <= 80
    assert info["success"] and info["won"] and info["progress"] == 1.0
    assert sum(rewards) == info["max_score"]  # rewards are score deltas


def test_invalid_answer_plays_help_and_deviation_falls_back_to_the_policy(
    games_dir: Path,
) -> None:
    env = gym.make("VLAgent/BALROG-TextWorld-coin_collector-v0", games_dir=games_dir)
    env.reset(seed=0)
    base = env.unwrapped
    first = base.expert_action()
    obs, reward, *_, info = env.step("")
    assert not info["action_valid"] and info["parsed_action"] is None and reward == 0.0
    assert "help" in obs["text"] and "look:" in obs["text"]
    assert base.expert_action() == first  # 'help' changes nothing: still on the walkthrough
    _, _, _, _, info = env.step("xyzzy")  # a valid answer the game does not understand
    assert info["action_valid"] and info["parsed_action"] == "xyzzy"
    back = {"go north": "go south", "go south": "go north", "go east": "go west"}
    back["go west"] = "go east"
    env.step(first)
    env.step(back[first])  # off the walkthrough now: textworld's winning policy takes over
    for _ in range(60):
        _, _, terminated, truncated, info = env.step(base.expert_action())
        if terminated or truncated:
            break
    assert info["success"]


def test_seeds_pick_games_and_episodes_are_deterministic(games_dir: Path) -> None:
    # Two games of one task: seed s plays game s % 2, in BALROG's order (sorted names).
    coin = games_dir / "coin_collector"
    other = games_dir / "treasure_hunter" / "game"
    shutil.copy(other.with_suffix(".z8"), coin / "b.z8")
    shutil.copy(other.with_suffix(".json"), coin / "b.json")
    env = TextWorldEnv("coin_collector", games_dir=games_dir)
    assert env.games_per_task("coin_collector") == 2
    firsts = {}
    for seed in (0, 1, 2, 3):
        obs, _ = env.reset(seed=seed)
        firsts[seed] = obs["instruction"]
        assert env._game_file.name == ("b.z8" if seed % 2 == 0 else "game.z8")
    assert firsts[0] == firsts[2] != firsts[1] == firsts[3]

    actions = ["go north", "", "look", "go west", "take coin", "go east"]

    def play(e: gym.Env, seed: int) -> list:
        obs, _ = e.reset(seed=seed)
        trace = [obs["text"]]
        for action in actions:
            obs, reward, terminated, *_ = e.step(action)
            trace.append((obs["text"], reward, terminated))
        return trace

    multi = gym.make("VLAgent/BALROG-TextWorld-v0", games_dir=games_dir)
    assert play(multi, 7) == play(gym.make("VLAgent/BALROG-TextWorld-v0", games_dir=games_dir), 7)
    tasks = {(multi.reset(seed=s), multi.unwrapped._task)[1] for s in range(12)}
    assert tasks == set(TASKS)  # the default id draws all three tasks

    env.reset(seed=1)
    env.step("go north")
    env.step("look")
    clone = pickle.loads(pickle.dumps(env))
    for action in ("go south", "go west", "inventory"):
        a, b = env.step(action), clone.step(action)
        assert a[0]["text"] == b[0]["text"] and a[1:4] == b[1:4]
        assert (a[0]["image"] == b[0]["image"]).all()
    assert clone.expert_action() == env.expert_action()


def test_games_folder_layout_and_environment_variable(
    games_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = games_dir / "extra" / "treasure_hunter"
    nested.mkdir(parents=True)
    source = games_dir / "treasure_hunter" / "game"
    for suffix in (".z8", ".json"):
        shutil.copy(source.with_suffix(suffix), nested / f"a{suffix}")
    (games_dir / "not_a_task").mkdir()
    shutil.copy(source.with_suffix(".z8"), games_dir / "not_a_task" / "x.z8")
    games = find_games(games_dir, TASKS)
    assert [p.name for p in games["treasure_hunter"]] == ["a.z8", "game.z8"]  # BALROG's sort
    assert {len(v) for k, v in games.items() if k != "treasure_hunter"} == {1}

    monkeypatch.setenv(GAMES_ENV_VAR, str(games_dir))
    env = gym.make("VLAgent/BALROG-TextWorld-treasure_hunter-v0")
    env.reset(seed=1)
    assert env.unwrapped._game_file == games_dir / "treasure_hunter" / "game.z8"


def test_clear_errors_for_bad_games_folders(games_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=r"nowhere.*<games_dir>/<task>/\*\.z8"):
        TextWorldEnv(games_dir=missing)
    empty = tmp_path / "empty"
    (empty / "coin_collector").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no coin_collector games in .*empty"):
        TextWorldEnv("coin_collector", games_dir=empty)
    (games_dir / "coin_collector" / "game.json").unlink()
    with pytest.raises(ValueError, match=r"game\.z8 has no game\.json"):
        TextWorldEnv("coin_collector", games_dir=games_dir)
    broken = games_dir / "treasure_hunter" / "game.z8"
    broken.write_bytes(b"not a game at all")
    env = TextWorldEnv("treasure_hunter", games_dir=games_dir)
    with pytest.raises(ValueError, match=r"game\.z8 is not a Z-machine"):
        env.reset(seed=0)
    with pytest.raises(ValueError, match="unknown BALROG TextWorld task"):
        TextWorldEnv("zork")


def test_generator_seeds_layout_and_command_line(
    generated: dict[str, Path], tmp_path: Path
) -> None:
    assert len({game_seed(t, i) for t in TASKS for i in range(25)}) == 75
    for task, path in generated.items():
        assert path.name == game_path(path.parent.parent, task, 0).name == f"{task}_000.z8"
        assert json.loads(path.with_suffix(".json").read_text())["metadata"]["walkthrough"]
    # The command line writes BALROG's layout (the cached game is copied, not regenerated:
    # generation is deterministic, tested by the fixed walkthroughs above).
    out = tmp_path / "out"
    (out / "coin_collector").mkdir(parents=True)
    for suffix in (".z8", ".json"):
        shutil.copy(generated["coin_collector"].with_suffix(suffix), out / "coin_collector")
    assert main(["--out", str(out), "--task", "coin_collector", "--num-games", "1"]) == 0
    assert sorted(p.name for p in (out / "coin_collector").iterdir()) == [
        "coin_collector_000.json",
        "coin_collector_000.z8",
    ]
    assert find_games(out, ("coin_collector",))["coin_collector"][0].name.endswith("000.z8")


def test_shipped_games_are_the_generators_own(tmp_path: Path) -> None:
    # Games 0-9 ship pre-generated; they must be exactly what the generator makes from their
    # seeds (one checked here: generating costs seconds to minutes a game).
    shipped = ensure_game("coin_collector", 1)
    fresh = generate_game("coin_collector", 1, tmp_path)
    assert fresh.read_bytes() == shipped.read_bytes()

    def data(path: Path) -> dict:
        # Two things in textworld's .json depend on where and how it ran, nothing else: the
        # grammar's names_to_exclude, written from a set (its order follows Python's
        # per-process string hashing), and the path of textworld's installed grammar folder.
        game = json.loads(path.with_suffix(".json").read_text())
        game["grammar"]["names_to_exclude"].sort(key=str)
        assert game["KB"].pop("text_grammars_path").endswith("textworld_data/text_grammars")
        return game

    assert data(fresh) == data(shipped)
    env = TextWorldEnv("coin_collector")
    assert env.games_per_task("coin_collector") == SHIPPED_GAMES == 10
    assert env.game_file("coin_collector", 13).name == "coin_collector_003.z8"

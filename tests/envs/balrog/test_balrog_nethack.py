"""``VLAgent/BALROG-NetHack-v0``: BALROG's actions and keys, ``--More--``, the text sections, the
tiles, the progression table, seeding, pickling and the scripted explorer."""

from __future__ import annotations

import json
import pickle
from importlib import resources

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401

pytest.importorskip("nle")

from nle import nethack
from nle.nethack import actions as A

from vlagent_envs.benchmarks.balrog import nle_language
from vlagent_envs.benchmarks.balrog.nethack import (
    NLE_ACTIONS,
    NetHackEnv,
    NetHackProgress,
    progression_table,
    render_tiles,
)

ENV_ID = "VLAgent/BALROG-NetHack-v0"


@pytest.fixture(scope="module")
def env():
    env = NetHackEnv()
    yield env
    env.close()


def _index(env: NetHackEnv, member) -> int:
    return [int(a) for a in env._nle.actions].index(int(member))


# ----------------------------------------------------------------------------- actions
def test_balrogs_action_names_and_keys(env: NetHackEnv) -> None:
    env.reset(seed=0)
    names = list(NLE_ACTIONS)
    assert len(names) == 79 and names[:3] == ["north", "east", "south"]
    admissible = env.admissible_actions()
    assert admissible[: len(names)] == names  # every BALROG name is in NetHackChallenge's set
    assert {"a", "z", "A", "Z", "$", "<", ">", "y"} <= set(admissible)
    grammar = env.grammar
    assert grammar.parse("Far East") == "far east"
    assert grammar.parse("move north") == "north"
    assert grammar.parse("d") == "d" and grammar.parse("D") == "D"
    assert grammar.parse("'d'") == "d"
    assert grammar.parse("7") == "7"
    assert grammar.parse("xyzzy") is None
    assert env._index["far east"] == _index(env, A.CompassCardinalDirectionLonger.E)
    assert env._index["d"] == _index(env, A.Command.DROP)
    assert env._index["D"] == _index(env, A.Command.DROPTYPE)
    assert env._index["7"] == _index(env, A.TextCharacters.NUM_7)
    assert env._index["esc"] == _index(env, A.Command.ESC)


def test_a_letter_answers_a_prompt_and_junk_presses_esc(env: NetHackEnv) -> None:
    env.reset(seed=0)
    obs, _, _, _, info = env.step("eat")
    assert "What do you want to eat?" in obs["text"] or "You don't have anything" in obs["text"]
    obs, _, _, _, info = env.step("Action: z")  # a letter is a key press, here an answer
    assert info["action_valid"] and info["parsed_action"] == "z"
    keys_before = len(env._keys)
    obs, _, _, _, info = env.step("I would like to dance")
    assert not info["action_valid"] and info["invalid_action_policy"] == "default"
    assert env._keys[keys_before] == _index(env, A.Command.ESC)
    assert "played 'esc' instead" in obs["text"]
    assert info["invalid_actions"] == 1
    for prompt in ("", "x" * 100_000, "\x00\x1b[2J", "{" * 500):
        env.step(prompt)  # never raises


# ----------------------------------------------------------------------------- --More--
class _FakeNLE:
    """An nle env whose messages end in ``--More--`` twice, then not."""

    def __init__(self, real):
        self.actions = real.actions
        self.pressed: list[int] = []
        self.template = real.last_observation
        self.obs = {key: np.array(value) for key, value in self._last().items()}
        self.messages = ["You hit the newt!--More--", "The newt bites!--More--", "You die..."]

    def _last(self):
        return {
            "glyphs": np.full((21, 79), nethack.GLYPH_CMAP_OFF, dtype=np.int16),
            "blstats": np.zeros(nethack.NLE_BLSTATS_SIZE, dtype=np.int64),
            "tty_chars": np.full((24, 80), ord(" "), dtype=np.uint8),
            "tty_colors": np.zeros((24, 80), dtype=np.int8),
            "tty_cursor": np.zeros(2, dtype=np.uint8),
            "inv_strs": np.zeros((55, 80), dtype=np.uint8),
            "inv_letters": np.zeros(55, dtype=np.uint8),
        }

    def step(self, index):
        self.pressed.append(index)
        message = self.messages.pop(0)
        obs = self._last()
        obs["tty_chars"][0, : len(message)] = np.frombuffer(message.encode(), dtype=np.uint8)
        obs["blstats"][nethack.NLE_BL_DEPTH] = 1
        done = not self.messages
        return obs, 1.5, done, False, {"end_status": "DEATH" if done else "RUNNING"}


def test_more_is_pressed_and_messages_joined() -> None:
    env = NetHackEnv()
    env.reset(seed=0)
    real = env._nle
    env._nle = _FakeNLE(real)
    try:
        _, reward, terminated, _, _ = env.step("west")
        assert env._nle.pressed == [env._index["west"], env._more, env._more]
        assert env._message == "You hit the newt!\nThe newt bites!\nYou die..."
        assert reward == 4.5 and terminated
    finally:
        env._nle = real
        env.close()


# ----------------------------------------------------------------------------- text + image
def test_hybrid_text_sections_and_map(env: NetHackEnv) -> None:
    obs, info = env.reset(seed=1)
    text = obs["text"]
    heads = [line for line in text.split("\n") if line.endswith(":") and " " not in line[:-1]]
    assert [h for h in heads if h in ("message:", "cursor:", "map:", "inventory:")] == [
        "message:",
        "cursor:",
        "map:",
        "inventory:",
    ]
    assert "language observation:\n" in text
    raw = env.nle_observation
    rows = [bytes(row).decode("latin-1") for row in raw["tty_chars"][1:]]
    assert "map:\n" + "\n".join(rows) + "\n" in text  # the terminal without its top line
    y, x = (int(v) for v in raw["tty_cursor"])
    assert f"(x={x}, y={y})" in text
    assert nle_language.text_glyphs(raw["glyphs"], raw["blstats"]) in text
    assert nle_language.text_inventory(raw["inv_strs"], raw["inv_letters"]) in text
    assert "statistics:" not in text
    assert "Agent the" in text  # the bottom line is on the map


def test_language_mode_has_statistics_instead_of_the_map() -> None:
    env = gym.make(ENV_ID, observation_mode="language")
    obs, _ = env.reset(seed=1)
    raw = env.unwrapped.nle_observation
    assert "map:" not in obs["text"]
    assert "statistics:\n" + nle_language.text_blstats(raw["blstats"]) in obs["text"]
    env.close()


def test_image_is_the_tiled_map(env: NetHackEnv) -> None:
    obs, _ = env.reset(seed=2)
    assert obs["image"].shape == (336, 1264, 3) and obs["image"].dtype == np.uint8
    np.testing.assert_array_equal(obs["image"], render_tiles(env.nle_observation["glyphs"]))
    assert len(np.unique(obs["image"].reshape(-1, 3), axis=0)) > 8


def test_image_matches_nle_render_mode_pixel() -> None:
    raw = gym.make(
        "NetHackChallenge-v0",
        observation_keys=("glyphs",),
        render_mode="pixel",
        fix_moon_phase=True,
    ).unwrapped
    nethack.Nethack.set_initial_seeds(raw.nethack, 5, 6, False, None)
    obs, _ = raw.reset()
    np.testing.assert_array_equal(render_tiles(obs["glyphs"]), raw.render())
    raw.close()


# ----------------------------------------------------------------------------- progression
def test_progression_table_is_balrogs() -> None:
    table = progression_table()
    assert len(table) == 87
    assert round(table["Dlvl:2"], 4) == 0.0154 and round(table["Dlvl:10"], 4) == 0.1256
    assert round(table["Xp:10"], 4) == 0.1791 and round(table["Astral Plane"], 4) == 0.8746
    assert table["You ascend t"] == 1.0 and table["Dlvl:1"] == table["Xp:1"] == 0.0
    doc = json.loads(
        resources.files("vlagent_envs.benchmarks.balrog")
        .joinpath("data", "nethack_progression.json")
        .read_text()
    )
    assert "achievements.json" in doc["source"]


def test_progression_keeps_the_best_depth_or_level() -> None:
    tracker = NetHackProgress()
    blstats = np.zeros(nethack.NLE_BLSTATS_SIZE, dtype=np.int64)
    blstats[nethack.NLE_BL_DEPTH], blstats[nethack.NLE_BL_XP] = 2, 1
    assert tracker.update(blstats) == pytest.approx(0.015392269075361172)
    blstats[nethack.NLE_BL_XP] = 10
    assert tracker.update(blstats) == pytest.approx(0.17909953770432294)
    assert tracker.highest_achievement == "Xp:10"
    blstats[nethack.NLE_BL_DEPTH], blstats[nethack.NLE_BL_XP] = 1, 3  # lost levels: kept
    assert tracker.update(blstats) == pytest.approx(0.17909953770432294)
    assert tracker.update(np.zeros_like(blstats)) == pytest.approx(0.17909953770432294)
    assert tracker.depth == 1 and tracker.experience_level == 3  # game over: nle zeroes them
    assert tracker.update(blstats, ascended=True) == 1.0


# ----------------------------------------------------------------------------- seeds, pickle
def test_same_seed_same_game_and_roles_vary() -> None:
    def play(seed: int) -> list[str]:
        env = gym.make(ENV_ID)
        obs, _ = env.reset(seed=seed)
        texts = [obs["text"]]
        for action in ("far east", "south", "search", "far west", "i", "esc"):
            texts.append(env.step(action)[0]["text"])
        env.close()
        return texts

    assert play(4) == play(4)
    assert play(4) != play(5)
    roles = set()
    env = gym.make(ENV_ID)
    for seed in range(6):
        obs, _ = env.reset(seed=seed)
        roles.add(obs["text"].split("map:\n", 1)[1].split("\n")[21].split(" St:")[0].strip())
    env.close()
    assert len(roles) >= 3  # "Agent the Stripling", "Agent the Candidate", ...


def test_pickled_mid_episode_continues_the_same_game() -> None:
    env = gym.make(ENV_ID)
    env.reset(seed=7)
    for action in ("far east", "south", "search"):
        env.step(action)
    clone = pickle.loads(pickle.dumps(env))
    for action in ("far west", "north", "i", "esc", "search"):
        a, b = env.step(action), clone.step(action)
        assert a[0]["text"] == b[0]["text"] and a[1:4] == b[1:4]
        np.testing.assert_array_equal(a[0]["image"], b[0]["image"])
    env.close()
    clone.close()


# ----------------------------------------------------------------------------- explorer
def test_explorer_takes_the_stairs_down() -> None:
    env = gym.make(ENV_ID)
    base = env.unwrapped
    env.reset(seed=3)
    for _ in range(1500):
        obs, _, terminated, truncated, info = env.step(base.expert_action() or "esc")
        if terminated or truncated or info["progress"] > 0:
            break
    assert info["depth"] == 2 and info["highest_achievement"] == "Dlvl:2"
    assert info["progress"] == pytest.approx(progression_table()["Dlvl:2"])
    assert not info["success"]
    env.close()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="observation_mode"):
        NetHackEnv(observation_mode="pictures")
    with pytest.raises(ValueError, match="no_progress_timeout"):
        NetHackEnv(no_progress_timeout=0)

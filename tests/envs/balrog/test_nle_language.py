"""``vlagent_envs.benchmarks.balrog.nle_language``: the C++ ``NLELanguageObsv`` outputs.

The fake observations and expected strings are those of nle-language-wrapper 0.2.0's
``tests/test_nle_language_wrapper.py``; glyph numbers are NetHack 3.6.6's, which ``nle`` 1.3.0
still plays.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("nle")

import gymnasium as gym
import nle  # noqa: F401  (registers NetHackChallenge-v0)
import nle.nethack as nethack

from vlagent_envs.benchmarks.balrog.nle_language import (
    pluralize,
    text_blstats,
    text_cursor,
    text_glyphs,
    text_inventory,
    text_message,
)

ROOM_FLOOR = 2378
DARK_AREA = 2359  # S_stone: unexplored


def rows(strings: list[str], fill: int = 0) -> np.ndarray:
    """``uint8[len, longest]`` rows of the strings' bytes, padded with ``fill``."""
    encoded = [s.encode("utf-8") for s in strings]
    out = np.full((len(encoded), max(len(e) for e in encoded)), fill, dtype=np.uint8)
    for i, e in enumerate(encoded):
        out[i, : len(e)] = np.frombuffer(e, dtype=np.uint8)
    return out


@pytest.fixture
def fake() -> dict[str, np.ndarray]:
    blstats = np.array(
        # x, y, str25, str125, dex, con, int, wis, cha, score, hp, hpmax, depth, gold, ene,
        # enemax, ac, hd, xp, exp, time, hunger, cap, dnum, dlevel, condition, alignment
        [
            66,
            14,
            19,
            1,
            4,
            5,
            6,
            7,
            8,
            123,
            11,
            12,
            9,
            10,
            1,
            13,
            1,
            23,
            7,
            10,
            5,
            4,
            2,
            21,
            10,
            11,
            -1,
        ],
        dtype=np.int64,
    )
    glyphs = np.full((21, 79), DARK_AREA, dtype=np.int16)
    glyphs[14, 66] = 333  # the agent, a monk
    glyphs[20, 50] = 397  # tame little dog
    glyphs[10, 65] = 2360  # vertical wall
    glyphs[9, 64] = 2390  # fountain
    glyphs[13, 66] = 2374  # vertical closed door
    return {
        "glyphs": glyphs,
        "blstats": blstats,
        "tty_chars": rows(["Hello Agent, welcome to NetHack!  You are a neutral gnomish Caveman."]),
        "inv_letters": np.frombuffer(b"ab\x00", dtype=np.uint8),
        "inv_strs": rows(
            [
                "a blessed +1 quarterstaff (weapon in hands)\x00",
                "an uncursed +0 cloak of magic resistance (being worn)\x00",
            ]
        ),
        "tty_cursor": np.array([14 + 1, 66], dtype=np.uint8),
    }


def test_fake_observation(fake):
    assert text_glyphs(fake["glyphs"], fake["blstats"]) == (
        "tame little dog far westsouthwest\n"
        "fountain near northnorthwest\n"
        "dark area very near north\n"
        "vertical closed door adjacent north\n"
        "dark area adjacent northeast, east, southeast, south, southwest, west, and northwest"
    )
    assert text_message(fake["tty_chars"]) == (
        "Hello Agent, welcome to NetHack!  You are a neutral gnomish Caveman."
    )
    assert text_inventory(fake["inv_strs"], fake["inv_letters"]) == (
        "a: a blessed +1 quarterstaff (weapon in hands)\n"
        "b: an uncursed +0 cloak of magic resistance (being worn)"
    )
    assert text_blstats(fake["blstats"]) == (
        "Strength: 1/19\nDexterity: 4\nConstitution: 5\nIntelligence: 6\nWisdom: 7\n"
        "Charisma: 8\nDepth: 9\nGold: 10\nHP: 11/12\nEnergy: 1/13\nAC: 1\nXP: 7/10\nTime: 5\n"
        "Position: 66|14\nHunger: Fainting\nMonster Level: 23\nEncumbrance: Stressed\n"
        "Dungeon Number: 21\nLevel Number: 10\nScore: 123\nAlignment: Chaotic\n"
        "Condition: Food Poisoning Slimed Stoned"
    )
    assert text_cursor(fake["glyphs"], fake["blstats"], fake["tty_cursor"]) == "Yourself a monk"


def test_multiple_monsters_are_merged_and_pluralized(fake):
    glyphs = fake["glyphs"]
    glyphs[14, 66] = 359
    glyphs[14, 18] = 397  # tame little dog 1
    glyphs[20, 51] = 397  # tame little dog 3, next to dog 2 at [20, 50]
    glyphs[9, 63] = 2390  # a second fountain
    assert text_glyphs(glyphs, np.array([66, 14, 19], dtype=np.uint8)) == (
        "tame little dog very far west\n"
        "tame little dogs far westsouthwest\n"
        "fountains near northnorthwest\n"
        "dark area very near north\n"
        "vertical closed door adjacent north\n"
        "dark area adjacent northeast, east, southeast, south, southwest, west, and northwest"
    )


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (0, "Condition: None"),
        (nethack.BL_MASK_FLY, "Condition: Flying"),
        (
            (1 << nethack.BL_MASK_BITS) - 1,
            "Condition: Flying Levitating Hallucinating Confused Stunned Deaf Blind "
            "Terminally Ill Food Poisoning Strangled Slimed Riding Stoned",
        ),
    ],
)
def test_blstats_conditions(fake, mask, expected):
    fake["blstats"][nethack.NLE_BL_CONDITION] = mask
    assert text_blstats(fake["blstats"]).endswith("\n" + expected)


SCREEN_MAP = [
    "         -----------------------------------------|           ",
    "         |               @                        |           ",
]


@pytest.mark.parametrize(
    ("screen", "expected"),
    [
        pytest.param(
            [
                "   Choose which spell to cast                               ",
                "                                                             ",
                "   Name                 Level Category     Fail Retention   ",
                "   a - healing                1   healing        0%      100%",
                "   (end)                                                     ",
                "                                                      ",
                "                                                      ",
                *SCREEN_MAP,
            ],
            "Choose which spell to cast\n\nName                 Level Category     Fail Retention\n"
            "a - healing                1   healing        0%      100%\n(end)",
            id="spell-menu",
        ),
        pytest.param(
            [
                " Things that are here:      ",
                " a goblin corpse             ",
                " an iron skull cap           ",
                " --More--                    ",
                *SCREEN_MAP,
            ],
            "Things that are here:\na goblin corpse\nan iron skull cap\n--More--",
            id="more",
        ),
        pytest.param([" It's a wall. ", " ", *SCREEN_MAP], "It's a wall.", id="full-stop"),
        pytest.param(
            [" What do you want to drop? [$a-k or ?*] ", " ", *SCREEN_MAP],
            "What do you want to drop? [$a-k or ?*]",
            id="bracket",
        ),
        pytest.param(
            [" Where do you want to travel to?  (For instructions type a '?') ", " "],
            "Where do you want to travel to?  (For instructions type a '?')",
            id="parenthesis",
        ),
        pytest.param(
            [
                " Extended Commands List    ",
                "                               ",
                " a - Hide commands that don't autocomplete (those not marked with [A])   ",
                " : - Search extended commands      ",
                " ",
                " Extended commands                     ",
                " #                  perform an extended command  ",
                " ?              [A] list all extended commands  ",
                " adjust         [A] adjust inventory letters   ",
                " annotate       [A] name current level  ",
                " (1 of 5) ",
            ],
            "Extended Commands List\n\n"
            "a - Hide commands that don't autocomplete (those not marked with [A])\n"
            ": - Search extended commands\n\nExtended commands\n"
            "#                  perform an extended command\n"
            "?              [A] list all extended commands\n"
            "adjust         [A] adjust inventory letters\n"
            "annotate       [A] name current level\n(1 of 5)",
            id="multipage",
        ),
        pytest.param(
            [
                " What type of things do you want to take off?    ",
                " ",
                "  a - All worn types                             ",
                " b - Weapons ",
                " c - Armor ",
                " U - Items known to be Uncursed ",
                " (end) ",
                *SCREEN_MAP,
            ],
            "What type of things do you want to take off?\n\na - All worn types\nb - Weapons\n"
            "c - Armor\nU - Items known to be Uncursed\n(end)",
            id="takeoffall",
        ),
        pytest.param(
            [
                "                          Voluntary challenges:                  ",
                "                           You have gone without food.              ",
                "                           You have been an atheist.                ",
                "              -----        You have never hit with a wielded weapon.",
                "             #+....######  You have been a pacifist.                ",
                "             #+....######  --More--                ",
            ],
            "Voluntary challenges:\nYou have gone without food.\nYou have been an atheist.\n"
            "You have never hit with a wielded weapon.\nYou have been a pacifist.\n--More--",
            id="conduct-beside-map",
        ),
        pytest.param([" "], "", id="empty"),
        pytest.param(
            [
                "                              What do you want to name? ",
                "                                                        ",
                "---------                     m - a monster ",
                "|........                     i - a particular object in inventory ",
                "|.......|                     o - the type of an object in inventory  ",
                "|....@.%|                     f - the type of an object upon the floor  ",
                "|!...df.|                     d - the type of an object on discoveries list ",
                "|.......+                     a - record an annotation for the current level ",
                "--+------                     (end)",
            ],
            "What do you want to name?\n\nm - a monster\ni - a particular object in inventory\n"
            "o - the type of an object in inventory\nf - the type of an object upon the floor\n"
            "d - the type of an object on discoveries list\n"
            "a - record an annotation for the current level\n(end)",
            id="name-menu-beside-map",
        ),
        pytest.param(
            ["doorway      ", "", "      ------------ ", "      |..........| "],
            "doorway",
            id="travel",
        ),
        # The C++ checks only the first " of " and one-digit page numbers.
        pytest.param([" Page two", " (12 of 15) ", " "], "Page two", id="two-digit-pages"),
        # The C++ trim reads a lone visible character in a row's last column as blank.
        pytest.param(["      x", " more"], "", id="lone-last-character"),
    ],
)
def test_text_message(screen, expected):
    assert text_message(rows(screen, fill=32)) == expected


def test_inventory_stops_at_first_empty_letter():
    inv_strs = rows(["a +1 long sword (weapon in hand)\0", "junk", "x"])
    letters = np.frombuffer(b"a\x00c", dtype=np.uint8)
    assert text_inventory(inv_strs, letters) == "a: a +1 long sword (weapon in hand)"
    assert text_inventory(inv_strs, np.zeros(3, dtype=np.uint8)) == ""


@pytest.mark.parametrize(
    ("glyph", "expected"),
    [
        (5653, "kobold statue"),
        (5593, "unknown creature causing you alarm"),
        (5332, "swallow bottom right"),
        (2528, "right slant zap beam"),
        (2509, "horizontal zap beam"),  # NetHack's vertical beam: the C++ name table is swapped
        (2460, "explosion middle right"),
        (1906, "strange object"),
        (1917, "elven spear"),
        (1988, "gray dragon scale mail"),
        (2068, "sapphire ring"),
        (2091, "hexagonal amulet"),
        (2123, "magic marker"),
        (2163, "carrot"),
        (2187, "magenta potion"),
        (2206, "scroll labeled NR 9"),
        (2250, "mottled spellbook"),
        (2291, "crystal wand"),
        (2316, "gold piece"),
        (2333, "violet amethyst"),
        (2353, "boulder"),
        (2355, "heavy iron ball"),
        (2356, "iron chain"),
        (2358, "splash of acid venom"),
        (1611, "ridden mastodon"),
        (1226, "leocrotta corpse"),
        (762, "invisible creature"),
        (917, "detected water elemental"),
        (613, "tame yeti"),
        (255, "iron golem"),
    ],
)
def test_glyph_names(fake, glyph, expected):
    glyphs = np.full((21, 79), ROOM_FLOOR, dtype=np.int16)
    glyphs[14, 67] = glyph
    assert text_glyphs(glyphs, fake["blstats"]) == f"{expected} adjacent east"
    assert text_cursor(glyphs, fake["blstats"], np.array([15, 67])) == f"adjacent east {expected}"


@pytest.mark.parametrize(
    ("glyph", "expected"),
    [
        (229, "monkeys"),
        (99, "ponies"),
        (341, "wizards"),
        (335, "priestesses"),
        (260, "elves"),
        (1967, "quarterstaves"),
        (2393, "area of lava"),
        (2376, "bars"),  # mass noun
        (180, "lichs"),  # the C++ "ch" rule never fires
    ],
)
def test_plurals(fake, glyph, expected):
    glyphs = np.full((21, 79), ROOM_FLOOR, dtype=np.int16)
    glyphs[14, 72] = glyph
    glyphs[14, 73] = glyph
    assert text_glyphs(glyphs, fake["blstats"]) == f"{expected} far east"


def test_pluralize_rules():
    assert pluralize("can of grease") == "cans of grease"
    assert pluralize("scroll labeled FOO") == "scrolls labeled FOO"
    assert pluralize("unknown creature causing you alarm") == "unknown creatures causing you alarm"
    assert pluralize("fox") == "foxes"
    assert pluralize("dwarf") == "dwarves"
    assert pluralize("pair of hard shoes") == "pair of hard shoes"


def test_rays_stop_at_walls_and_skip_floor(fake):
    glyphs = np.full((21, 79), ROOM_FLOOR, dtype=np.int16)
    glyphs[14, 69] = 2360  # vertical wall, 3 east
    glyphs[14, 70] = 2360  # hidden behind it
    glyphs[14, 64] = 2404  # squeaky board, 2 west: traps do not stop a ray
    glyphs[14, 62] = 2404
    assert text_glyphs(glyphs, fake["blstats"]) == (
        "vertical wall near east\nsqueaky board near west\nsqueaky board very near west"
    )


def test_cursor_off_the_map_and_on_the_floor(fake):
    glyphs, blstats = fake["glyphs"], fake["blstats"]
    assert text_cursor(glyphs, blstats, np.array([0, 10])) == ""  # the message line
    glyphs[14, 67] = ROOM_FLOOR
    assert text_cursor(glyphs, blstats, np.array([15, 67])) == "adjacent east "


def test_import_without_nle():
    code = (
        "import sys; sys.modules['nle'] = None\n"
        "from vlagent_envs.benchmarks.balrog import nle_language as m\n"
        "from gymnasium.error import DependencyNotInstalled\n"
        "try:\n    m.text_blstats([0] * 27)\nexcept DependencyNotInstalled as e:\n    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "vlagent-envs[balrog]" in result.stdout


NEIGHBOURS = {
    (1, 0): "east",
    (1, 1): "southeast",
    (0, 1): "south",
    (-1, 1): "southwest",
    (-1, 0): "west",
    (-1, -1): "northwest",
    (0, -1): "north",
    (1, -1): "northeast",
}


@pytest.mark.slow
def test_real_nethack_challenge_observations():
    env = gym.make(
        "NetHackChallenge-v0",
        observation_keys=(
            "glyphs",
            "blstats",
            "tty_chars",
            "inv_letters",
            "inv_strs",
            "tty_cursor",
        ),
    )
    env.action_space.seed(0)
    obs, _ = env.reset()  # NetHackChallenge refuses seeds: the game differs run to run
    monsters_seen = 0
    try:
        for _ in range(150):
            glyphs, blstats = obs["glyphs"], obs["blstats"]
            x, y = int(blstats[nethack.NLE_BL_X]), int(blstats[nethack.NLE_BL_Y])
            lines = text_glyphs(glyphs, blstats).split("\n")
            # Every monster next to the agent is named with "adjacent" and its direction.
            for (dx, dy), direction in NEIGHBOURS.items():
                if not (0 <= x + dx < 79 and 0 <= y + dy < 21):
                    continue
                glyph = int(glyphs[y + dy, x + dx])
                if nethack.glyph_is_normal_monster(glyph) or nethack.glyph_is_pet(glyph):
                    name = nethack.permonst(nethack.glyph_to_mon(glyph)).mname
                    name = f"tame {name}" if nethack.glyph_is_pet(glyph) else name
                    monsters_seen += 1
                    assert any(
                        line.startswith(name) and " adjacent " in line and direction in line
                        for line in lines
                    ), (name, direction, lines)
            stats = text_blstats(blstats)
            assert f"HP: {blstats[nethack.NLE_BL_HP]}/{blstats[nethack.NLE_BL_HPMAX]}\n" in stats
            assert f"Position: {x}|{y}\n" in stats
            assert f"Time: {blstats[nethack.NLE_BL_TIME]}\n" in stats
            inventory = text_inventory(obs["inv_strs"], obs["inv_letters"]).split("\n")
            for line, letter, item in zip(inventory, obs["inv_letters"], obs["inv_strs"]):
                name = bytes(item).split(b"\0")[0].decode("latin-1")
                assert line == f"{chr(letter)}: {name}"
            message = text_message(obs["tty_chars"])
            assert message == message.strip(" ")
            assert isinstance(text_cursor(glyphs, blstats, obs["tty_cursor"]), str)
            obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
            if terminated or truncated:
                obs, _ = env.reset()
    finally:
        env.close()
    assert monsters_seen > 0

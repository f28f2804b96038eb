"""Every ``gym.register`` call of the project, with string entry points only.

Importing this module (``import vlagent_envs`` does) registers every id and imports no
simulator: an env's module, and its simulator, load when ``gym.make`` builds it. Registration
kwargs are JSON-serialisable. Any change to an env's observations, rewards, dynamics, grammar,
invalid-action policy or data split bumps its ``-vN`` (see CONTRIBUTING.md).

Each family records its pip extra in ``FAMILIES`` so ``python -m vlagent_envs list`` and the
``DependencyNotInstalled`` messages can name it.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

__all__ = ["FAMILIES", "Family", "family_of", "registered_ids"]

NAMESPACE = "VLAgent"


@dataclass(frozen=True)
class Family:
    """An env family: its name, pip extra, the modules it needs and a one-line summary.

    ``needs_download`` marks a family whose data cannot ship (an official test set the user
    downloads and points the env at): its ids are in the ``paper`` suite, not in ``quick``.
    """

    name: str
    extra: str
    modules: tuple[str, ...]
    summary: str
    needs_download: bool = False


FAMILIES: dict[str, Family] = {}


def _register(
    family: Family,
    variant: str | None,
    entry_point: str,
    /,
    *,
    max_episode_steps: int | None = None,
    version: int = 0,
    **kwargs: object,
) -> None:
    FAMILIES.setdefault(family.name, family)
    name = family.name if variant is None else f"{family.name}-{variant}"
    env_id = f"{NAMESPACE}/{name}-v{version}"
    if env_id in gym.registry:  # re-import (importlib.reload) is harmless
        return
    gym.register(
        env_id,
        entry_point=entry_point,
        max_episode_steps=max_episode_steps,
        kwargs=kwargs,
        disable_env_checker=False,
    )


def family_of(env_id: str) -> str | None:
    """The family an id belongs to: the longest family name it starts with (``VSIBench-MiniWorld``
    before ``VSIBench``); ``None`` for an id that is not ours."""
    name = env_id.removeprefix(f"{NAMESPACE}/")
    if name == env_id:
        return None
    matches = [f for f in FAMILIES if name.startswith(f + "-")]
    return max(matches, key=len, default=None)


def registered_ids(family: str | None = None) -> list[str]:
    """Every registered ``VLAgent/...`` id, sorted; only one family's with ``family``."""
    ids = (i for i in gym.registry if i.startswith(f"{NAMESPACE}/"))
    return sorted(i for i in ids if family is None or family_of(i) == family)


# --- Gym-Cards -----------------------------------------------------------------------------
GYM_CARDS = Family(
    "GymCards",
    "cards",
    ("PIL", "numpy"),
    "RL4VLM's card games: NumberLine, EZPoints, Points24, Blackjack",
)
_CARDS = "vlagent_envs.envs.gym_cards"
_register(GYM_CARDS, "NumberLine", f"{_CARDS}.numberline:NumberLineEnv", max_episode_steps=10)
_register(GYM_CARDS, "EZPoints", f"{_CARDS}.points:EZPointsEnv", max_episode_steps=10)
_register(GYM_CARDS, "Points24", f"{_CARDS}.points:Points24Env", max_episode_steps=30)
_register(GYM_CARDS, "Blackjack", f"{_CARDS}.blackjack:BlackjackEnv", max_episode_steps=20)

# --- MiniWorld -----------------------------------------------------------------------------
MINIWORLD = Family(
    "MiniWorld",
    "miniworld",
    ("miniworld", "pyglet"),
    "Farama MiniWorld 3-D navigation (VL-DAC's OneRoom, Hallway, FourRooms, WallGap), headless",
)
_MINIWORLD = "vlagent_envs.envs.miniworld.env:MiniWorldEnv"
# Every task miniworld 2.1.0 registers, with its step limit (VL-DAC's 128 for its four tasks);
# vlagent_envs/envs/miniworld/tasks.py holds the rest (a test keeps the two in step).
_MINIWORLD_TASKS = {
    "OneRoom": 128,
    "OneRoomS6": 100,
    "OneRoomS6Fast": 50,
    "Hallway": 128,
    "FourRooms": 128,
    "WallGap": 128,
    "Maze": 1536,
    "MazeS2": 96,
    "MazeS3": 216,
    "MazeS3Fast": 300,
    "TMaze": 280,
    "TMazeLeft": 280,
    "TMazeRight": 280,
    "YMaze": 280,
    "YMazeLeft": 280,
    "YMazeRight": 280,
    "Sidewalk": 150,
    "RoomObjects": 180,
    "ThreeRooms": 400,
    "PickupObjects": 400,
    "PutNext": 250,
    "CollectHealth": 1000,
    "Sign": 20,
}
# VLAgent/MiniWorld-v0: VL-DAC's main env, OneRoom.
_register(MINIWORLD, None, _MINIWORLD, max_episode_steps=128, task_name="OneRoom")
for _task, _limit in _MINIWORLD_TASKS.items():
    _register(MINIWORLD, _task, _MINIWORLD, max_episode_steps=_limit, task_name=_task)
del _task, _limit

# --- MathQA --------------------------------------------------------------------------------
MATHQA = Family(
    "MathQA",
    "mathqa",
    ("PIL", "numpy"),
    "GSM8K-style math word problems (ESSA's reasoning domain), one free-text answer each",
)
_register(MATHQA, None, "vlagent_envs.envs.mathqa.env:MathQAEnv", max_episode_steps=1)

# --- WebShop -------------------------------------------------------------------------------
WEBSHOP = Family(
    "WebShop",
    "webshop",
    ("flask", "bm25s", "Stemmer", "rapidfuzz", "textblob"),
    "WebShop's shop site: search, products, options, the purchase reward (text or screenshots)",
)
_WEBSHOP = "vlagent_envs.envs.webshop.env:WebShopEnv"
_register(WEBSHOP, None, _WEBSHOP, max_episode_steps=15, observation_mode="text_rich")
# VL-DAC's setting: the pages as headless Chromium shows them.
_register(WEBSHOP, "Screenshot", _WEBSHOP, max_episode_steps=15, observation_mode="screenshot")

# --- ALFWorld ------------------------------------------------------------------------------
ALFWORLD = Family(
    "ALFWorld",
    "alfworld",
    ("textworld", "fast_downward", "alfworld"),
    "ALFWorld's household text games (alfworld's engine), six task types, a schematic image",
)
_ALFWORLD = "vlagent_envs.envs.alfworld.env:ALFWorldEnv"
# 50 steps: ALFWorld's evaluation limit, as VL-DAC and RL4VLM use it.
_register(ALFWORLD, None, _ALFWORLD, max_episode_steps=50)
# The six of envs/alfworld/data.py's TASK_TYPES, written out: importing that module here would add
# 27 ms to every `import vlagent_envs` (tests/envs/alfworld/test_alfworld_env.py makes each id).
for _task in (
    "pick_and_place_simple",
    "look_at_obj_in_light",
    "pick_clean_then_place_in_recep",
    "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep",
    "pick_two_obj_and_place",
):
    _register(ALFWORLD, _task, _ALFWORLD, max_episode_steps=50, task_type=_task)
del _task

# --- BALROG --------------------------------------------------------------------------------
# BALROG's environments with its observations, action vocabularies, invalid-action defaults and
# progression metric, and fixed seeds. Step limits are BALROG's (config.yaml, the envs' own).
BALROG_BABYAI = Family(
    "BALROG-BabyAI",
    "balrog",
    ("minigrid",),
    "BALROG's BabyAI: five task families in an 8x8 room (two for open) on minigrid, in words",
)
_BABYAI = "vlagent_envs.benchmarks.balrog.babyai:BabyAIEnv"
# VLAgent/BALROG-BabyAI-v0 draws one of the five tasks per episode (BabyAI-MixedTrainLocal);
# each task's episode ends at minigrid's own limit (64 steps per navigation), 128 is a backstop.
_register(BALROG_BABYAI, None, _BABYAI, max_episode_steps=128)
for _task in ("goto", "pickup", "open", "putnext", "pick_up_seq_go_to"):
    _register(BALROG_BABYAI, _task, _BABYAI, max_episode_steps=128, task_name=_task)
del _task

BALROG_CRAFTER = Family(
    "BALROG-Crafter",
    "balrog",
    ("crafter",),
    "BALROG's Crafter: the 2-D survival world in words (nearby objects, status, inventory)",
)
_register(
    BALROG_CRAFTER,
    None,
    "vlagent_envs.benchmarks.balrog.crafter:CrafterEnv",
    max_episode_steps=2000,
)

BALROG_TEXTWORLD = Family(
    "BALROG-TextWorld",
    "balrog",
    ("textworld",),
    "BALROG's TextWorld: treasure hunter, the cooking game, coin collector (generated offline)",
)
_TEXTWORLD = "vlagent_envs.benchmarks.balrog.textworld.env:TextWorldEnv"
# VLAgent/BALROG-TextWorld-v0 draws one of the three tasks per episode.
_register(BALROG_TEXTWORLD, None, _TEXTWORLD, max_episode_steps=80)
for _task in ("treasure_hunter", "the_cooking_game", "coin_collector"):
    _register(BALROG_TEXTWORLD, _task, _TEXTWORLD, max_episode_steps=80, task_name=_task)
del _task

BALROG_BABAISAI = Family(
    "BALROG-BabaIsAI",
    "balrog",
    (),
    "BALROG's Baba Is AI: push rule blocks to change the rules, 40 tasks (pure Python)",
)
_BABAISAI = "vlagent_envs.benchmarks.balrog.babaisai:BabaIsAIEnv"
# VLAgent/BALROG-BabaIsAI-v0 draws one of the 40 tasks per episode; 100 steps is the original's
# limit. The task names are BALROG's (config.yaml, without "env/"), written out so that
# `import vlagent_envs` does not import the env module.
_register(BALROG_BABAISAI, None, _BABAISAI, max_episode_steps=100)
for _task in (
    "make_win-distr_obj_rule",
    "goto_win-distr_obj_rule",
    "goto_win",
    "goto_win-distr_obj",
    "goto_win-distr_rule",
    "goto_win-distr_obj-irrelevant_rule",
    "make_win-distr_obj",
    "make_win-distr_rule",
    "make_win",
    "make_win-distr_obj-irrelevant_rule",
    "two_room-goto_win",
    "two_room-goto_win-distr_obj_rule",
    "two_room-goto_win-distr_rule",
    "two_room-goto_win-distr_obj",
    "two_room-goto_win-distr_obj-irrelevant_rule",
    "two_room-goto_win-distr_win_rule",
    "two_room-break_stop-goto_win-distr_obj_rule",
    "two_room-break_stop-goto_win-distr_obj",
    "two_room-break_stop-goto_win-distr_rule",
    "two_room-break_stop-goto_win-distr_obj-irrelevant_rule",
    "two_room-break_stop-goto_win",
    "two_room-maybe_break_stop-goto_win-distr_obj_rule",
    "two_room-maybe_break_stop-goto_win",
    "two_room-maybe_break_stop-goto_win-distr_obj",
    "two_room-maybe_break_stop-goto_win-distr_rule",
    "two_room-maybe_break_stop-goto_win-distr_obj-irrelevant_rule",
    "two_room-make_win-distr_obj_rule",
    "two_room-make_win-distr_rule",
    "two_room-make_win",
    "two_room-make_win-distr_obj-irrelevant_rule",
    "two_room-make_win-distr_obj",
    "two_room-make_win-distr_win_rule",
    "two_room-break_stop-make_win-distr_obj_rule",
    "two_room-break_stop-make_win-distr_rule",
    "two_room-break_stop-make_win",
    "two_room-break_stop-make_win-distr_obj-irrelevant_rule",
    "two_room-break_stop-make_win-distr_obj",
    "two_room-make_you",
    "two_room-make_you-make_win",
    "two_room-make_wall_win",
):
    _register(BALROG_BABAISAI, _task, _BABAISAI, max_episode_steps=100, task_name=_task)
del _task

BALROG_NETHACK = Family(
    "BALROG-NetHack",
    "balrog",
    ("nle",),
    "BALROG's NetHack: NetHackChallenge (a random role, the full game) in words and tiles",
)
# BALROG's nle_kwargs: max_episode_steps 100,000 and a no-progress timeout of 150 steps.
_register(
    BALROG_NETHACK,
    None,
    "vlagent_envs.benchmarks.balrog.nethack:NetHackEnv",
    max_episode_steps=100_000,
)

BALROG_MINIHACK = Family(
    "BALROG-MiniHack",
    "balrog",
    ("minihack", "nle"),
    "BALROG's MiniHack: Boxoban, MazeWalk, Corridor, CorridorBattle, Quest in words and tiles",
)
_MINIHACK = "vlagent_envs.benchmarks.balrog.minihack:MiniHackEnv"
# VLAgent/BALROG-MiniHack-v0 draws one of the eight tasks per episode; 100 steps (BALROG's).
_register(BALROG_MINIHACK, None, _MINIHACK, max_episode_steps=100)
for _task in (
    "Boxoban-Hard",
    "Boxoban-Medium",
    "MazeWalk-9x9",
    "MazeWalk-15x15",
    "Corridor-R3",
    "CorridorBattle-Dark",
    "Quest-Easy",
    "Quest-Medium",
):
    _register(BALROG_MINIHACK, _task, _MINIHACK, max_episode_steps=100, task_name=_task)
del _task

# --- VSI-Bench -----------------------------------------------------------------------------
# One-step questions about a video (VL-DAC's spatial transfer benchmark). The official test set is
# a download (nyu-visionx/VSI-Bench): the official ids read it from $VSIBENCH_ROOT (or root=...).
# The MiniWorld ids play the generated set that ships (the same layout, ground truth from the
# simulator's geometry). Task names are the official question types, with the three
# relative-direction levels merged as the official aggregation merges them.
_VSIBENCH = "vlagent_envs.benchmarks.vsibench.env:VSIBenchEnv"
_VSIBENCH_TASKS = {
    "ObjectCounting": "object_counting",
    "ObjectAbsDistance": "object_abs_distance",
    "ObjectSize": "object_size_estimation",
    "RoomSize": "room_size_estimation",
    "ObjectRelDistance": "object_rel_distance",
    "ObjectRelDirection": "object_rel_direction",
    "RoutePlanning": "route_planning",
    "AppearanceOrder": "obj_appearance_order",
}
VSIBENCH = Family(
    "VSIBench",
    "vsibench",
    ("av", "pandas", "pyarrow"),
    "VSI-Bench's official test set (a download): spatial questions about indoor scan videos",
    needs_download=True,
)
VSIBENCH_MINIWORLD = Family(
    "VSIBench-MiniWorld",
    "vsibench",
    ("av", "pandas", "pyarrow"),
    "VSI-Bench's eight question kinds on generated MiniWorld walk-through videos (ships)",
)
for _family, _kwargs in ((VSIBENCH, {}), (VSIBENCH_MINIWORLD, {"generated": True})):
    _register(_family, None, _VSIBENCH, max_episode_steps=1, **_kwargs)
    for _task, _type in _VSIBENCH_TASKS.items():
        _register(_family, _task, _VSIBENCH, max_episode_steps=1, task=_type, **_kwargs)
del _family, _kwargs, _task, _type

# --- VisualWebBench ------------------------------------------------------------------------
# One-step questions about a web page screenshot (VL-DAC's web transfer benchmark), one id per
# task config. The official test set is a download (visualwebbench/VisualWebBench): the official
# ids read it from $VISUALWEBBENCH_ROOT (or root=...). The WebShop ids play the generated set that
# ships: Chromium screenshots of the WebShop site, ground truth from the pages' DOM.
_VISUALWEBBENCH = "vlagent_envs.benchmarks.visualwebbench.env:VisualWebBenchEnv"
_VISUALWEBBENCH_TASKS = {
    "WebCaption": "web_caption",
    "WebQA": "webqa",
    "HeadingOCR": "heading_ocr",
    "ElementOCR": "element_ocr",
    "ElementGround": "element_ground",
    "ActionPrediction": "action_prediction",
    "ActionGround": "action_ground",
}
VISUALWEBBENCH = Family(
    "VisualWebBench",
    "visualwebbench",
    ("pandas", "pyarrow", "rouge"),
    "VisualWebBench's official test set (a download): seven web understanding/grounding tasks",
    needs_download=True,
)
VISUALWEBBENCH_WEBSHOP = Family(
    "VisualWebBench-WebShop",
    "visualwebbench",
    ("pandas", "pyarrow", "rouge"),
    "VisualWebBench's seven tasks on generated screenshots of the WebShop site (ships)",
)
for _family, _kwargs in ((VISUALWEBBENCH, {}), (VISUALWEBBENCH_WEBSHOP, {"generated": True})):
    for _task, _config in _VISUALWEBBENCH_TASKS.items():
        _register(_family, _task, _VISUALWEBBENCH, max_episode_steps=1, task=_config, **_kwargs)
del _family, _kwargs, _task, _config

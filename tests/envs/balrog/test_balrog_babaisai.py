"""``VLAgent/BALROG-BabaIsAI-*``: the rule world (rules, pushes, STOP, win, losing YOU), BALROG's
text, the 40 task layouts, the expert, seeding, invalid actions and pickling."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401
from vlagent_envs.benchmarks.balrog.babaisai import (
    ACTIONS,
    BORDER,
    NOUN,
    TASK_NAMES,
    TASKS,
    THING,
    BabaIsAIEnv,
    BabaWorld,
    balrog_text,
    build_level,
    render_world,
    solve,
    text_kind,
    thing_kind,
)


def _world(objects: dict[tuple[int, int], str], size: tuple[int, int] = (8, 8)) -> BabaWorld:
    """An empty walled room with ``objects``: ``"baba"``, ``"red ball"`` (a thing) or
    ``"#win"`` (a text block)."""
    world = BabaWorld(*size)
    for (x, y), name in objects.items():
        if name.startswith("#"):
            world.add(text_kind(name[1:]), x, y)
        else:
            *color, noun = name.split()
            world.add(thing_kind(noun, color[0] if color else None), x, y)
    world.read_rules()
    return world


def _env_with(world: BabaWorld, task: str = "goto_win") -> BabaIsAIEnv:
    env = BabaIsAIEnv(task_name=task)
    env.reset(seed=0)
    env._world = world
    return env


BABA_IS_YOU = {(1, 6): "#baba", (2, 6): "#is", (3, 6): "#you"}


# ----------------------------------------------------------------------------- rules
def test_rules_horizontal_vertical_and_order() -> None:
    world = _world(
        {
            **BABA_IS_YOU,
            (5, 1): "#key",  # vertical: key / is / win
            (5, 2): "#is",
            (5, 3): "#win",
            (4, 2): "#wall",  # across the same `is`: wall is stop
            (6, 2): "#stop",
        }
    )
    # `is` blocks in row-major order; for each, the horizontal rule before the vertical one.
    assert world.rules.texts == ("wall is stop", "key is win", "baba is you")
    assert world.rules.you == "baba"


def test_broken_and_malformed_rules_are_not_read() -> None:
    world = _world(
        {
            (1, 1): "#ball",
            (3, 1): "#is",  # a gap between `ball` and `is`
            (4, 1): "#win",
            (1, 3): "#is",
            (2, 3): "#win",
            (3, 3): "#key",  # is win key: wrong order
            (1, 5): "#win",
            (2, 5): "#is",
            (3, 5): "#you",  # property is property
        }
    )
    assert world.rules.texts == ()
    assert world.rules.you is None


def test_noun_is_noun_stacks_a_new_object() -> None:
    world = _world(
        {**BABA_IS_YOU, (1, 1): "#ball", (2, 1): "#is", (3, 1): "#key", (5, 3): "red ball"}
    )
    assert world.rules.replace == (("ball", "key"),)
    world.step("up")
    top = world.top(5, 3)
    assert (top.category, top.word, top.color) == (THING, "key", "blue")  # the default colour


# ----------------------------------------------------------------------------- dynamics
def test_push_chain_of_blocks_and_things() -> None:
    world = _world({**BABA_IS_YOU, (2, 3): "baba", (3, 3): "#win", (4, 3): "#is"})
    world.step("right")
    assert world.top(3, 3).word == "baba"
    assert [world.top(x, 3).word for x in (4, 5)] == ["win", "is"]
    world.step("right")
    world.step("right")  # the chain now touches the east wall (x=7): nothing moves
    assert [world.top(x, 3).word for x in (5, 6)] == ["win", "is"]
    assert world.top(4, 3).word == "baba"
    world.step("right")
    assert world.top(4, 3).word == "baba" and world.top(5, 3).word == "win"


def test_stop_blocks_and_other_things_are_walked_onto() -> None:
    world = _world(
        {
            **BABA_IS_YOU,
            (1, 1): "#wall",
            (2, 1): "#is",
            (3, 1): "#stop",
            (2, 3): "baba",
            (3, 3): "wall",
            (2, 4): "blue key",
        }
    )
    world.step("right")
    assert world.top(2, 3).word == "baba"  # stopped by the wall
    world.step("down")  # onto the key: they share the cell, baba on top
    assert world.top(2, 4).word == "baba" and len(world.cells[4 * 8 + 2]) == 2
    world.step("up")
    assert world.top(2, 4).word == "key"
    # A pushed block cannot enter a STOP wall either.
    world = _world(
        {
            **BABA_IS_YOU,
            (1, 1): "#wall",
            (2, 1): "#is",
            (3, 1): "#stop",
            (2, 3): "baba",
            (3, 3): "#key",
            (4, 3): "wall",
        }
    )
    world.step("right")
    assert world.top(2, 3).word == "baba" and world.top(3, 3).word == "key"


def test_win_and_reward_formula() -> None:
    world = _world({**BABA_IS_YOU, (1, 1): "#ball", (2, 1): "#is", (3, 1): "#win"})
    world.add(thing_kind("baba"), 2, 3)
    world.add(thing_kind("ball", "red"), 4, 3)
    env = _env_with(world)
    _, reward, terminated, truncated, info = env.step("right")
    assert (reward, terminated, info["success"]) == (0.0, False, False)
    _, reward, terminated, truncated, info = env.step("right")
    assert terminated and not truncated and info["success"] and info["progress"] == 1.0
    assert reward == pytest.approx(1 - 0.9 * 2 / 100)


def test_a_rule_made_by_a_move_counts_from_the_next_move() -> None:
    # `win` lies on a ball; pushing it up completes "ball is win" and uncovers the ball that
    # baba steps onto -- the original judges that move with the rules from before it.
    world = _world({**BABA_IS_YOU, (1, 1): "#ball", (2, 1): "#is"})
    world.add(thing_kind("ball"), 3, 2)
    world.add(text_kind("win"), 3, 2)
    world.add(thing_kind("baba"), 3, 3)
    world.read_rules()
    assert world.step("up") == (False, False)
    assert world.rules.texts == ("ball is win", "baba is you")
    assert world.top(3, 2).word == "baba"
    assert world.step("down") == (False, False)
    assert world.step("up") == (True, False)


def test_losing_you_resets_the_level_as_balrog_does() -> None:
    rule = {(2, 4): "#baba", (3, 4): "#is", (4, 4): "#you"}
    world = _world({**rule, (4, 5): "baba", (1, 1): "#key", (2, 1): "#is", (3, 1): "#win"})
    env = _env_with(world, task="goto_win")
    obs, reward, terminated, truncated, info = env.step("up")  # pushes `you` off the rule
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["you_rule_broken"]
    assert obs["text"].startswith("[...] IS YOU rule was broken, environment reset\nActive rules:")
    assert env.world is not world and env.world.step_count == 0
    assert "baba is you" in env.world.rules.texts


# ----------------------------------------------------------------------------- text
def test_text_observation_exact() -> None:
    world = _world(
        {
            **BABA_IS_YOU,
            (1, 1): "#key",
            (2, 1): "#is",
            (3, 1): "#win",
            (4, 3): "baba",
            (6, 1): "green door",
            (4, 5): "red key",
            (6, 4): "wall",
        }
    )
    assert balrog_text(world) == (
        "Active rules:\n"
        "key is win\n"
        "baba is you\n"
        "\n"
        "Objects on the map:\n"
        "rule `key` 3 step to the left and 2 step up\n"
        "rule `is` 2 step to the left and 2 step up\n"
        "rule `win` 1 step to the left and 2 step up\n"
        "door 2 steps to the right and 2 step up\n"
        "wall 2 steps to the right and 1 step down\n"
        "key 2 steps down\n"
        "rule `baba` 3 step to the left and 3 steps down\n"
        "rule `is` 2 step to the left and 3 steps down\n"
        "rule `you` 1 step to the left and 3 steps down"
    )
    assert balrog_text(world, add_ruleset=False).startswith("Objects on the map:\nrule `key`")


def test_text_when_you_is_not_baba() -> None:
    # "key is you": the key is the reference (and is listed, on its own cell, as an empty
    # line, as BALROG does); baba objects are never listed.
    world = _world({(1, 1): "#key", (2, 1): "#is", (3, 1): "#you", (2, 3): "key", (4, 3): "baba"})
    lines = balrog_text(world).split("\n")
    assert lines[:3] == ["Active rules:", "key is you", ""]
    assert lines[4:] == [
        "rule `key` 1 step to the left and 2 step up",
        "rule `is` 2 step up",
        "rule `you` 1 step to the right and 2 step up",
        "",
    ]


# ----------------------------------------------------------------------------- the tasks
@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_task_resets_to_a_valid_layout(task: str) -> None:
    spec = TASKS[task]
    env = gym.make(f"VLAgent/BALROG-BabaIsAI-{task}-v0")
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        world = env.unwrapped.world
        assert (world.width, world.height) == (spec.width, spec.height)
        assert obs["image"].shape == (spec.height * 32, spec.width * 32, 3)
        assert world.you_position() is not None and "baba is you" in world.rules.texts
        for x in range(world.width):
            assert world.top(x, 0).category == BORDER
        kinds = [world.top(x, y) for y in range(world.height) for x in range(world.width)]
        win_rules = [r for r in world.rules.texts if r.endswith(" is win")]
        plan = env.unwrapped.target_plan
        goal = plan.rsplit("goto[", 1)[1].rstrip("]")
        if "make[" in plan and goal != "wall" and "make_you" not in task:
            assert f"{goal} is win" not in win_rules
        elif "make_you" not in task and goal != "wall":
            assert f"{goal} is win" in win_rules
        if spec.width == 13:  # the dividing wall
            assert all(world.top(6, y).word == "wall" for y in range(1, 8))
            stop = "wall is stop" in world.rules.texts
            assert stop == (not dict(spec.kwargs).get("break_stop_rule", False))
        assert any(k is not None and k.category == NOUN for k in kinds)
        assert obs["text"].startswith("Active rules:\n")
        assert info["task_prompt"] == env.unwrapped.task_prompt


def test_task_drawing_env_pads_the_image() -> None:
    env = gym.make("VLAgent/BALROG-BabaIsAI-v0")
    tasks = set()
    for seed in range(12):
        obs, _ = env.reset(seed=seed)
        assert obs["image"].shape == (9 * 32, 13 * 32, 3)
        tasks.add(env.unwrapped.task)
    assert len(tasks) > 5


def test_image_is_the_atlas_render() -> None:
    world, _ = build_level("goto_win", np.random.default_rng(0))
    image = render_world(world, 16)
    assert image.shape == (128, 128, 3) and image.dtype == np.uint8
    # Distinct tiles for a text block, baba and the floor.
    x, y = 1, 6
    block = image[y * 16 : (y + 1) * 16, x * 16 : (x + 1) * 16]
    assert block.mean() > 150  # the light text square
    assert len({image[16 * j + 8, 16 * i + 8].tobytes() for i in range(8) for j in range(8)}) > 3


# ----------------------------------------------------------------------------- expert
# Measured with the default search (5,000 states) on seeds 0-9: 10/10 on every task of the
# one-room, two-room goto (with or without breaking "wall is stop"), make-you and
# make-wall-win classes; 8-10/10 on the two-room make-win ones (not asserted here).
SOLVED = [
    "goto_win",
    "goto_win-distr_obj_rule",
    "make_win",
    "make_win-distr_obj_rule",
    "two_room-goto_win-distr_obj_rule",
    "two_room-break_stop-goto_win",
    "two_room-maybe_break_stop-goto_win-distr_rule",
    "two_room-make_you",
    "two_room-make_wall_win",
]


@pytest.mark.parametrize("task", SOLVED)
def test_expert_solves_the_simpler_classes(task: str) -> None:
    env = gym.make(f"VLAgent/BALROG-BabaIsAI-{task}-v0")
    for seed in range(5):
        env.reset(seed=seed)
        for _ in range(100):
            action = env.unwrapped.expert_action()
            assert action in ACTIONS
            _, reward, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        assert info["success"] and info["progress"] == 1.0
        assert reward == pytest.approx(1 - 0.9 * info["step_count"] / 100)


def test_solve_gives_up_within_its_limits() -> None:
    world, _ = build_level("two_room-break_stop-make_win", np.random.default_rng(0))
    assert solve(world, max_nodes=3) is None
    assert solve(world, max_steps=2) is None
    plan = solve(world)
    assert plan is not None and len(plan) <= 100


def test_expert_replans_after_other_actions() -> None:
    env = BabaIsAIEnv(task_name="make_win")
    env.reset(seed=3)
    for action in ("left", "up", "idle"):
        env.step(action)
    for _ in range(97):
        _, _, terminated, truncated, info = env.step(env.expert_action() or "idle")
        if terminated or truncated:
            break
    assert info["success"]


# ----------------------------------------------------------------------------- API
def test_grammar_synonyms_and_invalid_plays_idle() -> None:
    env = BabaIsAIEnv(task_name="goto_win")
    env.reset(seed=0)
    for text, parsed in [("UP", "up"), ("move left", "left"), ("Action: wait", "idle")]:
        _, _, _, _, info = env.step(text)
        assert info["parsed_action"] == parsed and info["action_valid"]
    before = env.world.state_key()
    steps = env.world.step_count
    obs, reward, _, _, info = env.step("jump over the key")
    assert not info["action_valid"] and info["parsed_action"] is None
    assert info["invalid_action_policy"] == "default" and info["invalid_actions"] == 1
    assert env.world.state_key() == before and env.world.step_count == steps + 1
    assert obs["text"].startswith("Invalid action") and reward == 0.0
    assert env.admissible_actions() == list(ACTIONS)
    assert "Any other answer plays 'idle'" in env.task_prompt
    assert env.task_prompt.startswith("Baba Is You is a puzzle game")


def test_step_limit_truncates() -> None:
    env = gym.make("VLAgent/BALROG-BabaIsAI-goto_win-v0")
    env.reset(seed=0)
    for t in range(100):
        _, reward, terminated, truncated, info = env.step("idle")
        assert truncated == (t == 99)
    assert not terminated and reward == 0.0 and info["step_count"] == 100


def test_same_seed_same_episode() -> None:
    def run(seed: int) -> list[str]:
        env = BabaIsAIEnv()
        obs, _ = env.reset(seed=seed)
        texts = [env.task, obs["text"]]
        rng = np.random.default_rng(7)
        for _ in range(30):
            obs, _, terminated, truncated, _ = env.step(list(ACTIONS)[int(rng.integers(5))])
            texts.append(obs["text"])
            if terminated or truncated:
                break
        return texts

    assert run(4) == run(4)
    assert run(4) != run(5)


def test_pickle_mid_episode() -> None:
    env = BabaIsAIEnv(task_name="two_room-make_win")
    env.reset(seed=2)
    for action in ("up", "left", "down"):
        env.step(action)
    env.expert_action()
    clone = pickle.loads(pickle.dumps(env))
    for action in ("right", "right", "up", "idle", "left"):
        a = env.step(action)
        b = clone.step(action)
        assert a[0]["text"] == b[0]["text"] and a[1:4] == b[1:4]
        assert np.array_equal(a[0]["image"], b[0]["image"])
    assert clone.expert_action() == env.expert_action()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        BabaIsAIEnv(task_name="env/goto_win")
    with pytest.raises(ValueError):
        BabaIsAIEnv(tile_size=2)

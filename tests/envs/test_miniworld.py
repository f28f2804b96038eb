"""MiniWorld: the text-action adapter, headless rendering, feedback, the scripted navigator.

Everything here renders for real (EGL + Mesa's llvmpipe, no display). A picture of an
observation is saved to the test's tmp folder and, when ``ARTIFACTS_DIR`` is set, there.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs
from vlagent_envs.core import FrameHistory
from vlagent_envs.envs.miniworld.headless import DEBIAN_PACKAGES, configure_headless
from vlagent_envs.envs.miniworld.tasks import TASKS, VLDAC_TASKS
from vlagent_envs.registration import _MINIWORLD_TASKS

needs_miniworld = pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("miniworld") is None,
    reason='needs the miniworld extra: pip install "vlagent-envs[miniworld]"',
)
MOVES = ("turn left", "turn right", "move forward", "move back")


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def _expert_episode(env: gym.Env, seed: int) -> tuple[list[np.ndarray], dict, float]:
    obs, info = env.reset(seed=seed)
    frames, total = [obs["image"]], 0.0
    while True:
        obs, reward, terminated, truncated, info = env.step(env.unwrapped.expert_action())
        frames.append(obs["image"])
        total += reward
        if terminated or truncated:
            return frames, info, total


def _place(env: gym.Env, x: float, z: float, degrees: float) -> None:
    """Put the agent at ``(x, z)`` facing ``degrees`` (0 = +x, 90 = -z), as a test fixture."""
    agent = env.unwrapped.simulator.agent
    agent.pos = np.array([x, 0.0, z])
    agent.dir = math.radians(degrees)


# --- registration ----------------------------------------------------------------------------


def test_import_registers_every_id_without_importing_the_simulator() -> None:
    done = _run(
        """
        import sys
        import vlagent_envs
        ids = vlagent_envs.registered_ids("MiniWorld")
        print(len(ids), "miniworld" in sys.modules, "pyglet" in sys.modules)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(TASKS) + 1), "False", "False"]


def test_registration_mirrors_the_task_table() -> None:
    assert {name: t.max_episode_steps for name, t in TASKS.items()} == _MINIWORLD_TASKS
    assert set(VLDAC_TASKS) == {"OneRoom", "Hallway", "FourRooms", "WallGap"}
    for name in TASKS:
        spec = gym.spec(f"VLAgent/MiniWorld-{name}-v0")
        assert spec.kwargs == {"task_name": name}
        assert spec.max_episode_steps == TASKS[name].max_episode_steps
    default = gym.spec("VLAgent/MiniWorld-v0")
    assert default.kwargs == {"task_name": "OneRoom"} and default.max_episode_steps == 128
    assert vlagent_envs.registration.FAMILIES["MiniWorld"].extra == "miniworld"


@needs_miniworld
def test_every_task_the_installed_miniworld_registers_is_wrapped() -> None:
    from vlagent_envs.envs.miniworld.headless import load_miniworld

    load_miniworld()
    prefix, suffix = "MiniWorld-", "-v0"
    installed = {i[len(prefix) : -len(suffix)] for i in gym.registry if i.startswith(prefix)}
    assert installed == set(TASKS)
    for name, task in TASKS.items():
        assert gym.spec(f"MiniWorld-{name}-v0").entry_point == task.entry_point


# --- the VL-DAC protocol ---------------------------------------------------------------------


@needs_miniworld
def test_default_env_is_vldac_oneroom() -> None:
    env = gym.make("VLAgent/MiniWorld-v0")
    obs, info = env.reset(seed=0)
    base = env.unwrapped
    assert obs["image"].shape == (60, 80, 3) and obs["image"].dtype == np.uint8
    assert obs["instruction"] == "Go to the red box."
    assert info["admissible_actions"] == list(MOVES)
    assert base.max_episode_steps == 128 and env.spec.max_episode_steps == 128
    prompt = base.task_prompt
    assert all(f"{i}: {name}" in prompt for i, name in enumerate(MOVES))
    assert '"action"' in prompt and '"thoughts"' in prompt
    for text, expected in (
        ("2", "move forward"),
        ("3", "move back"),
        ('{"thoughts": "the box is left", "action": "0"}', "turn left"),
        ("Action: turn right", "turn right"),
        ("Forward", "move forward"),
    ):
        *_, info = env.step(text)
        assert info["parsed_action"] == expected and info["action_valid"]
    env.close()


@needs_miniworld
@pytest.mark.parametrize("task", ["Hallway", "FourRooms", "WallGap"])
def test_vldac_tasks_share_the_protocol(task: str) -> None:
    env = gym.make(f"VLAgent/MiniWorld-{task}-v0")
    _, info = env.reset(seed=1)
    assert info["admissible_actions"] == list(MOVES)
    assert env.unwrapped.max_episode_steps == 128
    assert env.unwrapped.simulator.max_episode_steps == 128
    env.close()


@needs_miniworld
def test_larger_views_and_bad_sizes() -> None:
    env = gym.make("VLAgent/MiniWorld-v0", obs_width=256, obs_height=192)
    obs, _ = env.reset(seed=0)
    assert obs["image"].shape == (192, 256, 3)
    assert env.observation_space["image"].shape == (192, 256, 3)
    env.close()
    for bad in ({"obs_width": 0}, {"obs_height": -60}, {"obs_width": 8.5}, {"step_limit": 0}):
        with pytest.raises(ValueError, match="positive integer"):
            gym.make("VLAgent/MiniWorld-v0", **bad)


def test_unknown_task_suggests_close_names() -> None:
    with pytest.raises(ValueError, match="Did you mean OneRoom"):
        gym.make("VLAgent/MiniWorld-v0", task_name="OneRom")


# --- faithfulness to MiniWorld ---------------------------------------------------------------


@needs_miniworld
@pytest.mark.parametrize("task", ["OneRoom", "FourRooms", "Sign"])
def test_same_world_and_frames_as_raw_miniworld(task: str) -> None:
    from vlagent_envs.envs.miniworld.headless import load_miniworld

    load_miniworld()
    raw = gym.make(f"MiniWorld-{task}-v0")
    env = gym.make(f"VLAgent/MiniWorld-{task}-v0")
    raw_obs, _ = raw.reset(seed=7)
    obs, _ = env.reset(seed=7)
    unwrap = (lambda o: o["obs"]) if task == "Sign" else (lambda o: o)
    assert np.array_equal(unwrap(raw_obs), obs["image"])
    rng = np.random.default_rng(0)
    for _ in range(25):
        index = int(rng.integers(3))
        raw_obs, raw_reward, *raw_end, _ = raw.step(index)
        obs, reward, *end, _ = env.step(str(index))
        assert np.array_equal(unwrap(raw_obs), obs["image"])
        assert end == raw_end
        if raw_reward > 0:  # VL-DAC's tasks count their 1 - 0.2 * t / T over T = 128 steps
            steps = raw.unwrapped.step_count
            assert reward == pytest.approx(1.0 - 0.2 * steps / env.unwrapped.max_episode_steps)
        else:
            assert reward == raw_reward
        if any(end):
            break
    raw.close()
    env.close()


@needs_miniworld
def test_envs_in_one_process_render_their_own_worlds() -> None:
    """MiniWorld compiles every scene into display list 1; each simulator here has its own."""

    def trajectory(seed: int) -> list[np.ndarray]:
        env = gym.make("VLAgent/MiniWorld-MazeS3-v0")
        frames = [env.reset(seed=seed)[0]["image"]]
        frames += [env.step(a)[0]["image"] for a in ("turn left",) * 6]
        env.close()
        return frames

    expected = {seed: trajectory(seed) for seed in (1, 2)}
    a, b = gym.make("VLAgent/MiniWorld-MazeS3-v0"), gym.make("VLAgent/MiniWorld-MazeS3-v0")
    frames = {1: [a.reset(seed=1)[0]["image"]], 2: [b.reset(seed=2)[0]["image"]]}
    for _ in range(6):  # interleaved
        frames[1].append(a.step("turn left")[0]["image"])
        frames[2].append(b.step("turn left")[0]["image"])
    for seed in (1, 2):
        assert all(np.array_equal(x, y) for x, y in zip(frames[seed], expected[seed]))
    assert not np.array_equal(frames[1][0], frames[2][0])


@needs_miniworld
def test_fast_texture_loader_uploads_pyglets_pixels() -> None:
    from vlagent_envs.envs.miniworld.headless import load_miniworld, texture_rgba

    load_miniworld()
    import pyglet
    from miniworld.utils import get_file_path

    for name in ("white_1", "airduct_grate_1", "water_1"):  # RGB, RGBA and palette PNGs
        path = get_file_path("textures", name, "png")
        image = pyglet.image.load(path)
        original = np.frombuffer(image.get_image_data().get_data("RGBA", image.width * 4), np.uint8)
        width, height, data = texture_rgba(path)
        ours = np.frombuffer(data, np.uint8)
        assert (width, height) == (image.width, image.height)
        # Alpha is dropped on upload (the texture is GL_RGB); the colour bytes must be equal.
        assert np.array_equal(original.reshape(-1, 4)[:, :3], ours.reshape(-1, 4)[:, :3])


# --- feedback, rewards, ends -----------------------------------------------------------------


@needs_miniworld
def test_text_says_what_happened() -> None:
    env = gym.make("VLAgent/MiniWorld-v0")  # a 10 x 10 m room
    env.reset(seed=0)
    sim = env.unwrapped.simulator
    box = sim.box
    far_x, far_z = (2.0 if box.pos[0] > 5 else 8.0), (2.0 if box.pos[2] > 5 else 8.0)
    _place(env, far_x, far_z, 0.0)
    assert env.step("turn left")[0]["text"] == "You turned left."
    assert env.step("turn right")[0]["text"] == "You turned right."
    assert env.step("move forward")[0]["text"] == "You moved forward."
    assert env.step("move back")[0]["text"] == "You moved back."
    _place(env, 0.45, far_z, 180.0)  # facing the west wall, almost touching it
    before = sim.agent.pos
    obs, reward, terminated, _, info = env.step("move forward")
    assert obs["text"] == "You bumped into a wall." and not terminated and reward == 0.0
    assert sim.agent.pos is before
    # Stand just out of reach of the box, facing it: the next step reaches it.
    gap = sim.agent.radius + box.radius + 0.2
    side = -1.0 if box.pos[0] > 5 else 1.0
    _place(env, box.pos[0] + side * gap, box.pos[2], 0.0 if side < 0 else 180.0)
    obs, reward, terminated, truncated, info = env.step("move forward")
    assert terminated and not truncated
    assert obs["text"] == "You moved forward. You reached the red box."
    assert info["success"] and info["progress"] == 1.0
    assert reward == pytest.approx(1.0 - 0.2 * 6 / 128)
    env.close()


@needs_miniworld
def test_bumping_into_an_object_names_it() -> None:
    env = gym.make("VLAgent/MiniWorld-PutNext-v0")  # a 12 x 12 m room with six boxes
    env.reset(seed=0)
    sim = env.unwrapped.simulator
    red = sim.red_box
    sim.entities[:] = [e for e in sim.entities if e in (sim.agent, red, sim.yellow_box)]
    gap = sim.agent.radius + red.radius + 0.05
    side = -1.0 if red.pos[0] > 6 else 1.0
    _place(env, red.pos[0] + side * gap, red.pos[2], 0.0 if side < 0 else 180.0)
    assert env.step("move forward")[0]["text"] == "You bumped into the red box."
    assert env.step("drop")[0]["text"] == "You are not carrying anything."
    assert env.step("pick up")[0]["text"] == "You picked up the red box."
    _, _, _, _, info = env.step("move back")
    assert info["progress"] == 0.5
    assert env.step("pick up")[0]["text"] == "You are already carrying the red box."
    assert env.step("drop")[0]["text"] == "You dropped the red box."
    sim.entities[:] = [e for e in sim.entities if e is sim.agent]  # an empty room
    _place(env, 6.0, 6.0, 0.0)
    assert env.step("pick up")[0]["text"] == "There is nothing in front of you to pick up."
    env.close()


@needs_miniworld
def test_invalid_text_is_a_noop_that_spends_a_step() -> None:
    env = gym.make("VLAgent/MiniWorld-v0", step_limit=5)
    obs, _ = env.reset(seed=0)
    for step in range(1, 6):
        new, reward, terminated, truncated, info = env.step("I would rather dance")
        assert reward == 0.0 and not info["action_valid"] and info["parsed_action"] is None
        assert np.array_equal(new["image"], obs["image"]) and "Invalid action" in new["text"]
        assert env.unwrapped.simulator.step_count == step
        assert truncated == (step == 5) and not terminated
    assert new["text"].endswith("Time is up after 5 steps.")


@needs_miniworld
def test_vldac_reward_turns_failed_episodes_into_minus_one() -> None:
    env = gym.make("VLAgent/MiniWorld-v0", step_limit=3, vldac_reward=True)
    env.reset(seed=0)
    rewards = [env.step("turn left")[1] for _ in range(3)]
    assert rewards == [0.0, 0.0, -1.0]
    plain = gym.make("VLAgent/MiniWorld-v0", step_limit=3)
    plain.reset(seed=0)
    assert [plain.step("turn left")[1] for _ in range(3)] == [0.0, 0.0, 0.0]
    _, info, total = _expert_episode(gym.make("VLAgent/MiniWorld-v0", vldac_reward=True), 0)
    assert info["success"] and 0.8 < total < 1.0  # success keeps MiniWorld's reward


@needs_miniworld
def test_task_specific_goals_and_texts() -> None:
    sign = gym.make("VLAgent/MiniWorld-Sign-v0")
    obs, info = sign.reset(seed=0)
    assert info["admissible_actions"] == ["turn left", "turn right", "move forward", "end episode"]
    assert "sign" in obs["instruction"] and "box" in obs["instruction"]
    obs, reward, terminated, _, info = sign.step("3")
    assert info["parsed_action"] == "end episode" and terminated and reward == 0.0
    assert obs["text"] == "You ended the episode." and not info["success"]

    health = gym.make("VLAgent/MiniWorld-CollectHealth-v0")
    health.reset(seed=0)
    obs, reward, *_ = health.step("turn left")
    assert obs["text"] == "You turned left. Health: 98." and reward == 2.0
    obs, reward, *_ = health.step("wait for a medkit to come")  # time passes all the same
    assert obs["text"].endswith("Health: 96.") and reward == 0.0

    targets = set()
    rooms = gym.make("VLAgent/MiniWorld-ThreeRooms-v0")
    for seed in range(8):
        obs, _ = rooms.reset(seed=seed)
        targets.add(obs["instruction"])
    assert len(targets) >= 3 and all(t.startswith("Go to the ") for t in targets)

    pickup = gym.make("VLAgent/MiniWorld-PickupObjects-v0")
    obs, _ = pickup.reset(seed=0)
    assert obs["instruction"].startswith("Pick up every object in the yard: the ")
    assert obs["instruction"].count(", the ") == 4  # five objects


@needs_miniworld
def test_pickled_env_continues_its_episode() -> None:
    env = gym.make("VLAgent/MiniWorld-ThreeRooms-v0")
    env.reset(seed=4)
    for action in ("move forward", "turn left", "nonsense", "move forward"):
        env.step(action)
    clone = pickle.loads(pickle.dumps(env))
    for action in ("move forward", "turn right", "move forward"):
        a, b = env.step(action), clone.step(action)
        assert np.array_equal(a[0]["image"], b[0]["image"])
        assert a[0]["instruction"] == b[0]["instruction"] and a[1:4] == b[1:4]


# --- the scripted navigator ------------------------------------------------------------------


@needs_miniworld
@pytest.mark.parametrize(("task", "seeds", "rate"), [("OneRoom", 40, 0.95), ("Hallway", 40, 0.95)])
def test_expert_reaches_the_goal(task: str, seeds: int, rate: float) -> None:
    env = gym.make(f"VLAgent/MiniWorld-{task}-v0")
    successes = 0
    for seed in range(seeds):
        _, info, total = _expert_episode(env, 1000 + seed)
        successes += info["success"]
        if info["success"]:
            assert info["progress"] == 1.0 and total > 0.8
    assert successes / seeds >= rate


@needs_miniworld
@pytest.mark.slow
@pytest.mark.parametrize("task", ["FourRooms", "WallGap", "Sign", "PutNext"])
def test_expert_navigates_harder_tasks(task: str) -> None:
    env = gym.make(f"VLAgent/MiniWorld-{task}-v0")
    successes = sum(_expert_episode(env, 2000 + seed)[1]["success"] for seed in range(10))
    assert successes >= 8


# --- wrappers, vector envs, pooling ----------------------------------------------------------


@needs_miniworld
def test_frame_history_and_async_workers() -> None:
    def frames_wrapper(env: gym.Env) -> gym.Env:
        return FrameHistory(env, k=4)

    traces = {}
    for mode in ("sync", "async"):
        envs = gym.make_vec(
            "VLAgent/MiniWorld-v0", num_envs=2, vectorization_mode=mode, wrappers=[frames_wrapper]
        )
        obs, _ = envs.reset(seed=[0, 1])
        assert obs["frames"].shape == (2, 4, 60, 80, 3)
        trace = [obs["frames"]]
        for actions in (("move forward", "turn left"), ("2", "junk"), ("turn right", "3")):
            obs, *_ = envs.step(actions)
            assert np.array_equal(obs["frames"][:, -1], obs["image"])
            trace.append(obs["frames"])
        traces[mode] = np.stack(trace)
        envs.close()
    assert np.array_equal(traces["sync"], traces["async"])


@needs_miniworld
def test_closed_envs_lend_their_simulator_to_the_next() -> None:
    first = gym.make("VLAgent/MiniWorld-Hallway-v0")
    first.reset(seed=0)
    sim = first.unwrapped.simulator
    first.close()
    second = gym.make("VLAgent/MiniWorld-Hallway-v0")
    obs, _ = second.reset(seed=0)
    assert second.unwrapped.simulator is sim
    third = gym.make("VLAgent/MiniWorld-Hallway-v0")  # another simulator, the same world
    assert np.array_equal(third.reset(seed=0)[0]["image"], obs["image"])
    assert third.unwrapped.simulator is not sim


# --- headless set-up and clear errors --------------------------------------------------------


def test_headless_is_chosen_only_without_a_display() -> None:
    environ: dict[str, str] = {}
    assert configure_headless(environ) is True
    assert environ == {"PYGLET_HEADLESS": "1", "LP_NUM_THREADS": "0"}
    with_display = {"DISPLAY": ":0"}
    assert configure_headless(with_display) is False and "PYGLET_HEADLESS" not in with_display
    chosen = {"PYGLET_HEADLESS": "0", "LP_NUM_THREADS": "4"}
    assert configure_headless(chosen) is False and chosen["LP_NUM_THREADS"] == "4"


def test_missing_extra_names_the_install_command() -> None:
    done = _run(
        """
        import sys
        sys.modules["miniworld"] = None  # as if the extra were not installed
        import gymnasium as gym
        import vlagent_envs
        try:
            gym.make("VLAgent/MiniWorld-v0")
        except gym.error.DependencyNotInstalled as error:
            print(error)
        """
    )
    assert 'pip install "vlagent-envs[miniworld]"' in done.stdout, done.stderr


@needs_miniworld
def test_gl_context_failure_names_the_debian_packages() -> None:
    done = _run(
        """
        import gymnasium as gym
        import vlagent_envs
        from vlagent_envs.envs.miniworld.headless import GLContextError
        env = gym.make("VLAgent/MiniWorld-v0")
        try:
            env.reset(seed=0)
        except GLContextError as error:
            print(error)
        """,
        PYGLET_HEADLESS="1",
        PYGLET_HEADLESS_DEVICE="99",  # no such EGL device: the context cannot be created
    )
    assert "could not create an OpenGL context" in done.stdout, done.stderr
    assert all(package in done.stdout for package in DEBIAN_PACKAGES)


# --- a picture -------------------------------------------------------------------------------


@needs_miniworld
def test_observation_picture(tmp_path: Path) -> None:
    """The VL-DAC tasks at 256x192, a few steps before the expert reaches the red box."""
    from PIL import Image, ImageDraw

    from vlagent_envs.core import font

    tiles = []
    for task in VLDAC_TASKS:
        env = gym.make(f"VLAgent/MiniWorld-{task}-v0", obs_width=256, obs_height=192)
        frames, info, _ = _expert_episode(env, 3)
        assert info["success"]
        frame = frames[max(0, len(frames) - 16)]  # the expert faces where it goes: the box
        red = (frame[..., 0] > 120) & (frame[..., 1] < 60) & (frame[..., 2] < 60)
        assert red.sum() > 100, f"{task}: the red box should be in view"
        tile = Image.new("RGB", (256, 212), "white")
        tile.paste(Image.fromarray(frame), (0, 20))
        caption = f"{task}: {env.unwrapped.instruction}"
        ImageDraw.Draw(tile).text((4, 3), caption, fill="black", font=font("sans", 13))
        tiles.append(tile)
        env.close()
    sheet = Image.new("RGB", (2 * 256 + 4, 2 * 212 + 4), "white")
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % 2) * 260, (i // 2) * 216))
    targets = [tmp_path]
    if os.environ.get("ARTIFACTS_DIR"):
        targets.append(Path(os.environ["ARTIFACTS_DIR"]))
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        sheet.save(folder / "miniworld_observations.png")
        (folder / "miniworld_observations.json").write_text(
            json.dumps({"tasks": list(VLDAC_TASKS), "size": [256, 192], "seed": 3})
        )
    assert (tmp_path / "miniworld_observations.png").stat().st_size > 10_000

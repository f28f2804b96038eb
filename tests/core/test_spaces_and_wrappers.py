"""FreeText, FrameHistory, the text panel, invalid-action policies and dependency errors."""

from __future__ import annotations

import copy
import multiprocessing as mp

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector.utils import (
    batch_space,
    concatenate,
    create_empty_array,
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

import vlagent_envs  # noqa: F401  (registers the ids)
from vlagent_envs.core import FrameHistory, FreeText, TextPanel, require


def test_free_text_contains_any_unicode_up_to_max_length() -> None:
    space = FreeText(8)
    assert space.contains('{"a":1}')
    assert space.contains("é\u202e\U0001f600")
    assert not space.contains("x" * 9)
    assert not space.contains(b"bytes")
    sample = space.sample()
    assert space.contains(sample)
    assert FreeText(8) == space and FreeText(9) != space


def test_free_text_batches_and_shares_memory() -> None:
    space = FreeText(16)
    batched = batch_space(space, 3)
    assert isinstance(batched, gym.spaces.Tuple) and len(batched) == 3
    assert concatenate(space, ["a", "b"], create_empty_array(space, 2)) == ("a", "b")
    memory = create_shared_memory(space, n=2, ctx=mp)
    view = read_from_shared_memory(space, memory, n=2)
    write_to_shared_memory(space, 1, "héllo wörld and more than sixteen", memory)
    write_to_shared_memory(space, 0, "", memory)
    # The view is live (written after it was made) and deep-copies to a plain tuple.
    assert tuple(view) == ("", "héllo wörld and ")
    assert copy.deepcopy(view) == ("", "héllo wörld and ")
    assert isinstance(copy.deepcopy(view), tuple)


def test_frame_history_stacks_last_k_images() -> None:
    env = FrameHistory(gym.make("VLAgent/GymCards-NumberLine-v0", image_size=32), k=3)
    assert env.observation_space["frames"].shape == (3, 32, 32, 3)
    obs, _ = env.reset(seed=0)
    assert obs["frames"].shape == (3, 32, 32, 3)
    assert all(np.array_equal(frame, obs["image"]) for frame in obs["frames"])
    first = obs["image"]
    obs, *_ = env.step(env.unwrapped.expert_action())
    assert np.array_equal(obs["frames"][-1], obs["image"])
    assert np.array_equal(obs["frames"][0], first)
    assert env.observation_space.contains(obs)
    zeros = FrameHistory(
        gym.make("VLAgent/GymCards-NumberLine-v0", image_size=32), k=2, pad="zeros"
    )
    obs, _ = zeros.reset(seed=0)
    assert obs["frames"][0].max() == 0


def test_frame_history_vectorises() -> None:
    envs = gym.make_vec(
        "VLAgent/GymCards-NumberLine-v0",
        num_envs=2,
        vectorization_mode="sync",
        wrappers=[lambda e: FrameHistory(e, k=4)],
        image_size=32,
    )
    obs, _ = envs.reset(seed=0)
    assert obs["frames"].shape == (2, 4, 32, 32, 3)
    envs.close()


def test_frame_history_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        FrameHistory(gym.make("VLAgent/GymCards-NumberLine-v0"), k=0)
    with pytest.raises(ValueError):
        FrameHistory(FrameHistory(gym.make("VLAgent/GymCards-NumberLine-v0")))


def test_text_panel_wraps_and_cuts() -> None:
    panel = TextPanel(200, 100, font_size=12)
    image = panel.render("word " * 400)
    assert image.shape == (100, 200, 3) and image.dtype == np.uint8
    assert image.min() < 100  # something dark was drawn
    assert len(panel.wrap("a" * (panel.columns * 2 + 1))) == 3
    end = TextPanel(200, 100, font_size=12, keep="end")
    assert not np.array_equal(
        end.render("\n".join(map(str, range(100)))), panel.render("\n".join(map(str, range(100))))
    )


def test_require_names_the_extra() -> None:
    with pytest.raises(gym.error.DependencyNotInstalled, match=r"vlagent-envs\[miniworld\]"):
        require("a_module_that_does_not_exist_xyz", "miniworld")


@pytest.mark.parametrize("kind", ["default", "random"])
def test_other_invalid_action_policies_play_an_action(kind: str) -> None:
    policy = {"kind": kind, "default_action": "+"} if kind == "default" else kind
    env = gym.make("VLAgent/GymCards-NumberLine-v0", invalid_action_policy=policy)
    env.reset(seed=0)
    before = env.unwrapped.current
    _, _, _, _, info = env.step("gibberish")
    assert info["action_valid"] is False and info["invalid_action_policy"] == kind
    assert env.unwrapped.current != before or env.unwrapped.current in (0, 5)
    assert info["invalid_actions"] == 1


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown invalid-action policy"):
        gym.make("VLAgent/GymCards-NumberLine-v0", invalid_action_policy="explode")


def test_step_before_reset_raises() -> None:
    env = gym.make("VLAgent/GymCards-NumberLine-v0", disable_env_checker=True).unwrapped
    with pytest.raises(gym.error.ResetNeeded):
        env.step("+")


def test_import_registers_without_importing_simulators() -> None:
    import subprocess
    import sys

    code = (
        "import sys, vlagent_envs; "
        "heavy = [m for m in sys.modules if m.startswith(('vlagent_envs.envs', 'PIL', "
        "'torch', 'miniworld', 'selenium'))]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

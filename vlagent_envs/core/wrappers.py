"""Wrappers that every family shares."""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = ["FrameHistory"]


class FrameHistory(gym.Wrapper[dict, str, dict, str]):
    """Adds ``"frames"``: the last ``k`` images, oldest first, as ``(k, H, W, 3)`` uint8.

    VL-DAC feeds its policy the last 4 MiniWorld frames; Gym-Cards uses 1. At reset the history
    is filled with copies of the first image (``pad="repeat"``) or black frames (``pad="zeros"``).
    An env that already has ``"frames"`` (a multi-frame benchmark) is refused, to avoid silently
    replacing them.

    Args:
        env: A vlagent-envs env (its observation is a ``Dict`` with an ``"image"`` Box).
        k: Number of frames kept.
        pad: How the history is filled at reset.
    """

    def __init__(self, env: gym.Env, k: int = 4, pad: Literal["repeat", "zeros"] = "repeat"):
        super().__init__(env)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        if pad not in ("repeat", "zeros"):
            raise ValueError(f"pad must be 'repeat' or 'zeros', got {pad!r}")
        space = env.observation_space
        if not isinstance(space, spaces.Dict) or "image" not in space.spaces:
            raise ValueError("FrameHistory needs a Dict observation space with an 'image' key")
        if "frames" in space.spaces:
            raise ValueError("the env already provides 'frames'")
        image_space = space["image"]
        assert isinstance(image_space, spaces.Box)
        self.k, self.pad = k, pad
        self.observation_space = spaces.Dict(
            {
                **space.spaces,
                "frames": spaces.Box(0, 255, (k, *image_space.shape), np.uint8),
            }
        )
        self._frames: deque[np.ndarray] = deque(maxlen=k)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        first = obs["image"] if self.pad == "repeat" else np.zeros_like(obs["image"])
        self._frames.clear()
        for _ in range(self.k - 1):
            self._frames.append(first)
        self._frames.append(obs["image"])
        return self._with_frames(obs), info

    def step(self, action: str):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._frames.append(obs["image"])
        return self._with_frames(obs), reward, terminated, truncated, info

    def _with_frames(self, obs: dict[str, Any]) -> dict[str, Any]:
        return {**obs, "frames": np.stack(self._frames)}

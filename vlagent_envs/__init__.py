"""vlagent-envs: one Gymnasium API for vision-language agents.

``import vlagent_envs`` registers every ``VLAgent/...`` id without importing any simulator::

    import gymnasium as gym
    import vlagent_envs

    env = gym.make("VLAgent/GymCards-NumberLine-v0")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step('{"action": "+"}')
"""

from vlagent_envs import registration
from vlagent_envs.core import FrameHistory, FreeText, VLAgentEnv
from vlagent_envs.registration import registered_ids

__version__ = "0.1.0"

__all__ = [
    "FrameHistory",
    "FreeText",
    "VLAgentEnv",
    "__version__",
    "registered_ids",
    "registration",
]

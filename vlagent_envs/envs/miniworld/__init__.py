"""MiniWorld: Farama's 3-D navigation tasks (VL-DAC's training envs) with text actions.

``gym.make("VLAgent/MiniWorld-v0")`` is VL-DAC's OneRoom; ``VLAgent/MiniWorld-<Task>-v0``
wraps every task ``miniworld`` 2.1.0 registers. Needs the ``miniworld`` extra
(``pip install "vlagent-envs[miniworld]"``); rendering is headless through EGL and Mesa's
llvmpipe, so no display or GPU is needed.

Modules: ``env`` (the adapter), ``tasks`` (the task table), ``goals`` (instructions, success,
the expert's aim), ``expert`` (the scripted navigator), ``headless`` (GL set-up, clear errors),
``simulator`` (building and pooling simulators). Importing this package does not import
``miniworld`` or ``pyglet``; the first reset does.
"""

from vlagent_envs.envs.miniworld.env import MiniWorldEnv
from vlagent_envs.envs.miniworld.tasks import TASKS, VLDAC_TASKS, MiniWorldTask

__all__ = ["TASKS", "VLDAC_TASKS", "MiniWorldEnv", "MiniWorldTask"]

"""Building MiniWorld simulators: a display list of their own, quiet construction, a pool.

Three things the adapter needs from a ``miniworld`` env that the package does not give:

* **Its own display list.** MiniWorld 2.1.0 compiles every episode's static scene into OpenGL
  display list number 1. pyglet's contexts share their objects, so two simulators in one process
  (a sync vector env, an env and its pickled copy) overwrite each other's scene and each renders
  the other's rooms. :func:`simulator_class` derives a class whose static scene goes into a list
  of its own; the drawing code is MiniWorld's, unchanged.
* **Quiet construction.** MiniWorld prints ``Falling back to num_samples=4`` for every frame
  buffer on Mesa; it goes to the debug log instead. The human-view frame buffer (800x600 by
  default, only used by ``render_mode="human"``) is made as small as the observation.
* **Reuse.** A simulator costs ~0.1 s to create on llvmpipe (a context, and compiling the
  rasteriser for it on the first frame). A :class:`SimulatorPool` keeps the simulators of
  closed or collected envs per process and hands them to new envs of the same task and size;
  every episode rebuilds the world from its seed, so reuse is invisible.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import logging
import os
import threading
from collections.abc import Hashable
from typing import Any

from vlagent_envs.envs.miniworld.headless import load_miniworld

__all__ = ["SimulatorPool", "close_simulator", "create_simulator", "simulator_class"]

logger = logging.getLogger(__name__)


def _new_list_id(gl: Any) -> int:
    list_id = gl.glGenLists(1)
    if list_id == 1:  # keep list 1 for MiniWorld's own envs in this process; take the next
        list_id = gl.glGenLists(1)
    return list_id


@functools.cache
def simulator_class(entry_point: str) -> type:
    """The MiniWorld class at ``entry_point`` (``"module:Class"``), with a private display list."""
    load_miniworld()
    from pyglet import gl

    module_name, class_name = entry_point.split(":")
    base = getattr(importlib.import_module(module_name), class_name)

    class PrivateDisplayList(base):  # type: ignore[misc, valid-type]
        _static_list = 0

        def _render_static(self) -> None:
            # MiniWorldEnv._render_static (miniworld 2.1.0) with list 1 replaced by our own.
            if not self._static_list:
                self._static_list = _new_list_id(gl)
            gl.glNewList(self._static_list, gl.GL_COMPILE)
            # light_pos is an array: "+ [1]" adds 1 to each coordinate and the 4th (w) stays 0,
            # a directional light. Kept exactly as MiniWorld has it.
            position = (gl.GLfloat * 4)(*self.light_pos + [1])  # noqa: RUF005
            gl.glLightfv(gl.GL_LIGHT0, gl.GL_POSITION, position)
            gl.glLightfv(gl.GL_LIGHT0, gl.GL_AMBIENT, (gl.GLfloat * 4)(*self.light_ambient))
            gl.glLightfv(gl.GL_LIGHT0, gl.GL_DIFFUSE, (gl.GLfloat * 4)(*self.light_color))
            gl.glEnable(gl.GL_LIGHTING)
            gl.glEnable(gl.GL_LIGHT0)
            gl.glShadeModel(gl.GL_SMOOTH)
            gl.glEnable(gl.GL_COLOR_MATERIAL)
            gl.glColorMaterial(gl.GL_FRONT_AND_BACK, gl.GL_AMBIENT_AND_DIFFUSE)
            gl.glEnable(gl.GL_TEXTURE_2D)
            for room in self.rooms:
                room._render()
            for ent in self.entities:
                if ent.is_static:
                    ent.render()
            gl.glEndList()

        def _render_world(self, frame_buffer: Any, render_agent: bool) -> Any:
            # MiniWorldEnv._render_world (miniworld 2.1.0) calling our own list.
            gl.glCallList(self._static_list)
            for ent in self.entities:
                if not ent.is_static and ent is not self.agent:
                    ent.render()
            if render_agent:
                self.agent.render()
            return frame_buffer.resolve()

    PrivateDisplayList.__name__ = PrivateDisplayList.__qualname__ = class_name
    PrivateDisplayList.__module__ = __name__
    return PrivateDisplayList


def create_simulator(entry_point: str, obs_width: int, obs_height: int) -> Any:
    """A new simulator of ``entry_point`` rendering ``obs_width`` x ``obs_height`` frames."""
    cls = simulator_class(entry_point)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        sim = cls(
            obs_width=obs_width,
            obs_height=obs_height,
            window_width=obs_width,
            window_height=obs_height,
        )
    if printed.getvalue().strip():
        logger.debug("miniworld: %s", printed.getvalue().strip())
    return sim


def close_simulator(sim: Any) -> None:
    """Free a simulator's display list and OpenGL context.

    Leaves pyglet's own hidden context current, so code that draws without choosing a context
    first (MiniWorld's ``reset`` does) still has one.
    """
    from pyglet import gl

    try:
        sim.shadow_window.switch_to()
        if sim._static_list:
            gl.glDeleteLists(sim._static_list, 1)
            sim._static_list = 0
        sim.close()
        sim.shadow_window.close()
        if gl._shadow_window is not None:
            gl._shadow_window.switch_to()
    except Exception as error:  # closing must never raise
        logger.debug("closing a miniworld simulator failed: %r", error)


class SimulatorPool:
    """Idle simulators of this process, by key, for reuse by new envs.

    :meth:`release` runs from garbage-collection finalizers, possibly in the middle of another
    simulator's drawing, so it makes no OpenGL call: a simulator beyond ``max_idle`` is only
    retired, and closed at the next :meth:`acquire` or :meth:`clear`. A forked child inherits
    its parent's pool but not the right to use the parent's contexts, so a pool only serves the
    process that filled it.

    Args:
        max_idle: Idle simulators kept per key.
    """

    def __init__(self, max_idle: int = 4):
        self.max_idle = max_idle
        self._idle: dict[Hashable, list[Any]] = {}
        self._retired: list[Any] = []
        self._pid = os.getpid()
        self._lock = threading.RLock()  # re-entrant: a finalizer may run inside acquire()
        # The parent's simulators, kept referenced in a forked child so that no destructor
        # touches the parent's contexts from here.
        self._inherited: list[Any] = []

    def _check_pid(self) -> None:
        if os.getpid() != self._pid:
            self._inherited.extend(sim for sims in self._idle.values() for sim in sims)
            self._inherited.extend(self._retired)
            self._idle, self._retired = {}, []
            self._pid = os.getpid()

    def _close_retired(self) -> None:
        with self._lock:
            retired, self._retired = self._retired, []
        for sim in retired:
            close_simulator(sim)

    def acquire(self, key: Hashable, entry_point: str, obs_width: int, obs_height: int) -> Any:
        """An idle simulator for ``key``, or a new one."""
        with self._lock:
            self._check_pid()
            idle = self._idle.get(key)
            sim = idle.pop() if idle else None
        self._close_retired()
        return sim if sim is not None else create_simulator(entry_point, obs_width, obs_height)

    def release(self, key: Hashable, sim: Any, pid: int) -> None:
        """Take back ``sim`` (created by process ``pid``) for reuse (no OpenGL call)."""
        if pid != os.getpid():
            return  # a forked copy's finalizer: the simulator is the parent's
        with self._lock:
            self._check_pid()
            idle = self._idle.setdefault(key, [])
            (idle if len(idle) < self.max_idle else self._retired).append(sim)

    def clear(self) -> None:
        """Close every idle simulator."""
        with self._lock:
            self._check_pid()
            self._retired.extend(sim for idle in self._idle.values() for sim in idle)
            self._idle = {}
        self._close_retired()


POOL = SimulatorPool()

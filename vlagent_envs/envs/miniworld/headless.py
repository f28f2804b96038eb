"""Loading MiniWorld so it renders headless: no display, no GPU, no Xvfb.

MiniWorld draws with legacy OpenGL through pyglet. Without an X display pyglet can render
through EGL instead (``PYGLET_HEADLESS=1``), and on a machine without a GPU Mesa's llvmpipe
software rasteriser provides the EGL device. :func:`load_miniworld` prepares that before pyglet
is first imported:

* ``PYGLET_HEADLESS=1`` when no ``DISPLAY`` is set (an explicit value is left alone);
* ``LP_NUM_THREADS=0`` unless set: llvmpipe then rasterises in the calling thread. Its
  rasteriser threads do not survive ``fork``, so without this a worker of
  ``gym.make_vec(..., vectorization_mode="async")`` forked from a process that has rendered
  hangs on its first frame; for 80x60 frames one thread is also no slower.

It then loads pyglet's GL (creating pyglet's hidden context, so a machine without the Mesa
libraries fails here, with :class:`GLContextError` naming the Debian packages) and imports
``miniworld``, whose absence raises ``DependencyNotInstalled`` naming the pip extra.

Finally it makes two of MiniWorld's texture functions fast, with identical frames:

* ``Texture.load`` decodes with Pillow: pyglet converts RGB pixels to RGBA with a regular
  expression, about 0.7 s per 512x512 texture and 5 s for the first OneRoom. The replacement
  uploads the same RGB texels (alpha differs but is dropped: the textures are stored as
  ``GL_RGB``) with the same filtering and mipmaps.
* ``Texture.get`` looks a texture's files up on disk on every call (its ``tex_paths`` cache is
  read but never filled): three times per room at every reset, 40% of a Maze reset. The files
  are now looked up once per name, the same way, and kept in that cache.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from types import ModuleType
from typing import Any

from gymnasium.error import DependencyNotInstalled

__all__ = [
    "DEBIAN_PACKAGES",
    "GLContextError",
    "check_installed",
    "configure_headless",
    "fast_texture_load",
    "load_miniworld",
    "texture_rgba",
]

logger = logging.getLogger(__name__)

# The libraries pyglet loads for headless rendering and the Debian packages that ship them:
# libEGL.so.1 (libegl1, the glvnd dispatcher) and its Mesa vendor libEGL_mesa.so.0 (libegl-mesa0),
# libGL.so.1 (libgl1), libGLU.so.1 (libglu1-mesa: MiniWorld calls gluPerspective) and the
# llvmpipe driver swrast_dri.so (libgl1-mesa-dri).
DEBIAN_PACKAGES: tuple[str, ...] = (
    "libegl1",
    "libegl-mesa0",
    "libgl1",
    "libglu1-mesa",
    "libgl1-mesa-dri",
)
_APT_HINT = "apt-get install --no-install-recommends " + " ".join(DEBIAN_PACKAGES)
_PIP_HINT = 'pip install "vlagent-envs[miniworld]"'

_lock = threading.Lock()
_loaded: ModuleType | None = None


class GLContextError(RuntimeError):
    """No OpenGL context could be created (missing libraries, or an unusable display)."""


def configure_headless(environ: Any = os.environ) -> bool:
    """Choose pyglet's headless EGL backend when there is no display; returns whether it did.

    Only effective before pyglet creates its first window. ``LP_NUM_THREADS=0`` is set too
    (unless already set): see the module docstring.

    Args:
        environ: The environment to update (``os.environ``; a dict in tests).
    """
    environ.setdefault("LP_NUM_THREADS", "0")
    if environ.get("DISPLAY"):
        return environ.get("PYGLET_HEADLESS", "") in ("1", "true", "True", "TRUE")
    environ.setdefault("PYGLET_HEADLESS", "1")
    headless = environ["PYGLET_HEADLESS"] in ("1", "true", "True", "TRUE")
    pyglet = sys.modules.get("pyglet")
    # pyglet reads PYGLET_* once, at import; its windowing module picks the backend later.
    if environ is os.environ and pyglet is not None and "pyglet.window" not in sys.modules:
        pyglet.options["headless"] = headless
    return headless


def check_installed() -> None:
    """Raise ``DependencyNotInstalled`` (naming the pip extra) unless miniworld and pyglet are
    importable; imports neither."""
    for module in ("miniworld", "pyglet"):
        if importlib.util.find_spec(module) is None:
            raise DependencyNotInstalled(f"{module} is not installed; run: {_PIP_HINT}")


def load_miniworld() -> ModuleType:
    """Import ``miniworld`` ready for headless rendering (once per process).

    Raises:
        DependencyNotInstalled: ``miniworld`` or ``pyglet`` is not installed.
        GLContextError: pyglet cannot load OpenGL or create a context; the message names the
            Debian packages to install.
    """
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        check_installed()
        headless = configure_headless()
        try:
            # Loads libGL/libEGL and creates pyglet's hidden context.
            import pyglet.gl
            import pyglet.window  # noqa: F401
        except Exception as error:  # ImportError, OSError, pyglet's own exception classes
            raise GLContextError(gl_failure_message(error, headless)) from error
        import miniworld
        from miniworld.opengl import Texture

        if not getattr(Texture.load, "_vlagent_fast", False):
            Texture.load = classmethod(fast_texture_load)  # type: ignore[method-assign]
        if not getattr(Texture.get, "_vlagent_fast", False):
            Texture.get = classmethod(_remembering_get(Texture.get.__func__))  # type: ignore[method-assign]
        logger.debug("miniworld %s loaded (headless=%s)", miniworld.__version__, headless)
        _loaded = miniworld
        return miniworld


def gl_failure_message(error: BaseException, headless: bool) -> str:
    """The message of a :class:`GLContextError`: what failed and what to install."""
    mode = (
        "headless EGL (PYGLET_HEADLESS=1)"
        if headless
        else f"the X display {os.environ.get('DISPLAY')!r}"
    )
    message = (
        f"MiniWorld could not create an OpenGL context through {mode}: "
        f"{type(error).__name__}: {error}. It renders with Mesa's software OpenGL; on Debian or "
        f"Ubuntu install the libraries with: {_APT_HINT}."
    )
    if not headless:
        message += " Without a usable display, unset DISPLAY (or set PYGLET_HEADLESS=1)."
    return message


def texture_paths(tex_name: str) -> list[str]:
    """The files of texture ``tex_name`` (``<name>_1.png`` ...), found as MiniWorld finds them."""
    from miniworld.utils import get_file_path

    paths = []
    for i in range(1, 10):
        path = get_file_path("textures", f"{tex_name}_{i}", "png")
        if not os.path.exists(path):
            break
        paths.append(path)
    return paths


def _remembering_get(original: Any) -> Any:
    """``Texture.get`` with its ``tex_paths`` cache filled on first use of a name."""

    def get(cls: Any, tex_name: str, rng: Any = None) -> Any:
        if tex_name not in cls.tex_paths:
            paths = texture_paths(tex_name)
            if paths:  # an unknown name keeps failing in MiniWorld's own way
                cls.tex_paths[tex_name] = paths
        return original(cls, tex_name, rng)

    get._vlagent_fast = True  # type: ignore[attr-defined]
    return get


def texture_rgba(tex_path: str) -> tuple[int, int, bytes]:
    """A texture file's pixels as MiniWorld uploads them: RGBA rows, bottom row first."""
    from PIL import Image

    with Image.open(tex_path) as image:
        rgba = image.convert("RGBA").transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return rgba.width, rgba.height, rgba.tobytes()


def fast_texture_load(cls: type, tex_path: str) -> Any:
    """``miniworld.opengl.Texture.load`` decoding with Pillow (same GL texture, ~30x faster).

    Mirrors MiniWorld 2.1.0's loader call for call; only the pixel conversion differs.
    """
    from pyglet import gl
    from pyglet.image import ImageData

    width, height, data = texture_rgba(tex_path)
    tex = ImageData(width, height, "RGBA", data, pitch=width * 4).get_texture()
    gl.glEnable(tex.target)
    gl.glBindTexture(tex.target, tex.id)
    gl.glTexImage2D(
        gl.GL_TEXTURE_2D, 0, gl.GL_RGB, width, height, 0, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE, data
    )
    gl.glHint(gl.GL_GENERATE_MIPMAP_HINT, gl.GL_NICEST)
    gl.glGenerateMipmap(gl.GL_TEXTURE_2D)
    gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, gl.GL_LINEAR)
    gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, gl.GL_LINEAR_MIPMAP_LINEAR)
    gl.glBindTexture(gl.GL_TEXTURE_2D, 0)
    return tex


fast_texture_load._vlagent_fast = True  # type: ignore[attr-defined]

"""Atomic file writes: a temporary file beside the target, then a rename.

A reader (a web server, a concurrent rebuild) sees the old file or the new one, never half of
one; an interrupted write leaves at most a hidden ``.*.tmp`` file behind.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_new_atomic", "write_text_atomic"]

# Outputs are meant to be served and read by others; mkstemp's default is owner-only.
_MODE = 0o644


def _temporary_copy(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, _MODE)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, replacing any file there in one step.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    tmp = _temporary_copy(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_new_atomic(path: str | Path, data: bytes) -> Path:
    """Create ``path`` with ``data`` in one step, never replacing an existing file.

    The complete temporary file is hard-linked to ``path`` (which fails if ``path`` exists),
    so the new name never shows a partial file. On file systems without hard links the name
    is reserved with ``O_EXCL`` and the temporary file renamed over the empty reservation.

    Raises:
        FileExistsError: ``path`` already exists.
    """
    path = Path(path)
    tmp = _temporary_copy(path, data)
    try:
        try:
            os.link(tmp, path)
        except OSError as error:  # FileExistsError (EEXIST) is re-raised below
            if error.errno not in (
                errno.EPERM,
                errno.EOPNOTSUPP,
                errno.ENOTSUP,
                errno.EXDEV,
                errno.EMLINK,
            ):
                raise
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _MODE))
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

"""Where generated data and caches go: ``$XDG_CACHE_HOME/vlagent-envs/<family>/...``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/vlagent-envs/<parts...>`` (``~/.cache/...`` without the variable).

    Read at every call, so a test (or a user) that sets ``XDG_CACHE_HOME`` is always obeyed.
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base, "vlagent-envs", *parts)

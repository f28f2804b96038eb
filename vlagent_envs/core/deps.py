"""Lazy imports of optional simulators with a clear message when an extra is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from gymnasium.error import DependencyNotInstalled

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise ``DependencyNotInstalled`` naming the pip extra to install.

    Args:
        module: The importable module name (``"miniworld"``).
        extra: The vlagent-envs extra that provides it (``"miniworld"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise DependencyNotInstalled(
            f'{module} is not installed; run: pip install "vlagent-envs[{extra}]"'
        ) from error

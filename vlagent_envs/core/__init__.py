"""The core of vlagent-envs: the free-text space, the env base class, action extraction,
shared wrappers and the text-to-image panel. Imports nothing heavy."""

from vlagent_envs.core.actions import ActionGrammar, ChoiceGrammar, extract_action, normalize_text
from vlagent_envs.core.deps import require
from vlagent_envs.core.env import (
    INFO_KEYS,
    DatasetEnv,
    InvalidActionPolicy,
    StepResult,
    VLAgentEnv,
)
from vlagent_envs.core.spaces import FreeText
from vlagent_envs.core.wrappers import FrameHistory

# Rendering needs Pillow; it loads on first use so `import vlagent_envs` stays light.
_LAZY = {"TextPanel", "font", "render_text_panel"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from vlagent_envs.core import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "INFO_KEYS",
    "ActionGrammar",
    "ChoiceGrammar",
    "DatasetEnv",
    "FrameHistory",
    "FreeText",
    "InvalidActionPolicy",
    "StepResult",
    "TextPanel",
    "VLAgentEnv",
    "extract_action",
    "font",
    "normalize_text",
    "render_text_panel",
    "require",
]

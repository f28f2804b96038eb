"""InvalidActionPolicy built from registration kwargs (the additive no-op itself is tested on
ALFWorld, tests/envs/alfworld/test_alfworld_env.py, whose reward keeps the goal-condition rate)."""

from __future__ import annotations

import pytest

from vlagent_envs.core import InvalidActionPolicy


def test_coerce_keeps_the_declared_numbers() -> None:
    declared = InvalidActionPolicy("noop", penalty=-1.0, additive=True)
    assert InvalidActionPolicy.coerce(None, declared) is declared
    assert InvalidActionPolicy.coerce("random", declared) == InvalidActionPolicy(
        "random", penalty=-1.0, additive=True
    )
    assert InvalidActionPolicy.coerce({"penalty": -0.5}, declared).additive
    assert not InvalidActionPolicy.coerce({"additive": False}, declared).additive
    with pytest.raises(ValueError, match="unknown invalid-action policy"):
        InvalidActionPolicy("skip")

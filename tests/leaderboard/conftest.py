"""Fixtures: real results files of the quick suite, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_factory import XSS, NamedAgent, run

from vlagent_envs.eval import RandomAgent, ScriptedAgent


@pytest.fixture(scope="session")
def random_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Results of RandomAgent(seed=0) on the quick suite (every episode played)."""
    return run(RandomAgent(seed=0), tmp_path_factory.mktemp("random"), full=True)


@pytest.fixture(scope="session")
def scripted_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Results of the scripted solvers on the quick suite (every episode played)."""
    return run(ScriptedAgent(), tmp_path_factory.mktemp("scripted"), full=True)


@pytest.fixture(scope="session")
def xss_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Results of an agent whose name, model and config try to inject markup."""
    agent = NamedAgent(
        XSS + " | `code` *em*\nsecond line",
        seed=2,
        model={"path": "<img src=x onerror=alert(2)>|models/evil", "revision": "`main`"},
        note="</script><script>alert(3)</script>",
    )
    return run(agent, tmp_path_factory.mktemp("xss"))

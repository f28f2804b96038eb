"""What a third party needs to evaluate an agent: the Agent protocol, the shipped agents, suites,
the runner, and the results schema and validator.

Heavy agents (the zero-shot VLM) load on first use, so importing this package needs no torch.
"""

from vlagent_envs.eval.agents import Agent, BatchAgent, RandomAgent, ScriptedAgent
from vlagent_envs.eval.results import (
    ResultsError,
    aggregate,
    load_results,
    replay_episodes,
    results_schema,
    validate_results,
)
from vlagent_envs.eval.runner import evaluate, play_actions, run_episode
from vlagent_envs.eval.suites import EnvEntry, Suite, SuiteError, available_suites, load_suite

__all__ = [
    "Agent",
    "BatchAgent",
    "EnvEntry",
    "RandomAgent",
    "ResultsError",
    "ScriptedAgent",
    "Suite",
    "SuiteError",
    "aggregate",
    "available_suites",
    "evaluate",
    "load_results",
    "load_suite",
    "play_actions",
    "replay_episodes",
    "results_schema",
    "run_episode",
    "validate_results",
]

"""The conformance suite, shipped so third-party env authors can run it on their own ids."""

from vlagent_envs.testing.conformance import (
    CHECKS,
    ConformanceError,
    check_action,
    check_contract,
    check_determinism,
    check_env_conformance,
    check_gymnasium,
    check_hostile_actions,
    check_pickle,
    check_scripted_success,
    check_spec_roundtrip,
    check_vector,
    hostile_actions,
    rollout,
)

__all__ = [
    "CHECKS",
    "ConformanceError",
    "check_action",
    "check_contract",
    "check_determinism",
    "check_env_conformance",
    "check_gymnasium",
    "check_hostile_actions",
    "check_pickle",
    "check_scripted_success",
    "check_spec_roundtrip",
    "check_vector",
    "hostile_actions",
    "rollout",
]

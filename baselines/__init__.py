"""Reference baselines (VL-DAC, ESSA, GRPO), run from the repository root as
``python -m baselines.<name>``. The agents every baseline and the leaderboard share (random,
scripted, zero-shot VLM) live in :mod:`vlagent_envs.eval`, so third parties can import them."""

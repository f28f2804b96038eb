"""Transfer benchmarks on the vlagent-envs API: BALROG, VSI-Bench, VisualWebBench."""

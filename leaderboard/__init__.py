"""The vlagent-envs leaderboard: accepted results files, rebuilt into a table, a page and a plot.

Run from the repository root:

* ``python -m leaderboard.run --suite quick`` -- evaluate the shipped baselines, submit their
  results and rebuild (the README's main job);
* ``python -m leaderboard.submit RESULTS.json [--replay]`` -- validate one results file and, if
  it is acceptable, store it under ``submissions/<suite>/`` and rebuild;
* ``python -m leaderboard.render`` -- rebuild ``LEADERBOARD.md``, ``site/index.html`` and
  ``site/leaderboard.png`` from the stored submissions.

What a third party needs to *produce* a results file (agents, runner, schema, validator) lives
in :mod:`vlagent_envs.eval`; this package only judges, stores and shows them.

The modules are imported on use (``from leaderboard.submit import submit``); importing this
package imports none of them, so ``python -m leaderboard.<module>`` runs each one cleanly.
"""

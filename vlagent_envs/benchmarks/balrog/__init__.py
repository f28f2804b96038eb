"""BALROG's environments (BabyAI, Crafter, TextWorld, ...) with BALROG's observations, action
vocabularies, invalid-action defaults and progression metric, on fixed seeds.

Each env module imports its simulator lazily; :mod:`vlagent_envs.benchmarks.balrog.export`
writes an evaluation in BALROG's own results layout.
"""

"""BALROG's TextWorld tasks: treasure hunter, the cooking game, coin collector.

:mod:`.env` holds the env (``VLAgent/BALROG-TextWorld-v0`` and one id per task), :mod:`.generate`
makes the games with TextWorld's own generators at BALROG's settings (and is the command line
``python -m vlagent_envs.benchmarks.balrog.textworld.generate``). Neither imports ``textworld``
until a game is generated or played.
"""

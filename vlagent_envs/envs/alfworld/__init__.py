"""ALFWorld (Shridhar et al., 2021): ALFRED's household tasks as text games, played by alfworld's
own engine (textworld's PDDL environment and fast-downward).

Modules: ``engine`` (the engine, with what it recomputes every step cached; byte-identical texts),
``data`` (finding games in the official layout, or unpacking the generated games that ship with
the package), ``generate`` (a seeded generator of official-format games from ALFRED's floor
plans, alfworld's PDDL domain and grammar), ``reward`` (ALFRED's goal conditions and the VL-DAC
reward), ``render`` (the schematic image) and ``env`` (``VLAgent/ALFWorld-v0`` and one id per task
type).
"""

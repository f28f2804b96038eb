"""VSI-Bench (Yang et al., 2024, "Thinking in Space"): spatial questions about indoor scan videos.

``data`` reads the official layout (the test parquet and ``<dataset>/<scene_name>.mp4`` videos)
and samples frames, ``metrics`` scores answers exactly as the official lmms-eval task does, and
``env`` plays one question per episode on the vlagent-envs API. Nothing heavy is imported here.
"""

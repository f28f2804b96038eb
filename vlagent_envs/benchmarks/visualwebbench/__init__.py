"""VisualWebBench (Liu et al., 2024): seven web page understanding and grounding tasks.

The official test set (Hugging Face ``visualwebbench/VisualWebBench``, one parquet per task
config) is read by :mod:`.data`; :mod:`.prompts` holds the official prompts and answer
post-processing, :mod:`.metrics` the official metrics, and :mod:`.env` one one-step Gymnasium
env per task. Nothing heavy is imported here.
"""

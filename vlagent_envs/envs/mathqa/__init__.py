"""MathQA: GSM8K-style math word problems, one free-text answer per episode (ESSA's reasoning
domain).

Modules: ``env`` (the env), ``answer`` (reading and scoring a response's final number),
``dataset`` (loading GSM8K-format JSONL), ``generate`` (the seeded generator of the shipped
``data/train.jsonl`` and ``data/test.jsonl``). Needs only Pillow and NumPy.
"""

from vlagent_envs.envs.mathqa.answer import answers_match, extract_final_number
from vlagent_envs.envs.mathqa.dataset import DatasetError, Problem, load_problems
from vlagent_envs.envs.mathqa.env import MathQAEnv

__all__ = [
    "DatasetError",
    "MathQAEnv",
    "Problem",
    "answers_match",
    "extract_final_number",
    "load_problems",
]

"""Gym-Cards: NumberLine, EZPoints, Points24 and Blackjack (RL4VLM's gym_cards, written anew).

Needs only Pillow and NumPy (the ``cards`` extra). Every env is seeded through ``np_random``,
renders 300x300 images with the shipped fonts and evaluates formulas exactly without ``eval``.
"""

from vlagent_envs.envs.gym_cards.blackjack import BlackjackEnv
from vlagent_envs.envs.gym_cards.numberline import NumberLineEnv
from vlagent_envs.envs.gym_cards.points import EZPointsEnv, Points24Env

__all__ = ["BlackjackEnv", "EZPointsEnv", "NumberLineEnv", "Points24Env"]

"""The generated catalog and the reward agree: buying a goal's own product, with the goal's
options, at its price, scores 1.0 (what the scripted agent will rely on)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rapidfuzz")
pytest.importorskip("textblob")

from vlagent_envs.envs.webshop.catalog import write_catalog
from vlagent_envs.envs.webshop.data import (
    build_goals,
    load_catalog,
    product_fields,
    split_goals,
)
from vlagent_envs.envs.webshop.reward import get_reward


def _chosen_options(product: Any, wanted: Any) -> dict[str, str]:
    values = list(wanted.values()) if isinstance(wanted, dict) else list(wanted)
    chosen = {}
    for name, choices in product.options.items():
        for value in values:
            if value in choices:
                chosen[name] = value
    return chosen


def test_buying_the_goal_product_with_its_options_scores_one(tmp_path: Path) -> None:
    catalog = load_catalog(write_catalog(tmp_path / "catalog"))
    test = split_goals(build_goals(list(catalog.products))).test
    rewards = []
    for goal in test:
        product = catalog.by_asin[goal.asin]
        goal_fields = asdict(goal)
        options = _chosen_options(product, goal.goal_options)
        rewards.append(get_reward(product_fields(product), goal_fields, product.price, options))
    assert len(rewards) == 500
    assert sum(r == 1.0 for r in rewards) / len(rewards) >= 0.99, sorted(rewards)[:10]

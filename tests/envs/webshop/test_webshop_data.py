"""Tests of the WebShop data layer: loading official-format files, goals, splits, the generator."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest

from vlagent_envs.envs.webshop import catalog as catalog_module
from vlagent_envs.envs.webshop.data import (
    NO_PRICE_CAP,
    PRICE_CAPS,
    DataError,
    build_goals,
    load_catalog,
    parse_pricing,
    shuffle_goals,
    split_goals,
)


def _raw(asin: str, **overrides: object) -> dict:
    product = {
        "asin": asin,
        "name": f"Product {asin}",
        "category": "beauty",
        "query": " Hair Extensions ",
        "product_category": "Beauty & Personal Care › Hair Care › Hair Extensions",
        "full_description": "A natural looking clip-in hair extension.",
        "small_description": ["Natural looking", "Easy to use"],
        "pricing": "$19.99",
        "customization_options": None,
        "images": [f"https://example.invalid/{asin}.jpg", "https://example.invalid/2.jpg"],
        "brand": "dropped",
    }
    product.update(overrides)
    return product


@pytest.fixture
def official_dir(tmp_path: Path) -> Path:
    """A small data folder in the official format (the ``_1000`` file names)."""
    products = [
        _raw(
            "B000000001",
            pricing="$10.99 - $15.99",
            customization_options={
                "Color": [
                    {"value": " Black/White ", "image": "https://example.invalid/bw.jpg"},
                    {"value": "Natural Brown"},
                ],
                "Size": [{"value": "16 Inch", "image": None}, {"value": "20 Inch", "image": None}],
                "Style": None,
            },
        ),
        _raw("B000000002", pricing="$985.00", category="electronics"),
        _raw("B000000003", pricing="", small_description="A single bullet"),
        _raw("B000000001", name="duplicate, dropped"),
        _raw("nan"),
        _raw("B0000000000X"),
        _raw("B000000004", pricing="$1,234.50"),
    ]
    attributes = {
        "B000000001": {
            "attributes": ["natural looking", "clip-in"],
            "instruction": "i want a natural looking hair extension",
            "instruction_attributes": ["natural looking"],
        },
        "B000000002": {"attributes": ["noise cancelling"]},
        "B000000003": {
            "attributes": ["long lasting"],
            "instruction": "i want a long lasting product",
            "instruction_attributes": ["long lasting", "easy to use"],
        },
    }
    human = {
        "B000000001": [
            {
                "asin": "B000000001",
                "instruction": "i need a long clip-in hair extension which is natural looking.",
                "instruction_attributes": ["natural looking"],
                "instruction_options": ["black | white", "16 inch"],
            },
            {
                "asin": "B000000001",
                "instruction": "no attributes, skipped",
                "instruction_attributes": [],
                "instruction_options": [],
            },
        ],
        "B000000002": [
            {
                "asin": "B000000002",
                "instruction": "i want noise cancelling headphones..",
                "instruction_attributes": ["noise cancelling"],
                "instruction_options": [],
            }
        ],
        "B000000003": [
            {
                "asin": "B000000003",
                "instruction": "a long lasting product",
                "instruction_attributes": ["long lasting"],
                "instruction_options": {"size": "large"},
            }
        ],
        "B000000099": [],
    }
    reviews = [
        {
            "asin": "B000000001",
            "average_rating": 4.5,
            "reviews": [{"title": "Nice", "stars": "5", "review": "Looks real."}],
        }
    ]
    for name, value in (
        ("items_shuffle_1000.json", products),
        ("items_ins_v2_1000.json", attributes),
        ("items_human_ins.json", human),
        ("reviews.json", reviews),
    ):
        (tmp_path / name).write_text(json.dumps(value), encoding="utf-8")
    return tmp_path


# --- loading --------------------------------------------------------------------------------


def test_cleaning_follows_load_products(official_dir: Path) -> None:
    catalog = load_catalog(official_dir)
    assert [p.asin for p in catalog.products] == [
        "B000000001",
        "B000000002",
        "B000000003",
        "B000000004",
    ]
    first = catalog.by_asin["B000000001"]
    assert first.name == "Product B000000001"
    assert first.query == "hair extensions"
    assert first.product_category.endswith("Hair Extensions")
    assert first.description == "A natural looking clip-in hair extension."
    assert first.bullet_points == ("Natural looking", "Easy to use")
    assert first.pricing == (10.99, 15.99)
    assert first.price_tag == "$10.99 to $15.99"
    assert 10.99 <= first.price <= 15.99
    assert first.options == {
        "color": ("black | white", "natural brown"),
        "size": ("16 inch", "20 inch"),
    }
    assert first.option_to_image["black | white"] == "https://example.invalid/bw.jpg"
    assert first.option_to_image["natural brown"] is None
    assert first.attributes == ("natural looking", "clip-in")
    assert first.main_image == "https://example.invalid/B000000001.jpg"
    assert first.rating == 4.5
    assert first.reviews == ({"title": "Nice", "score": "5", "body": "Looks real."},)
    assert first.instruction_text == "i want a natural looking hair extension"
    assert len(first.human_instructions) == 2
    assert catalog.attribute_to_asins["natural looking"] == {"B000000001"}

    single = catalog.by_asin["B000000002"]
    assert (single.pricing, single.price_tag, single.price) == ((985.0,), "$985.0", 985.0)
    assert single.rating == "N.A." and single.reviews == ()
    no_price = catalog.by_asin["B000000003"]
    assert (no_price.pricing, no_price.price_tag, no_price.price) == ((100.0,), "$100.0", 100.0)
    assert no_price.bullet_points == ("A single bullet",)
    assert no_price.human_instructions[0].options == {"size": "large"}
    unknown = catalog.by_asin["B000000004"]
    assert unknown.attributes == ("DUMMY_ATTR",)
    assert unknown.price == 1234.5
    assert unknown.human_instructions == () and unknown.instruction_text is None


def test_range_price_is_seeded(official_dir: Path) -> None:
    prices = {
        seed: load_catalog(official_dir, price_seed=seed).products[0].price for seed in (0, 1)
    }
    assert load_catalog(official_dir, price_seed=0).products[0].price == prices[0]
    assert prices[0] != prices[1]


def test_num_products_keeps_the_first_raw_products(official_dir: Path) -> None:
    assert len(load_catalog(official_dir, num_products=2)) == 2


def test_variant_full_reads_the_full_files(official_dir: Path) -> None:
    (official_dir / "items_shuffle.json").write_text(json.dumps([_raw("B00000FULL")]))
    (official_dir / "items_ins_v2.json").write_text("{}")
    assert [p.asin for p in load_catalog(official_dir).products] == ["B00000FULL"]
    assert len(load_catalog(official_dir, variant="1000")) == 4


@pytest.mark.parametrize(
    ("pricing", "expected"),
    [
        ("$12.99", ((12.99,), "$12.99")),
        ("$10.99 - $15.99 - $20.00", ((10.99, 15.99), "$10.99 to $15.99")),
        ("$1,299.00", ((1299.0,), "$1299.0")),
        (None, ((100.0,), "$100.0")),
    ],
)
def test_parse_pricing(pricing: str | None, expected: tuple) -> None:
    assert parse_pricing(pricing) == expected


# --- errors ---------------------------------------------------------------------------------


def test_missing_folder_names_path_and_files(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as error:
        load_catalog(missing)
    message = str(error.value)
    assert str(missing) in message
    for name in ("items_shuffle_1000.json", "items_ins_v2_1000.json", "items_human_ins.json"):
        assert name in message


def test_missing_file_is_named(official_dir: Path) -> None:
    (official_dir / "items_human_ins.json").unlink()
    with pytest.raises(DataError, match=re.escape("lacks items_human_ins.json")):
        load_catalog(official_dir)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("items_shuffle_1000.json", "[{"),
        ("items_shuffle_1000.json", "{}"),
        ("items_shuffle_1000.json", json.dumps([{"asin": "B1", "category": "food"}])),
        ("items_shuffle_1000.json", json.dumps([_raw("B1", pricing="$abc")])),
        ("items_ins_v2_1000.json", "[]"),
        ("items_human_ins.json", json.dumps({"B000000001": [{"no": "instruction"}]})),
        ("reviews.json", json.dumps([{"reviews": []}])),
    ],
)
def test_malformed_file_is_named(official_dir: Path, name: str, content: str) -> None:
    (official_dir / name).write_text(content)
    with pytest.raises(DataError, match=re.escape(name)):
        load_catalog(official_dir)


# --- goals and splits -----------------------------------------------------------------------


def test_human_goals_follow_get_human_goals(official_dir: Path) -> None:
    catalog = load_catalog(official_dir)
    goals = build_goals(catalog)
    assert [g.asin for g in goals] == ["B000000001", "B000000002", "B000000003"]

    extension = goals[0]
    price = catalog.by_asin["B000000001"].price
    candidates = [cap for cap in PRICE_CAPS if cap > price][:4]
    assert extension.price_upper in candidates[1:]  # the larger of two distinct candidates
    assert extension.instruction_text == (
        "i need a long clip-in hair extension which is natural looking, "
        f"and price lower than {extension.price_upper:.2f} dollars"
    )
    assert extension.goal_options == ("black | white", "16 inch")
    assert extension.attributes == ("natural looking",)
    assert extension.query == "hair extensions" and extension.name == "Product B000000001"
    assert extension.weight == 1.0

    # $985: only $990 lies above, fewer than two candidates, so no cap and no price text.
    expensive = goals[1]
    assert expensive.price_upper == NO_PRICE_CAP
    assert expensive.instruction_text == "i want noise cancelling headphones"

    # $100 (no pricing): candidates $110-$140, the cap is one of the upper three.
    assert goals[2].price_upper in (120.0, 130.0, 140.0)
    assert goals[2].goal_options == {"size": "large"}
    assert build_goals(catalog, seed=5) == build_goals(catalog, seed=5)


def test_synthetic_goals_follow_get_synthetic_goals(official_dir: Path) -> None:
    goals = build_goals(load_catalog(official_dir), human=False)
    # Product 1: 2 colours x 2 sizes; product 3: no options, one goal.
    assert [g.asin for g in goals] == ["B000000001"] * 4 + ["B000000003"]
    assert goals[0].goal_options == {"color": "black | white", "size": "16 inch"}
    assert goals[0].instruction_text.startswith(
        "i want a natural looking hair extension with color: black | white, and size: 16 inch, "
        "and price lower than "
    )
    # "natural looking" is in 4 goals, "long lasting" and "easy to use" in 1 each.
    assert goals[0].weight == pytest.approx(1 / 4)
    assert goals[4].weight == pytest.approx(1.0)


def test_split_reproduces_the_original_shuffle() -> None:
    goals = [f"goal {i}" for i in range(2100)]
    state = random.getstate()
    try:
        original = list(goals)
        random.seed(233)  # SimServer.__init__
        random.shuffle(original)
    finally:
        random.setstate(state)
    assert shuffle_goals(goals) == original
    splits = split_goals(goals)  # type: ignore[arg-type]
    assert list(splits.test) == original[:500]
    assert list(splits["dev"]) == original[500:1500]
    assert list(splits.train) == original[1500:]
    with pytest.raises(KeyError):
        splits["eval"]


def test_small_goal_set_leaves_train_empty(official_dir: Path) -> None:
    splits = split_goals(build_goals(load_catalog(official_dir)))
    assert (len(splits.test), len(splits.dev), len(splits.train)) == (3, 0, 0)


# --- the generated catalog ------------------------------------------------------------------


def test_generated_catalog_loads_and_splits(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    start = time.perf_counter()
    folder = catalog_module.ensure_catalog(seed=0)
    assert time.perf_counter() - start < 5
    assert folder == tmp_path / "cache" / "vlagent-envs" / "webshop" / "generated-v1-seed0"
    assert catalog_module.ensure_catalog(seed=0) == folder  # reused
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []

    catalog = load_catalog(folder)
    assert len(catalog) >= 1000
    assert {p.category for p in catalog.products} == {
        "beauty",
        "electronics",
        "fashion",
        "food",
        "garden",
    }
    assert any(len(p.pricing) == 2 for p in catalog.products)
    assert any(p.options for p in catalog.products)
    assert all(p.attributes != ("DUMMY_ATTR",) for p in catalog.products)
    goals = build_goals(catalog)
    splits = split_goals(goals)
    assert (len(splits.test), len(splits.dev)) == (500, 1000)
    assert len(splits.train) > 0
    for goal in goals:
        product = catalog.by_asin[goal.asin]
        assert set(goal.attributes) <= set(product.attributes)
        assert set(goal.goal_options) <= {v for vs in product.options.values() for v in vs}
        assert goal.price_upper > product.price
    assert build_goals(catalog, human=False)


def test_generator_is_deterministic(tmp_path: Path) -> None:
    assert catalog_module.generate_catalog(0) == catalog_module.generate_catalog(0)
    assert catalog_module.generate_catalog(0) != catalog_module.generate_catalog(1)
    small = catalog_module.write_catalog(tmp_path, seed=3, num_products=20)
    assert len(load_catalog(small)) == 20

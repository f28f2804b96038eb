"""The WebShop reward against every example of the original's ``test_goal.py`` and
``test_normalize.py`` (princeton-nlp/WebShop, ``tests/web-agent-site/engine/``), plus edges."""

from __future__ import annotations

from math import isclose
from typing import Any

import pytest

pytest.importorskip("rapidfuzz")
pytest.importorskip("textblob")

from vlagent_envs.envs.webshop.reward import (
    extract_nouns,
    fuzzy_score,
    get_attribute_reward,
    get_option_reward,
    get_reward,
    get_reward_breakdown,
    get_type_reward,
    normalize_color,
)

SNEAKERS = "Mens D.O.N. Issue 2 Gca Basketball Sneakers Shoes Casual - Off White"
PEAK = (
    "PEAK High Top Mens Basketball Shoes Lou Williams Streetball Master Breathable Non Slip "
    "Outdoor Sneakers"
)
SAIREED = (
    "Saireed UL Listed 2 Prong Power Cord for JBL Bar 3.1 Bar 2.1 Channel 4K Ultra HD Soundbar"
)
SAIREED_LONG = SAIREED + " Home Theater System Subwoofer"
BRST = (
    "BRST AC Power Cord Outlet Socket Cable Plug Lead for Panasonic SC-HT830V DVD/VCR Combo "
    "Home Theater System"
)
ATTRIBUTES = ["tea tree", "essential oils", "natural ingredients"]


def _type_pair(goal_name: str, purchased_name: str) -> tuple[dict[str, str], dict[str, str]]:
    goal = {"query": "Query 1", "product_category": "a › b › c", "name": goal_name}
    purchased = {"query": "Query 1", "product_category": "a › b › c", "name": purchased_name}
    return purchased, goal


# --- get_type_reward (original test_get_type_reward) ---------------------------------------


def test_type_reward_exact_match() -> None:
    purchased, goal = _type_pair("Name 1", "Name 1")
    result = get_type_reward(purchased, goal)
    assert result.r_type == 1.0
    assert result.query_match is True
    assert result.category_match is True
    assert result.title_score == 1


def test_type_reward_query_mismatch() -> None:
    purchased, goal = _type_pair("Name 1", "Name 1")
    purchased["query"] = "Query 2"
    assert get_type_reward(purchased, goal).query_match is False


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("b › c › a", True),  # out of order
        ("d › e › f", False),  # disjoint
        ("a › d › b", True),  # two shared parts
        ("a › a › b", True),  # duplicates count once, still two shared
        ("a › a › d", False),  # duplicates count once: one shared
    ],
)
def test_type_reward_category_match(category: str, expected: bool) -> None:
    purchased, goal = _type_pair("Name 1", "Name 1")
    purchased["product_category"] = category
    assert get_type_reward(purchased, goal).category_match is expected


@pytest.mark.parametrize(
    ("goal_name", "purchased_name", "expected"),
    [
        (SAIREED_LONG, BRST, 0.3),  # slightly similar
        (SAIREED, BRST, 0.15),  # slightly similar, shorter goal title
    ],
)
def test_type_reward_title_score(goal_name: str, purchased_name: str, expected: float) -> None:
    purchased, goal = _type_pair(goal_name, purchased_name)
    assert isclose(get_type_reward(purchased, goal).title_score, expected, abs_tol=1e-2)


def test_type_reward_title_score_completely_different() -> None:
    purchased, goal = _type_pair(
        "Rusticware 921ORB Kitchen and Bath Cabinet Knob",
        "Minkissy 2pcs Stainless Steel Eyebrow Tweezers Blackhead Acne Remover Portable Makeup "
        "Tweezers (Silver)",
    )
    result = get_type_reward(purchased, goal)
    assert result.title_score < 0.05
    assert result.r_type == 0.0


@pytest.mark.xfail(
    strict=True,
    reason="known deviation: spaCy en_core_web_sm gives 0.333; the offline PatternTagger tags "
    "9 nouns in the goal title, 4 of them shared, so 0.444",
)
def test_type_reward_title_score_similar_names() -> None:
    purchased, goal = _type_pair(SNEAKERS, PEAK)
    assert isclose(get_type_reward(purchased, goal).title_score, 0.333, abs_tol=1e-2)


def test_type_reward_title_score_similar_names_measured() -> None:
    purchased, goal = _type_pair(SNEAKERS, PEAK)
    assert get_type_reward(purchased, goal).title_score == pytest.approx(4 / 9)


@pytest.mark.parametrize(
    ("title_score", "query_match", "category_match", "r_type"),
    [
        (0.5, False, False, 1.0),  # title score > 0.2 alone suffices
        (0.2, False, False, 0.5),  # 0.2 is not > 0.2
        (0.2, True, False, 1.0),
        (0.15, False, True, 1.0),
        (0.05, True, True, 0.1),  # < 0.1 overrides any match
        (0.0, True, True, 0.0),  # no shared noun zeroes the reward
    ],
)
def test_type_reward_tiers(
    title_score: float, query_match: bool, category_match: bool, r_type: float
) -> None:
    # 20 distinct goal nouns; the purchased title shares title_score * 20 of them.
    goal_nouns = [f"noun{i}" for i in range(20)]
    shared = goal_nouns[: round(title_score * 20)]
    names = {"goal": goal_nouns, "purchased": [*shared, "other"]}
    goal = {"query": "q", "product_category": "a › b › c", "name": "goal"}
    purchased = {
        "query": "q" if query_match else "p",
        "product_category": "a › b › z" if category_match else "x › y › z",
        "name": "purchased",
    }
    result = get_type_reward(purchased, goal, noun_extractor=names.__getitem__)
    assert result.title_score == pytest.approx(title_score)
    assert result.r_type == r_type


def test_type_reward_goal_title_without_nouns_scores_0_2() -> None:
    purchased, goal = _type_pair("x", "y")
    result = get_type_reward(purchased, goal, noun_extractor=lambda _: [])
    assert result.title_score == 0.2
    assert result.r_type == 1.0  # the query still matches


def test_extract_nouns_keeps_duplicates_and_lowercases() -> None:
    assert extract_nouns(SAIREED).count("bar") == 2
    assert "listed" not in extract_nouns(SAIREED)
    assert all(noun == noun.lower() for noun in extract_nouns(BRST))


# --- get_attribute_reward (original test_get_attribute_reward) ------------------------------


def test_attribute_reward_exact_match() -> None:
    purchased = {"Attributes": ["tea tree", "essential oil", "natural ingredients"]}
    assert get_attribute_reward(purchased, {"attributes": ATTRIBUTES}) == (1, 3)


def test_attribute_reward_partial_match() -> None:
    purchased = {
        "Attributes": ["essential oil", "natural ingredients"],
        "Title": "",
        "BulletPoints": [],
        "Description": "",
    }
    assert get_attribute_reward(purchased, {"attributes": ATTRIBUTES}) == (2 / 3, 2)


def test_attribute_reward_found_in_text() -> None:
    purchased = {
        "Attributes": [],
        "Title": "",
        "BulletPoints": ["This shampoo has essential oils and smells like lemons"],
        "Description": "Best shampoo on the market, made with natural ingredients",
    }
    assert get_attribute_reward(purchased, {"attributes": ATTRIBUTES}) == (2 / 3, 2)


def test_attribute_reward_no_match() -> None:
    purchased = {
        "Attributes": ["tea bag", "earl gray", "lipton"],
        "Title": "English tea for breakfast",
        "BulletPoints": ["Soothing aroma", "Calming, great feeling"],
        "Description": "Best tea made by Lipton, great to pair with breakfast",
    }
    assert get_attribute_reward(purchased, {"attributes": ATTRIBUTES}) == (0, 0)


def test_attribute_reward_title_is_lowercased_but_goal_attribute_is_not() -> None:
    purchased = {"Attributes": [], "Title": "Made With TEA TREE oil"}
    assert get_attribute_reward(purchased, {"attributes": ["tea tree"]}) == (1, 1)
    assert get_attribute_reward(purchased, {"attributes": ["Tea Tree"]}) == (0, 0)


def test_attribute_reward_without_goal_attributes() -> None:
    assert get_attribute_reward({"Attributes": ["x"]}, {"attributes": []}) == (None, 0)


# --- normalize_color (original test_normalize.py) and get_option_reward --------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("black forest", "black"),
        ("violet lavender", "lavender"),  # COLOR_SET order, not text order
        ("steelivy fuchsia", "fuchsia"),
        ("123alabaster", "alabaster"),
        ("webshop", "webshop"),
        ("Grey", "Grey"),  # case-sensitive, as the original
    ],
)
def test_normalize_color(text: str, expected: str) -> None:
    assert normalize_color(text) == expected


@pytest.mark.parametrize(
    ("purchased", "goal", "matches", "r_option"),
    [
        (["pack of 12", "grey", "XL"], ["grey", "XL", "pack of 12"], 3, 1),  # exact
        (["pack of 12", "blue", "XL"], ["grey", "XL", "pack of 12"], 2, 2 / 3),  # partial
        (["pack of 12", "powder snow", "XL"], ["cool powder snow", "XL", "pack of 12"], 3, 1),
        (["goal 1", "goal 2"], [], 0, None),  # empty goal options
        ([], ["goal 1", "goal 2"], 0, 0),  # empty purchased options
    ],
)
def test_option_reward(
    purchased: list[str], goal: list[str], matches: int, r_option: float | None
) -> None:
    assert get_option_reward(purchased, goal) == (r_option, matches)


def test_option_reward_colour_normalisation_matches_shades() -> None:
    # The first COLOR_SET entry found wins: both normalise to "blue" (before "navy", "royal").
    assert get_option_reward(["navy blue"], ["royal blue"]) == (1, 1)
    assert get_option_reward(["black"], ["white"]) == (0, 0)


def test_option_reward_unknown_option_does_not_match() -> None:
    assert get_option_reward(["mystery flavour"], ["grey", "XL"]) == (0, 0)


def test_fuzzy_score_follows_thefuzz_processing() -> None:
    assert fuzzy_score("Essential-Oil", "essential oil") == 100
    assert fuzzy_score("", "x") == 0
    assert fuzzy_score("essential oil", "essential oils") > 85
    assert fuzzy_score("tea bag", "tea tree") <= 85


# --- get_reward (original test_get_reward) --------------------------------------------------


@pytest.fixture
def goal() -> dict[str, Any]:
    return {
        "query": "Query 1",
        "product_category": "a › b › c",
        "name": SNEAKERS,
        "attributes": list(ATTRIBUTES),
        "goal_options": {"color": "grey", "size": "XL"},
        "price_upper": 40.00,
    }


@pytest.fixture
def purchased() -> dict[str, Any]:
    return {
        "query": "Query 1",
        "product_category": "a › b › c",
        "name": SNEAKERS,
        "Attributes": ["tea tree", "essential oil", "natural ingredients"],
        "Title": "",
        "BulletPoints": [],
        "Description": "",
    }


OPTIONS = {"color": "grey", "size": "XL"}


def test_reward_original_sequence(goal: dict[str, Any], purchased: dict[str, Any]) -> None:
    # Exact match.
    assert get_reward(purchased, goal, 35, OPTIONS) == 1

    # Variation in r_attributes. BulletPoints is a str here, as in the original test, so it is
    # joined character by character and "essential oils" is not found: 4 / 6.
    purchased["Attributes"] = []
    purchased["BulletPoints"] = "This shampoo has essential oils and smells like lemons"
    purchased["Description"] = "Best shampoo on the market, made with natural ingredients"
    assert isclose(get_reward(purchased, goal, 35, OPTIONS), 2 / 3, abs_tol=1e-2)

    # Variation in r_option: 4 / 7.
    goal["goal_options"] = {"color": "grey", "size": "XL", "amount": "pack of 12"}
    assert isclose(get_reward(purchased, goal, 35, OPTIONS), 0.5714, abs_tol=1e-2)

    # Variation in r_type: title score 2/13, no query or category match, so r_type 0.5.
    goal["name"] = SAIREED
    purchased["name"] = BRST
    purchased["query"] = "Query 2"
    purchased["product_category"] = "a › d › e"
    assert isclose(get_reward(purchased, goal, 35, OPTIONS), 0.2857, abs_tol=1e-2)


def test_reward_verbose_info(goal: dict[str, Any], purchased: dict[str, Any]) -> None:
    total, info = get_reward(purchased, goal, 35, OPTIONS, verbose=True)
    assert total == 1
    assert info == {
        "r_type": 1.0,
        "r_att": 1.0,
        "w_att": 0.5,
        "query_match": True,
        "category_match": True,
        "title_score": 1.0,
        "r_option": 1.0,
        "w_option": 2 / 6,
        "r_price": True,
        "w_price": 1 / 6,
    }


def test_reward_price_over_the_cap(goal: dict[str, Any], purchased: dict[str, Any]) -> None:
    breakdown = get_reward_breakdown(purchased, goal, 40.01, OPTIONS)
    assert breakdown.r_price is False
    assert breakdown.total == pytest.approx(5 / 6)
    assert get_reward(purchased, goal, 40.0, OPTIONS) == 1  # the cap itself is allowed


def test_reward_empty_goal_options(goal: dict[str, Any], purchased: dict[str, Any]) -> None:
    goal["goal_options"] = []
    total, info = get_reward(purchased, goal, 35, {"color": "red"}, verbose=True)
    assert total == 1  # (3 + 0 + 1) / (3 + 0 + 1)
    assert "r_option" not in info


def test_reward_list_goal_options_as_human_goals(
    goal: dict[str, Any], purchased: dict[str, Any]
) -> None:
    goal["goal_options"] = ["grey", "XL"]
    assert get_reward(purchased, goal, 35, OPTIONS) == 1


def test_reward_unknown_options(goal: dict[str, Any], purchased: dict[str, Any]) -> None:
    breakdown = get_reward_breakdown(purchased, goal, 35, {"flavor": "mint chip"})
    assert breakdown.num_option_matches == 0
    assert breakdown.total == pytest.approx(4 / 6)


def test_reward_no_options_chosen(goal: dict[str, Any], purchased: dict[str, Any]) -> None:
    assert get_reward(purchased, goal, 35, {}) == pytest.approx(4 / 6)


def test_reward_rejects_non_positive_price_cap(
    goal: dict[str, Any], purchased: dict[str, Any]
) -> None:
    goal["price_upper"] = 0
    with pytest.raises(ValueError, match="price_upper"):
        get_reward(purchased, goal, 35, OPTIONS)


def test_reward_is_zero_for_a_different_product_type(
    goal: dict[str, Any], purchased: dict[str, Any]
) -> None:
    purchased["name"] = "Rusticware 921ORB Kitchen and Bath Cabinet Knob"
    assert get_reward(purchased, goal, 35, OPTIONS) == 0.0

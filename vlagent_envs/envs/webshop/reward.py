"""The WebShop purchase reward, as princeton-nlp/WebShop defines it.

The original lives in ``web_agent_site/engine/goal.py`` (``get_reward``, ``get_type_reward``,
``get_attribute_reward``, ``get_option_reward``) and ``web_agent_site/engine/normalize.py``
(``normalize_color``); its tests are ``tests/web-agent-site/engine/test_goal.py``. This module
reimplements the same formula::

    total = r_type * (n_attribute_matches + n_option_matches + price_ok)
                   / (len(goal attributes) + len(goal options) + 1)

Keys read (the original's names):

* purchased product: ``query``, ``product_category`` (breadcrumbs joined by ``"›"``), ``name``
  (the title used for the noun overlap), ``Attributes`` (list of str), and, when a goal
  attribute is not matched among ``Attributes``, ``Title``, ``BulletPoints`` and
  ``Description`` (missing ones read as empty; the original raised ``KeyError``).
* goal: ``query``, ``product_category``, ``name``, ``attributes`` (list of str),
  ``goal_options`` (list of values for human goals, or option name -> value for synthetic
  goals), ``price_upper`` (float, > 0).
* purchase: ``price`` (float) and ``options`` (option name -> chosen value).

Known differences from the original, all documented where they happen:

* Nouns. The original tags titles with spaCy (``en_core_web_sm``; older revisions
  ``en_core_web_lg``), a model that is not on PyPI. The default here is TextBlob's
  ``PatternTagger`` (Penn Treebank tags; a lexicon + rules tagger whose data ships inside the
  ``textblob`` wheel, so it runs offline with no download). Pass ``noun_extractor`` to use
  spaCy or anything else. On the original's title examples it reproduces 3 of the 4 current
  expectations (see ``tests/envs/webshop/test_webshop_reward.py``).
* Dict goal options. The original's ``get_reward`` passes ``goal_options.items()`` (key, value
  pairs) for dict goals; this module matches the values, as it does for list goals.
* Degenerate goals the original crashes on (no attributes: ``ZeroDivisionError``;
  ``price_upper <= 0``: ``TypeError``): here no attributes gives ``r_att = None`` and a
  non-positive cap raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Literal, overload

from gymnasium.error import DependencyNotInstalled

__all__ = [
    "COLOR_SET",
    "EXACT_MATCH_THRESHOLD",
    "NounExtractor",
    "RewardBreakdown",
    "TypeReward",
    "extract_nouns",
    "fuzzy_score",
    "get_attribute_reward",
    "get_option_reward",
    "get_reward",
    "get_reward_breakdown",
    "get_type_reward",
    "goal_option_values",
    "normalize_color",
]

_PIP_HINT = 'pip install "vlagent-envs[webshop]"'

#: The original's ``normalize.COLOR_SET``. Order matters: the first entry found as a substring
#: wins, so "violet lavender" normalises to "lavender".
COLOR_SET: tuple[str, ...] = (
    "alabaster", "apricot", "aqua", "ash", "asphalt", "azure", "banana", "beige", "black",
    "blue", "blush", "bordeaux", "bronze", "brown", "burgundy", "camel", "camo", "caramel",
    "champagne", "charcoal", "cheetah", "chestnut", "chocolate", "christmas", "coffee",
    "cognac", "copper", "coral", "cranberry", "cream", "crystal", "dark", "denim", "eggplant",
    "elephant", "espresso", "fuchsia", "gold", "granite", "grape", "graphite", "grass", "gray",
    "green", "grey", "heather", "indigo", "ivory", "ivy", "khaki", "lavender", "lemon",
    "leopard", "light", "lilac", "lime", "magenta", "maroon", "mauve", "merlot", "midnight",
    "mint", "mocha", "multicolor", "mushroom", "mustard", "natural", "navy", "nude", "olive",
    "orange", "peach", "pewter", "pink", "plum", "purple", "rainbow", "red", "rose", "royal",
    "rust", "sand", "sapphire", "seashell", "silver", "skull", "slate", "steel", "stone",
    "stonewash", "sunflower", "tan", "taupe", "teal", "tiger", "turquoise", "violet", "walnut",
    "wheat", "white", "wine", "yellow",
)  # fmt: skip

#: A fuzzy score (0-100, rounded as thefuzz rounds it) must exceed this to count as a match.
EXACT_MATCH_THRESHOLD = 85

_NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})

NounExtractor = Callable[[str], Sequence[str]]
"""Maps a product title to its nouns, lowercased, duplicates kept (the denominator counts them)."""


def normalize_color(text: str) -> str:
    """Return the first ``COLOR_SET`` entry contained in ``text``, else ``text`` unchanged.

    Case-sensitive substring search in ``COLOR_SET`` order, as the original's ``normalize_color``
    (so "123alabaster" -> "alabaster", "Grey" stays "Grey").
    """
    for color in COLOR_SET:
        if color in text:
            return color
    return text


def fuzzy_score(a: str, b: str) -> int:
    """``thefuzz.fuzz.token_set_ratio(a, b)`` computed with rapidfuzz.

    thefuzz's defaults drop non-ASCII characters, replace other non-alphanumerics with spaces,
    lowercase, strip, and round the 0-100 score to an int; this does the same.
    """
    try:
        from rapidfuzz import fuzz, utils
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise DependencyNotInstalled(f"rapidfuzz is not installed; run: {_PIP_HINT}") from error
    a = a.encode("ascii", "ignore").decode("ascii")
    b = b.encode("ascii", "ignore").decode("ascii")
    return round(fuzz.token_set_ratio(a, b, processor=utils.default_process))


@cache
def _pattern_tagger() -> Any:
    try:
        from textblob.en.taggers import PatternTagger
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise DependencyNotInstalled(f"textblob is not installed; run: {_PIP_HINT}") from error
    return PatternTagger()


def extract_nouns(text: str) -> list[str]:
    """The nouns of a title, lowercased, in order, duplicates kept.

    Stands in for the original's ``[t.text.lower() for t in nlp(text) if t.pos_ in ("PNOUN",
    "NOUN", "PROPN")]`` with TextBlob's ``PatternTagger`` (tags NN, NNS, NNP, NNPS). It runs
    offline; its tokens and tags differ from spaCy's on some titles.
    """
    return [word.lower() for word, tag in _pattern_tagger().tag(text) if tag in _NOUN_TAGS]


@dataclass(frozen=True)
class TypeReward:
    """The original's ``get_type_reward`` result.

    Attributes:
        r_type: 1.0, 0.5, 0.1 or 0.0: the factor that scales the whole reward.
        query_match: The product came from the same search query as the goal's product.
        category_match: At least two distinct breadcrumb parts are shared.
        title_score: Share of the goal title's nouns (with duplicates) found among the
            product title's nouns; 0.2 when the goal title has no noun.
    """

    r_type: float
    query_match: bool
    category_match: bool
    title_score: float


def _breadcrumb_parts(product_category: str) -> set[str]:
    return {part.strip() for part in product_category.split("›")}


def get_type_reward(
    purchased_product: Mapping[str, Any],
    goal: Mapping[str, Any],
    noun_extractor: NounExtractor | None = None,
) -> TypeReward:
    """Whether the purchased product is the same kind of product as the goal's.

    Args:
        purchased_product: Reads ``query``, ``product_category`` and ``name``.
        goal: Reads ``query``, ``product_category`` and ``name``.
        noun_extractor: Title -> lowercased nouns; defaults to ``extract_nouns``.

    Returns:
        The tiers of the original: 1.0 when the query, two breadcrumb parts, or more than 0.2
        of the title nouns match; 0.5 when none does; 0.1 when under 0.1 of the nouns match
        and 0.0 when none does (the last two override the first two).
    """
    nouns = noun_extractor or extract_nouns
    query_match = purchased_product["query"] == goal["query"]
    shared = _breadcrumb_parts(purchased_product["product_category"]) & _breadcrumb_parts(
        goal["product_category"]
    )
    category_match = len(shared) >= 2

    desired = list(nouns(goal["name"]))
    purchased = set(nouns(purchased_product["name"]))
    if desired:
        title_score = len(set(desired) & purchased) / len(desired)
    else:
        title_score = 0.2

    r_type = 1.0
    if not (query_match or category_match or title_score > 0.2):
        r_type = 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return TypeReward(r_type, query_match, category_match, title_score)


def get_attribute_reward(
    purchased_product: Mapping[str, Any], goal: Mapping[str, Any]
) -> tuple[float | None, int]:
    """How many goal attributes the purchased product has.

    A goal attribute matches when its fuzzy score against one of the product's ``Attributes``
    exceeds 85, or, failing that, when it is a (case-sensitive) substring of the lowercased
    ``Title``, of ``" ".join(BulletPoints)`` lowercased, or of the lowercased ``Description``.
    As in the original, a ``BulletPoints`` given as one str is joined character by character
    (so it effectively never contains a multi-character attribute).

    Args:
        purchased_product: Reads ``Attributes``, and ``Title``, ``BulletPoints``,
            ``Description`` when needed (missing ones read as empty).
        goal: Reads ``attributes``.

    Returns:
        ``(r_att, n_matches)``: the matched share (``None`` when the goal has no attribute;
        the original divided by zero) and the matched count.
    """
    goal_attributes = list(goal["attributes"])
    product_attributes = list(purchased_product["Attributes"])
    n_matches = 0
    for goal_attribute in goal_attributes:
        if any(
            fuzzy_score(attribute, goal_attribute) > EXACT_MATCH_THRESHOLD
            for attribute in product_attributes
        ):
            n_matches += 1
            continue
        texts = (
            purchased_product.get("Title", "").lower(),
            " ".join(purchased_product.get("BulletPoints", [])).lower(),
            purchased_product.get("Description", "").lower(),
        )
        if any(goal_attribute in text for text in texts):
            n_matches += 1
    r_att = n_matches / len(goal_attributes) if goal_attributes else None
    return r_att, n_matches


def get_option_reward(
    purchased_options: Sequence[str], goal_options: Sequence[str]
) -> tuple[float | None, int]:
    """How many goal options the purchased options cover.

    Both sides go through ``normalize_color``; a goal option counts once when its fuzzy score
    against any purchased option exceeds 85.

    Args:
        purchased_options: The chosen option values.
        goal_options: The goal's option values.

    Returns:
        ``(r_option, n_matches)``: the matched share (``None`` when the goal has no option)
        and the matched count.
    """
    purchased = [normalize_color(option) for option in purchased_options]
    wanted = [normalize_color(option) for option in goal_options]
    n_matches = sum(
        any(fuzzy_score(option, goal_option) > EXACT_MATCH_THRESHOLD for option in purchased)
        for goal_option in wanted
    )
    r_option = n_matches / len(wanted) if wanted else None
    return r_option, n_matches


@dataclass(frozen=True)
class RewardBreakdown:
    """The total reward and its parts (the original's ``verbose`` info, plus the counts).

    Attributes:
        total: The reward in [0, 1].
        r_type: The type factor (see ``TypeReward``).
        query_match: See ``TypeReward``.
        category_match: See ``TypeReward``.
        title_score: See ``TypeReward``.
        r_att: Matched share of goal attributes (``None`` without attributes).
        w_att: Weight of the attributes in the total.
        num_attr_matches: Matched goal attributes.
        r_option: Matched share of goal options (``None`` without options).
        w_option: Weight of the options in the total.
        num_option_matches: Matched goal options.
        r_price: Whether the price is within the goal's cap.
        w_price: Weight of the price in the total.
    """

    total: float
    r_type: float
    query_match: bool
    category_match: bool
    title_score: float
    r_att: float | None
    w_att: float
    num_attr_matches: int
    r_option: float | None
    w_option: float
    num_option_matches: int
    r_price: bool
    w_price: float

    def info(self) -> dict[str, Any]:
        """The original's ``verbose`` dict (``r_option``/``w_option`` only with goal options)."""
        keys = ["r_type", "r_att", "w_att", "query_match", "category_match", "title_score"]
        if self.r_option is not None:
            keys += ["r_option", "w_option"]
        keys += ["r_price", "w_price"]
        values = asdict(self)
        return {key: values[key] for key in keys}


def goal_option_values(goal_options: Sequence[str] | Mapping[str, str]) -> list[str]:
    """The option values a goal asks for: a list goal's items, a dict goal's values."""
    if isinstance(goal_options, Mapping):
        return list(goal_options.values())
    return list(goal_options)


def get_reward_breakdown(
    purchased_product: Mapping[str, Any],
    goal: Mapping[str, Any],
    price: float,
    options: Mapping[str, str],
    noun_extractor: NounExtractor | None = None,
) -> RewardBreakdown:
    """The reward of buying ``purchased_product`` with ``options`` at ``price`` for ``goal``.

    Args:
        purchased_product: See the module docstring for the keys read.
        goal: See the module docstring for the keys read.
        price: The price paid.
        options: Option name -> chosen value.
        noun_extractor: Title -> lowercased nouns; defaults to ``extract_nouns``.

    Returns:
        The total and its parts.

    Raises:
        ValueError: If ``goal["price_upper"]`` is not positive.
    """
    price_upper = float(goal["price_upper"])
    if price_upper <= 0:
        raise ValueError(f"goal price_upper must be positive, got {price_upper}")
    type_reward = get_type_reward(purchased_product, goal, noun_extractor)
    r_price = price <= price_upper
    r_att, num_attr_matches = get_attribute_reward(purchased_product, goal)
    goal_options = goal_option_values(goal["goal_options"])
    r_option, num_option_matches = get_option_reward(list(options.values()), goal_options)

    n_parts = len(goal["attributes"]) + len(goal_options) + 1
    total = (num_attr_matches + num_option_matches + int(r_price)) / n_parts * type_reward.r_type
    return RewardBreakdown(
        total=total,
        r_type=type_reward.r_type,
        query_match=type_reward.query_match,
        category_match=type_reward.category_match,
        title_score=type_reward.title_score,
        r_att=r_att,
        w_att=len(goal["attributes"]) / n_parts,
        num_attr_matches=num_attr_matches,
        r_option=r_option,
        w_option=len(goal_options) / n_parts,
        num_option_matches=num_option_matches,
        r_price=r_price,
        w_price=1 / n_parts,
    )


@overload
def get_reward(
    purchased_product: Mapping[str, Any],
    goal: Mapping[str, Any],
    price: float,
    options: Mapping[str, str],
    verbose: Literal[False] = ...,
    noun_extractor: NounExtractor | None = ...,
) -> float: ...
@overload
def get_reward(
    purchased_product: Mapping[str, Any],
    goal: Mapping[str, Any],
    price: float,
    options: Mapping[str, str],
    verbose: Literal[True],
    noun_extractor: NounExtractor | None = ...,
) -> tuple[float, dict[str, Any]]: ...
def get_reward(
    purchased_product: Mapping[str, Any],
    goal: Mapping[str, Any],
    price: float,
    options: Mapping[str, str],
    verbose: bool = False,
    noun_extractor: NounExtractor | None = None,
) -> float | tuple[float, dict[str, Any]]:
    """The original's ``get_reward``: the total, or ``(total, info)`` when ``verbose``.

    See ``get_reward_breakdown`` for the arguments; ``info`` is ``RewardBreakdown.info()``.
    """
    breakdown = get_reward_breakdown(purchased_product, goal, price, options, noun_extractor)
    if verbose:
        return breakdown.total, breakdown.info()
    return breakdown.total

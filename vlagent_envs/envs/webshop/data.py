"""Loading WebShop's official data files, building the goals and splitting them.

The files are those of princeton-nlp/WebShop's ``data/`` folder (``setup.sh`` downloads them):

* ``items_shuffle_1000.json`` (or the full ``items_shuffle.json``): a JSON list of raw products
  with ``asin``, ``name``, ``category``, ``query``, ``product_category``, ``full_description``,
  ``small_description`` (a string or a list of bullet points), ``pricing`` (a string such as
  ``"$12.99"`` or ``"$10.99 - $15.99"``), ``customization_options`` (option name -> list of
  ``{"value", "image"}``) and ``images``.
* ``items_ins_v2_1000.json`` (or ``items_ins_v2.json``): asin -> ``{"attributes",
  "instruction", "instruction_attributes"}`` (the synthetic instruction).
* ``items_human_ins.json``: asin -> list of ``{"instruction", "instruction_attributes",
  "instruction_options", ...}`` written by crowd workers.
* ``reviews.json`` (optional): a list of ``{"asin", "reviews", "average_rating"}``.

The cleaning follows ``web_agent_site/engine/engine.py::load_products``, the goals
``web_agent_site/engine/goal.py::get_human_goals`` / ``get_synthetic_goals`` and the split
``web_agent_site/envs/web_agent_text_env.py::SimServer`` (``random.seed(233)`` then shuffle)
with ``baseline_models/env.py::WebEnv`` (test = goals 0-499, dev = 500-1499, train = the rest).

Differences from the original, all for determinism: the price shown for a product with a price
range and the price cap of each goal are drawn from seeded generators (``price_seed`` and
``build_goals(seed=...)``) where the original used Python's unseeded global generator, so its
prices and caps changed from run to run. The goal order and split are the original's exactly:
they depend only on the number of goals.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

PRODUCTS_FILES = {"full": "items_shuffle.json", "1000": "items_shuffle_1000.json"}
ATTRIBUTES_FILES = {"full": "items_ins_v2.json", "1000": "items_ins_v2_1000.json"}
HUMAN_INSTRUCTIONS_FILE = "items_human_ins.json"
REVIEWS_FILE = "reviews.json"

DEFAULT_PRICE = 100.0
"""Price of a product without pricing (``load_products`` and ``generate_product_prices``)."""

PRICE_CAPS = tuple(10.0 * i for i in range(1, 100))
"""Candidate price caps of a goal: $10, $20, ..., $990 (``goal.py::PRICE_RANGE``)."""

NO_PRICE_CAP = 1_000_000.0
"""Cap of a goal whose product costs too much for the candidates (``goal.py``: 1000000)."""

GOAL_SHUFFLE_SEED = 233
"""``SimServer`` shuffles the goals after ``random.seed(233)``."""

TEST_GOALS = 500
DEV_GOALS = 1000

Variant = Literal["auto", "full", "1000"]


class DataError(ValueError):
    """A data folder is missing or a file in it is malformed; the message names the path."""


@dataclass(frozen=True)
class HumanInstruction:
    """One crowd-written instruction for a product (an entry of ``items_human_ins.json``).

    Attributes:
        instruction: The text, e.g. ``"i need a long clip-in hair extension which is natural
            looking."``.
        attributes: The goal attributes the worker chose (``instruction_attributes``).
        options: The goal option values (``instruction_options``): a list of values, or a
            mapping option name -> value.
    """

    instruction: str
    attributes: tuple[str, ...]
    options: tuple[str, ...] | Mapping[str, str]


@dataclass(frozen=True)
class Product:
    """One cleaned product. The original's key for each field is given in brackets.

    Attributes:
        asin: Amazon id, upper case, at most 10 characters (``asin``).
        name: Title (``name`` and ``Title``).
        category: One of the shop's top categories, e.g. ``"beauty"`` (``category``).
        query: The lower-cased search query the product was scraped with (``query``).
        product_category: Breadcrumbs joined by ``" › "`` (``product_category``).
        description: Full description (``full_description``, ``Description``).
        bullet_points: Feature bullet points (``small_description``, ``BulletPoints``).
        pricing: One price, or the low and high end of a range (``pricing``).
        price_tag: Displayed price text, ``"$12.99"`` or ``"$10.99 to $15.99"`` (``Price``).
        price: The price charged on purchase: the single price, or a seeded uniform draw in the
            range (``product_prices`` from ``generate_product_prices``).
        options: Option name (lower case) -> values (lower case, ``/`` shown as ``" | "``)
            (``options``).
        option_to_image: Option value -> image URL or ``None`` (``option_to_image``).
        attributes: Attribute phrases, ``["DUMMY_ATTR"]`` when unknown (``Attributes``).
        main_image: URL of the first image, or ``None`` (``MainImage``).
        rating: Average rating, ``"N.A."`` without reviews (``Rating``).
        reviews: Reviews as ``{"score", "title", "body"}`` dicts (``Reviews``).
        human_instructions: Crowd instructions for this product (``instructions``).
        instruction_text: The synthetic instruction, or ``None`` (``instruction_text``).
        instruction_attributes: The synthetic instruction's attributes
            (``instruction_attributes``).
    """

    asin: str
    name: str
    category: str
    query: str
    product_category: str
    description: str
    bullet_points: tuple[str, ...]
    pricing: tuple[float, ...]
    price_tag: str
    price: float
    options: Mapping[str, tuple[str, ...]]
    option_to_image: Mapping[str, str | None]
    attributes: tuple[str, ...]
    main_image: str | None = None
    rating: float | str = "N.A."
    reviews: tuple[Mapping[str, Any], ...] = ()
    human_instructions: tuple[HumanInstruction, ...] = ()
    instruction_text: str | None = None
    instruction_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Goal:
    """One instruction to follow: buy ``asin`` (or as good a product) with these properties.

    Attributes:
        asin: The product the instruction was written for.
        category: Its category.
        query: Its search query.
        name: Its title.
        product_category: Its breadcrumbs.
        instruction_text: What the agent reads, with the price cap appended, e.g. ``"i need a
            long clip-in hair extension which is natural looking, and price lower than 40.00
            dollars"``.
        attributes: Goal attributes.
        price_upper: The price cap, ``NO_PRICE_CAP`` when none was stated.
        goal_options: Goal option values (human goals) or option name -> value (synthetic).
        weight: Sampling weight: 1 for human goals; for synthetic ones the mean over the goal's
            attributes of 1 / (number of goals with that attribute).
    """

    asin: str
    category: str
    query: str
    name: str
    product_category: str
    instruction_text: str
    attributes: tuple[str, ...]
    price_upper: float
    goal_options: tuple[str, ...] | Mapping[str, str]
    weight: float = 1.0


@dataclass(frozen=True)
class Catalog:
    """The cleaned products of a data folder.

    Attributes:
        products: In file order, duplicates and invalid asins dropped.
        by_asin: asin -> product.
        attribute_to_asins: attribute -> asins of the products having it.
        source: The folder the catalog was read from.
    """

    products: tuple[Product, ...]
    by_asin: Mapping[str, Product] = field(repr=False)
    attribute_to_asins: Mapping[str, frozenset[str]] = field(repr=False)
    source: Path | None = None

    def __len__(self) -> int:
        return len(self.products)


@dataclass(frozen=True)
class GoalSplits:
    """Goals in the original's shuffled order, split as its baselines do."""

    test: tuple[Goal, ...]
    dev: tuple[Goal, ...]
    train: tuple[Goal, ...]

    def __getitem__(self, split: str) -> tuple[Goal, ...]:
        if split not in ("test", "dev", "train"):
            raise KeyError(f"unknown split {split!r}; expected 'test', 'dev' or 'train'")
        return getattr(self, split)


# --- reading files --------------------------------------------------------------------------


def _expected_files() -> str:
    return (
        f"{PRODUCTS_FILES['1000']} (or {PRODUCTS_FILES['full']}), "
        f"{ATTRIBUTES_FILES['1000']} (or {ATTRIBUTES_FILES['full']}), "
        f"{HUMAN_INSTRUCTIONS_FILE}, and optionally {REVIEWS_FILE}"
    )


def _pick_variant(folder: Path, variant: Variant) -> str:
    if variant != "auto":
        if variant not in PRODUCTS_FILES:
            raise ValueError(f"variant must be 'auto', 'full' or '1000', not {variant!r}")
        return variant
    return "full" if (folder / PRODUCTS_FILES["full"]).is_file() else "1000"


def _read_json(path: Path, kind: type) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            value = json.load(f)
    except json.JSONDecodeError as error:
        raise DataError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(value, kind):
        raise DataError(f"{path}: expected a JSON {kind.__name__}, found {type(value).__name__}")
    return value


def parse_pricing(pricing: Any) -> tuple[tuple[float, ...], str]:
    """Parse a raw ``pricing`` field into prices and the displayed price tag.

    Every ``$``-separated piece is read as a number after dropping all but digits and dots, and
    at most the first two are kept (a range), as ``load_products`` does.

    Args:
        pricing: ``"$12.99"``, ``"$10.99 - $15.99"``, empty or ``None`` (then $100.0).

    Returns:
        ``(pricing, price_tag)``, e.g. ``((10.99, 15.99), "$10.99 to $15.99")``.

    Raises:
        ValueError: A piece holds no number.
    """
    if not pricing:
        return (DEFAULT_PRICE,), f"${DEFAULT_PRICE}"
    if not isinstance(pricing, str):
        raise ValueError(f"pricing must be a string such as '$12.99', not {pricing!r}")
    prices = []
    for piece in pricing.split("$")[1:]:
        digits = re.sub(r"[^\d.]", "", piece)
        try:
            prices.append(float(Decimal(digits)))
        except InvalidOperation as error:
            raise ValueError(f"cannot read a price in {pricing!r}") from error
    if not prices:
        raise ValueError(f"no '$' price in {pricing!r}")
    if len(prices) == 1:
        return (prices[0],), f"${prices[0]}"
    return (prices[0], prices[1]), f"${prices[0]} to ${prices[1]}"


def _clean_options(
    raw: Mapping[str, Any] | None,
) -> tuple[dict[str, tuple[str, ...]], dict[str, str | None]]:
    options: dict[str, tuple[str, ...]] = {}
    option_to_image: dict[str, str | None] = {}
    for option_name, contents in (raw or {}).items():
        if contents is None:
            continue
        values = []
        for content in contents:
            value = content["value"].strip().replace("/", " | ").lower()
            values.append(value)
            option_to_image[value] = content.get("image")
        options[option_name.lower()] = tuple(values)
    return options, option_to_image


def _clean_reviews(raw: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    reviews = []
    for review in raw:
        cleaned = dict(review)
        if "score" not in cleaned:
            cleaned["score"] = cleaned.pop("stars", None)
        cleaned["body"] = cleaned.pop("review", cleaned.get("body", ""))
        reviews.append(cleaned)
    return tuple(reviews)


def _human_instructions(path: Path, asin: str, raw: Any) -> tuple[HumanInstruction, ...]:
    if not isinstance(raw, list):
        raise DataError(f"{path}: entry {asin!r} must be a list of instructions")
    instructions = []
    for entry in raw:
        try:
            options = entry.get("instruction_options") or ()
            instructions.append(
                HumanInstruction(
                    instruction=entry["instruction"],
                    attributes=tuple(entry.get("instruction_attributes") or ()),
                    options=dict(options) if isinstance(options, Mapping) else tuple(options),
                )
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise DataError(f"{path}: malformed instruction for {asin!r} ({error!r})") from error
    return tuple(instructions)


def load_catalog(
    data_dir: str | Path,
    *,
    num_products: int | None = None,
    variant: Variant = "auto",
    price_seed: int = 0,
) -> Catalog:
    """Read and clean the products of an official WebShop data folder.

    Args:
        data_dir: Folder holding the official files (see the module docstring).
        num_products: Keep only the first this many raw products (the file is pre-shuffled),
            as the original's ``num_products``; ``None`` keeps all.
        variant: ``"full"`` reads ``items_shuffle.json`` and ``items_ins_v2.json``, ``"1000"``
            the ``_1000`` files, ``"auto"`` the full ones when present.
        price_seed: Seed of the draw of each price-range product's price, made in file order.

    Returns:
        The catalog.

    Raises:
        DataError: The folder or a required file is missing (the message lists the expected
            names), or a file is malformed (the message names it).
    """
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise DataError(
            f"WebShop data folder {folder} does not exist; expected {_expected_files()}"
        )
    chosen = _pick_variant(folder, variant)
    products_path = folder / PRODUCTS_FILES[chosen]
    attributes_path = folder / ATTRIBUTES_FILES[chosen]
    human_path = folder / HUMAN_INSTRUCTIONS_FILE
    missing = [p.name for p in (products_path, attributes_path, human_path) if not p.is_file()]
    if missing:
        raise DataError(
            f"WebShop data folder {folder} lacks {', '.join(missing)}; expected {_expected_files()}"
        )

    raw_products = _read_json(products_path, list)
    attributes = _read_json(attributes_path, dict)
    human = _read_json(human_path, dict)
    ratings: dict[str, Any] = {}
    reviews: dict[str, Any] = {}
    reviews_path = folder / REVIEWS_FILE
    if reviews_path.is_file():
        for entry in _read_json(reviews_path, list):
            try:
                reviews[entry["asin"]] = entry.get("reviews") or []
                ratings[entry["asin"]] = entry.get("average_rating", "N.A.")
            except (KeyError, TypeError, AttributeError) as error:
                raise DataError(f"{reviews_path}: malformed review entry ({error!r})") from error

    if num_products is not None:
        raw_products = raw_products[:num_products]
    rng = random.Random(price_seed)
    products: list[Product] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_products):
        try:
            asin = raw["asin"]
            if asin == "nan" or len(asin) > 10 or asin in seen:
                continue
            seen.add(asin)
            product = _clean_product(raw, attributes.get(asin), reviews, ratings, rng)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            name = f" ({raw.get('asin')!r})" if isinstance(raw, dict) else ""
            message = f"{products_path}: malformed product {index}{name}: {error!r}"
            raise DataError(message) from error
        if asin in human:
            product = replace(
                product, human_instructions=_human_instructions(human_path, asin, human[asin])
            )
        products.append(product)

    attribute_to_asins: dict[str, set[str]] = defaultdict(set)
    for product in products:
        for attribute in product.attributes:
            attribute_to_asins[attribute].add(product.asin)
    logger.info("Loaded %d WebShop products from %s", len(products), folder)
    return Catalog(
        products=tuple(products),
        by_asin={p.asin: p for p in products},
        attribute_to_asins={a: frozenset(s) for a, s in attribute_to_asins.items()},
        source=folder,
    )


def _clean_product(
    raw: Mapping[str, Any],
    attribute_entry: Mapping[str, Any] | None,
    reviews: Mapping[str, Any],
    ratings: Mapping[str, Any],
    rng: random.Random,
) -> Product:
    asin = raw["asin"]
    small = raw.get("small_description")
    bullet_points = tuple(small) if isinstance(small, list) else (small,) if small else ()
    pricing, price_tag = parse_pricing(raw.get("pricing"))
    # generate_product_prices: a range is charged a uniform draw within it.
    price = pricing[0] if len(pricing) == 1 else rng.uniform(pricing[0], pricing[1])
    options, option_to_image = _clean_options(raw.get("customization_options"))
    attribute_entry = attribute_entry or {}
    images = raw.get("images") or []
    return Product(
        asin=asin,
        name=raw["name"],
        category=raw["category"],
        query=raw["query"].lower().strip(),
        product_category=raw["product_category"],
        description=raw.get("full_description") or "",
        bullet_points=bullet_points,
        pricing=pricing,
        price_tag=price_tag,
        price=price,
        options=options,
        option_to_image=option_to_image,
        attributes=tuple(attribute_entry.get("attributes") or ("DUMMY_ATTR",)),
        main_image=images[0] if images else None,
        rating=ratings.get(asin, "N.A."),
        reviews=_clean_reviews(reviews.get(asin, [])),
        instruction_text=attribute_entry.get("instruction"),
        instruction_attributes=tuple(attribute_entry.get("instruction_attributes") or ()),
    )


def product_fields(product: Product) -> dict[str, Any]:
    """The product under the original's keys that ``reward.get_reward`` reads."""
    return {
        "asin": product.asin,
        "query": product.query,
        "product_category": product.product_category,
        "name": product.name,
        "Title": product.name,
        "Attributes": list(product.attributes),
        "BulletPoints": list(product.bullet_points),
        "Description": product.description,
        "options": {name: list(values) for name, values in product.options.items()},
    }


# --- goals ----------------------------------------------------------------------------------


def _price_cap(price: float, rng: random.Random) -> tuple[float, str]:
    """Pick a cap above the price: the larger of two of the four next multiples of $10."""
    candidates = [cap for cap in PRICE_CAPS if cap > price][:4]
    if len(candidates) < 2:
        return NO_PRICE_CAP, ""
    _, upper = sorted(rng.sample(candidates, 2))
    return upper, f", and price lower than {upper:.2f} dollars"


def build_goals(
    products: Catalog | Sequence[Product], *, human: bool = True, seed: int = 0
) -> list[Goal]:
    """Build the goals of a catalog as ``goal.py::get_goals`` does, in product order.

    Human goals: one per crowd instruction with at least one attribute; the text is the
    instruction without trailing dots plus a price cap. Synthetic goals: one per combination of
    a product's option values (option names sorted), from its ``items_ins_v2`` instruction.

    Args:
        products: A catalog or its products.
        human: Human goals (the original's default) or synthetic ones.
        seed: Seed of the price caps, drawn one per instruction (human) or per product
            (synthetic) in order.

    Returns:
        The goals, unshuffled.
    """
    items = products.products if isinstance(products, Catalog) else products
    rng = random.Random(seed)
    return _human_goals(items, rng) if human else _synthetic_goals(items, rng)


def _human_goals(products: Sequence[Product], rng: random.Random) -> list[Goal]:
    goals = []
    skipped = 0
    for product in products:
        for instruction in product.human_instructions:
            if not instruction.attributes:
                skipped += 1
                continue
            upper, price_text = _price_cap(product.price, rng)
            goals.append(
                Goal(
                    **_goal_product_fields(product),
                    instruction_text=instruction.instruction.strip(".") + price_text,
                    attributes=instruction.attributes,
                    price_upper=upper,
                    goal_options=instruction.options,
                    weight=1.0,
                )
            )
    if skipped:
        logger.info("Skipped %d human instructions without attributes", skipped)
    return goals


def _goal_product_fields(product: Product) -> dict[str, str]:
    """What a goal copies from its product (``goal.py`` copies the same keys)."""
    return {
        "asin": product.asin,
        "category": product.category,
        "query": product.query,
        "name": product.name,
        "product_category": product.product_category,
    }


def _synthetic_goals(products: Sequence[Product], rng: random.Random) -> list[Goal]:
    drafts: list[dict[str, Any]] = []
    attribute_counts: dict[str, int] = defaultdict(int)
    for product in products:
        if product.instruction_text is None:
            continue
        if not product.instruction_attributes:
            raise DataError(f"product {product.asin} has a synthetic instruction but no attributes")
        upper, price_text = _price_cap(product.price, rng)
        names = sorted(product.options)
        for combination in itertools.product(*(product.options[n] for n in names)):
            goal_options = dict(zip(names, combination))
            option_text = ", and ".join(f"{k}: {v}" for k, v in goal_options.items())
            option_text = f" with {option_text}" if option_text else ""
            drafts.append(
                dict(
                    **_goal_product_fields(product),
                    instruction_text=f"{product.instruction_text}{option_text}{price_text}",
                    attributes=product.instruction_attributes,
                    price_upper=upper,
                    goal_options=goal_options,
                )
            )
            for attribute in product.instruction_attributes:
                attribute_counts[attribute] += 1
    return [
        Goal(
            **draft,
            weight=sum(1.0 / attribute_counts[a] for a in draft["attributes"])
            / len(draft["attributes"]),
        )
        for draft in drafts
    ]


def shuffle_goals(goals: Sequence[Goal]) -> list[Goal]:
    """Return the goals in ``SimServer``'s order: shuffled after ``random.seed(233)``.

    The permutation depends only on the number of goals, so it is the original's exactly.
    """
    shuffled = list(goals)
    random.Random(GOAL_SHUFFLE_SEED).shuffle(shuffled)
    return shuffled


def split_goals(goals: Sequence[Goal]) -> GoalSplits:
    """Shuffle the goals as the original and split them: test 0-499, dev 500-1499, train rest.

    Args:
        goals: Goals from ``build_goals``, unshuffled.

    Returns:
        The splits. With fewer than 1,500 goals the train split (and possibly dev) is empty.
    """
    shuffled = shuffle_goals(goals)
    if len(shuffled) <= TEST_GOALS + DEV_GOALS:
        logger.warning(
            "Only %d WebShop goals: the train split is empty (it starts at goal %d)",
            len(shuffled),
            TEST_GOALS + DEV_GOALS,
        )
    return GoalSplits(
        test=tuple(shuffled[:TEST_GOALS]),
        dev=tuple(shuffled[TEST_GOALS : TEST_GOALS + DEV_GOALS]),
        train=tuple(shuffled[TEST_GOALS + DEV_GOALS :]),
    )

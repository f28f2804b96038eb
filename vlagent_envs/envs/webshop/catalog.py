"""A seeded generator of a WebShop catalog in the official raw schema.

The original's data (about 1.18 million scraped Amazon products, 12,087 crowd instructions) is a
download of several gigabytes; this module writes a small stand-in with the same file names and
schema, so it goes through the same loader (``data.load_catalog``): 1,000 products over the
original's five categories (beauty, electronics, fashion, food, garden), each with a title,
breadcrumbs, description, bullet points, a price or a price range, customization options,
attributes, a synthetic instruction and two crowd-style instructions, so 2,000 human goals
(test 500, dev 1,000, train 500).

``ensure_catalog()`` builds it at first use into ``$XDG_CACHE_HOME/vlagent-envs/webshop/``
(``~/.cache`` without the variable) and returns the folder; later calls reuse it. The folder name
carries the generator version and seed, so a generator change never reads a stale build.
"""

from __future__ import annotations

import json
import random
import shutil
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vlagent_envs.core.cache import cache_dir
from vlagent_envs.envs.webshop.data import (
    ATTRIBUTES_FILES,
    HUMAN_INSTRUCTIONS_FILE,
    PRODUCTS_FILES,
    REVIEWS_FILE,
)

GENERATOR_VERSION = 1
"""Bump when the output for a seed changes; it names the cache folder."""

NUM_PRODUCTS = 1000
INSTRUCTIONS_PER_PRODUCT = 2


@dataclass(frozen=True)
class _ProductType:
    noun: str
    query: str
    breadcrumbs: str
    price: tuple[float, float]


@dataclass(frozen=True)
class _Category:
    name: str
    types: tuple[_ProductType, ...]
    attributes: tuple[str, ...]
    options: dict[str, tuple[str, ...]]


def _t(noun: str, query: str, crumbs: str, low: float, high: float) -> _ProductType:
    return _ProductType(noun, query, crumbs, (low, high))


_BEAUTY = "Beauty & Personal Care › "
_ELEC = "Electronics › "
_FASHION = "Clothing, Shoes & Jewelry › "
_FOOD = "Grocery & Gourmet Food › "
_HOME = "Home & Kitchen › Furniture › "

CATEGORIES: tuple[_Category, ...] = (
    _Category(
        "beauty",
        (
            _t(
                "clip-in hair extension",
                "hair extensions",
                _BEAUTY + "Hair Care › Extensions",
                15,
                60,
            ),
            _t(
                "face moisturizer",
                "moisturizer",
                _BEAUTY + "Skin Care › Face › Moisturizers",
                8,
                45,
            ),
            _t("lipstick", "lipstick", _BEAUTY + "Makeup › Lips › Lipstick", 5, 30),
            _t(
                "shampoo",
                "shampoo",
                _BEAUTY + "Hair Care › Shampoo & Conditioner › Shampoos",
                6,
                35,
            ),
            _t("eye shadow palette", "eye shadow", _BEAUTY + "Makeup › Eyes › Eyeshadow", 7, 40),
            _t(
                "nail polish",
                "nail polish",
                _BEAUTY + "Foot, Hand & Nail Care › Nail Polish",
                4,
                20,
            ),
        ),
        (
            "natural looking",
            "long lasting",
            "cruelty free",
            "paraben free",
            "easy to use",
            "travel size",
            "sensitive skin",
            "high quality",
            "argan oil",
            "hyaluronic acid",
            "alcohol free",
            "dermatologist tested",
        ),
        {
            "color": ("black", "natural brown", "blonde", "rose red", "nude pink", "coral"),
            "size": ("0.5 fl oz", "1.7 fl oz", "3.4 fl oz", "16 inch", "20 inch", "24 inch"),
            "scent": ("lavender", "vanilla", "unscented", "coconut", "rose"),
        },
    ),
    _Category(
        "electronics",
        (
            _t("wireless headphones", "headphones", _ELEC + "Headphones › Over-Ear", 20, 180),
            _t(
                "bluetooth speaker", "speaker", _ELEC + "Portable Audio & Video › Speakers", 15, 120
            ),
            _t("usb c charger", "charger", _ELEC + "Cell Phones & Accessories › Chargers", 8, 40),
            _t("hdmi cable", "hdmi cable", _ELEC + "Accessories & Supplies › Cables › HDMI", 5, 25),
            _t("wireless mouse", "mouse", _ELEC + "Computers & Accessories › Mice", 9, 60),
            _t(
                "security camera",
                "camera",
                _ELEC + "Camera & Photo › Surveillance Cameras",
                25,
                200,
            ),
        ),
        (
            "noise cancelling",
            "fast charging",
            "water resistant",
            "high definition",
            "easy to install",
            "long battery life",
            "wireless bluetooth",
            "plug and play",
            "aluminum alloy",
            "high speed",
            "ultra hd",
            "usb port",
        ),
        {
            "color": ("black", "white", "silver", "space gray", "blue", "red"),
            "size": ("3 ft", "6 ft", "10 ft", "small", "medium", "large"),
            "style": ("basic", "pro", "2 pack", "bundle", "1080p", "4k"),
        },
    ),
    _Category(
        "fashion",
        (
            _t(
                "men's t-shirt",
                "men's t-shirts",
                _FASHION + "Men › Clothing › Shirts › T-Shirts",
                8,
                35,
            ),
            _t("women's dress", "dresses", _FASHION + "Women › Clothing › Dresses", 18, 90),
            _t(
                "running shoe",
                "running shoes",
                _FASHION + "Men › Shoes › Athletic › Running",
                30,
                140,
            ),
            _t("slim fit jeans", "jeans", _FASHION + "Men › Clothing › Jeans", 20, 80),
            _t("hoodie", "hoodies", _FASHION + "Women › Clothing › Active › Hoodies", 15, 60),
            _t("sun hat", "hats", _FASHION + "Women › Accessories › Hats & Caps", 7, 35),
        ),
        (
            "machine wash",
            "slim fit",
            "relaxed fit",
            "cotton spandex",
            "button closure",
            "rubber sole",
            "long sleeve",
            "short sleeve",
            "quick drying",
            "moisture wicking",
            "elastic waist",
            "lace up",
        ),
        {
            "color": ("black", "navy blue", "white", "heather gray", "olive green", "burgundy"),
            "size": ("small", "medium", "large", "x-large", "xx-large", "9", "10", "11"),
            "fit type": ("regular", "big & tall", "petite"),
        },
    ),
    _Category(
        "food",
        (
            _t("protein bar", "protein bars", _FOOD + "Snack Foods › Bars › Protein", 10, 40),
            _t("green tea", "green tea", _FOOD + "Beverages › Tea › Green", 5, 25),
            _t("coffee beans", "coffee", _FOOD + "Beverages › Coffee › Whole Coffee Beans", 9, 45),
            _t("trail mix", "trail mix", _FOOD + "Snack Foods › Nuts & Seeds › Trail Mix", 6, 30),
            _t("dark chocolate", "chocolate", _FOOD + "Candy & Chocolate › Chocolate Bars", 4, 28),
            _t("olive oil", "olive oil", _FOOD + "Pantry Staples › Oils › Olive", 8, 40),
        ),
        (
            "gluten free",
            "non gmo",
            "sugar free",
            "low carb",
            "keto friendly",
            "usda organic",
            "high protein",
            "plant based",
            "individually wrapped",
            "kosher certified",
            "dairy free",
            "ready to eat",
        ),
        {
            "flavor": ("chocolate", "peanut butter", "vanilla", "sea salt", "mint", "original"),
            "size": ("12 count", "24 count", "8 ounce", "16 ounce", "1 pound", "2 pound"),
        },
    ),
    _Category(
        "garden",
        (
            _t("office chair", "office chair", _HOME + "Home Office Furniture › Chairs", 60, 320),
            _t("coffee table", "coffee table", _HOME + "Living Room Furniture › Tables", 45, 260),
            _t("bookshelf", "bookshelf", _HOME + "Living Room Furniture › Bookcases", 35, 220),
            _t(
                "bar stool",
                "bar stools",
                _HOME + "Kitchen & Dining Room Furniture › Stools",
                40,
                200,
            ),
            _t("nightstand", "nightstand", _HOME + "Bedroom Furniture › Nightstands", 30, 150),
            _t("tv stand", "tv stand", _HOME + "Living Room Furniture › TV Stands", 50, 300),
        ),
        (
            "easy assembly",
            "solid wood",
            "metal frame",
            "space saving",
            "height adjustable",
            "lumbar support",
            "mid century",
            "storage space",
            "living room",
            "non slip",
            "engineered wood",
            "high density",
        ),
        {
            "color": ("black", "walnut", "white", "espresso", "natural oak", "gray"),
            "size": ("24 inch", "30 inch", "40 inch", "set of 2", "set of 4"),
            "style": ("modern", "rustic", "industrial", "farmhouse"),
        },
    ),
)

_BRANDS = (
    "Acorn",
    "Bellwood",
    "Cobalt",
    "Dunmore",
    "Everleaf",
    "Foxglove",
    "Granite",
    "Harbor",
    "Ivyline",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Meridian",
    "Northway",
    "Oakhurst",
    "Pinecrest",
)

_HUMAN_TEMPLATES = (
    "i need {a_attrs} {noun}{options}.",
    "i am looking for {a_noun} that is {attrs}{options}.",
    "find me {a_attrs} {noun}{options}.",
    "i want to buy {a_noun} which is {attrs}{options}.",
    "i'd like {a_attrs} {noun}{options}.",
)

_REVIEW_TEXTS = (
    ("Great value", "Works exactly as described, would buy again."),
    ("Not bad", "Decent quality for the price, shipping was quick."),
    ("Disappointed", "It looked different from the pictures."),
    ("Love it", "My second one, still the best I have found."),
)


def _asin(rng: random.Random, used: set[str]) -> str:
    alphabet = string.ascii_uppercase + string.digits
    while True:
        asin = "B0" + "".join(rng.choices(alphabet, k=8))
        if asin not in used:
            used.add(asin)
            return asin


def _pricing(rng: random.Random, low: float, high: float) -> str:
    first = int(rng.uniform(low, high)) + rng.choice((0.49, 0.95, 0.99))
    if rng.random() < 0.3:  # a price range, as about a third of the original's products
        second = int(first * rng.uniform(1.1, 1.6)) + 0.99
        return f"${first:.2f} - ${second:.2f}"
    return f"${first:.2f}"


def _a(phrase: str) -> str:
    return f"{'an' if phrase[0] in 'aeiou' else 'a'} {phrase}"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _generate_product(
    index: int, rng: random.Random, used: set[str]
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    category = CATEGORIES[index % len(CATEGORIES)]
    kind = rng.choice(category.types)
    brand = rng.choice(_BRANDS)
    asin = _asin(rng, used)
    attributes = rng.sample(category.attributes, k=rng.randint(3, 4))
    option_names = rng.sample(sorted(category.options), k=rng.randint(0, 2))
    options = {
        name: sorted(
            rng.sample(
                category.options[name], k=min(rng.randint(2, 4), len(category.options[name]))
            )
        )
        for name in sorted(option_names)
    }
    title = f"{brand} {kind.noun.title()}, {attributes[0].title()}, {attributes[1].title()}"
    bullets = [f"{attribute.capitalize()}: made for everyday use." for attribute in attributes]
    bullets.append(f"Satisfaction guaranteed by {brand}.")
    description = (
        f"The {brand} {kind.noun} is {_join(attributes)}. "
        f"A {category.name} favourite, designed and tested by the {brand} team."
    )
    raw = {
        "asin": asin,
        "name": title,
        "category": category.name,
        "query": kind.query,
        "product_category": kind.breadcrumbs,
        "full_description": description,
        "small_description": bullets,
        "pricing": _pricing(rng, *kind.price),
        "customization_options": {
            name.title(): [{"value": value.title(), "image": None} for value in values]
            for name, values in options.items()
        }
        or None,
        "images": [f"https://webshop.generated.invalid/images/{asin}.jpg"],
    }
    synthetic = {
        "attributes": attributes,
        "instruction": f"i want {_a(_join(attributes[:2]))} {kind.noun}",
        "instruction_attributes": attributes[:2],
    }
    human = []
    for k in range(INSTRUCTIONS_PER_PRODUCT):
        wanted = rng.sample(attributes, k=rng.randint(1, 2))
        chosen = {name: rng.choice(values) for name, values in options.items()}
        option_text = " and ".join(f"{value} {name}" for name, value in chosen.items())
        human.append(
            {
                "asin": asin,
                "instruction": rng.choice(_HUMAN_TEMPLATES).format(
                    attrs=" and ".join(wanted),
                    a_attrs=_a(" and ".join(wanted)),
                    noun=kind.noun,
                    a_noun=_a(kind.noun),
                    options=f" in {option_text}" if option_text else "",
                ),
                "instruction_attributes": wanted,
                "instruction_options": list(chosen.values()),
                "assignment_id": f"generated-{asin}-{k}",
                "worker_id": "generated",
            }
        )
    reviews = [
        {"title": title_, "review": body, "stars": str(rng.randint(2, 5))}
        for title_, body in rng.sample(_REVIEW_TEXTS, k=rng.randint(0, 3))
    ]
    rating = round(sum(int(r["stars"]) for r in reviews) / len(reviews), 1) if reviews else None
    review_entry = {"asin": asin, "reviews": reviews, "average_rating": rating or "N.A."}
    return raw, synthetic, human, review_entry


def generate_catalog(seed: int = 0, num_products: int = NUM_PRODUCTS) -> dict[str, Any]:
    """Generate the contents of the official files.

    Args:
        seed: Seed of every draw; the same seed gives the same catalog.
        num_products: Number of products, spread evenly over the five categories.

    Returns:
        File name -> JSON value, for the ``_1000`` products and attributes files, the human
        instructions file and ``reviews.json``.
    """
    rng = random.Random(seed)
    used: set[str] = set()
    products, attributes, human, reviews = [], {}, {}, []
    for index in range(num_products):
        raw, synthetic, instructions, review_entry = _generate_product(index, rng, used)
        products.append(raw)
        attributes[raw["asin"]] = synthetic
        human[raw["asin"]] = instructions
        reviews.append(review_entry)
    return {
        PRODUCTS_FILES["1000"]: products,
        ATTRIBUTES_FILES["1000"]: attributes,
        HUMAN_INSTRUCTIONS_FILE: human,
        REVIEWS_FILE: reviews,
    }


def write_catalog(folder: str | Path, seed: int = 0, num_products: int = NUM_PRODUCTS) -> Path:
    """Write a generated catalog under the official file names.

    Args:
        folder: Destination, created if missing; existing files of the same names are replaced.
        seed: Generator seed.
        num_products: Number of products.

    Returns:
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in generate_catalog(seed, num_products).items():
        with (folder / name).open("w", encoding="utf-8") as f:
            json.dump(value, f, ensure_ascii=False)
    return folder


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vlagent-envs/webshop`` (``~/.cache/...`` without the variable)."""
    return cache_dir("webshop")


def ensure_catalog(seed: int = 0, cache_dir: str | Path | None = None) -> Path:
    """Return the folder of the generated catalog for ``seed``, building it if missing.

    The build goes to a temporary folder renamed into place, so concurrent callers (vector envs)
    never read a half-written catalog.

    Args:
        seed: Generator seed.
        cache_dir: Parent folder; defaults to ``default_cache_dir()``.

    Returns:
        ``<cache_dir>/generated-v<GENERATOR_VERSION>-seed<seed>``.
    """
    parent = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = parent / f"generated-v{GENERATOR_VERSION}-seed{seed}"
    if (target / HUMAN_INSTRUCTIONS_FILE).is_file():
        return target
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=parent))
    try:
        write_catalog(staging, seed)
        try:
            staging.rename(target)
        except OSError:
            if not (target / HUMAN_INSTRUCTIONS_FILE).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target

"""Tests of the WebShop BM25 product search: documents, ranking, the on-disk cache, threads."""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gymnasium.error import DependencyNotInstalled

from vlagent_envs.envs.webshop.catalog import write_catalog
from vlagent_envs.envs.webshop.data import Product, load_catalog
from vlagent_envs.envs.webshop.search import SEARCH_VERSION, SearchEngine, product_document

NUM_PRODUCTS = 200


def _product(asin: str, name: str, description: str = "", **overrides: object) -> Product:
    fields: dict = {
        "asin": asin,
        "name": name,
        "category": "beauty",
        "query": "hair extensions",
        "product_category": "Beauty & Personal Care › Hair Care › Hair Extensions",
        "description": description,
        "bullet_points": (),
        "pricing": (19.99,),
        "price_tag": "$19.99",
        "price": 19.99,
        "options": {},
        "option_to_image": {},
        "attributes": ("DUMMY_ATTR",),
    }
    fields.update(overrides)
    return Product(**fields)


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> tuple[Product, ...]:
    folder = write_catalog(tmp_path_factory.mktemp("catalog"), num_products=NUM_PRODUCTS)
    return load_catalog(folder).products


@pytest.fixture(scope="module")
def engine(products: tuple[Product, ...], tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    return SearchEngine(products, cache_dir=tmp_path_factory.mktemp("bm25"))


# --- documents ------------------------------------------------------------------------------


def test_product_document_follows_the_original_format() -> None:
    product = _product(
        "B000000001",
        "Acme Clip-In Hair Extension",
        "A Natural looking extension.",
        bullet_points=("Easy To Use", "Second bullet, not indexed"),
        options={"color": ("black | white", "brown"), "size": ("16 inch",)},
    )
    assert product_document(product) == (
        "acme clip-in hair extension a natural looking extension. easy to use "
        "color: black | white, brown, and size: 16 inch"
    )


def test_product_document_without_bullets_or_options_keeps_the_separators() -> None:
    assert product_document(_product("B000000001", "Mug", "Red")) == "mug red  "


# --- ranking --------------------------------------------------------------------------------


def test_a_title_finds_its_product(engine: SearchEngine, products: tuple[Product, ...]) -> None:
    results = [engine.search(product.name) for product in products]
    top1 = sum(found[:1] == [p.asin] for p, found in zip(products, results)) / len(products)
    top50 = sum(p.asin in found for p, found in zip(products, results)) / len(products)
    # Measured 0.995 (a miss is a product whose title another product shares word for word).
    assert top1 >= 0.95
    assert top50 == 1.0


def test_a_products_query_finds_it(engine: SearchEngine, products: tuple[Product, ...]) -> None:
    found = sum(p.asin in engine.search(p.query) for p in products) / len(products)
    assert found >= 0.97  # measured 1.0 on 200 products (0.968 on 1,000)


def test_human_instructions_find_their_product(
    engine: SearchEngine, products: tuple[Product, ...]
) -> None:
    pairs = [(p.asin, h.instruction) for p in products for h in p.human_instructions]
    found = sum(asin in engine.search(text) for asin, text in pairs) / len(pairs)
    assert found >= 0.97  # measured 1.0


def test_results_are_bounded_by_k_and_the_catalog(
    engine: SearchEngine, products: tuple[Product, ...]
) -> None:
    query = products[0].query
    assert len(engine.search(query, k=3)) == 3
    assert engine.search(query, k=3) == engine.search(query, k=50)[:3]
    assert engine.search(query, k=0) == []
    everything = engine.search("black white made everyday use favourite", k=10 * NUM_PRODUCTS)
    assert len(everything) == len(set(everything)) <= NUM_PRODUCTS
    assert len(everything) == NUM_PRODUCTS  # every generated product has "everyday use"


def test_only_products_sharing_a_word_are_returned(tmp_path: Path) -> None:
    catalog = [
        _product("B000000001", "Red Mug"),
        _product("B000000002", "Blue Plate"),
        _product("B000000003", "Green Bowl"),
    ]
    engine = SearchEngine(catalog, cache_dir=tmp_path)
    assert engine.search("red mugs") == ["B000000001"]  # stemmed: mugs -> mug
    assert engine.search("bowl or plate") == ["B000000002", "B000000003"]  # a tie: catalog order


def test_ties_keep_catalog_order(tmp_path: Path) -> None:
    catalog = [_product(f"B00000000{i}", "Twin Lamp") for i in range(5)]
    catalog.insert(2, _product("B000000009", "Twin Lamp Twin Lamp"))
    engine = SearchEngine(catalog, cache_dir=tmp_path)
    assert engine.search("twin lamp") == [
        "B000000009",
        *(f"B00000000{i}" for i in range(5)),
    ]
    assert engine.search("twin lamp", k=3) == ["B000000009", "B000000000", "B000000001"]


@pytest.mark.parametrize("query", ["", "   ", "the and of a", "zzyzx qwertyuiop", "!!! ???"])
def test_queries_without_indexed_words_return_nothing(engine: SearchEngine, query: str) -> None:
    assert engine.search(query) == []


def test_unknown_words_do_not_change_the_ranking(
    engine: SearchEngine, products: tuple[Product, ...]
) -> None:
    for product in products[:20]:
        known = engine.search(product.name)
        assert engine.search(f"zzyzx {product.name} qwertyuiop florbnic") == known
        assert engine.search(f"the {product.query} of") == engine.search(product.query)


# --- cache ----------------------------------------------------------------------------------


def _forbid_indexing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: SearchEngine, documents: list[str]) -> None:
        raise AssertionError("re-indexed a cached catalog")

    monkeypatch.setattr(SearchEngine, "_index", fail)


def test_a_second_engine_loads_the_cached_index(
    products: tuple[Product, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SearchEngine(products, cache_dir=tmp_path)
    assert first.key.startswith(f"v{SEARCH_VERSION}-") and len(first.key) == len("v1-") + 16
    assert (tmp_path / first.key).is_dir()
    assert not list(tmp_path.glob(".building-*"))
    _forbid_indexing(monkeypatch)
    second = SearchEngine(products, cache_dir=tmp_path)
    assert second.key == first.key
    for product in products[:50]:
        assert second.search(product.query) == first.search(product.query)
        assert second.search(product.name, k=5) == first.search(product.name, k=5)


def test_the_default_cache_is_under_xdg_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    engine = SearchEngine([_product("B000000001", "Red Mug")])
    assert (tmp_path / "vlagent-envs" / "webshop" / "bm25" / engine.key).is_dir()


def test_a_changed_catalog_gets_another_key(products: tuple[Product, ...], tmp_path: Path) -> None:
    edited = list(products)
    edited[7] = dataclasses.replace(edited[7], name=edited[7].name + " Deluxe")
    reordered = [products[1], products[0], *products[2:]]
    keys = {
        SearchEngine(catalog, cache_dir=tmp_path).key
        for catalog in (products, edited, reordered, products[:-1])
    }
    assert len(keys) == 4
    assert SearchEngine(products, cache_dir=tmp_path).search("deluxe") == []
    assert SearchEngine(edited, cache_dir=tmp_path).search("deluxe") == [edited[7].asin]


@pytest.mark.parametrize(
    "damage",
    ["truncate data.csc.index.npy", "truncate vocab.index.json", "delete indptr.csc.index.npy"],
)
def test_a_corrupt_cache_is_rebuilt_with_a_warning(
    damage: str,
    products: tuple[Product, ...],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = SearchEngine(products, cache_dir=tmp_path)
    action, name = damage.split()
    path = tmp_path / expected.key / name
    if action == "truncate":
        path.write_bytes(path.read_bytes()[:20])
    else:
        path.unlink()
    with caplog.at_level(logging.WARNING, logger="vlagent_envs.envs.webshop.search"):
        rebuilt = SearchEngine(products, cache_dir=tmp_path)
    assert any("Rebuilding" in record.message for record in caplog.records)
    for product in products[:20]:
        assert rebuilt.search(product.query) == expected.search(product.query)
    _forbid_indexing(monkeypatch)  # the rebuilt cache loads again
    assert SearchEngine(products, cache_dir=tmp_path).search("jeans") == expected.search("jeans")


def test_a_cache_of_another_catalog_in_the_folder_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = [_product("B000000001", "Red Mug"), _product("B000000002", "Blue Plate")]
    engine = SearchEngine(catalog, cache_dir=tmp_path)
    (tmp_path / engine.key / "asins.json").write_text('["B000000002", "B000000001"]')
    with caplog.at_level(logging.WARNING):
        assert SearchEngine(catalog, cache_dir=tmp_path).search("mug") == ["B000000001"]
    assert "Rebuilding" in caplog.text


def test_concurrent_builders_agree(products: tuple[Product, ...], tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        engines = list(pool.map(lambda _: SearchEngine(products, cache_dir=tmp_path), range(4)))
    assert [path.name for path in tmp_path.iterdir()] == [engines[0].key]
    for product in products[:20]:
        assert len({tuple(engine.search(product.query)) for engine in engines}) == 1


# --- threads and dependencies ---------------------------------------------------------------


def test_threads_get_the_sequential_results(
    engine: SearchEngine, products: tuple[Product, ...]
) -> None:
    queries = [p.name for p in products] + [
        h.instruction for p in products[:100] for h in p.human_instructions
    ]
    sequential = [engine.search(query) for query in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(engine.search, queries * 3))
    assert concurrent == sequential * 3


def test_missing_libraries_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("bm25s", "Stemmer"):
        with monkeypatch.context() as patch:
            patch.setitem(sys.modules, module, None)  # makes ``import module`` fail
            with pytest.raises(DependencyNotInstalled, match=r"vlagent-envs\[webshop\]"):
                SearchEngine([_product("B000000001", "Red Mug")])


def test_the_module_imports_without_the_search_libraries() -> None:
    code = (
        "import sys; sys.modules['bm25s'] = None; sys.modules['Stemmer'] = None; "
        "import vlagent_envs.envs.webshop.search as s; "
        "assert s.product_document is not None"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

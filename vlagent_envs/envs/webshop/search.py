"""BM25 product search, the search engine of WebShop's results pages.

The original (princeton-nlp/WebShop) indexes one text per product with pyserini, i.e. Lucene's
``EnglishAnalyzer`` (English stopwords, Porter stemmer) and BM25 with pyserini's defaults
(``k1=0.9``, ``b=0.4``). We use the ``bm25s`` library with the same analysis and parameters:
``bm25s.tokenize(..., stopwords="en", stemmer=Stemmer.Stemmer("porter"))`` and
``method="lucene"``. Small differences remain (Lucene's tokeniser and stopword list are not
bm25s's; Lucene quantises document lengths), so rankings can differ from the original's on
near ties.

The index is built once per catalog and cached on disk under
``<cache_dir>/v<SEARCH_VERSION>-<hash of the asins and documents>/``; later engines over the same
catalog load it instead of re-indexing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from gymnasium.error import DependencyNotInstalled

from vlagent_envs.envs.webshop.catalog import default_cache_dir
from vlagent_envs.envs.webshop.data import Product

if TYPE_CHECKING:
    import bm25s

logger = logging.getLogger(__name__)

SEARCH_VERSION = 1
"""Bump when the tokenisation, the documents or the BM25 parameters change (part of the key)."""

BM25_K1 = 0.9
"""pyserini's default ``k1``."""

BM25_B = 0.4
"""pyserini's default ``b``."""

_PIP_HINT = 'pip install "vlagent-envs[webshop]"'
_ASINS_FILE = "asins.json"


def _import_search_libraries() -> tuple[Any, Any]:
    """Import ``bm25s`` and ``Stemmer`` (PyStemmer), naming the pip extra when one is missing."""
    try:
        import bm25s
        import Stemmer
    except ImportError as error:
        raise DependencyNotInstalled(_PIP_HINT) from error
    return bm25s, Stemmer


def product_document(product: Product) -> str:
    """The text indexed for a product.

    As the original's ``search_engine/convert_product_file_format.py`` builds it: title,
    description, first bullet point and option text joined by spaces, lower-cased. The option
    text is ``"name: value, value, and name: value"``.

    Args:
        product: A cleaned product.

    Returns:
        The document, e.g. ``"acme mug a fine mug. dishwasher safe color: red, blue"``.
    """
    option_text = ", and ".join(
        f"{name}: {', '.join(values)}" for name, values in product.options.items()
    )
    first_bullet = product.bullet_points[0] if product.bullet_points else ""
    return " ".join([product.name, product.description, first_bullet, option_text]).lower()


class SearchEngine:
    """BM25 search over a catalog's products, returning asins best first.

    One engine may be shared by many threads: ``search`` only reads the index, and each thread
    gets its own stemmer (PyStemmer's stemmers are not thread-safe).

    Args:
        products: The catalog's products; their order breaks score ties.
        cache_dir: Parent folder of the cached indexes; defaults to
            ``default_cache_dir() / "bm25"``.

    Raises:
        DependencyNotInstalled: ``bm25s`` or PyStemmer is missing.
    """

    def __init__(self, products: Sequence[Product], cache_dir: str | Path | None = None):
        self._bm25s, self._stemmer_module = _import_search_libraries()
        self._asins = tuple(product.asin for product in products)
        documents = [product_document(product) for product in products]
        self._key = _cache_key(self._asins, documents)
        parent = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "bm25"
        self._local = threading.local()
        self._retriever = self._load_or_build(parent / self._key, documents)

    @property
    def key(self) -> str:
        """The cache key, ``v<SEARCH_VERSION>-<16 hex digits>``."""
        return self._key

    @property
    def asins(self) -> tuple[str, ...]:
        """The asins in catalog order (document id -> asin)."""
        return self._asins

    def __len__(self) -> int:
        return len(self._asins)

    def search(self, query: str, k: int = 50) -> list[str]:
        """Return the asins of the best matching products.

        Args:
            query: Free text; tokenised like the documents. Words absent from the catalog are
                ignored.
            k: The most results to return.

        Returns:
            At most ``k`` asins, best first, ties in catalog order. Products sharing no word with
            the query are left out, so an empty query, or one of stopwords or unknown words
            only, returns ``[]``.
        """
        if k <= 0 or not self._asins:
            return []
        tokens = self._tokenize([query])[0]
        token_ids = self._retriever.get_tokens_ids(tokens)  # drops unknown tokens
        if not token_ids:
            return []
        scores = self._retriever.get_scores_from_ids(token_ids)
        doc_ids = np.flatnonzero(scores > 0)
        values = scores[doc_ids]
        if len(doc_ids) > k:  # keep the top k (and everything tied with the k-th) before sorting
            threshold = np.partition(values, len(values) - k)[len(values) - k]
            keep = values >= threshold
            doc_ids, values = doc_ids[keep], values[keep]
        order = np.lexsort((doc_ids, -values))[:k]
        return [self._asins[i] for i in doc_ids[order]]

    # --- index ----------------------------------------------------------------------------

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = self._stemmer_module.Stemmer("porter")
        # Strings, not ids: ``return_ids=True`` numbers tokens in a vocabulary of its own, which
        # would map a query's tokens onto unrelated index tokens.
        return self._bm25s.tokenize(
            texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )

    def _index(self, documents: list[str]) -> bm25s.BM25:
        retriever = self._bm25s.BM25(method="lucene", k1=BM25_K1, b=BM25_B)
        # bm25s sets its own logger to DEBUG and announces every build; keep that quiet.
        bm25s_logger = logging.getLogger("bm25s")
        level = bm25s_logger.level
        bm25s_logger.setLevel(max(level, logging.INFO))
        try:
            retriever.index(self._tokenize(documents), show_progress=False)
        finally:
            bm25s_logger.setLevel(level)
        return retriever

    def _load(self, folder: Path) -> bm25s.BM25:
        with (folder / _ASINS_FILE).open(encoding="utf-8") as f:
            asins = tuple(json.load(f))
        if asins != self._asins:
            raise ValueError("the cached asins differ from the catalog's")
        retriever = self._bm25s.BM25.load(folder, mmap=False)
        num_docs = retriever.scores["num_docs"]
        if num_docs != len(asins):
            raise ValueError(f"the cached index has {num_docs} documents, not {len(asins)}")
        return retriever

    def _load_or_build(self, folder: Path, documents: list[str]) -> bm25s.BM25:
        if folder.is_dir():
            try:
                return self._load(folder)
            except Exception as error:  # any unreadable file means the same: rebuild it
                logger.warning("Rebuilding the unreadable search index %s (%s)", folder, error)
                shutil.rmtree(folder, ignore_errors=True)
        logger.info("Indexing %d products into %s", len(documents), folder)
        retriever = self._index(documents)
        try:
            self._save(retriever, folder)
        except OSError as error:  # a read-only cache costs only speed: index again next time
            logger.warning("Could not cache the search index in %s (%s)", folder, error)
        return retriever

    def _save(self, retriever: bm25s.BM25, folder: Path) -> None:
        """Write the index to a temporary folder, then rename it into place.

        Concurrent builders are safe: the rename is atomic, and one that loses the race keeps
        its own in-memory index, which is identical to the winner's.
        """
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
        try:
            retriever.save(staging)
            with (staging / _ASINS_FILE).open("w", encoding="utf-8") as f:
                json.dump(list(self._asins), f)
            try:
                staging.rename(folder)
            except OSError:
                if not folder.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _cache_key(asins: Sequence[str], documents: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in (*asins, *documents):
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")  # a separator, so ("ab", "c") and ("a", "bc") differ
    return f"v{SEARCH_VERSION}-{digest.hexdigest()[:16]}"

"""The shop: catalog, goals and search, and the shopping sessions played on it.

A :class:`Shop` holds what every session shares (the cleaned catalog, the goal splits, the BM25
engine); a :class:`ShopSession` is one episode: one goal, the page the shopper is on, the chosen
options, the visited products, and at the end the purchase and its reward. The env drives a
session in-process; the Flask site (``server.py``) drives the same sessions from HTTP, so a
browser, a remote env and an in-process env all see the same pages.

Navigation follows ``web_agent_site/envs/web_agent_text_env.py`` and the site's routes:

* ``search[query]`` on the search page: top 50 BM25 results, shown 10 per page;
* ``click[back to search]``: the search page; ``click[next >]`` / ``click[< prev]`` on the
  results: the next / previous page; ``click[< prev]`` on a product: back to its results page;
  on a product's sub-page: back to the product;
* ``click[<asin>]`` on the results: the product page, with no option chosen;
* ``click[<option value>]``: choose that value for its option (the page stays);
* ``click[description]`` / ``features`` / ``reviews`` / ``attributes``: the sub-page;
* ``click[buy now]``: buy the product with the chosen options at its price; the episode ends on
  the done page with the reward.

Anything else (an unknown button, a search where there is no search bar, an empty query) is
invalid and changes nothing, as in the original, where it returned reward 0 and the same page.
Searching is allowed only on the search page (where the original's HTML has a search bar), so
``admissible`` actions and the valid ones agree.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from vlagent_envs.envs.webshop.data import (
    Catalog,
    Goal,
    GoalSplits,
    Product,
    build_goals,
    load_catalog,
    product_fields,
    split_goals,
)
from vlagent_envs.envs.webshop.pages import (
    Element,
    Page,
    PageKind,
    render_html,
    render_text,
    render_text_rich,
)
from vlagent_envs.envs.webshop.reward import get_reward_breakdown, goal_option_values

logger = logging.getLogger(__name__)

__all__ = [
    "ObservationMode",
    "Outcome",
    "Shop",
    "ShopError",
    "ShopSession",
    "format_action",
    "get_shop",
    "parse_action",
]

RESULTS_PER_PAGE = 10
TOP_K = 50
SUB_PAGES = ("Description", "Features", "Reviews", "Attributes")
MAX_SESSIONS = 10_000
"""Sessions a shop keeps; the least recently used is dropped beyond it (a public server)."""

ObservationMode = Literal["text", "text_rich", "html"]
_ACTION = re.compile(r"^\s*(search|click)\s*\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)


class ShopError(RuntimeError):
    """An operation on an unknown session, or on one that has ended."""


def parse_action(text: str) -> tuple[str, str] | None:
    """Split ``"search[red shoes]"`` / ``"click[Buy Now]"`` into a lower-cased name and argument.

    Args:
        text: The action; the name is case-insensitive, spaces around it are ignored.

    Returns:
        ``("search", "red shoes")`` or ``("click", "buy now")`` (the argument lower-cased and
        stripped, inner whitespace collapsed), or ``None`` if the text is not of that form or the
        argument is empty.
    """
    match = _ACTION.match(text)
    if match is None:
        return None
    argument = " ".join(match.group(2).split()).lower()
    if not argument:
        return None
    return match.group(1).lower(), argument


def format_action(name: str, argument: str) -> str:
    """The canonical spelling: ``format_action("click", "buy now") == "click[buy now]"``."""
    return f"{name}[{argument}]"


@dataclass(frozen=True)
class Outcome:
    """What one action did.

    Attributes:
        valid: The action was admissible here (an invalid one changed nothing).
        reward: The purchase reward on ``buy now``, else 0.
        done: The episode ended (a purchase).
        message: Why an action was invalid, or what happened.
        reward_info: The reward's parts on a purchase (``RewardBreakdown.info()`` plus the
            purchased asin, options and price).
    """

    valid: bool
    reward: float = 0.0
    done: bool = False
    message: str = ""
    reward_info: dict[str, Any] | None = None


@dataclass
class _Location:
    kind: PageKind = "search"
    keywords: str = ""
    results: tuple[str, ...] = ()
    page: int = 1
    asin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    sub_page: str | None = None


class Shop:
    """A catalog with its goals and search engine, and the live sessions on it.

    Args:
        catalog: The cleaned products.
        goals: The goal splits.
        engine: An object with ``search(query, k) -> list[asin]`` (``search.SearchEngine``).
        max_sessions: Live sessions kept; the least recently used one is dropped beyond it.
    """

    def __init__(
        self, catalog: Catalog, goals: GoalSplits, engine: Any, max_sessions: int = MAX_SESSIONS
    ):
        self.catalog = catalog
        self.goals = goals
        self.engine = engine
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, ShopSession] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        data_dir: str | Path | None = None,
        *,
        catalog_seed: int = 0,
        human_goals: bool = True,
        num_products: int | None = None,
        cache_dir: str | Path | None = None,
    ) -> Shop:
        """Load a shop from an official data folder, or from the generated catalog.

        Args:
            data_dir: An official WebShop data folder; ``None`` builds (once, into the cache)
                and loads the generated catalog.
            catalog_seed: Seed of the generated catalog (ignored with ``data_dir``).
            human_goals: Human goals (the original's default) or synthetic ones.
            num_products: Keep the first this many products (the original's ``num_products``).
            cache_dir: Where the generated catalog and the search index are cached; defaults to
                ``$XDG_CACHE_HOME/vlagent-envs/webshop``.

        Returns:
            The shop.
        """
        from vlagent_envs.envs.webshop.catalog import default_cache_dir, ensure_catalog
        from vlagent_envs.envs.webshop.search import SearchEngine

        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        folder = data_dir if data_dir is not None else ensure_catalog(catalog_seed, cache)
        catalog = load_catalog(folder, num_products=num_products)
        goals = split_goals(build_goals(catalog, human=human_goals))
        return cls(catalog, goals, SearchEngine(catalog.products, cache_dir=cache / "bm25"))

    # -- sessions ----------------------------------------------------------------------------
    def new_session(
        self, split: str = "test", goal_index: int = 0, session_id: str | None = None
    ) -> ShopSession:
        """Start a session on goal ``goal_index`` of ``split`` (replacing one of the same id).

        Raises:
            KeyError: An unknown split.
            IndexError: ``goal_index`` outside the split.
        """
        goals = self.goals[split]
        if not 0 <= goal_index < len(goals):
            raise IndexError(
                f"goal index {goal_index} outside the {split} split (0-{len(goals) - 1})"
            )
        session = ShopSession(self, session_id or uuid.uuid4().hex, split, goal_index)
        with self._lock:
            self._sessions[session.session_id] = session
            self._sessions.move_to_end(session.session_id)
            while len(self._sessions) > self.max_sessions:
                dropped, _ = self._sessions.popitem(last=False)
                logger.info("Dropped the least recently used WebShop session %s", dropped)
        return session

    def session(self, session_id: str) -> ShopSession:
        """The live session ``session_id``.

        Raises:
            ShopError: No such session (never created, closed, or dropped as least recently used).
        """
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise ShopError(f"no WebShop session {session_id!r} (ended or never started)")
            self._sessions.move_to_end(session_id)
        return session

    def close_session(self, session_id: str) -> None:
        """Forget a session (unknown ids are ignored)."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        """Live sessions."""
        with self._lock:
            return len(self._sessions)

    def product(self, asin: str) -> Product:
        return self.catalog.by_asin[asin]


@functools.lru_cache(maxsize=4)
def _cached_shop(
    data_dir: str | None, catalog_seed: int, human_goals: bool, num_products: int | None, cache: str
) -> Shop:
    return Shop.load(
        data_dir,
        catalog_seed=catalog_seed,
        human_goals=human_goals,
        num_products=num_products,
        cache_dir=cache,
    )


_shop_lock = threading.Lock()


def get_shop(
    data_dir: str | Path | None = None,
    *,
    catalog_seed: int = 0,
    human_goals: bool = True,
    num_products: int | None = None,
    cache_dir: str | Path | None = None,
) -> Shop:
    """The process's shared shop for these arguments (loaded once, see :meth:`Shop.load`).

    Envs in one process share it, so the catalog and index are in memory once however many envs
    run; each env's episodes are separate sessions on it.
    """
    from vlagent_envs.envs.webshop.catalog import default_cache_dir

    cache = str(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    folder = str(Path(data_dir).expanduser().resolve()) if data_dir is not None else None
    with _shop_lock:
        return _cached_shop(folder, catalog_seed, human_goals, num_products, cache)


class ShopSession:
    """One shopper's episode on a shop: a goal, the current page, the chosen options.

    Methods are thread-safe (the env and the web server's threads may share a session).

    Args:
        shop: The shop.
        session_id: The session's id (in URLs).
        split: The goal's split.
        goal_index: The goal's index in the split.
    """

    def __init__(self, shop: Shop, session_id: str, split: str, goal_index: int):
        self.shop = shop
        self.session_id = session_id
        self.split = split
        self.goal_index = goal_index
        self.goal: Goal = shop.goals[split][goal_index]
        self.done = False
        self.reward = 0.0
        self.reward_info: dict[str, Any] | None = None
        self.visited: set[str] = set()
        self.searches: list[str] = []
        self._location = _Location()
        self._page: Page | None = None
        self._lock = threading.RLock()

    @property
    def instruction(self) -> str:
        return self.goal.instruction_text

    @property
    def location(self) -> dict[str, Any]:
        """Where the shopper is: page kind, keywords, results page, asin, options, sub-page."""
        with self._lock:
            loc = self._location
            return {
                "kind": loc.kind,
                "keywords": loc.keywords,
                "page": loc.page,
                "asin": loc.asin,
                "options": dict(loc.options),
                "sub_page": loc.sub_page,
            }

    # -- pages -------------------------------------------------------------------------------
    def page(self) -> Page:
        """The current page (built once per location)."""
        with self._lock:
            if self._page is None:
                self._page = self._build_page()
            return self._page

    def observe(self, mode: ObservationMode) -> str:
        """The current page as ``text``, ``text_rich`` or ``html`` (links relative to the
        session's page URL, ``/session/<id>/``)."""
        page = self.page()
        if mode == "text_rich":
            return render_text_rich(page)
        if mode == "text":
            return render_text(page)
        if mode == "html":
            return render_html(page)
        raise ValueError(f"observation mode must be 'text', 'text_rich' or 'html', not {mode!r}")

    def admissible_actions(self) -> list[str]:
        """``search[<query>]`` where there is a search bar, then ``click[...]`` for every
        clickable (the original's ``get_available_actions``, as actions); none once done."""
        if self.done:
            return []
        page = self.page()
        actions = ["search[<query>]"] if page.has_search_bar else []
        actions += [format_action("click", name) for name in page.clickables() if name != "search"]
        return actions

    def snapshot(self, mode: ObservationMode = "text_rich", expert: bool = False) -> dict[str, Any]:
        """Everything an env needs after a step, as JSON-ready values (the server's payload).

        Args:
            mode: The observation mode of ``"observation"``.
            expert: Also compute ``"expert_action"`` (otherwise ``None``).
        """
        with self._lock:
            text_rich = self.observe("text_rich")
            return {
                "session_id": self.session_id,
                "split": self.split,
                "goal_index": self.goal_index,
                "instruction": self.instruction,
                "observation": text_rich if mode == "text_rich" else self.observe(mode),
                "text_rich": text_rich,
                "page": self.page().kind,
                "location": self.location,
                "admissible_actions": self.admissible_actions(),
                "done": self.done,
                "reward": self.reward,
                "expert_action": self.expert_action() if expert else None,
            }

    def _build_page(self) -> Page:
        loc = self._location
        head = (
            Element("text", "Instruction:", role="instruction"),
            Element("text", self.instruction, role="instruction"),
        )
        back = Element("button", "Back to Search")
        if self.done:
            return Page(
                "done",
                (
                    Element("heading", "Thank you for shopping with us!"),
                    Element("text", "Your score (min 0.0, max 1.0)"),
                    Element("text", f"{self.reward}"),
                ),
            )
        if loc.kind == "search":
            return Page(
                "search",
                (
                    Element("heading", "WebShop"),
                    *head,
                    Element("search_bar"),
                    Element("button", "Search"),
                ),
            )
        if loc.kind == "results":
            total = len(loc.results)
            elements = [*head, back, Element("text", f"Page {loc.page} (Total results: {total})")]
            if loc.page > 1:
                elements.append(Element("button", "< Prev"))
            if loc.page * RESULTS_PER_PAGE < total:
                elements.append(Element("button", "Next >"))
            start = (loc.page - 1) * RESULTS_PER_PAGE
            for asin in loc.results[start : start + RESULTS_PER_PAGE]:
                product = self.shop.product(asin)
                elements += [
                    Element("product", asin, clicked=asin in self.visited),
                    Element("text", product.name),
                    Element("text", product.price_tag, role="price"),
                ]
            return Page("results", tuple(elements))
        assert loc.asin is not None
        product = self.shop.product(loc.asin)
        if loc.kind == "item":
            elements = [*head, back, Element("button", "< Prev")]
            for name, values in product.options.items():
                elements.append(Element("text", name))
                elements += [
                    Element("option", value, group=name, clicked=loc.options.get(name) == value)
                    for value in values
                ]
            elements += [
                Element("text", product.name, role="title"),
                Element("text", f"Price: {product.price_tag}", role="price"),
                Element("text", f"Rating: {product.rating}"),
                *(Element("button", name) for name in SUB_PAGES),
                Element("button", "Buy Now"),
            ]
            return Page("item", tuple(elements))
        return Page(
            "item_sub", (*head, back, Element("button", "< Prev"), *self._sub_page(product))
        )

    def _sub_page(self, product: Product) -> list[Element]:
        sub_page = self._location.sub_page
        if sub_page == "Description":
            return [Element("text", product.description or "No description")]
        if sub_page == "Features":
            return [Element("text", bullet) for bullet in product.bullet_points if bullet]
        if sub_page == "Attributes":
            return [Element("text", attribute) for attribute in product.attributes]
        if not product.reviews:
            return [Element("text", "No reviews found")]
        elements = []
        for review in product.reviews:
            elements += [
                Element("text", f'"{review.get("title", "")}"'),
                Element("text", f"{review.get('score', '')}"),
                Element("text", f"{review.get('body', '')}"),
            ]
        return elements

    # -- acting ------------------------------------------------------------------------------
    def step(self, action: str) -> Outcome:
        """Perform ``search[...]`` or ``click[...]`` (any case); see the module docstring.

        Raises:
            ShopError: The session has ended (after ``buy now``).
        """
        with self._lock:
            if self.done:
                raise ShopError(f"WebShop session {self.session_id} has ended; start a new one")
            parsed = parse_action(action)
            if parsed is None:
                return Outcome(False, message=f"{action!r} is not search[...] or click[...]")
            name, argument = parsed
            page = self.page()
            if name == "search":
                if not page.has_search_bar:
                    return Outcome(False, message="there is no search bar on this page")
                return self._search(argument)
            element = page.clickables().get(argument)
            if element is None or argument == "search":
                return Outcome(False, message=f"nothing to click named {argument!r} on this page")
            return self._click(argument, element)

    def _move(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self._location, key, value)
        self._page = None

    def _search(self, keywords: str) -> Outcome:
        results = tuple(self.shop.engine.search(keywords, k=TOP_K))
        self.searches.append(keywords)
        self._move(
            kind="results", keywords=keywords, results=results, page=1, asin=None, options={}
        )
        return Outcome(True, message=f"searched {keywords!r}: {len(results)} results")

    def _click(self, name: str, element: Element) -> Outcome:
        loc = self._location
        if name == "back to search":
            self._move(kind="search", keywords="", results=(), page=1, asin=None, options={})
        elif name == "next >":
            self._move(page=loc.page + 1)
        elif name == "< prev":
            if loc.kind == "results":
                self._move(page=loc.page - 1)
            elif loc.kind == "item":
                self._move(kind="results", asin=None, options={})
            else:
                self._move(kind="item", sub_page=None)
        elif element.kind == "product":
            asin = element.text
            self.visited.add(asin)
            self._move(kind="item", asin=asin, options={}, sub_page=None)
        elif element.kind == "option":
            assert element.group is not None
            self._move(options={**loc.options, element.group: element.text})
        elif element.text in SUB_PAGES:
            self._move(kind="item_sub", sub_page=element.text)
        elif name == "buy now":
            return self._buy()
        else:  # a button the shop draws but does not handle would be a bug
            raise AssertionError(f"unhandled clickable {name!r}")
        return Outcome(True, message=f"clicked {element.text!r}")

    def _buy(self) -> Outcome:
        loc = self._location
        assert loc.asin is not None
        product = self.shop.product(loc.asin)
        breakdown = get_reward_breakdown(
            product_fields(product), asdict(self.goal), product.price, loc.options
        )
        self.reward = breakdown.total
        self.reward_info = {
            **breakdown.info(),
            "purchased_asin": product.asin,
            "purchased_options": dict(loc.options),
            "price": product.price,
            "goal_asin": self.goal.asin,
        }
        self.done = True
        self._move(kind="done")
        return Outcome(True, self.reward, True, "bought", self.reward_info)

    def act(self, action: str, mode: ObservationMode = "text_rich") -> dict[str, Any]:
        """:meth:`step`, then the outcome and the :meth:`snapshot` as one JSON-ready payload
        (what an env receives, in-process or from the server's API).

        Raises:
            ShopError: The session has ended.
        """
        with self._lock:
            outcome = self.step(action)
            return {
                "valid": outcome.valid,
                "reward": outcome.reward,
                "done": outcome.done,
                "message": outcome.message,
                "reward_info": outcome.reward_info,
                **self.snapshot(mode),
            }

    # -- the scripted shopper ---------------------------------------------------------------
    def expert_action(self) -> str | None:
        """The scripted shopper's next action: it knows the goal's product.

        Search with the instruction; page through the results for the goal's product; if it is
        not in the top 50, go back and search the product's title. On the product, choose each
        goal option value the product offers, then buy. On any other product or sub-page, go
        back. ``None`` once the episode has ended.
        """
        with self._lock:
            if self.done:
                return None
            loc = self._location
            target = self.goal.asin
            if loc.kind == "search":
                query = " ".join(self.instruction.lower().split())
                if query in self.searches:  # not found that way: search the product's title
                    query = " ".join(self.shop.product(target).name.lower().split())
                return format_action("search", query)
            if loc.kind == "results":
                clickables = self.page().clickables()
                if target.lower() in clickables:
                    return format_action("click", target.lower())
                if "next >" in clickables:
                    return "click[next >]"
                return "click[back to search]"
            if loc.kind == "item_sub" or loc.asin != target:
                return "click[< prev]"
            product = self.shop.product(target)
            for value in (str(v).lower() for v in goal_option_values(self.goal.goal_options)):
                for name, values in product.options.items():
                    if value in values and loc.options.get(name) != value:
                        return format_action("click", value)
            return "click[buy now]"

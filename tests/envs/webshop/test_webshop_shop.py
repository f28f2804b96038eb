"""The shop's pages and navigation (``shop.py``, ``pages.py``), without HTTP or a browser."""

from __future__ import annotations

import html.parser

import pytest

from vlagent_envs.envs.webshop.pages import (
    Element,
    Page,
    render_html,
    render_text,
    render_text_rich,
)
from vlagent_envs.envs.webshop.shop import ShopError, format_action, parse_action


def _first_results(shop, goal_index: int = 0):
    session = shop.new_session("test", goal_index)
    assert session.step(f"search[{session.goal.name}]").valid
    return session


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("search[red shoes]", ("search", "red shoes")),
        ("  Click[ Buy   Now ] ", ("click", "buy now")),
        ("SEARCH[Men's\nShirt]", ("search", "men's shirt")),
        ("click[< Prev]", ("click", "< prev")),
        ("click[]", None),
        ("search[   ]", None),
        ("buy now", None),
        ("press[buy now]", None),
        ("click[a] and more", None),
    ],
)
def test_parse_action(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_action(text) == expected
    if expected is not None:
        assert parse_action(format_action(*expected)) == expected


def test_text_renderings_follow_the_original_markup() -> None:
    page = Page(
        "item",
        (
            Element("text", "Instruction:"),
            Element("text", "buy a red hat"),
            Element("button", "Back to Search"),
            Element("text", "color"),
            Element("option", "red", group="color", clicked=True),
            Element("option", "blue", group="color"),
            Element("text", "size"),
            Element("option", "large", group="size", clicked=True),
        ),
    )
    assert render_text(page) == (
        "Instruction: [SEP] buy a red hat [SEP] Back to Search [SEP] color [SEP] red [SEP] blue "
        "[SEP] size [SEP] large"
    )
    assert render_text_rich(page) == (
        "You have clicked large.\n"
        "You have clicked red.\n"
        "Instruction:\n"
        "buy a red hat\n"
        "[button] Back to Search [button_]\n"
        "color\n"
        "  [clicked button] red [clicked button_]\n"
        "  [button] blue [button_]\n"
        "size\n"
        "  [clicked button] large [clicked button_]\n"
    )
    results = Page(
        "results", (Element("product", "B0AAA"), Element("product", "B0BBB", clicked=True))
    )
    assert render_text_rich(results) == (
        "\n[button] B0AAA [button_]\n\n[clicked button] B0BBB [clicked button_]\n"
    )


class _Elements(html.parser.HTMLParser):
    """Collects the original's clickable markup: .btn buttons, .product-link, radio inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[str] = []
        self.links: list[str] = []
        self.radios: list[tuple[str, bool]] = []
        self.search_input = False
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "button" and "btn" in classes:
            self._in = "button"
        elif tag == "a" and "product-link" in classes:
            self._in = "link"
        elif tag == "input" and a.get("type") == "radio":
            self.radios.append((a.get("value") or "", "checked" in a))
        elif tag == "input" and a.get("id") == "search_input":
            self.search_input = True

    def handle_data(self, data: str) -> None:
        if self._in == "button":
            self.buttons.append(data)
        elif self._in == "link":
            self.links.append(data)
        self._in = None


def test_html_has_the_same_clickables_as_the_text(shop) -> None:
    session = _first_results(shop)
    parser = _Elements()
    parser.feed(session.observe("html"))
    clickables = session.page().clickables()
    assert [b.lower() for b in parser.buttons] == [
        k for k, e in clickables.items() if e.kind == "button"
    ]
    assert [link.lower() for link in parser.links] == [
        k for k, e in clickables.items() if e.kind == "product"
    ]
    target = session.goal.asin.lower()
    assert session.step(f"click[{target}]").valid
    value = next(iter(session.shop.product(session.goal.asin).options.values()))[0]
    session.step(f"click[{value}]")
    parser = _Elements()
    parser.feed(session.observe("html"))
    assert (value, True) in parser.radios
    assert '<input type="hidden" name="action" value="click[buy now]">' in session.observe("html")
    search = shop.new_session("test", 0)
    parser = _Elements()
    parser.feed(search.observe("html"))
    assert parser.search_input


def test_html_escapes_catalog_text() -> None:
    page = Page("item_sub", (Element("text", "<script>alert(1)</script> & co"),))
    document = render_html(page)
    assert "<script>alert" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in document


def test_search_results_are_paged_ten_at_a_time(shop) -> None:
    session = shop.new_session("test", 0)
    assert session.admissible_actions() == ["search[<query>]"]
    assert session.step("search[bar stool]").valid
    page = session.page()
    assert page.kind == "results"
    products = [e.text for e in page.elements if e.kind == "product"]
    assert len(products) == 10
    assert "Page 1 (Total results: 50)" in render_text(page)
    assert "click[next >]" in session.admissible_actions()
    assert "click[< prev]" not in session.admissible_actions()
    seen = list(products)
    for number in range(2, 6):
        assert session.step("click[next >]").valid
        assert f"Page {number} (Total results: 50)" in session.observe("text")
        seen += [e.text for e in session.page().elements if e.kind == "product"]
    assert "click[next >]" not in session.admissible_actions()  # top 50 only
    assert len(set(seen)) == 50
    assert session.step("click[< prev]").valid
    assert "Page 4 (Total results: 50)" in session.observe("text")
    assert not session.step("search[anything]").valid  # no search bar on a results page
    assert session.step("click[back to search]").valid
    assert session.page().kind == "search"


def test_item_page_options_sub_pages_and_back(shop) -> None:
    session = _first_results(shop, 3)
    asin = session.goal.asin
    product = session.shop.product(asin)
    assert session.step(f"click[{asin.lower()}]").valid
    rich = session.observe("text_rich")
    assert product.name in rich and f"Price: {product.price_tag}" in rich
    for button in ("description", "features", "reviews", "attributes", "buy now", "< prev"):
        assert f"click[{button}]" in session.admissible_actions()
    name, values = next(iter(product.options.items()))
    assert session.step(f"click[{values[-1]}]").valid
    assert session.location["options"] == {name: values[-1]}
    assert session.observe("text_rich").startswith(f"You have clicked {values[-1]}.\n")
    assert session.step(f"click[{values[0]}]").valid  # choosing again replaces the value
    assert session.location["options"] == {name: values[0]}
    assert session.step("click[features]").valid
    assert session.page().kind == "item_sub"
    assert product.bullet_points[0] in session.observe("text")
    assert session.step("click[< prev]").valid
    assert session.page().kind == "item" and session.location["options"] == {name: values[0]}
    assert session.step("click[< prev]").valid
    assert session.page().kind == "results"
    assert f"[clicked button] {asin} [clicked button_]" in session.observe("text_rich")


def test_invalid_actions_change_nothing(shop) -> None:
    session = _first_results(shop)
    before = (session.observe("text_rich"), session.location)
    for action in (
        "click[no such button]",
        "click[search]",
        "hello",
        "search[x]",
        "click[buy now]",
    ):
        outcome = session.step(action)
        assert not outcome.valid and outcome.message
    assert (session.observe("text_rich"), session.location) == before


def test_buying_scores_and_ends_the_session(shop) -> None:
    index = next(i for i, goal in enumerate(shop.goals["test"]) if goal.goal_options)
    session = _first_results(shop, index)
    asin = session.goal.asin
    session.step(f"click[{asin.lower()}]")
    outcome = session.step("click[buy now]")  # no options chosen: a partial score
    assert outcome.done and outcome.valid and 0 < outcome.reward < 1
    assert outcome.reward_info["purchased_asin"] == asin
    assert session.page().kind == "done"
    assert f"Your score (min 0.0, max 1.0) [SEP] {outcome.reward}" in session.observe("text")
    assert session.admissible_actions() == [] and session.expert_action() is None
    with pytest.raises(ShopError, match="has ended"):
        session.step("click[back to search]")


def test_the_scripted_shopper_scores_one_on_the_test_split(shop) -> None:
    rewards, steps = [], []
    for index in range(len(shop.goals["test"])):
        session = shop.new_session("test", index)
        count = 0
        while not session.done and count < 15:
            assert session.step(session.expert_action()).valid
            count += 1
        rewards.append(session.reward)
        steps.append(count)
        shop.close_session(session.session_id)
    assert len(rewards) == 500
    assert sum(rewards) / len(rewards) >= 0.99
    assert max(steps) <= 15


def test_sessions_are_bounded_and_closable(shop) -> None:
    from vlagent_envs.envs.webshop.shop import Shop

    small = Shop(shop.catalog, shop.goals, shop.engine, max_sessions=3)
    ids = [small.new_session("test", i).session_id for i in range(5)]
    assert len(small) == 3
    with pytest.raises(ShopError, match="no WebShop session"):
        small.session(ids[0])
    small.session(ids[2])  # used: now the most recent
    small.new_session("test", 0)
    assert small.session(ids[2]) and len(small) == 3
    small.close_session(ids[2])
    small.close_session("never-existed")
    assert len(small) == 2
    with pytest.raises(IndexError, match="outside the test split"):
        small.new_session("test", 500)
    with pytest.raises(KeyError, match="unknown split"):
        small.new_session("validation", 0)

"""The pages of the shop as data, and their renderings: HTML, ``text`` and ``text_rich``.

A :class:`Page` is the list of what a WebShop page shows, in reading order: plain text, buttons,
product links and option radio buttons. Keeping pages as data lets the env produce its text
observations without parsing HTML (fast enough for 100+ steps per second), while the Flask site
and the ``html`` observation render the same list to HTML, so every mode shows the same page.

The text renderings follow ``web_agent_site/envs/web_agent_text_env.py``:

* ``text`` (the original's ``simple`` mode): the visible texts joined by ``" [SEP] "``;
* ``text_rich``: one line per text, buttons and product links as ``[button] X [button_]``,
  chosen options and visited products as ``[clicked button] X [clicked button_]``, each chosen
  option announced first with ``You have clicked X.``.

The page contents follow the original's templates (``search_page.html``, ``results_page.html``,
``item_page.html``, the sub-pages and ``done_page.html``), without images (the generated catalog
has none; the official data's image URLs point at Amazon, which the sandboxed browser cannot
reach, so pages are text-only in every mode).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

__all__ = [
    "Element",
    "Page",
    "PageKind",
    "render_html",
    "render_text",
    "render_text_rich",
]

PageKind = Literal["search", "results", "item", "item_sub", "done"]
ElementKind = Literal["heading", "text", "button", "product", "option", "search_bar"]


@dataclass(frozen=True)
class Element:
    """One thing on a page.

    Attributes:
        kind: ``"heading"`` and ``"text"`` (read only), ``"button"``, ``"product"`` (a product
            link, its text the asin), ``"option"`` (a radio button, its text the value),
            ``"search_bar"`` (the query box, no text of its own).
        text: What the page shows.
        group: The option's name (``"color"``) for an option.
        clicked: An option currently chosen, or a product already visited this episode.
        role: A styling hint for HTML only (``"instruction"``, ``"title"``, ``"price"``).
    """

    kind: ElementKind
    text: str = ""
    group: str | None = None
    clicked: bool = False
    role: str = ""

    @property
    def clickable(self) -> bool:
        return self.kind in ("button", "product", "option")


@dataclass(frozen=True)
class Page:
    """A page: its kind and its elements.

    Attributes:
        kind: Which of the five page kinds this is.
        elements: What the page shows, in reading order.
    """

    kind: PageKind
    elements: tuple[Element, ...]

    @property
    def has_search_bar(self) -> bool:
        return any(e.kind == "search_bar" for e in self.elements)

    def clickables(self) -> dict[str, Element]:
        """Lower-cased text -> element, for every button, product link and option.

        As the original's ``get_available_actions``: buttons and product links by their text,
        options by their value; the ``Search`` button is listed but only a ``search[...]``
        action presses it. A later element with the same text replaces an earlier one.
        """
        return {e.text.lower(): e for e in self.elements if e.clickable}


def _visible(page: Page) -> list[Element]:
    return [e for e in page.elements if e.kind != "search_bar" and e.text]


def render_text(page: Page) -> str:
    """The original's ``text`` observation: the visible texts joined by ``" [SEP] "``."""
    return " [SEP] ".join(e.text for e in _visible(page))


def render_text_rich(page: Page) -> str:
    """The original's ``text_rich`` observation (see the module docstring)."""
    lines: list[str] = []
    announced: list[str] = []
    for element in _visible(page):
        if element.kind == "button":
            lines.append(f"[button] {element.text} [button_]")
        elif element.kind == "option":
            if element.clicked:
                lines.append(f"  [clicked button] {element.text} [clicked button_]")
                announced.insert(0, f"You have clicked {element.text}.")
            else:
                lines.append(f"  [button] {element.text} [button_]")
        elif element.kind == "product":
            tag = "clicked button" if element.clicked else "button"
            lines.append(f"\n[{tag}] {element.text} [{tag}_]")
        else:
            lines.append(element.text)
    return "".join(f"{line}\n" for line in [*announced, *lines])


_STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 0; background: #fff; color: #111; }
.page { padding: 16px 24px; }
.instruction { background: #f3f3f3; border-left: 4px solid #888; padding: 6px 10px;
               font-size: 15px; margin-bottom: 10px; }
h1 { font-size: 26px; margin: 4px 0 8px; }
h2 { font-size: 20px; margin: 8px 0 4px; }
h4 { font-size: 15px; margin: 6px 0 2px; }
p { margin: 3px 0; font-size: 14px; }
form { display: inline-block; margin: 2px 6px 2px 0; }
.btn { font-size: 14px; padding: 4px 10px; border: 1px solid #2e6da4; border-radius: 4px;
       background: #337ab7; color: #fff; cursor: pointer; }
.btn.back { background: #5cb85c; border-color: #4cae4c; }
.btn.buy { background: #f0ad4e; border-color: #eea236; color: #111; font-size: 16px; }
.instruction-label { font-weight: bold; font-size: 14px; color: #555; }
#search_input { caret-color: transparent; font-size: 15px; padding: 4px 8px; width: 60%; }
.grid-container { display: grid; grid-template-columns: 1fr 1fr; column-gap: 18px; }
.grid-item { border-top: 1px solid #ddd; padding: 3px 0; }
.grid-item p { font-size: 13px; margin: 1px 0; }
.title { font-size: 18px; font-weight: bold; margin: 8px 0 4px; }
.price { font-weight: bold; }
.product-link { font-weight: bold; font-size: 15px; color: #1a0dab; }
.product-link.clicked { color: #681da8; }
.options { margin: 2px 0 6px; font-size: 14px; }
.options label { margin-right: 10px; }
"""

_BACK_BUTTONS = {"back to search": "back", "buy now": "buy"}


def render_html(page: Page, act_url: str | None = "act") -> str:
    """The page as an HTML document with the original's element classes and ids.

    Buttons are ``<button class="btn">`` in GET forms, product links ``<a class="product-link">``,
    options ``<input type="radio">`` with a ``<label>``, the query box ``<input id=
    "search_input">``, so code written against the original's HTML finds the same elements.

    Args:
        page: The page.
        act_url: The URL that performs an action, GET with ``action=click[...]`` (buttons,
            links, options) or ``query=...`` (the search form); by default ``act``, relative to
            the session's page ``/session/<id>/``. ``None`` renders the controls inert.

    Returns:
        A standalone document (inline CSS, no network resources).
    """
    body: list[str] = []
    in_product = False
    option_group: str | None = None
    for element in page.elements:
        text = html.escape(element.text)
        if element.kind != "option" and option_group is not None:
            body.append("</div>")
            option_group = None
        if element.kind == "product":
            body.append("</div>" if in_product else '<div class="grid-container">')
            body.append('<div class="grid-item">')
            in_product = True
        if element.kind == "heading":
            body.append(f"<h1>{text}</h1>" if page.kind != "done" else f"<h2>{text}</h2>")
        elif element.kind == "text" and element.role == "instruction":
            if element.text == "Instruction:":
                body.append(f'<div class="instruction-label">{text}</div>')
            else:
                body.append(f'<div id="instruction-text" class="instruction">{text}</div>')
        elif element.kind == "text":
            css = f' class="{element.role}"' if element.role else ""
            body.append(f"<p{css}>{text}</p>")
        elif element.kind == "search_bar":
            action = html.escape(act_url or "#", quote=True)
            body.append(
                f'<form method="get" action="{action}" style="width:100%">'
                '<input type="text" id="search_input" name="query" placeholder="Search..." '
                '> <button type="submit" class="btn">Search</button></form>'
            )
        elif element.kind == "button":
            if element.text == "Search":
                continue  # drawn with the search bar
            css = _BACK_BUTTONS.get(element.text.lower(), "")
            body.append(_button(element.text, f"click[{element.text.lower()}]", css, act_url))
        elif element.kind == "product":
            href = _action_href(act_url, f"click[{element.text.lower()}]")
            css = "product-link clicked" if element.clicked else "product-link"
            body.append(f'<a class="{css}" href="{html.escape(href, quote=True)}">{text}</a>')
        elif element.kind == "option":
            if option_group != element.group:
                if option_group is not None:
                    body.append("</div>")
                body.append('<div class="options radio-toolbar">')
                option_group = element.group
            name = html.escape(element.group or "", quote=True)
            href = _action_href(act_url, f"click[{element.text.lower()}]")
            checked = " checked" if element.clicked else ""
            body.append(
                f'<label><input type="radio" name="{name}" value="{text}"{checked} '
                f'data-url="{html.escape(href, quote=True)}" '
                "onclick=\"if (this.dataset.url !== '#') location.href = this.dataset.url\"> "
                f"{text}</label>"
            )
    if option_group is not None:
        body.append("</div>")
    if in_product:
        body.append("</div></div>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>WebShop</title>'
        f'<link rel="icon" href="data:,"><style>{_STYLE}</style></head>\n'
        f'<body><div class="page {page.kind}">\n' + "\n".join(body) + "\n</div></body></html>\n"
    )


def _action_href(act_url: str | None, action: str) -> str:
    return f"{act_url}?{urlencode({'action': action})}" if act_url is not None else "#"


def _button(label: str, action: str, css: str, act_url: str | None) -> str:
    text = html.escape(label)
    classes = f"btn {css}".strip()
    if act_url is None:
        return f'<form><button type="button" class="{classes}">{text}</button></form>'
    return (
        f'<form method="get" action="{html.escape(act_url, quote=True)}">'
        f'<input type="hidden" name="action" value="{html.escape(action, quote=True)}">'
        f'<button type="submit" class="{classes}">{text}</button></form>'
    )

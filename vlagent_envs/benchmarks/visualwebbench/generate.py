"""A generated VisualWebBench set: Chromium screenshots of the WebShop site, truth from the DOM.

``write_dataset(root, seed, per_task)`` writes the seven VisualWebBench configs as the official
Hub dataset lays them out (``<root>/<config>/test-00000-of-00001.parquet``, one ``test`` split
per config, images as Hugging Face ``Image`` structs ``{"bytes": PNG, "path": name}``), from
pages of the local WebShop site (``vlagent_envs.envs.webshop``) shown by headless Chromium::

    python -m vlagent_envs.benchmarks.visualwebbench.generate --out DIR --seed 0 --per-task 6

**The site.** WebShop's pages have no ``<meta name="description">``, and WebShop's own pages must
not change (that would change the WebShop env). So the generator serves the pages from a site
of its own on 127.0.0.1 (:class:`MetaSite`): each page is WebShop's ``render_html`` output
with a ``<meta name="description" content="...">`` inserted in its head
(:func:`insert_meta_description`), written from the page (:func:`describe_page`):

* search page: ``WebShop search page: type keywords to find a product among the catalog.``
* results: ``Search results for "<query>" on WebShop: page P, products A-B of N.``
* product: ``<title>: <category> for <price> on WebShop, rated <rating>.`` (the category is the
  last breadcrumb of the product, lower-cased)
* sub-page: ``<Reviews|Features|...> of <title> on WebShop.``
* done page: ``Order complete on WebShop: thank you for shopping with us.``

The site is stateless: a page's URL names the goal and the actions that lead to it
(``/s/<token>/``), and a link or button (``/s/<token>/act?action=click[...]``) redirects to
the page of those actions plus one, so the browser follows any number of links without
changing shared state.

**Ground truth comes from the DOM** of the page the screenshot shows (:data:`PROBE_SCRIPT`,
run by :meth:`ChromiumBrowser.screenshot_with_script` just before the capture), never from
the Python data: the meta description (``web_caption``), the main heading's ``innerText``
(``heading_ocr``: the product title on product pages), the ``getBoundingClientRect`` (text:
of the text's ``Range``) and ``innerText`` of text, buttons, product links and option labels
(``element_ocr``, ``element_ground``, ``action_ground``), the targets of links and buttons,
really followed in the browser, whose meta descriptions are the ``action_prediction`` options,
and the prices, ratings, option values and product names as the page writes them
(``webqa``).

Official facts reproduced (VisualWebBench/VisualWebBench, lmms-eval):

* Configs, columns and types: the Hub dataset ``visualwebbench/VisualWebBench`` (its
  ``README.md`` ``dataset_info``, revision 80171da, and lmms-eval's use of the fields):
  ``id``, ``task_type``, ``website``, ``image`` (Image), ``image_size`` (``[width, height]``,
  int64); ``options``: a list of strings for ``action_prediction``, a list of ``[x1, y1, x2,
  y2]`` ratio boxes for the two grounding tasks, which also keep the unannotated screenshot as
  ``raw_image``; ``bbox``: ratios; ``answer``: an int64 index for the choice tasks, a string
  for captions and OCR, a list of strings for ``webqa``. File
  ``<config>/test-00000-of-00001.parquet``.
* The red box is part of the dataset image for ``element_ocr`` and ``action_prediction``: the
  prompts say "a screenshot of a webpage with a red rectangle bounding box" and ``run.py`` hands
  ``sample['image']`` to the model unchanged (VisualWebBench ``run.py``,
  ``model_adapters/*.py``). The grounding tasks' images carry the candidates' letter IDs ("I
  have labeled IDs for some HTML elements as candidates", ``utils/prompts.py``).
* Eight choices, ``A`` to ``H``: the choice parser reads the first eight letters
  (``parse_multi_choice_response(pred, [chr(ord("A") + i) for i in range(8)])`` in
  lmms-eval ``lmms_eval/tasks/visualwebbench/utils.py``).
* ``id`` is ``f"{task_type}_{n}"`` (VisualWebBench ``utils/data_utils.py``).

Decisions (not fixed by the official code): screenshots are the 1280 x 960 viewport (the
official ones are 1280 wide, often full pages; a fixed height keeps the PNGs small); boxes are
drawn in red, 2 px, padded 2 px around the element; grounding candidates carry their letter in
white on a red tab above the box's top-left corner (inside the box when there is no room above),
our reading of the paper's figures, not checked against the dataset's images; ``path`` of
each image is ``<id>.png``; ``website`` is ``"webshop"``.
Pages per task: captions from every page kind; ``heading_ocr`` from product pages, whose main
heading is the product title (the search page's only heading is "WebShop", results and
sub-pages have none); ``heading_ocr`` rows also carry the heading's ``bbox`` (unconfirmed: the
card revision read here, 80171da, showed the features of action_ground and action_prediction
only; a loader that does not know the column keeps it as an extra);
``element_ocr`` boxes a text of at least 20 characters; ``element_ground``'s ``elem_desc`` is the
target's text, the eight candidates are visible elements with texts unique on the page;
``action_prediction`` uses results pages (a product link or a button whose destination differs
from the page, eight distinct destinations); ``webqa`` asks a product page's price, rating,
option values or their count, or a result's price or name (each kind as likely).
``action_ground`` instructions are written from the target's DOM text ("Buy the product",
"See the reviews of the product", "Go back to the search results", "Choose 3 ft as the size",
"Open the product "<title>""); the search page has too few elements for eight candidates,
so there is no "Search for ..." instruction.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import html
import http.server
import io
import json
import logging
import random
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlagent_envs.benchmarks.visualwebbench.data import TASKS
from vlagent_envs.envs.webshop.pages import render_html
from vlagent_envs.envs.webshop.shop import Shop, ShopSession

logger = logging.getLogger(__name__)

__all__ = [
    "FEATURES",
    "META_SCRIPT",
    "PROBE_SCRIPT",
    "GeneratedItem",
    "MetaSite",
    "assemble_options",
    "bbox_ratio",
    "describe_page",
    "draw_box",
    "draw_candidates",
    "generate_items",
    "insert_meta_description",
    "main",
    "png_bytes",
    "replay",
    "write_dataset",
    "write_parquet",
]

WIDTH, HEIGHT = 1280, 960
NUM_CHOICES = 8  # A-H: lmms-eval's parser reads eight letters
WEBSITE = "webshop"
PARQUET_NAME = "test-00000-of-00001.parquet"
BOX_COLOUR = (255, 0, 0)
BOX_WIDTH = 2
BOX_PAD = 2
SPLIT = "test"
_MAX_TRIES = 50  # pages drawn per item before giving up (a page without enough elements)
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# -- the site ------------------------------------------------------------------------------


def insert_meta_description(html_doc: str, content: str) -> str:
    """``html_doc`` with ``<meta name="description" content="...">`` first in its head.

    Args:
        html_doc: An HTML document with a ``<head>`` element.
        content: The description (escaped here).

    Raises:
        ValueError: The document has no ``<head>``.
    """
    start = html_doc.find("<head>")
    if start < 0:
        raise ValueError("the HTML document has no <head> to put the meta description in")
    meta = f'<meta name="description" content="{html.escape(content, quote=True)}">'
    at = start + len("<head>")
    return html_doc[:at] + meta + html_doc[at:]


def describe_page(session: ShopSession) -> str:
    """The meta description of the session's current page, written from what it shows."""
    page = session.page()
    loc = session.location
    if page.kind == "search":
        return "WebShop search page: type keywords to find a product among the catalog."
    if page.kind == "done":
        return "Order complete on WebShop: thank you for shopping with us."
    if page.kind == "results":
        counts = [e.text for e in page.elements if e.text.startswith("Page ")]
        total = int(counts[0].split("Total results: ")[1].rstrip(")")) if counts else 0
        first = (loc["page"] - 1) * 10 + 1
        last = min(loc["page"] * 10, total)
        return (
            f'Search results for "{loc["keywords"]}" on WebShop: page {loc["page"]}, '
            f"products {first}-{last} of {total}."
        )
    product = session.shop.product(loc["asin"])
    if page.kind == "item_sub":
        return f"{loc['sub_page']} of {product.name} on WebShop."
    category = product.product_category.split(" › ")[-1].strip().lower() or product.category
    rating = "not yet rated" if product.rating == "N.A." else f"rated {product.rating}"
    return f"{product.name}: {category} for {product.price_tag} on WebShop, {rating}."


def _encode_token(goal_index: int, actions: Sequence[str]) -> str:
    raw = json.dumps([goal_index, list(actions)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, list[str]]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    goal_index, actions = json.loads(raw)
    if not isinstance(goal_index, int) or not all(isinstance(a, str) for a in actions):
        raise ValueError(f"bad page token {token!r}")
    return goal_index, actions


def replay(shop: Shop, goal_index: int, actions: Sequence[str]) -> ShopSession:
    """A fresh (unregistered) session on goal ``goal_index`` of the test split after
    ``actions``.

    Raises:
        ValueError: An action is invalid where it is taken.
    """
    session = ShopSession(shop, "visualwebbench", SPLIT, goal_index)
    for action in actions:
        outcome = session.step(action)
        if not outcome.valid:
            raise ValueError(f"invalid action {action!r}: {outcome.message}")
    return session


class MetaSite:
    """WebShop's pages with a meta description, served statelessly on 127.0.0.1.

    ``GET /s/<token>/`` shows the page that the token's goal and actions lead to; ``GET
    /s/<token>/act?action=...`` (links, buttons, options) or ``?query=...`` (the search form)
    redirects to the page after one more action (an invalid one: the same page).

    Args:
        shop: The shop whose pages are served.
    """

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, goal_index: int, actions: Sequence[str] = ()) -> str:
        """The absolute URL of the page after ``actions`` on goal ``goal_index``."""
        if self._server is None:
            raise RuntimeError("the site is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/s/{_encode_token(goal_index, actions)}/"

    def start(self) -> MetaSite:
        """Start serving on a free port of 127.0.0.1 in a daemon thread."""
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MetaSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(request.path)
        parts = parsed.path.strip("/").split("/")
        try:
            if len(parts) not in (2, 3) or parts[0] != "s" or parts[2:] not in ([], ["act"]):
                raise ValueError("not a page")
            goal_index, actions = _decode_token(parts[1])
            session = replay(self.shop, goal_index, actions)
        except (ValueError, IndexError, KeyError, TypeError):
            self._send(request, 404, "<!DOCTYPE html><html><head></head><body>Not found</body>")
            return
        if parts[2:] == ["act"]:
            query = urllib.parse.parse_qs(parsed.query)
            if "action" in query:
                action = query["action"][0]
            else:
                action = f"search[{query.get('query', [''])[0]}]"
            if not session.done and session.step(action).valid:
                actions = [*actions, action]
            location = f"/s/{_encode_token(goal_index, actions)}/"
            request.send_response(303)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        page = render_html(session.page())
        self._send(request, 200, insert_meta_description(page, describe_page(session)))

    @staticmethod
    def _send(request: http.server.BaseHTTPRequestHandler, status: int, body: str) -> None:
        data = body.encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


# -- the DOM probe ------------------------------------------------------------------------

PROBE_SCRIPT = """
const W = window.innerWidth, H = window.innerHeight;
const clean = (s) => (s || '').replace(/\\s+/g, ' ').trim();
const box = (r) => [Math.round(r.left), Math.round(r.top), Math.round(r.right),
                    Math.round(r.bottom)];
const textRect = (el) => { const range = document.createRange();
                           range.selectNodeContents(el); return range.getBoundingClientRect(); };
const hrefOf = (el) => {
  if (el.tagName === 'A') return el.href;
  if (el.tagName === 'BUTTON' && el.form && el.form.getAttribute('action') !== null) {
    // form.action would be the hidden <input name="action">: read the attribute
    const url = new URL(el.form.getAttribute('action'), location.href);
    new FormData(el.form).forEach((v, k) => url.searchParams.append(k, v));
    return url.href;
  }
  if (el.tagName === 'LABEL') {
    const input = el.querySelector('input');
    if (input && input.dataset.url && input.dataset.url !== '#')
      return new URL(input.dataset.url, location.href).href;
  }
  return null;
};
const elements = [];
const add = (el, kind, rect, extra) => {
  const b = box(rect);
  const text = clean(el.innerText);
  if (!text || b[2] <= b[0] || b[3] <= b[1]) return;
  const visible = b[0] >= 0 && b[1] >= 0 && b[2] <= W && b[3] <= H;
  elements.push(Object.assign({kind: kind, tag: el.tagName.toLowerCase(), text: text, box: b,
                               visible: visible, href: null, group: null, context: null}, extra));
};
document.querySelectorAll('.page h1, .page h2, .page p, .page div.instruction, '
                          + '.page div.instruction-label').forEach(
  (el) => add(el, 'text', textRect(el), {}));
document.querySelectorAll('.page button.btn').forEach(
  (el) => add(el, 'button', el.getBoundingClientRect(), {href: hrefOf(el)}));
document.querySelectorAll('.page a.product-link').forEach((el) => {
  const name = el.parentElement.querySelector('p:not(.price)');
  const price = el.parentElement.querySelector('p.price');
  add(el, 'link', el.getBoundingClientRect(),
      {href: hrefOf(el), context: name ? clean(name.innerText) : null,
       price: price ? clean(price.innerText) : null});
});
document.querySelectorAll('.page div.options label').forEach((el) => {
  const title = el.parentElement.previousElementSibling;
  add(el, 'option', el.getBoundingClientRect(),
      {href: hrefOf(el), group: title ? clean(title.innerText) : null});
});
const meta = document.querySelector('meta[name=description]');
const heading = document.querySelector('.page h1, .page h2, .page p.title');
return {
  url: location.href,
  meta: meta ? meta.content : null,
  heading: heading ? {text: clean(heading.innerText), box: box(textRect(heading))} : null,
  elements: elements,
  viewport: [W, H],
};
"""
"""Run in the page (selenium ``execute_script``) before the screenshot; returns the meta
description, the main heading (the first ``h1``, ``h2`` or product title) and, for every text
paragraph, button, product link and option label, its kind, ``innerText`` (whitespace
collapsed), box ``[x1, y1, x2, y2]`` in viewport pixels (text: its ``Range``), whether it lies
wholly in the viewport, and what clicking it requests (``href``)."""

META_SCRIPT = "const m = document.querySelector('meta[name=description]'); return m && m.content;"

# -- pure helpers -------------------------------------------------------------------------


def bbox_ratio(box: Sequence[float], size: tuple[int, int], pad: int = BOX_PAD) -> list[float]:
    """A pixel box as ``[x1, y1, x2, y2]`` ratios of ``size = (width, height)``.

    The box is padded by ``pad`` pixels, clipped to the image, and rounded outwards to three
    decimals, so the ratios always contain the element.
    """
    import math

    width, height = size
    x1, y1, x2, y2 = box
    if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
        raise ValueError(f"box {list(box)} is not inside a {width}x{height} image")
    x1, y1 = max(0, x1 - pad), max(0, y1 - pad)
    x2, y2 = min(width, x2 + pad), min(height, y2 + pad)
    # x * 1000 / width is exact for integer pixels, so floor/ceil never overshoot.
    return [
        math.floor(x1 * 1000 / width) / 1000,
        math.floor(y1 * 1000 / height) / 1000,
        math.ceil(x2 * 1000 / width) / 1000,
        math.ceil(y2 * 1000 / height) / 1000,
    ]


def _pixels(ratio: Sequence[float], size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    return (
        round(ratio[0] * width),
        round(ratio[1] * height),
        min(width - 1, round(ratio[2] * width)),
        min(height - 1, round(ratio[3] * height)),
    )


def draw_box(image: Any, ratio: Sequence[float]) -> Any:
    """A copy of the PIL ``image`` with a red rectangle on the ratio box ``ratio``."""
    from PIL import ImageDraw

    out = image.copy()
    ImageDraw.Draw(out).rectangle(_pixels(ratio, out.size), outline=BOX_COLOUR, width=BOX_WIDTH)
    return out


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(_FONT, size)
    except OSError:
        return ImageFont.load_default()


def draw_candidates(image: Any, ratios: Sequence[Sequence[float]]) -> Any:
    """A copy of ``image`` with each ratio box drawn in red and labelled ``A``, ``B``, ...

    The letter is white on a red tab above the box's top-left corner, or inside the box's
    top-left corner when there is no room above.
    """
    from PIL import ImageDraw

    if len(ratios) > 26:
        raise ValueError(f"at most 26 candidates can be labelled, got {len(ratios)}")
    out = image.copy()
    draw = ImageDraw.Draw(out)
    font = _font(12)
    for index, ratio in enumerate(ratios):
        x1, y1, x2, y2 = _pixels(ratio, out.size)
        draw.rectangle((x1, y1, x2, y2), outline=BOX_COLOUR, width=BOX_WIDTH)
        label = chr(ord("A") + index)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        tab_w, tab_h = right - left + 6, bottom - top + 4
        tab_y = y1 - tab_h if y1 - tab_h >= 0 else y1
        draw.rectangle((x1, tab_y, x1 + tab_w, tab_y + tab_h), fill=BOX_COLOUR)
        draw.text((x1 + 3 - left, tab_y + 2 - top), label, fill=(255, 255, 255), font=font)
    return out


def assemble_options(
    target: Any, distractors: Sequence[Any], rng: random.Random, n: int = NUM_CHOICES
) -> tuple[list[Any], int]:
    """``n`` options: ``target`` and the first ``n - 1`` distractors, shuffled.

    Returns:
        ``(options, answer)``, ``options[answer] == target``.

    Raises:
        ValueError: Fewer than ``n - 1`` distractors, or one equal to the target.
    """
    if len(distractors) < n - 1:
        raise ValueError(f"need {n - 1} distractors, got {len(distractors)}")
    chosen = list(distractors[: n - 1])
    if target in chosen:
        raise ValueError("a distractor equals the target")
    options = [target, *chosen]
    rng.shuffle(options)
    return options, options.index(target)


def png_bytes(image: Any) -> bytes:
    """``image`` as optimised PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# -- parquet --------------------------------------------------------------------------------

_STRING = {"dtype": "string", "_type": "Value"}
_INT = {"dtype": "int64", "_type": "Value"}
_FLOAT = {"dtype": "float64", "_type": "Value"}
_IMAGE = {"_type": "Image"}


def _seq(feature: dict[str, Any]) -> dict[str, Any]:
    return {"feature": feature, "_type": "Sequence"}


_COMMON = {
    "id": _STRING,
    "task_type": _STRING,
    "website": _STRING,
    "image": _IMAGE,
    "image_size": _seq(_INT),
}
FEATURES: dict[str, dict[str, Any]] = {
    "web_caption": {**_COMMON, "answer": _STRING},
    "heading_ocr": {**_COMMON, "bbox": _seq(_FLOAT), "answer": _STRING},
    "webqa": {**_COMMON, "question": _STRING, "answer": _seq(_STRING)},
    "element_ocr": {**_COMMON, "bbox": _seq(_FLOAT), "elem_desc": _STRING, "answer": _STRING},
    "element_ground": {
        **_COMMON,
        "raw_image": _IMAGE,
        "options": _seq(_seq(_FLOAT)),
        "elem_desc": _STRING,
        "answer": _INT,
    },
    "action_prediction": {
        **_COMMON,
        "options": _seq(_STRING),
        "bbox": _seq(_FLOAT),
        "elem_desc": _STRING,
        "answer": _INT,
    },
    "action_ground": {
        **_COMMON,
        "raw_image": _IMAGE,
        "options": _seq(_seq(_FLOAT)),
        "instruction": _STRING,
        "answer": _INT,
    },
}
"""Each config's columns, in the Hub dataset's order, as ``datasets`` feature dicts."""


def _arrow_type(feature: dict[str, Any]) -> Any:
    import pyarrow as pa

    kind = feature["_type"]
    if kind == "Image":
        return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    if kind == "Sequence":
        return pa.list_(_arrow_type(feature["feature"]))
    return {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}[feature["dtype"]]


def write_parquet(path: Path, config: str, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` of ``config`` to ``path`` with the official columns and their types,
    and the ``datasets`` features in the schema metadata (so ``datasets`` decodes images)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    features = FEATURES[config]
    schema = pa.schema(
        [(name, _arrow_type(feature)) for name, feature in features.items()],
        metadata={"huggingface": json.dumps({"info": {"features": features}})},
    )
    columns = {name: [row[name] for row in rows] for name in features}
    table = pa.Table.from_pydict(columns, schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


# -- generation -----------------------------------------------------------------------------


@dataclass
class GeneratedItem:
    """One generated row and where it came from.

    Attributes:
        config: The config (task) name.
        row: The row, with the official columns.
        url: The page the screenshot shows.
        target: The DOM element the answer comes from (its probe record), if any.
        candidates: The candidate elements of a grounding item, in option order.
    """

    config: str
    row: dict[str, Any]
    url: str
    target: dict[str, Any] | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)


class _Skip(Exception):
    """This page cannot make an item of this task; draw another."""


_SUB_PAGES = ("description", "features", "reviews", "attributes")
_BUTTON_INSTRUCTIONS = {
    "buy now": "Buy the product",
    "reviews": "See the reviews of the product",
    "description": "Read the description of the product",
    "features": "See the features of the product",
    "attributes": "See the attributes of the product",
    "back to search": "Go back to the search page",
    "next >": "Go to the next page of results",
}


class _Generator:
    """Draws pages and turns their screenshots and DOM into items."""

    def __init__(self, shop: Shop, site: MetaSite, browser: Any, seed: int) -> None:
        self.shop = shop
        self.site = site
        self.browser = browser
        self.seed = seed

    # pages
    def _path(self, rng: random.Random, kind: str) -> tuple[int, list[str]]:
        """A goal and the actions to a page of ``kind`` (search, results, item, item_sub)."""
        goal_index = rng.randrange(len(self.shop.goals[SPLIT]))
        if kind == "search":
            return goal_index, []
        session = replay(self.shop, goal_index, [])
        actions = [f"search[{' '.join(session.instruction.lower().split())}]"]
        session.step(actions[0])
        if kind == "results":
            if rng.random() < 0.3 and "next >" in session.page().clickables():
                actions.append("click[next >]")
            return goal_index, actions
        asins = [e.text.lower() for e in session.page().elements if e.kind == "product"]
        actions.append(f"click[{rng.choice(asins)}]")
        session.step(actions[-1])
        if kind == "item":
            options = [e.text.lower() for e in session.page().elements if e.kind == "option"]
            if options and rng.random() < 0.5:
                actions.append(f"click[{rng.choice(options)}]")
            return goal_index, actions
        actions.append(f"click[{rng.choice(_SUB_PAGES)}]")
        return goal_index, actions

    def _probe(self, url: str) -> tuple[Any, dict[str, Any]]:
        from PIL import Image

        array, probe = self.browser.screenshot_with_script(url, PROBE_SCRIPT)
        return Image.fromarray(array), probe

    def item(self, config: str, number: int) -> GeneratedItem:
        rng = random.Random(f"visualwebbench-webshop:{self.seed}:{config}:{number}")
        make = getattr(self, f"_{config}")
        kinds = _PAGE_KINDS[config]
        for _ in range(_MAX_TRIES):
            goal_index, actions = self._path(rng, rng.choice(kinds))
            url = self.site.url(goal_index, actions)
            image, probe = self._probe(url)
            try:
                item = make(rng, image, probe)
            except _Skip:
                continue
            item.url = url
            item.row = {
                "id": f"{config}_{number}",
                "task_type": config,
                "website": WEBSITE,
                "image_size": list(image.size),
                **item.row,
            }
            item.row["image"]["path"] = f"{config}_{number}.png"
            if "raw_image" in item.row:
                item.row["raw_image"]["path"] = f"{config}_{number}_raw.png"
            return item
        raise RuntimeError(f"no page made a {config} item in {_MAX_TRIES} tries")

    # tasks
    @staticmethod
    def _image(image: Any) -> dict[str, Any]:
        return {"bytes": png_bytes(image), "path": None}

    def _web_caption(self, rng: random.Random, image: Any, probe: dict[str, Any]) -> GeneratedItem:
        if not probe["meta"]:
            raise _Skip
        return GeneratedItem(
            "web_caption", {"image": self._image(image), "answer": probe["meta"]}, ""
        )

    def _heading_ocr(self, rng: random.Random, image: Any, probe: dict[str, Any]) -> GeneratedItem:
        heading = probe["heading"]
        if not heading or not _inside(heading["box"], image.size):
            raise _Skip
        row = {
            "image": self._image(image),
            "bbox": bbox_ratio(heading["box"], image.size),
            "answer": heading["text"],
        }
        return GeneratedItem("heading_ocr", row, "", target=heading)

    def _element_ocr(self, rng: random.Random, image: Any, probe: dict[str, Any]) -> GeneratedItem:
        texts = [
            e
            for e in probe["elements"]
            if e["kind"] == "text" and e["visible"] and len(e["text"]) >= 20
        ]
        if not texts:
            raise _Skip
        target = rng.choice(texts)
        ratio = bbox_ratio(target["box"], image.size)
        row = {
            "image": self._image(draw_box(image, ratio)),
            "bbox": ratio,
            "elem_desc": target["text"],
            "answer": target["text"],
        }
        return GeneratedItem("element_ocr", row, "", target=target)

    def _element_ground(
        self, rng: random.Random, image: Any, probe: dict[str, Any]
    ) -> GeneratedItem:
        pool = _distinct(
            [e for e in probe["elements"] if e["visible"] and len(e["text"]) <= 80], rng
        )
        if len(pool) < NUM_CHOICES:
            raise _Skip
        target, others = pool[0], pool[1:]
        row, candidates = self._grounding_row(rng, image, target, others)
        row["elem_desc"] = target["text"]
        return GeneratedItem("element_ground", row, "", target=target, candidates=candidates)

    def _grounding_row(
        self,
        rng: random.Random,
        image: Any,
        target: dict[str, Any],
        others: list[dict[str, Any]],
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The row fields the two grounding tasks share: ``NUM_CHOICES`` candidates (the target
        among them) boxed with letter IDs on the image, their boxes, the target's index."""
        candidates, answer = assemble_options(target, others, rng)
        ratios = [bbox_ratio(c["box"], image.size) for c in candidates]
        row = {
            "image": self._image(draw_candidates(image, ratios)),
            "raw_image": self._image(image),
            "options": ratios,
            "answer": answer,
        }
        return row, candidates

    def _action_ground(
        self, rng: random.Random, image: Any, probe: dict[str, Any]
    ) -> GeneratedItem:
        clickables = [
            e
            for e in probe["elements"]
            if e["visible"] and e["kind"] in ("button", "link", "option") and e["href"]
        ]
        pool = _distinct(clickables, rng)
        targets = [e for e in pool if _instruction(e, probe) is not None]
        if len(pool) < NUM_CHOICES or not targets:
            raise _Skip
        target = rng.choice(targets)
        others = [e for e in pool if e is not target]
        row, candidates = self._grounding_row(rng, image, target, others)
        row["instruction"] = _instruction(target, probe)
        return GeneratedItem("action_ground", row, "", target=target, candidates=candidates)

    def _action_prediction(
        self, rng: random.Random, image: Any, probe: dict[str, Any]
    ) -> GeneratedItem:
        clickables = [
            e
            for e in probe["elements"]
            if e["visible"] and e["kind"] in ("button", "link") and e["href"]
        ]
        rng.shuffle(clickables)
        titles: dict[str, dict[str, Any]] = {}  # destination title -> the element leading there
        for element in clickables:
            _, title = self.browser.screenshot_with_script(element["href"], META_SCRIPT)
            if title and title != probe["meta"] and title not in titles:
                titles[title] = element
            if len(titles) == NUM_CHOICES:
                break
        if len(titles) < NUM_CHOICES:
            raise _Skip
        chosen = rng.choice(list(titles))
        options, answer = assemble_options(chosen, [t for t in titles if t != chosen], rng)
        target = titles[chosen]
        ratio = bbox_ratio(target["box"], image.size)
        row = {
            "image": self._image(draw_box(image, ratio)),
            "options": options,
            "bbox": ratio,
            "elem_desc": target["text"],
            "answer": answer,
        }
        return GeneratedItem("action_prediction", row, "", target=target)

    def _webqa(self, rng: random.Random, image: Any, probe: dict[str, Any]) -> GeneratedItem:
        pairs = _questions(probe)
        if not pairs:
            raise _Skip
        kind = rng.choice(sorted({kind for kind, *_ in pairs}))  # each kind as likely
        _, question, answers, target = rng.choice([p for p in pairs if p[0] == kind])
        row = {"image": self._image(image), "question": question, "answer": answers}
        return GeneratedItem("webqa", row, "", target=target)


_PAGE_KINDS = {
    "web_caption": ("search", "results", "item", "item", "item_sub"),
    "heading_ocr": ("item",),
    "webqa": ("item", "item", "results"),
    "element_ocr": ("results", "item", "item_sub"),
    "element_ground": ("results", "item"),
    "action_prediction": ("results",),
    "action_ground": ("results", "item", "item"),
}


def _inside(box: Sequence[int], size: tuple[int, int]) -> bool:
    return 0 <= box[0] < box[2] <= size[0] and 0 <= box[1] < box[3] <= size[1]


def _distinct(elements: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The elements whose text appears once on the page (case-insensitively), shuffled."""
    counts: dict[str, int] = {}
    for element in elements:
        counts[element["text"].lower()] = counts.get(element["text"].lower(), 0) + 1
    unique = [e for e in elements if counts[e["text"].lower()] == 1]
    rng.shuffle(unique)
    return unique


def _instruction(element: dict[str, Any], probe: dict[str, Any]) -> str | None:
    """What a user asks for to make someone click ``element`` (from its DOM text)."""
    text = element["text"]
    if element["kind"] == "link":
        return f'Open the product "{element["context"]}"' if element["context"] else None
    if element["kind"] == "option":
        return f"Choose {text} as the {element['group']}" if element["group"] else None
    if text.lower() == "< prev":
        on_results = any(e["kind"] == "link" for e in probe["elements"])
        return (
            "Go to the previous page of results" if on_results else "Go back to the search results"
        )
    return _BUTTON_INSTRUCTIONS.get(text.lower())


def _questions(
    probe: dict[str, Any],
) -> list[tuple[str, str, list[str], dict[str, Any] | None]]:
    """Questions the page answers: ``(kind, question, reference answers, source element)``."""
    visible = [e for e in probe["elements"] if e["visible"]]
    pairs: list[tuple[str, str, list[str], dict[str, Any] | None]] = []
    for element in visible:
        text = element["text"]
        if element["kind"] != "text":
            continue
        if text.startswith("Price: "):
            price = text.removeprefix("Price: ")
            pairs.append(("price", "What is the price of this product?", [price], element))
        elif text.startswith("Rating: ") and text != "Rating: N.A.":
            rating = text.removeprefix("Rating: ")
            pairs.append(("rating", "What is the rating of this product?", [rating], element))
    groups: dict[str, list[str]] = {}
    for element in visible:
        if element["kind"] == "option" and element["group"]:
            groups.setdefault(element["group"], []).append(element["text"])
    for group, values in groups.items():
        question = f"Which {group} options does this product offer?"
        pairs.append(("options", question, [", ".join(values)], None))
        question = f"How many {group} options are there?"
        pairs.append(("count", question, [str(len(values))], None))
    for link in visible:
        if link["kind"] == "link" and link["context"] and link.get("price"):
            question = f'What is the price of "{link["context"]}"?'
            pairs.append(("result price", question, [link["price"]], link))
            question = f"What is the name of the product {link['text']}?"
            pairs.append(("result name", question, [link["context"]], link))
    return pairs


def generate_items(
    seed: int = 0,
    per_task: int = 6,
    *,
    configs: Sequence[str] = TASKS,
    catalog_seed: int = 0,
    cache_dir: str | Path | None = None,
    keep_open: Any = None,
) -> list[GeneratedItem]:
    """Generate ``per_task`` items of each config (see the module docstring).

    Starts the site and a headless Chromium and stops both before returning, whatever happens.

    Args:
        seed: Seed of the pages and choices drawn; the same seed gives the same items.
        per_task: Items per config.
        configs: Which configs.
        catalog_seed: Seed of WebShop's generated catalog.
        cache_dir: WebShop's cache folder (default ``$XDG_CACHE_HOME/vlagent-envs/webshop``).
        keep_open: Called with ``(site, browser, items)`` before the site and the browser are
            stopped (tests probe the pages again).

    Returns:
        The items, config by config.
    """
    from vlagent_envs.envs.webshop.browser import ChromiumBrowser

    unknown = sorted(set(configs) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown configs {unknown}; VisualWebBench's are {list(TASKS)}")
    if per_task < 1:
        raise ValueError(f"per_task must be at least 1, got {per_task}")
    shop = Shop.load(catalog_seed=catalog_seed, cache_dir=cache_dir)
    site = MetaSite(shop)
    browser = ChromiumBrowser(WIDTH, HEIGHT)
    try:
        site.start()
        generator = _Generator(shop, site, browser, seed)
        items = []
        for config in configs:
            for number in range(per_task):
                items.append(generator.item(config, number))
            logger.info("generated %d %s items", per_task, config)
        if keep_open is not None:
            keep_open(site, browser, items)
        return items
    finally:
        with contextlib.suppress(Exception):
            browser.close()
        site.stop()


def write_dataset(
    root: str | Path,
    seed: int = 0,
    per_task: int = 6,
    *,
    catalog_seed: int = 0,
    cache_dir: str | Path | None = None,
) -> Path:
    """Generate the set and write ``<root>/<config>/test-00000-of-00001.parquet`` per config.

    Args:
        root: The dataset folder (created).
        seed: Seed of the pages and choices.
        per_task: Items per config.
        catalog_seed: Seed of WebShop's generated catalog.
        cache_dir: WebShop's cache folder.

    Returns:
        ``root``.
    """
    items = generate_items(seed, per_task, catalog_seed=catalog_seed, cache_dir=cache_dir)
    return _write_items(Path(root), items)


def _write_items(root: Path, items: Sequence[GeneratedItem]) -> Path:
    for config in TASKS:
        rows = [item.row for item in items if item.config == config]
        if rows:
            write_parquet(root / config / PARQUET_NAME, config, rows)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m vlagent_envs.benchmarks.visualwebbench.generate --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="dataset folder to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pages and choices")
    parser.add_argument("--per-task", type=int, default=6, help="items per config")
    parser.add_argument("--catalog-seed", type=int, default=0, help="WebShop catalog seed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = write_dataset(args.out, args.seed, args.per_task, catalog_seed=args.catalog_seed)
    total = sum(f.stat().st_size for f in root.rglob("*.parquet"))
    print(f"wrote {len(TASKS)} configs x {args.per_task} items to {root} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()

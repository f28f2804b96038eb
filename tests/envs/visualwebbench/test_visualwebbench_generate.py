"""The generated VisualWebBench set: pure helpers, the shipped set, and one small generation.

The generation tests drive headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
selenium): they are marked ``browser`` and ``slow``, and skipped without a browser, except
under ``CI=true`` (CI installs it), where they fail.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import random
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from vlagent_envs.benchmarks.visualwebbench import generate as gen
from vlagent_envs.benchmarks.visualwebbench.data import TASKS
from vlagent_envs.envs.webshop.browser import browser_problem

SHIPPED = Path(gen.__file__).parent / "data" / "webshop"


# -- pure helpers ----------------------------------------------------------------------------


def test_insert_meta_description_goes_first_in_the_head_and_is_escaped() -> None:
    doc = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>T</title></head><body>'
    out = gen.insert_meta_description(doc, 'Say "hi" & <go>')
    assert out == (
        '<!DOCTYPE html>\n<html><head><meta name="description" '
        'content="Say &quot;hi&quot; &amp; &lt;go&gt;"><meta charset="utf-8"><title>T</title>'
        "</head><body>"
    )
    with pytest.raises(ValueError, match="no <head>"):
        gen.insert_meta_description("<html><body></body></html>", "x")


def test_bbox_ratio_pads_clips_and_rounds_outwards() -> None:
    # (100-2)/1000, (50-2)/500, (300+2)/1000, (150+2)/500
    assert gen.bbox_ratio((100, 50, 300, 150), (1000, 500)) == [0.098, 0.096, 0.302, 0.304]
    # Clipped to the image; 1/3 of a pixel rounds outwards (floor / ceil at 3 decimals).
    assert gen.bbox_ratio((1, 1, 2, 2), (3, 3), pad=0) == [0.333, 0.333, 0.667, 0.667]
    assert gen.bbox_ratio((0, 0, 1280, 960), (1280, 960)) == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="not inside"):
        gen.bbox_ratio((10, 10, 1300, 20), (1280, 960))


def test_draw_box_outlines_the_ratio_box_in_red() -> None:
    image = Image.new("RGB", (200, 100), "white")
    out = np.asarray(gen.draw_box(image, [0.1, 0.2, 0.5, 0.8]))
    assert np.asarray(image).min() == 255  # the input is not changed
    red = np.all(out == (255, 0, 0), axis=2)
    # x 20..100, y 20..80, 2 px wide
    assert red[20, 20:101].all() and red[80, 20:101].all() and red[20:81, 20].all()
    assert red[21, 50] and not red[22, 50]  # the border is 2 px
    assert not red[50, 60] and red.sum() == 2 * (81 + 81) + 2 * (61 + 61) - 16


def test_draw_candidates_labels_each_box_with_a_letter_tab() -> None:
    image = Image.new("RGB", (300, 200), "white")
    ratios = [[0.1, 0.5, 0.3, 0.6], [0.5, 0.0, 0.9, 0.2]]
    out = np.asarray(gen.draw_candidates(image, ratios))
    red = np.all(out == (255, 0, 0), axis=2)
    assert red[100, 30:91].all()  # first box's top edge, y = 100
    # The first tab sits above the box (room there), the second inside (box at the top).
    tab_a = out[80:100, 30:45]
    tab_b = out[0:20, 150:165]
    for tab in (tab_a, tab_b):
        assert np.all(tab == (255, 0, 0), axis=2).mean() > 0.3  # mostly red
        assert (tab.min(axis=2) > 200).any()  # the white letter
    assert not red[150, 200]
    with pytest.raises(ValueError, match="26"):
        gen.draw_candidates(image, [[0, 0, 0.1, 0.1]] * 27)


def test_assemble_options_puts_the_target_at_the_answer() -> None:
    options, answer = gen.assemble_options("t", list("abcdefgh"), random.Random(0))
    assert len(options) == 8 and options[answer] == "t"
    assert sorted(options) == sorted("abcdefg" + "t")  # the first seven distractors
    again = gen.assemble_options("t", list("abcdefgh"), random.Random(0))
    assert again == (options, answer)
    with pytest.raises(ValueError, match="7 distractors"):
        gen.assemble_options("t", list("abc"), random.Random(0))
    with pytest.raises(ValueError, match="equals the target"):
        gen.assemble_options("t", list("abctefg"), random.Random(0))


def test_page_tokens_round_trip() -> None:
    actions = ["search[red shoes & socks]", "click[b0123]"]
    token = gen._encode_token(7, actions)
    assert "/" not in token and "=" not in token
    assert gen._decode_token(token) == (7, actions)
    with pytest.raises(ValueError):
        gen._decode_token(gen._encode_token(7, []).replace("W", "x"))


def _element(kind: str, text: str, **extra: Any) -> dict[str, Any]:
    base = {"kind": kind, "text": text, "box": [0, 0, 10, 10], "visible": True}
    return {"href": None, "group": None, "context": None, **base, **extra}


def test_questions_and_instructions_come_from_the_probed_page() -> None:
    probe = {
        "elements": [
            _element("text", "Price: $12.99"),
            _element("text", "Rating: N.A."),
            _element("option", "red", group="color"),
            _element("option", "blue", group="color"),
            _element("option", "big", group="size", visible=False),
            _element("button", "< Prev"),
            _element("button", "Buy Now"),
            _element("button", "Unknown"),
        ]
    }
    questions = {(kind, q): a for kind, q, a, _ in gen._questions(probe)}
    assert questions == {
        ("price", "What is the price of this product?"): ["$12.99"],
        ("options", "Which color options does this product offer?"): ["red, blue"],
        ("count", "How many color options are there?"): ["2"],
    }
    instructions = [gen._instruction(e, probe) for e in probe["elements"][2:]]
    assert instructions == [
        "Choose red as the color",
        "Choose blue as the color",
        "Choose big as the size",
        "Go back to the search results",
        "Buy the product",
        None,
    ]
    link = _element("link", "B01", context="Red Shoe", price="$5.00")
    results = {"elements": [link, _element("text", "Page 1 (Total results: 50)")]}
    assert gen._instruction(link, results) == 'Open the product "Red Shoe"'
    assert gen._instruction(_element("button", "< Prev"), results) == (
        "Go to the previous page of results"
    )
    assert {(k, tuple(a)) for k, _, a, _ in gen._questions(results)} == {
        ("result price", ("$5.00",)),
        ("result name", ("Red Shoe",)),
    }


def test_write_parquet_has_the_official_columns_and_types(tmp_path: Path) -> None:
    png = gen.png_bytes(Image.new("RGB", (4, 2), "white"))
    row = {
        "id": "action_ground_0",
        "task_type": "action_ground",
        "website": "webshop",
        "image": {"bytes": png, "path": "a.png"},
        "image_size": [4, 2],
        "raw_image": {"bytes": png, "path": None},
        "options": [[0.0, 0.0, 0.5, 0.5]] * 8,
        "instruction": "Buy the product",
        "answer": 3,
    }
    path = tmp_path / "action_ground" / gen.PARQUET_NAME
    gen.write_parquet(path, "action_ground", [row])
    table = pq.read_table(path)
    assert table.column_names == list(gen.FEATURES["action_ground"])
    schema = table.schema
    assert str(schema.field("image").type) == "struct<bytes: binary, path: string>"
    assert schema.field("options").type.value_type.value_type == pa.float64()
    assert schema.field("image_size").type.value_type == pa.int64()
    assert schema.field("answer").type == pa.int64()
    assert table.to_pylist() == [row]
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert features["image"] == {"_type": "Image"}


# -- the shipped set ---------------------------------------------------------------------------


def _gold_prediction(item: Any) -> str:
    if isinstance(item.answer, int):
        return chr(ord("A") + item.answer)
    return item.answer[0] if isinstance(item.answer, tuple) else item.answer


def test_the_shipped_set_loads_and_its_gold_answers_score_one() -> None:
    data = pytest.importorskip("vlagent_envs.benchmarks.visualwebbench.data")
    metrics = pytest.importorskip("vlagent_envs.benchmarks.visualwebbench.metrics")
    total = sum(f.stat().st_size for f in SHIPPED.rglob("*") if f.is_file())
    assert total < 4_000_000
    assert sorted(p.name for p in SHIPPED.iterdir()) == sorted(TASKS)
    for config in TASKS:
        assert [p.name for p in (SHIPPED / config).iterdir()] == [gen.PARQUET_NAME]
        items = data.load_items(SHIPPED, config)
        assert len(items) == 6
        assert [item.id for item in items] == [f"{config}_{n}" for n in range(6)]
        for item in items:
            assert item.website == "webshop" and item.image_size == (gen.WIDTH, gen.HEIGHT)
            assert data.decode_image(item).size == (gen.WIDTH, gen.HEIGHT)
            assert metrics.score(item, _gold_prediction(item)) == pytest.approx(1.0, abs=1e-6)
            if isinstance(item.answer, int):
                assert 0 <= item.answer < len(item.options) == gen.NUM_CHOICES
            for box in [item.bbox] if item.bbox else []:
                assert 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1


# -- one small generation, in Chromium ------------------------------------------------------


def _require_browser() -> None:
    problem = browser_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run under CI: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One item per config, its parquet files, and each page probed again before the end."""
    _require_browser()
    pytest.importorskip("bm25s")
    pytest.importorskip("rapidfuzz")
    cache = tmp_path_factory.mktemp("webshop-cache")
    out: dict[str, Any] = {"reprobe": {}, "destinations": {}}

    def keep_open(site: gen.MetaSite, browser: Any, items: list[gen.GeneratedItem]) -> None:
        out["pids"] = browser.pids
        out["port"] = int(site.url(0).split(":")[2].split("/")[0])
        for item in items:
            out["reprobe"][item.config] = browser.screenshot_with_script(item.url, gen.PROBE_SCRIPT)
        target = next(i for i in items if i.config == "action_prediction").target
        assert target is not None
        out["destinations"]["action_prediction"] = browser.screenshot_with_script(
            target["href"], gen.META_SCRIPT
        )[1]

    items = gen.generate_items(seed=3, per_task=1, cache_dir=cache, keep_open=keep_open)
    root = tmp_path_factory.mktemp("vwb") / "webshop"
    gen._write_items(root, items)
    out.update(items={i.config: i for i in items}, root=root, cache=cache)
    return out


@pytest.mark.browser
@pytest.mark.slow
def test_generation_writes_the_official_layout(run: dict[str, Any]) -> None:
    root = run["root"]
    assert sorted(p.name for p in root.iterdir()) == sorted(TASKS)
    for config in TASKS:
        table = pq.read_table(root / config / gen.PARQUET_NAME)
        assert table.column_names == list(gen.FEATURES[config]) and table.num_rows == 1
        (row,) = table.to_pylist()
        assert row["id"] == f"{config}_0" and row["task_type"] == config
        assert row["image_size"] == [gen.WIDTH, gen.HEIGHT]
        image = Image.open(io.BytesIO(row["image"]["bytes"]))
        assert image.format == "PNG" and image.size == (gen.WIDTH, gen.HEIGHT)
        assert row["image"]["path"] == f"{config}_0.png"
        if "bbox" in row:
            x1, y1, x2, y2 = row["bbox"]
            assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1
        if config in ("element_ground", "action_ground"):
            assert len(row["options"]) == gen.NUM_CHOICES
            assert all(0 <= b[0] < b[2] <= 1 and 0 <= b[1] < b[3] <= 1 for b in row["options"])
        if config in ("element_ground", "action_ground", "action_prediction"):
            assert isinstance(row["answer"], int) and 0 <= row["answer"] < gen.NUM_CHOICES
            assert len(set(map(str, row["options"]))) == gen.NUM_CHOICES
    data = pytest.importorskip("vlagent_envs.benchmarks.visualwebbench.data")
    metrics = pytest.importorskip("vlagent_envs.benchmarks.visualwebbench.metrics")
    for config in TASKS:
        (item,) = data.load_items(root, config)
        assert metrics.score(item, _gold_prediction(item)) == pytest.approx(1.0, abs=1e-6)


def _contains(ratio: list[float], box: list[int]) -> bool:
    x1, y1, x2, y2 = ratio
    return (
        x1 * gen.WIDTH <= box[0]
        and y1 * gen.HEIGHT <= box[1]
        and box[2] <= x2 * gen.WIDTH
        and box[3] <= y2 * gen.HEIGHT
    )


def _at(probe: dict[str, Any], box: list[int]) -> dict[str, Any]:
    return next(e for e in probe["elements"] if e["box"] == box)


@pytest.mark.browser
@pytest.mark.slow
def test_the_answers_are_what_the_dom_shows(run: dict[str, Any]) -> None:
    items, reprobe = run["items"], run["reprobe"]
    for config, item in items.items():
        image, probe = reprobe[config]
        # The same page again: the same pixels as the screenshot that was stored.
        stored = item.row.get("raw_image", item.row["image"])["bytes"]
        if config in ("web_caption", "webqa", "heading_ocr"):
            assert np.array_equal(np.asarray(Image.open(io.BytesIO(stored))), image)
        row = item.row
        if config == "web_caption":
            assert row["answer"] == probe["meta"] and "WebShop" in row["answer"]
        elif config == "heading_ocr":
            assert row["answer"] == probe["heading"]["text"]
            assert _contains(row["bbox"], probe["heading"]["box"])
        elif config in ("element_ocr", "action_prediction"):
            element = _at(probe, item.target["box"])
            assert element["text"] == row["elem_desc"]
            assert _contains(row["bbox"], element["box"])
            if config == "element_ocr":
                assert row["answer"] == element["text"]
        elif config in ("element_ground", "action_ground"):
            for ratio, candidate in zip(row["options"], item.candidates, strict=True):
                assert _contains(ratio, _at(probe, candidate["box"])["box"])
            target = item.candidates[row["answer"]]
            assert _at(probe, target["box"])["text"] == target["text"]
            if config == "element_ground":
                assert row["elem_desc"] == target["text"]
        elif config == "webqa":
            texts = " ".join(e["text"] for e in probe["elements"])
            assert all(answer in texts for answer in row["answer"])
    # Following the boxed element leads to the page whose description is the answer.
    prediction = items["action_prediction"].row
    destination = run["destinations"]["action_prediction"]
    assert prediction["options"][prediction["answer"]] == destination


@pytest.mark.browser
@pytest.mark.slow
def test_generation_stops_the_browser_and_the_site(run: dict[str, Any]) -> None:
    assert run["pids"]
    for pid in run["pids"]:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", run["port"]), timeout=1):
        pass


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


@pytest.mark.browser
@pytest.mark.slow
def test_the_same_seed_gives_the_same_items(run: dict[str, Any]) -> None:
    configs = ("element_ocr", "action_ground")
    again = gen.generate_items(seed=3, per_task=1, configs=configs, cache_dir=run["cache"])
    for item in again:
        assert item.row == run["items"][item.config].row


@pytest.mark.slow
def test_the_site_serves_pages_with_a_description_and_follows_actions(
    tmp_path: Path,
) -> None:
    pytest.importorskip("bm25s")
    pytest.importorskip("rapidfuzz")
    from vlagent_envs.envs.webshop.shop import Shop

    shop = Shop.load(cache_dir=tmp_path / "cache")
    with gen.MetaSite(shop) as site:
        url = site.url(0)
        page = urllib.request.urlopen(url).read().decode()
        assert page.count('<meta name="description" content="WebShop search page') == 1
        query = urllib.parse.urlencode({"query": "red shoes"})
        response = urllib.request.urlopen(f"{url}act?{query}")
        assert response.url == site.url(0, ["search[red shoes]"])
        assert 'content="Search results for &quot;red shoes&quot; on WebShop: page 1' in (
            response.read().decode()
        )
        # An invalid action leaves the page as it was; a bad token is a 404.
        bad = urllib.parse.urlencode({"action": "click[nothing]"})
        assert urllib.request.urlopen(f"{url}act?{bad}").url == url
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(url.replace("/s/", "/s/x"))
        port = int(url.split(":")[2].split("/")[0])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_the_cli_writes_every_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    png = gen.png_bytes(Image.new("RGB", (4, 2), "white"))

    def fake_items(seed: int, per_task: int, **kwargs: Any) -> list[gen.GeneratedItem]:
        assert (seed, per_task) == (5, 2)
        items = []
        for config in TASKS:
            for n in range(per_task):
                row = {"id": f"{config}_{n}", "task_type": config, "website": "webshop"}
                row |= {"image": {"bytes": png, "path": None}, "image_size": [4, 2]}
                for name, feature in gen.FEATURES[config].items():
                    row.setdefault(name, _example(feature, png))
                items.append(gen.GeneratedItem(config, row, "http://127.0.0.1/"))
        return items

    monkeypatch.setattr(gen, "generate_items", fake_items)
    gen.main(["--out", str(tmp_path / "out"), "--seed", "5", "--per-task", "2"])
    for config in TASKS:
        assert pq.read_table(tmp_path / "out" / config / gen.PARQUET_NAME).num_rows == 2


def _example(feature: dict[str, Any], png: bytes) -> Any:
    kind = feature["_type"]
    if kind == "Image":
        return {"bytes": png, "path": None}
    if kind == "Sequence":
        return [_example(feature["feature"], png)]
    return {"string": "x", "int64": 0, "float64": 0.5}[feature["dtype"]]


@pytest.mark.browser
@pytest.mark.slow
def test_screenshot_with_script_returns_the_script_result_and_reports_its_errors() -> None:
    _require_browser()
    from vlagent_envs.envs.webshop.browser import BrowserError, ChromiumBrowser

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><head><title>x</title></head><body><p id=p>Hello</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with ChromiumBrowser(320, 240) as browser:
            image, result = browser.screenshot_with_script(
                url, "return [document.title, arguments[0] + 1];", 41
            )
            assert image.shape == (240, 320, 3) and result == ["x", 42]
            with pytest.raises(BrowserError, match="script failed"):
                browser.screenshot_with_script(url, "return nothing.here;")
            assert browser.restarts == 0
    finally:
        server.shutdown()
        server.server_close()

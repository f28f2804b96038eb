"""The WebShop web site: a Flask app over a :class:`~vlagent_envs.envs.webshop.shop.Shop`.

Two faces on one set of sessions:

* **Pages for a browser** (a person shopping, or the env's headless Chromium):
  ``GET /`` starts a session on a random goal of the test split (``?split=dev``), ``GET
  /fixed_<n>`` on goal ``n`` (the original's URL for a fixed goal); both redirect to
  ``/session/<id>/``, which shows the session's current page without changing it. Buttons,
  product links and options are GET forms and links to ``/session/<id>/act?action=click[...]``
  and the search box to ``/session/<id>/act?query=...``, which act and redirect back.
* **A JSON API for remote envs** (``VLAgent/WebShop-v0`` with ``server_url=...``, so many env
  processes share one catalog in memory): ``POST /api/sessions`` ``{"split", "goal_index",
  "mode"}`` creates a session; ``POST /api/sessions/<id>/step`` ``{"action", "mode"}`` acts;
  ``GET /api/sessions/<id>?mode=...&expert=1`` observes; ``DELETE /api/sessions/<id>`` ends it;
  ``GET /api/health`` describes the shop. Errors are JSON ``{"error": ...}`` with 400 (bad
  request), 404 (unknown session) or 409 (the session has ended).

The server binds to loopback only (127.0.0.1, ``localhost`` or ``::1``); anything else is
refused. Run it by hand with ``python -m vlagent_envs.envs.webshop.server --port 3000``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from vlagent_envs.core.deps import require
from vlagent_envs.envs.webshop.sharing import ProcessShared
from vlagent_envs.envs.webshop.shop import Shop, ShopError, get_shop

logger = logging.getLogger(__name__)

__all__ = [
    "LOOPBACK_HOSTS",
    "ShopServer",
    "create_app",
    "main",
    "release_shared_server",
    "shared_server",
]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_MODES = ("text", "text_rich", "html")


def create_app(shop: Shop, seed: int | None = None) -> Any:
    """The Flask app serving ``shop`` (see the module docstring for the routes).

    Args:
        shop: The shop whose sessions the app shows and drives.
        seed: Seed of the goals ``GET /`` picks (``None``: unseeded).
    """
    flask = require("flask", "webshop")
    app = flask.Flask(__name__)
    app.json.sort_keys = False
    pick = random.Random(seed)
    pick_lock = threading.Lock()

    def error(status: int, message: str) -> Any:
        response = flask.jsonify({"error": message})
        response.status_code = status
        return response

    def mode_of(value: Any) -> str:
        mode = value or "text_rich"
        if mode not in _MODES:
            flask.abort(error(400, f"mode must be one of {list(_MODES)}, not {mode!r}"))
        return mode

    def session_or_404(session_id: str, api: bool) -> Any:
        try:
            return shop.session(session_id)
        except ShopError as exc:
            if api:
                flask.abort(error(404, str(exc)))
            flask.abort(404, str(exc))

    def split_of(value: Any) -> str:
        split = value or "test"
        if split not in ("test", "dev", "train"):
            flask.abort(400, f"split must be test, dev or train, not {split!r}")
        if not shop.goals[split]:
            flask.abort(400, f"the {split} split has no goals in this catalog")
        return split

    # -- pages ---------------------------------------------------------------------------
    @app.get("/")
    def index() -> Any:
        split = split_of(flask.request.args.get("split"))
        with pick_lock:
            goal_index = pick.randrange(len(shop.goals[split]))
        session = shop.new_session(split, goal_index)
        return flask.redirect(flask.url_for("page", session_id=session.session_id))

    @app.get("/fixed_<int:goal_index>")
    def fixed(goal_index: int) -> Any:
        split = split_of(flask.request.args.get("split"))
        try:
            session = shop.new_session(split, goal_index)
        except IndexError as exc:
            flask.abort(404, str(exc))
        return flask.redirect(flask.url_for("page", session_id=session.session_id))

    @app.get("/session/<session_id>/")
    def page(session_id: str) -> Any:
        session = session_or_404(session_id, api=False)
        return flask.Response(session.observe("html"), mimetype="text/html")

    @app.get("/session/<session_id>/act")
    def act(session_id: str) -> Any:
        session = session_or_404(session_id, api=False)
        query = flask.request.args.get("query")
        action = f"search[{query}]" if query is not None else flask.request.args.get("action", "")
        # An invalid action changes nothing, as in the original; a finished session keeps
        # showing its done page.
        with contextlib.suppress(ShopError):
            session.step(action)
        return flask.redirect(flask.url_for("page", session_id=session_id))

    # -- JSON API ------------------------------------------------------------------------
    def body() -> dict[str, Any]:
        data = flask.request.get_json(silent=True)
        if not isinstance(data, dict):
            flask.abort(error(400, "the request body must be a JSON object"))
        return data

    @app.get("/api/health")
    def health() -> Any:
        return flask.jsonify(
            {
                "products": len(shop.catalog),
                "goals": {s: len(shop.goals[s]) for s in ("test", "dev", "train")},
                "sessions": len(shop),
            }
        )

    @app.post("/api/sessions")
    def create_session() -> Any:
        data = body()
        split = data.get("split", "test")
        if split not in ("test", "dev", "train"):
            return error(400, f"split must be test, dev or train, not {split!r}")
        goal_index = data.get("goal_index", 0)
        if not isinstance(goal_index, int) or isinstance(goal_index, bool):
            return error(400, f"goal_index must be an integer, not {goal_index!r}")
        try:
            session = shop.new_session(split, goal_index, data.get("session_id"))
        except IndexError as exc:
            return error(400, str(exc))
        return flask.jsonify(session.snapshot(mode_of(data.get("mode")))), 201

    @app.get("/api/sessions/<session_id>")
    def observe(session_id: str) -> Any:
        session = session_or_404(session_id, api=True)
        args = flask.request.args
        snapshot = session.snapshot(mode_of(args.get("mode")), expert=args.get("expert") == "1")
        return flask.jsonify(snapshot)

    @app.post("/api/sessions/<session_id>/step")
    def step(session_id: str) -> Any:
        session = session_or_404(session_id, api=True)
        data = body()
        action = data.get("action")
        if not isinstance(action, str):
            return error(400, "'action' must be a string such as 'click[buy now]'")
        mode = mode_of(data.get("mode"))
        try:
            return flask.jsonify(session.act(action, mode))
        except ShopError as exc:
            return error(409, str(exc))

    @app.delete("/api/sessions/<session_id>")
    def delete(session_id: str) -> Any:
        shop.close_session(session_id)
        return "", 204

    return app


def _quiet_handler() -> type:
    serving = require("werkzeug.serving", "webshop")

    class QuietHandler(serving.WSGIRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            logger.debug("%s %s", self.requestline, code)

    return QuietHandler


class ShopServer:
    """The app on a loopback port, served from a background thread (threaded: one thread per
    request), until :meth:`stop`.

    Args:
        shop: The shop to serve.
        host: A loopback address; anything else raises ``ValueError``.
        port: 0 picks a free port.
        quiet: Log requests at DEBUG level (envs step many times a second) instead of
            werkzeug's one line per request on stderr.
    """

    def __init__(self, shop: Shop, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"the WebShop server listens on loopback only {LOOPBACK_HOSTS}, not {host!r}"
            )
        serving = require("werkzeug.serving", "webshop")
        self.shop = shop
        handler = _quiet_handler() if quiet else serving.WSGIRequestHandler
        self._server = serving.make_server(
            host, port, create_app(shop), threaded=True, request_handler=handler
        )
        self.host = host
        self.port = int(self._server.server_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        """The socket's bound address (host, port)."""
        return self._server.socket.getsockname()[:2]

    def start(self) -> ShopServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name=f"webshop-server-{self.port}", daemon=True
            )
            self._thread.start()
            logger.info("WebShop server on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ShopServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_SHARED: ProcessShared[int, ShopServer] = ProcessShared()


def shared_server(shop: Shop) -> ShopServer:
    """The process's running server for ``shop``, started on first use; pair each call with
    :func:`release_shared_server` (the last release stops it)."""
    return _SHARED.acquire(id(shop), lambda: ShopServer(shop).start())


def release_shared_server(server: ShopServer) -> None:
    """Give back a server from :func:`shared_server`; stops it when nobody uses it."""
    _SHARED.release(server, ShopServer.stop)


def main(argv: list[str] | None = None, serve: Callable[[ShopServer], None] | None = None) -> None:
    """``python -m vlagent_envs.envs.webshop.server``: serve the shop until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3000, help="port (0: a free one)")
    parser.add_argument(
        "--host", default="127.0.0.1", choices=LOOPBACK_HOSTS, help="loopback address"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="official WebShop data folder (default: the generated catalog)",
    )
    parser.add_argument("--num-products", type=int, default=None, help="keep the first N products")
    parser.add_argument(
        "--synthetic-goals", action="store_true", help="synthetic goals instead of human ones"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    shop = get_shop(
        args.data_dir, human_goals=not args.synthetic_goals, num_products=args.num_products
    )
    server = ShopServer(shop, args.host, args.port, quiet=False)
    print(
        f"WebShop: {len(shop.catalog)} products; shop at {server.url}/ (Ctrl-C to stop)", flush=True
    )
    server.start()
    try:
        if serve is not None:  # tests: use the running server, then stop
            serve(server)
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""``VLAgent/WebShop-v0`` and ``VLAgent/WebShop-Screenshot-v0``: shopping in the WebShop site."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import urllib.error
import urllib.request
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import InvalidActionPolicy, StepResult, VLAgentEnv
from vlagent_envs.core.render import TextPanel
from vlagent_envs.envs.webshop.shop import (
    ShopError,
    ShopSession,
    format_action,
    get_shop,
    parse_action,
)

__all__ = ["OBSERVATION_MODES", "WebShopEnv", "WebShopGrammar"]

OBSERVATION_MODES = ("text", "text_rich", "html", "screenshot")
_PANEL_SIZE = 512
_SCREEN = (600, 800)  # height, width of the browser's viewport


class WebShopGrammar:
    """WebShop's actions: ``search[<query>]`` and ``click[<button>]``.

    The name is matched case-insensitively, the argument lower-cased with its whitespace
    collapsed, so ``"Click[ Buy Now ]"`` is ``"click[buy now]"``. If the whole answer is not an
    action, its first line is tried (``"click[next >]\\nbecause ..."``).
    """

    def parse(self, text: str) -> str | None:
        for candidate in (text, text.strip().split("\n", 1)[0]):
            parsed = parse_action(candidate)
            if parsed is not None:
                return format_action(*parsed)
        return None

    def describe(self) -> str:
        return (
            "Answer with one action: search[<query>] on the search page, or click[<name>] "
            "with a button, product id or option value the page shows."
        )

    def __repr__(self) -> str:
        return "WebShopGrammar()"


@functools.lru_cache(maxsize=1)
def _panel() -> TextPanel:
    return TextPanel(_PANEL_SIZE, _PANEL_SIZE, font_size=11)


@functools.lru_cache(maxsize=16)
def _panel_image(text: str) -> np.ndarray:
    array = _panel().render(text)
    array.flags.writeable = False
    return array


class _LocalSession:
    """A session on the process's shared shop, called directly."""

    def __init__(self, session: ShopSession):
        self.session = session

    def snapshot(self, mode: str) -> dict[str, Any]:
        return self.session.snapshot(mode)  # type: ignore[arg-type]

    def step(self, action: str, mode: str) -> dict[str, Any]:
        return self.session.act(action, mode)  # type: ignore[arg-type]

    def expert_action(self) -> str | None:
        return self.session.expert_action()

    def close(self) -> None:
        self.session.shop.close_session(self.session.session_id)


def _http(
    url: str, timeout_s: float, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """One JSON request to a WebShop server; failures raise ``ShopError`` naming the server."""
    url = url.rstrip("/")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise ShopError(
            f"WebShop server {url} answered {error.code} to {method} {path}: {detail}"
        ) from error
    except (urllib.error.URLError, OSError) as error:
        raise ShopError(f"WebShop server {url} is unreachable ({error}); is it running?") from error
    return json.loads(payload) if payload else None


class _RemoteSession:
    """A session on a WebShop server, through its JSON API (``server.py``)."""

    def __init__(self, url: str, split: str, goal_index: int, mode: str, timeout_s: float):
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.created = self._call(
            "POST", "/api/sessions", {"split": split, "goal_index": goal_index, "mode": mode}
        )
        self.session_id = self.created["session_id"]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return _http(self.url, self.timeout_s, method, path, body)

    def expert_action(self) -> str | None:
        return self._call("GET", f"/api/sessions/{self.session_id}?expert=1")["expert_action"]

    def step(self, action: str, mode: str) -> dict[str, Any]:
        return self._call(
            "POST", f"/api/sessions/{self.session_id}/step", {"action": action, "mode": mode}
        )

    def close(self) -> None:
        with contextlib.suppress(ShopError):  # the server is gone: nothing left to clean up
            self._call("DELETE", f"/api/sessions/{self.session_id}")


class WebShopEnv(VLAgentEnv):
    """WebShop: find and buy the product an instruction describes, in a web shop.

    ## Description
    A reimplementation of WebShop (Yao et al., 2022): a shop of products (by default a generated
    catalog of 1,000 products in five categories, built at first use; ``data_dir`` loads the
    official files), BM25 search, product pages with options and sub-pages, and the paper's
    purchase reward. Each episode is one goal, e.g. "i need a long clip-in hair extension which
    is natural looking, and price lower than 40.00 dollars". ``VLAgent/WebShop-Screenshot-v0``
    (``observation_mode="screenshot"``) shows the pages as a headless Chromium renders them:
    the VL-DAC setting.

    ## Action Space
    Free text holding ``search[<query>]`` (on the search page only) or ``click[<name>]`` where
    the name is a button (``back to search``, ``next >``, ``< prev``, ``description``,
    ``features``, ``reviews``, ``attributes``, ``buy now``), a product id on a results page, or
    an option value on a product page; case-insensitive. ``admissible_actions()`` lists
    ``search[<query>]`` (a template: any query) where there is a search bar, and every
    ``click[...]`` of the page. Anything else is invalid: nothing happens, reward 0,
    ``action_valid=False`` (the original's behaviour).

    ## Observation Space
    ``text``: the page in the chosen ``observation_mode``: ``"text_rich"`` (default;
    ``[button] X [button_]`` markup), ``"text"`` (texts joined by ``[SEP]``), ``"html"`` (the
    page's HTML), or in ``"screenshot"`` mode a line saying what the last action did.
    ``image``: in screenshot mode the browser's 800x600 viewport, otherwise the ``text_rich``
    page drawn on a 512x512 text panel (cut at the bottom when longer). ``instruction``: the goal.

    ## Rewards
    On ``click[buy now]``: the WebShop reward in [0, 1] (``reward.get_reward``): matched
    attributes, options and price over their count, times the product-type factor. 0 otherwise.
    ``success`` is reward 1.0; ``progress`` is the reward once bought, 0 before.

    ## Starting State
    The search page. ``reset(seed=s)`` plays goal ``s % len(goals)`` of the split, so seeds
    ``0..n-1`` enumerate it; ``options={"goal_index": i}`` picks goal ``i``; a reset without
    either draws one from ``np_random``.

    ## Episode End
    Terminated on ``buy now``. Registered with ``max_episode_steps=15`` (truncation), the
    step limit of the WebShop baselines; ``gym.make(..., max_episode_steps=N)`` changes it.

    ## Arguments
    ``observation_mode`` (see above), ``split`` (``"train"``, ``"dev"`` or ``"test"``: goals
    1500+, 500-1499 and 0-499 after the original's shuffle), ``data_dir`` (an official WebShop
    data folder; ``None``: the generated catalog), ``human_goals`` (``False``: synthetic
    goals), ``num_products`` (keep the first N products), ``catalog_seed`` (of the generated
    catalog), ``server_url`` (play on a running ``python -m vlagent_envs.envs.webshop.server``
    instead of in-process; screenshot mode without it starts a loopback server shared by the
    process's envs), ``chromium``/``chromedriver`` (browser paths; default: on ``PATH``),
    ``timeout_s`` (HTTP timeout).

    ## Version History
    * v0: Initial release.
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy("noop")
    grammar = WebShopGrammar()

    def __init__(
        self,
        observation_mode: str = "text_rich",
        split: str = "train",
        data_dir: str | os.PathLike[str] | None = None,
        human_goals: bool = True,
        num_products: int | None = None,
        catalog_seed: int = 0,
        server_url: str | None = None,
        chromium: str | None = None,
        chromedriver: str | None = None,
        timeout_s: float = 30.0,
        **kwargs: Any,
    ):
        if observation_mode not in OBSERVATION_MODES:
            raise ValueError(
                f"observation_mode must be one of {OBSERVATION_MODES}, not {observation_mode!r}"
            )
        if split not in ("train", "dev", "test"):
            raise ValueError(f"split must be 'train', 'dev' or 'test', not {split!r}")
        self.observation_mode = observation_mode
        self.split = split
        self.server_url = server_url
        self.timeout_s = timeout_s
        screenshot = observation_mode == "screenshot"
        self.image_shape = (*_SCREEN, 3) if screenshot else (_PANEL_SIZE, _PANEL_SIZE, 3)
        self.shop = None
        self._shop_args = {
            "data_dir": data_dir,
            "catalog_seed": catalog_seed,
            "human_goals": human_goals,
            "num_products": num_products,
        }
        if server_url is None:
            self.shop = get_shop(**self._shop_args)
            self.num_goals = len(self.shop.goals[split])
        else:
            health = _http(server_url, timeout_s, "GET", "/api/health")
            self.num_goals = int(health["goals"][split])
        if self.num_goals == 0:
            raise ValueError(f"the {split} split of this catalog has no goals")
        super().__init__(**kwargs)
        if self.invalid_action_policy.kind != "noop":
            raise ValueError(
                "WebShop has no fixed action to fall back on: use invalid_action_policy 'noop'"
            )
        self._chromium, self._chromedriver = chromium, chromedriver
        self._browser: Any = None
        self._server: Any = None
        self._session: _LocalSession | _RemoteSession | None = None
        self._snapshot: dict[str, Any] = {}
        self._screenshot: np.ndarray | None = None
        self._reset_seed: int | None = None
        self._browser_restarted = False
        self._episode_actions: list[str] = []
        self.goal_index = 0

    # -- episode -----------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self._reset_seed = seed  # _reset picks the goal from it
        observation, info = super().reset(seed=seed, options=options)
        info.update(self._page_info())
        if self.observation_mode == "screenshot":
            info["browser_restarted"] = self._browser_restarted
        return observation, info

    def _reset(self, options: dict[str, Any] | None) -> str:
        if options and "goal_index" in options:
            index = int(options["goal_index"])
            if not 0 <= index < self.num_goals:
                raise ValueError(
                    f"options['goal_index'] must be in [0, {self.num_goals}), got {index}"
                )
        elif self._reset_seed is not None:
            index = self._reset_seed % self.num_goals
        else:
            index = int(self.np_random.integers(self.num_goals))
        self.goal_index = index
        self._open_session()
        self._browser_restarted = self._take_screenshot()
        return self._page_text("")

    @property
    def _mode(self) -> str:
        """The mode of the page text fetched from the shop."""
        return "text_rich" if self.observation_mode == "screenshot" else self.observation_mode

    def _open_session(self) -> None:
        self._end_session()
        self._episode_actions = []
        if self.server_url is None:
            assert self.shop is not None
            self._session = _LocalSession(self.shop.new_session(self.split, self.goal_index))
            self._snapshot = self._session.snapshot(self._mode)
        else:
            self._session = _RemoteSession(
                self.server_url, self.split, self.goal_index, self._mode, self.timeout_s
            )
            self._snapshot = self._session.created

    def _step(self, action: str) -> StepResult:
        assert self._session is not None
        result = self._session.step(action, self._mode)
        self._episode_actions.append(action)
        self._snapshot = result
        restarted = self._take_screenshot()
        reward = float(result["reward"])
        done = bool(result["done"])
        info: dict[str, Any] = self._page_info()
        if result.get("reward_info") is not None:
            info["reward_info"] = result["reward_info"]
        if self.observation_mode == "screenshot":
            info["browser_restarted"] = restarted
        return StepResult(
            reward,
            terminated=done,
            text=self._page_text(result.get("message", "")),
            success=done and reward == 1.0,
            progress=reward if done else None,
            info=info,
        )

    def _idle(self, event: str) -> StepResult:
        # An invalid action changes nothing; the step still reports where the shopper is.
        info = self._page_info()
        if self.observation_mode == "screenshot":
            info["browser_restarted"] = False
        page = self._page_text("")
        return StepResult(text=f"{event}\n{page}" if page else event, info=info)

    def _page_text(self, message: str) -> str:
        if self.observation_mode == "screenshot":
            return message
        return self._snapshot["observation"]

    def _page_info(self) -> dict[str, Any]:
        return {"page": self._snapshot.get("page")}

    @property
    def session_id(self) -> str | None:
        """The shop session of the current episode (its page is ``/session/<id>/``)."""
        return self._snapshot.get("session_id")

    # -- pictures ----------------------------------------------------------------------------
    def _take_screenshot(self) -> bool:
        if self.observation_mode != "screenshot":
            return False
        if self._browser is None:
            from vlagent_envs.envs.webshop.browser import shared_browser

            height, width = _SCREEN
            self._browser = shared_browser(
                width, height, chromium=self._chromium, chromedriver=self._chromedriver
            )
        base = self.server_url
        if base is None:
            from vlagent_envs.envs.webshop.server import shared_server

            if self._server is None:
                assert self.shop is not None
                self._server = shared_server(self.shop)
            base = self._server.url
        url = f"{base.rstrip('/')}/session/{self._snapshot['session_id']}/"
        self._screenshot, restarted = self._browser.screenshot(url)
        return restarted

    def _render_image(self) -> np.ndarray:
        if self.observation_mode == "screenshot":
            assert self._screenshot is not None
            return self._screenshot.copy()
        return _panel_image(self._snapshot["text_rich"]).copy()

    # -- what the agent may do ---------------------------------------------------------------
    def admissible_actions(self) -> list[str] | None:
        return list(self._snapshot.get("admissible_actions", []))

    def _admissible(self, action: str) -> bool:
        admissible = self._snapshot.get("admissible_actions", [])
        if action.startswith("search["):
            return "search[<query>]" in admissible
        return action in admissible

    def expert_action(self) -> str | None:
        """The scripted shopper's next action (``ShopSession.expert_action``)."""
        if self._session is None:
            return None
        return self._session.expert_action()

    @property
    def instruction(self) -> str:
        return self._snapshot.get("instruction", "")

    @property
    def task_prompt(self) -> str:
        page = {
            "text_rich": (
                "as text, buttons marked [button] name [button_] and chosen options "
                "[clicked button] name [clicked button_]"
            ),
            "text": "as text, its parts separated by [SEP]",
            "html": "as HTML",
            "screenshot": "as a screenshot",
        }[self.observation_mode]
        return (
            "You are shopping in a web shop to buy the product the instruction describes, with "
            "the options it asks for and within its price. You see the current page "
            f"{page}. Act with search[<query>] on the search page (write your own query), "
            "or click[<name>] where the name is a button (back to search, next >, < prev, "
            "description, features, reviews, attributes, buy now), a product id on a results "
            "page, or an option value on a product page. Open a product, click each option value "
            "the instruction asks for, then click[buy now]; the purchase ends the episode and "
            "scores from 0 to 1 by how well the product, its options and price match. Answer "
            "with exactly one action."
        )

    # -- lifetime ----------------------------------------------------------------------------
    _TRANSIENT = ("shop", "_session", "_browser", "_server")

    def __getstate__(self) -> dict[str, Any]:
        # The shop, its session, the browser and the server are rebuilt on unpickling; the
        # episode is replayed from its actions (the shop is deterministic).
        state = {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}
        state["_had_session"] = self._session is not None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        had_session = state.pop("_had_session")
        self.__dict__.update(state)
        self._session = self._browser = self._server = None
        self.shop = get_shop(**self._shop_args) if self.server_url is None else None
        if had_session:
            actions = self._episode_actions
            self._open_session()
            for action in actions:
                self._snapshot = self._session.step(action, self._mode)  # type: ignore[union-attr]
            self._episode_actions = actions
            self._take_screenshot()

    def _end_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def close(self) -> None:
        self._end_session()
        if self._browser is not None:
            from vlagent_envs.envs.webshop.browser import release_shared_browser

            release_shared_browser(self._browser)
            self._browser = None
        if self._server is not None:
            from vlagent_envs.envs.webshop.server import release_shared_server

            release_shared_server(self._server)
            self._server = None
        super().close()

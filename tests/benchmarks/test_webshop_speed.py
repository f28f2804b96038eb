"""Steps per second of ``VLAgent/WebShop-v0`` (``text_rich``) and ``-Screenshot-v0``.

Run with ``make bench``. Each benchmark measures its reference in the same run and stores the
ratio in ``extra_info``:

* ``text_rich``: the env (grammar, page text, the 512x512 text panel) against the bare shop
  session (``ShopSession.step`` + ``observe("text_rich")``) on the same actions. The WebShop
  issue asks for at least 100 env steps per second here.
* ``screenshot``: the env against a bare headless Chromium navigate + screenshot of a shop page
  (measured at about 134 ms on a 2-core CPU when the issue was written).
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import vlagent_envs  # noqa: F401

pytestmark = pytest.mark.benchmark
pytest.importorskip("bm25s")

WORDS = ("bar stool", "shampoo", "women dress", "bluetooth speaker", "green tea", "desk")


def _actions(env: gym.Env, count: int, seed: int = 0) -> list[str]:
    """A fixed sequence of admissible actions, with resets where an episode ends (``None``)."""
    rng = np.random.default_rng(seed)
    env.reset(seed=0)
    sequence: list[str] = []
    for _ in range(count):
        actions = env.unwrapped.admissible_actions()
        action = actions[int(rng.integers(len(actions)))]
        action = action.replace("<query>", WORDS[int(rng.integers(len(WORDS)))])
        sequence.append(action)
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            sequence.append(None)  # type: ignore[arg-type]
            env.reset(seed=len(sequence))
    return sequence


def _play(env: gym.Env, sequence: list[str]) -> None:
    env.reset(seed=0)
    for action in sequence:
        if action is None:
            env.reset(seed=0)
        else:
            env.step(action)


def test_text_rich_steps_per_second(benchmark, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    env = gym.make("VLAgent/WebShop-v0", split="test", max_episode_steps=10_000)
    sequence = _actions(env, 500)
    steps = sum(a is not None for a in sequence)
    shop = env.unwrapped.shop

    def raw() -> float:
        start = time.perf_counter()
        session = shop.new_session("test", 0)
        for action in sequence:
            if action is None or session.done:
                session = shop.new_session("test", 0)
                continue
            session.step(action)
            session.observe("text_rich")
        return time.perf_counter() - start

    raw()  # warm-up
    raw_s = min(raw() for _ in range(3))
    benchmark.pedantic(_play, args=(env, sequence), rounds=3, iterations=1, warmup_rounds=1)
    env_rate = steps / benchmark.stats.stats.median
    raw_rate = steps / raw_s
    benchmark.extra_info.update(
        steps_per_second=round(env_rate, 1),
        raw_shop_steps_per_second=round(raw_rate, 1),
        ratio_to_raw=round(env_rate / raw_rate, 3),
    )
    print(
        f"\nWebShop text_rich: {env_rate:,.0f} env steps/s; the bare shop session "
        f"{raw_rate:,.0f} steps/s (env = {env_rate / raw_rate:.2f}x of it)"
    )


@pytest.mark.browser
def test_screenshot_steps_per_second(benchmark, tmp_path, monkeypatch) -> None:
    pytest.importorskip("selenium")
    from vlagent_envs.envs.webshop.browser import BrowserError, ChromiumBrowser

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    env = gym.make("VLAgent/WebShop-Screenshot-v0", split="test", max_episode_steps=10_000)
    try:
        env.reset(seed=0)
    except BrowserError as error:
        pytest.skip(str(error))
    sequence = _actions(env, 40)
    steps = sum(a is not None for a in sequence)
    url = f"{env.unwrapped._server.url}/session/{env.unwrapped.session_id}/"
    bare = ChromiumBrowser(800, 600)
    bare.screenshot(url)
    start = time.perf_counter()
    for _ in range(steps):
        bare.screenshot(url)
    bare_rate = steps / (time.perf_counter() - start)
    bare.close()
    benchmark.pedantic(_play, args=(env, sequence), rounds=2, iterations=1, warmup_rounds=0)
    env_rate = steps / benchmark.stats.stats.median
    benchmark.extra_info.update(
        steps_per_second=round(env_rate, 2),
        bare_chromium_screenshots_per_second=round(bare_rate, 2),
        ratio_to_bare_chromium=round(env_rate / bare_rate, 3),
    )
    print(
        f"\nWebShop screenshot: {env_rate:.1f} env steps/s ({1000 / env_rate:.0f} ms/step); "
        f"bare Chromium navigate+screenshot {bare_rate:.1f}/s ({1000 / bare_rate:.0f} ms) "
        f"(env = {env_rate / bare_rate:.2f}x of it)"
    )
    env.close()

"""``VLAgent/WebShop-Screenshot-v0``: the pages as headless Chromium shows them.

Needs Debian's ``chromium`` and ``chromium-driver`` and selenium; skipped without them, except
under ``CI=true`` (CI installs them), where a missing browser fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
import urllib.request

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("flask")

import vlagent_envs  # noqa: F401
from vlagent_envs.envs.webshop.server import ShopServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("require_browser")]
ENV_ID = "VLAgent/WebShop-Screenshot-v0"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_screenshots_show_the_pages_and_the_episode_scores() -> None:
    env = gym.make(ENV_ID, split="test")
    obs, info = env.reset(seed=3)
    assert obs["image"].shape == (600, 800, 3) and obs["image"].dtype == np.uint8
    assert info["browser_restarted"] is False and info["page"] == "search"
    assert obs["text"] == ""  # screenshot mode: the page is the image
    search_page = obs["image"]
    assert (search_page < 128).mean() > 0.005  # text is drawn on the white page
    images = []
    while True:
        obs, reward, terminated, truncated, info = env.step(env.unwrapped.expert_action())
        images.append(obs["image"])
        assert info["browser_restarted"] is False
        if terminated or truncated:
            break
    assert reward == 1.0 and info["success"] and info["page"] == "done"
    assert not np.array_equal(images[0], search_page)  # results differ from the search page
    assert not np.array_equal(images[1], images[0])  # the product page differs from the results
    # Choosing an option redraws its radio button: a small change of the same page.
    changed = (images[2] != images[1]).any(axis=2).mean()
    assert 0 < changed < 0.01
    env.close()


def test_the_same_page_gives_the_same_pixels() -> None:
    first, second = gym.make(ENV_ID, split="test"), gym.make(ENV_ID, split="test")
    a, _ = first.reset(seed=8)
    b, _ = second.reset(seed=8)
    assert np.array_equal(a["image"], b["image"])
    for env in (first, second):
        env.step("search[bar stool]")
    assert np.array_equal(
        first.step("click[next >]")[0]["image"], second.step("click[next >]")[0]["image"]
    )
    first.close()
    second.close()


def test_a_killed_browser_is_restarted_and_the_episode_goes_on() -> None:
    env = gym.make(ENV_ID, split="test")
    env.reset(seed=5)
    env.step(env.unwrapped.expert_action())
    browser = env.unwrapped._browser
    pids = browser.pids
    assert pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    obs, reward, terminated, truncated, info = env.step(env.unwrapped.expert_action())
    assert info["browser_restarted"] is True and info["action_valid"]
    assert obs["image"].shape == (600, 800, 3) and (obs["image"] < 128).any()
    while not (terminated or truncated):
        obs, reward, terminated, truncated, info = env.step(env.unwrapped.expert_action())
        assert info["browser_restarted"] is False
    assert reward == 1.0
    env.close()


def test_closing_stops_the_browser_and_the_server() -> None:
    # Envs of a process share a browser per size and binaries; naming the binary gives this env
    # one of its own (other tests' envs may still hold the default one).
    env = gym.make(ENV_ID, split="test", chromium=shutil.which("chromium"))
    env.reset(seed=1)
    browser, server = env.unwrapped._browser, env.unwrapped._server
    pids = browser.pids
    assert pids and server.address[0] == "127.0.0.1"
    env.close()
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
    with pytest.raises(OSError):
        urllib.request.urlopen(server.url + "/api/health", timeout=2)


def test_screenshots_of_a_remote_server(shop) -> None:
    with ShopServer(shop) as server:
        remote = gym.make(ENV_ID, split="test", server_url=server.url)
        local = gym.make(ENV_ID, split="test")
        a, _ = remote.reset(seed=2)
        b, _ = local.reset(seed=2)
        assert np.array_equal(a["image"], b["image"])
        assert remote.unwrapped._server is None  # no local server for a remote shop
        remote.close()
        local.close()

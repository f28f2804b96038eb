"""The Flask site and its JSON API (``server.py``), through Flask's test client and a real
loopback server."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytest.importorskip("flask")

from vlagent_envs.envs.webshop.server import (
    ShopServer,
    create_app,
    main,
    release_shared_server,
    shared_server,
)


@pytest.fixture
def client(shop):
    return create_app(shop, seed=0).test_client()


def _session_id(location: str) -> str:
    # /session/<id>/
    return location.rstrip("/").split("/")[-1]


def test_a_person_can_shop_with_links_and_forms(client, shop) -> None:
    start = client.get("/fixed_2")
    assert start.status_code == 302
    session_id = _session_id(start.headers["Location"])
    goal = shop.session(session_id).goal
    assert goal is shop.goals["test"][2]
    page = client.get(f"/session/{session_id}/").get_data(as_text=True)
    assert goal.instruction_text in page and 'id="search_input"' in page
    act = client.get(f"/session/{session_id}/act", query_string={"query": goal.name})
    assert act.status_code == 302
    results = client.get(f"/session/{session_id}/").get_data(as_text=True)
    assert goal.asin in results and "Total results" in results
    client.get(f"/session/{session_id}/act", query_string={"action": f"click[{goal.asin.lower()}]"})
    client.get(f"/session/{session_id}/act", query_string={"action": "click[buy now]"})
    done = client.get(f"/session/{session_id}/").get_data(as_text=True)
    assert "Thank you for shopping with us!" in done and "Your score" in done
    # A finished session keeps showing its done page.
    client.get(f"/session/{session_id}/act", query_string={"action": "click[back to search]"})
    assert "Thank you" in client.get(f"/session/{session_id}/").get_data(as_text=True)


def test_index_picks_a_goal_and_unknown_pages_are_404(client, shop) -> None:
    first = client.get("/?split=dev")
    assert first.status_code == 302
    assert shop.session(_session_id(first.headers["Location"])).split == "dev"
    assert client.get("/?split=nope").status_code == 400
    assert client.get("/fixed_100000").status_code == 404
    assert client.get("/session/unknown/").status_code == 404


def test_json_api_errors_are_clear(client) -> None:
    assert client.get("/api/health").get_json()["products"] == 1000
    bad = client.post("/api/sessions", data="not json", content_type="application/json")
    assert bad.status_code == 400 and "JSON object" in bad.get_json()["error"]
    assert client.post("/api/sessions", json={"split": "x"}).status_code == 400
    assert client.post("/api/sessions", json={"goal_index": "3"}).status_code == 400
    assert client.post("/api/sessions", json={"goal_index": 9999}).status_code == 400
    assert client.post("/api/sessions", json={"mode": "pixels"}).status_code == 400
    missing = client.post("/api/sessions/nope/step", json={"action": "click[x]"})
    assert missing.status_code == 404 and "no WebShop session" in missing.get_json()["error"]
    created = client.post("/api/sessions", json={"goal_index": 1, "mode": "text"})
    assert created.status_code == 201
    session_id = created.get_json()["session_id"]
    assert " [SEP] " in created.get_json()["observation"]
    no_action = client.post(f"/api/sessions/{session_id}/step", json={"act": "x"})
    assert no_action.status_code == 400
    invalid = client.post(f"/api/sessions/{session_id}/step", json={"action": "click[nothing]"})
    assert invalid.status_code == 200 and invalid.get_json()["valid"] is False
    expert = client.get(f"/api/sessions/{session_id}?expert=1").get_json()["expert_action"]
    assert expert.startswith("search[")
    assert client.delete(f"/api/sessions/{session_id}").status_code == 204
    assert client.get(f"/api/sessions/{session_id}").status_code == 404


def test_the_api_plays_a_whole_episode_over_http(shop) -> None:
    def call(method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            server.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    with ShopServer(shop) as server:
        assert server.address[0] == "127.0.0.1"
        state = call("POST", "/api/sessions", {"split": "test", "goal_index": 7})
        session_id = state["session_id"]
        for _ in range(15):
            expert = call("GET", f"/api/sessions/{session_id}?expert=1")["expert_action"]
            state = call("POST", f"/api/sessions/{session_id}/step", {"action": expert})
            assert state["valid"]
            if state["done"]:
                break
        assert state["done"] and state["reward"] == 1.0 and state["page"] == "done"
        request = urllib.request.Request(
            server.url + f"/api/sessions/{session_id}/step",
            data=b'{"action": "click[back to search]"}',
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as ended:
            urllib.request.urlopen(request, timeout=10)
        assert ended.value.code == 409


def test_the_server_listens_on_loopback_only(shop) -> None:
    for host in ("0.0.0.0", "192.168.1.10", ""):
        with pytest.raises(ValueError, match="loopback only"):
            ShopServer(shop, host=host)
    server = ShopServer(shop)
    assert server.address[0] == "127.0.0.1"
    server.stop()
    server.stop()  # idempotent


def test_the_shared_server_stops_with_its_last_user(shop) -> None:
    first = shared_server(shop)
    second = shared_server(shop)
    assert first is second
    release_shared_server(first)
    with urllib.request.urlopen(first.url + "/api/health", timeout=5) as response:
        assert response.status == 200
    release_shared_server(second)
    with pytest.raises(OSError):
        urllib.request.urlopen(first.url + "/api/health", timeout=2)


def test_the_command_line_serves_the_shop(shop, capsys) -> None:
    seen: dict[str, object] = {}

    def serve(server: ShopServer) -> None:
        with urllib.request.urlopen(server.url + "/api/health", timeout=5) as response:
            seen["health"] = json.loads(response.read())

    main(["--port", "0"], serve=serve)
    assert seen["health"]["goals"] == {"test": 500, "dev": 1000, "train": 500}
    assert "http://127.0.0.1:" in capsys.readouterr().out

"""Issue 14 (server and channels), on a real `hkbot serve` over localhost: the action server, session ids, flooding."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

BOT = "dog_licence"
ACTION_TOKEN = "action-token-" + uuid.uuid4().hex
TIMEOUT = 60


def rss_mb(pid: int) -> float:
    """The resident memory of a process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def client(address: str = "127.0.0.1") -> httpx.Client:
    """An HTTP client whose requests come from `address` (any 127.x.y.z is this machine)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=TIMEOUT)


@pytest.fixture(scope="module")
def action_server(server_factory):
    """dog_licence with its action server served to an external Rasa that holds HKBOT_ACTION_SERVER_TOKEN."""
    return server_factory(env={"HKBOT_ACTION_SERVER_TOKEN": ACTION_TOKEN}, bots=[BOT])


# ----------------------------------------------------------------------------- 1: the action server


def feedback_call(sender: str) -> dict[str, Any]:
    """An action-server request with a made-up tracker that would write a feedback row."""
    return {
        "next_action": "action_feedback",
        "sender_id": sender,
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": {"text": "/feedback", "intent": {"name": "feedback"}},
                    "events": [], "paused": False, "latest_event_time": None, "followup_action": None,
                    "active_loop": {}, "latest_action_name": None},
        "domain": {},
    }


def test_the_action_server_is_not_served_without_its_token(server):
    """With in-process actions (the default) nobody outside needs /webhook: 404, nothing runs, nothing inflates."""
    bomb = zlib.compress(b"\0" * (100 * 1024 * 1024), 9)  # ~100 KB on the wire, 100 MB inflated
    before = rss_mb(server.process.pid)
    started = time.monotonic()
    reply = httpx.post(f"{server.url}/webhook", content=bomb, headers={"content-encoding": "deflate"}, timeout=TIMEOUT)
    assert reply.status_code == 404 and "HKBOT_ACTION_SERVER_TOKEN" in reply.json()["error"]
    assert time.monotonic() - started < 1.0
    assert rss_mb(server.process.pid) - before < 30
    made_up = httpx.post(f"{server.url}/webhook", json=feedback_call("made-up"), timeout=TIMEOUT)
    assert made_up.status_code == 404
    assert httpx.get(f"{server.url}/actions", timeout=TIMEOUT).status_code == 404


def test_the_action_server_needs_its_token_and_caps_inflation(action_server):
    url = f"{action_server.url}/webhook"
    call = feedback_call("made-up")
    assert httpx.post(url, json=call, timeout=TIMEOUT).status_code == 403
    assert httpx.post(url, json=call, headers={"Authorization": "Bearer wrong"}, timeout=TIMEOUT).status_code == 403
    assert httpx.get(f"{action_server.url}/actions", timeout=TIMEOUT).status_code == 403
    bearer = {"Authorization": f"Bearer {ACTION_TOKEN}"}
    names = {a["name"] for a in httpx.get(f"{action_server.url}/actions", headers=bearer, timeout=TIMEOUT).json()}
    assert {"action_answer_faq", "action_handoff", "action_fallback"} <= names
    # Rasa's own `token:` in endpoints.yml arrives as ?token=...
    unknown = httpx.post(f"{url}?token={ACTION_TOKEN}", json={"next_action": "action_that_does_not_exist", "tracker": {"sender_id": "x"}}, timeout=TIMEOUT)
    assert unknown.status_code == 404 and unknown.json()["action_name"] == "action_that_does_not_exist"
    assert httpx.post(url, content=b"\xff\xfe", headers=bearer, timeout=TIMEOUT).status_code == 400

    # A deflated body is inflated only up to a cap: a zip bomb is refused quickly, without the memory.
    bomb = zlib.compress(b"\0" * (200 * 1024 * 1024), 9)
    assert len(bomb) < 1024 * 1024
    before = rss_mb(action_server.process.pid)
    started = time.monotonic()
    reply = httpx.post(url, content=bomb, headers={**bearer, "content-encoding": "deflate"}, timeout=TIMEOUT)
    assert reply.status_code == 413 and "inflated" in reply.json()["error"]
    assert time.monotonic() - started < 1.0
    assert rss_mb(action_server.process.pid) - before < 40
    # A small deflated request still works, as rasa's EndpointConfig(compress=True) sends it.
    small = zlib.compress(json.dumps({"next_action": "action_that_does_not_exist", "tracker": {"sender_id": "x"}}).encode())
    assert httpx.post(url, content=small, headers={**bearer, "content-encoding": "deflate"}, timeout=TIMEOUT).status_code == 404


def test_the_action_server_answers_deep_json_with_400(action_server):
    """Deeply nested JSON raises RecursionError in the parser: a 400, not a 500, and the server carries on."""
    bearer = {"Authorization": f"Bearer {ACTION_TOKEN}"}
    deep = b"[" * 200_000 + b"]" * 200_000
    for body, headers in ((deep, bearer), (zlib.compress(deep), {**bearer, "content-encoding": "deflate"})):
        reply = httpx.post(f"{action_server.url}/webhook", content=body, headers=headers, timeout=TIMEOUT)
        assert reply.status_code == 400, reply.text[:200]
        assert "Traceback" not in reply.text
    assert httpx.get(f"{action_server.url}/health", timeout=TIMEOUT).status_code == 200

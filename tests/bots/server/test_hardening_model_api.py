"""Rasa's model-management HTTP API is not exposed (CVE-2024-49375): no endpoint loads, trains or reads a model or tracker."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]

# Every route of rasa.server.create_app (Rasa 3.6), at the root and under a bot's prefix.
RASA_API = [
    ("GET", "/status"),
    ("GET", "/version"),
    ("GET", "/domain"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
    ("POST", "/model/train"),
    ("POST", "/model/test/stories"),
    ("POST", "/model/test/intents"),
    ("POST", "/model/predict"),
    ("POST", "/model/parse"),
    ("GET", "/conversations/x/tracker"),
    ("POST", "/conversations/x/tracker/events"),
    ("PUT", "/conversations/x/tracker/events"),
    ("GET", "/conversations/x/story"),
    ("POST", "/conversations/x/execute"),
    ("POST", "/conversations/x/trigger_intent"),
    ("POST", "/conversations/x/predict"),
    ("POST", "/conversations/x/messages"),
]
PREFIXES = ["", "/bots/dog_licence", "/bots/1823", "/bots/dog_licence/webhooks/rest"]
# What an attacker of CVE-2024-49375 sends: a model to load from a URL or a local path.
MODEL_BODIES = [
    {"model_file": "/etc/passwd"},
    {"model_server": {"url": "http://127.0.0.1:1/model.tar.gz"}},
    {"remote_storage": "aws"},
]


@pytest.mark.parametrize("method,path", RASA_API)
@pytest.mark.parametrize("prefix", PREFIXES)
def test_rasa_http_api_routes_are_absent(server, prefix, method, path):
    response = httpx.request(method, server.url + prefix + path, json={"text": "hi"}, timeout=30)
    assert response.status_code in (403, 404, 405), f"{method} {prefix}{path} answered {response.status_code}"
    assert "application/json" in response.headers.get("content-type", "")


@pytest.mark.parametrize("body", MODEL_BODIES)
@pytest.mark.parametrize("token", [None, "wrong-token", "server-token"])
def test_no_request_loads_a_model(server, body, token):
    before = httpx.get(server.url + "/health", timeout=30).json()
    headers = {"Authorization": f"Bearer {server.token if token == 'server-token' else token}"} if token else {}
    for path in ("/model", "/bots/dog_licence/model"):
        for query in ("", "?token=" + (server.token if token == "server-token" else "x")):
            response = httpx.put(server.url + path + query, json=body, headers=headers, timeout=30)
            assert response.status_code in (403, 404, 405)
    after = httpx.get(server.url + "/health", timeout=30).json()
    assert [bot["fingerprint"] for bot in after["bots"]] == [bot["fingerprint"] for bot in before["bots"]]


def test_operator_endpoints_need_the_token(server):
    url = server.url + "/bots/dog_licence/conversations/someone/handoff"
    assert httpx.post(url, timeout=30).status_code == 403
    assert httpx.post(url, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 403


def test_the_project_never_mounts_rasas_server_or_enables_its_api():
    """A static guard: none of our code imports rasa.server's app or runs Rasa with `enable_api`."""
    offenders = []
    for folder in ("bots", "connectors", "privacy", "actions", "nlu", "knowledge"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if re.search(r"rasa\.server|from rasa import server|enable_api\s*=\s*True|configure_app\(|rasa\.core\.run\b", text):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []

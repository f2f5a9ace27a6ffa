"""A server with no API token and its external action server down: refusals and apologies, never tracebacks."""
from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import free_port
from tests.bots.server.test_rest import say


@pytest.fixture(scope="module")
def degraded(server_factory):
    """dog_licence only, HKBOT_API_TOKEN unset, actions sent to a port where nothing listens."""
    return server_factory(
        env={"HKBOT_API_TOKEN": "", "HKBOT_ACTION_ENDPOINT": f"http://127.0.0.1:{free_port()}/webhook"},
        bots=["dog_licence"],
    )


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [("hello", "en", "call 1823"), ("狗牌幾錢", "zh-Hant", "致電 1823")],
)
def test_action_server_down_gives_a_polite_apology(degraded, text, language, expected):
    messages = say(degraded, "dog_licence", f"test-{uuid.uuid4().hex[:12]}", text)
    assert len(messages) == 1
    apology = messages[0]
    assert expected in apology["text"]
    assert apology["metadata"]["kind"] == "error"
    assert apology["metadata"]["language"] == language
    assert "Traceback" not in apology["text"] and "Error" not in apology["text"]


def test_the_failure_is_in_the_log_for_it(degraded):
    say(degraded, "dog_licence", f"test-{uuid.uuid4().hex[:12]}", "hello")
    assert "action server http://127.0.0.1:" in degraded.log_path.read_text()


def test_without_a_configured_token_handoff_endpoints_refuse(degraded):
    sender = f"test-{uuid.uuid4().hex[:12]}"
    say(degraded, "dog_licence", sender, "hello")
    url = f"{degraded.url}/bots/dog_licence/conversations/{sender}/handoff"
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": f"Bearer {degraded.token}"}):
        assert httpx.post(url, headers=headers, timeout=10).status_code == 403

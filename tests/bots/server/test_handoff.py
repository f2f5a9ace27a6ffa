"""Handoff: the bot stays silent while an officer has the conversation; the token-protected endpoints start and release it."""
from __future__ import annotations

import uuid

import httpx

from tests.bots.server.test_rest import say


def handoff_url(server, bot: str, sender: str, release: bool = False) -> str:
    return f"{server.url}/bots/{bot}/conversations/{sender}/handoff{'/release' if release else ''}"


def test_release_needs_the_api_token(server):
    sender = f"test-{uuid.uuid4().hex[:12]}"
    say(server, "dog_licence", sender, "我想搵真人")
    url = handoff_url(server, "dog_licence", sender, release=True)
    assert httpx.post(url, timeout=10).status_code == 403
    assert httpx.post(url, headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 403
    assert [m["metadata"]["kind"] for m in say(server, "dog_licence", sender, "hello")] == ["handoff_waiting"]  # still handed off: REST's note only


def test_release_makes_the_bot_answer_again(server):
    sender = f"test-{uuid.uuid4().hex[:12]}"
    assert say(server, "dog_licence", sender, "I want to talk to a real person")[0]["metadata"]["kind"] == "handoff"
    assert [m["metadata"]["kind"] for m in say(server, "dog_licence", sender, "How much does a dog licence cost?")] == ["handoff_waiting"]
    reply = httpx.post(handoff_url(server, "dog_licence", sender, release=True), headers={"Authorization": f"Bearer {server.token}"}, timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {"bot": "dog_licence", "sender": sender, "handoff_active": False}
    answer = say(server, "dog_licence", sender, "How much does a dog licence cost?")
    assert answer and answer[0]["metadata"]["label"] == "dog_licence.fee"


def test_an_officer_can_take_a_conversation_over(server):
    sender = f"test-{uuid.uuid4().hex[:12]}"
    assert say(server, "tsw", sender, "hello")
    headers = {"Authorization": f"Bearer {server.token}"}
    assert httpx.post(handoff_url(server, "tsw", sender), headers=headers, timeout=10).status_code == 200
    assert [m["metadata"]["kind"] for m in say(server, "tsw", sender, "hello")] == ["handoff_waiting"]  # no answer: REST's note only
    assert say(server, "1823", sender, "hello")  # only that bot's conversation


def test_handoff_of_unknown_conversations_and_bots_is_404(server):
    headers = {"Authorization": f"Bearer {server.token}"}
    assert httpx.post(handoff_url(server, "tsw", "never-seen-" + uuid.uuid4().hex), headers=headers, timeout=10).status_code == 404
    assert httpx.post(handoff_url(server, "nobody", "x"), headers=headers, timeout=10).status_code == 404


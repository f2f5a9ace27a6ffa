"""The widget's websocket frames and pages, against a real `hkbot serve` (and send_to in process)."""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import free_port
from tests.inprocess_sanic import untouch_sanic

BOT = "dog_licence"
TIMEOUT = 30


def socket_url(server: Any, bot: str = BOT) -> str:
    return server.url.replace("http://", "ws://") + f"/bots/{bot}/websocket"


async def receive(ws: Any, kind: str) -> dict[str, Any]:
    """The next frame of a type, skipping the others."""
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] == kind:
            return frame


async def hello(ws: Any, session_id: str | None = None, language: str = "yue") -> dict[str, Any]:
    await ws.send(json.dumps({"type": "hello", "session_id": session_id, "language": language}))
    return await receive(ws, "session")


async def say(ws: Any, text: str, payload: str | None = None) -> list[dict[str, Any]]:
    """Send a message; return the bot's messages up to the end of the typing indicator."""
    frame: dict[str, Any] = {"type": "message", "text": text, "metadata": {"language": "yue"}}
    if payload:
        frame["payload"] = payload
    await ws.send(json.dumps(frame))
    assert (await receive(ws, "typing"))["on"] is True  # the indicator comes before the replies
    messages = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] == "typing":
            assert frame["on"] is False
            return messages
        assert frame["type"] == "message", frame
        messages.append(frame)


async def test_conversation_resume_and_end(server):
    async with websockets.connect(socket_url(server)) as ws:
        session = await hello(ws)
        assert session["resumed"] is False and session["history"] == []
        topics = [t["id"] for t in session["profile"]["topics"]]
        assert topics and topics[0] == "dog_licence.fee"
        assert session["profile"]["topics"][0]["title"]["en"]
        replies = await say(ws, "狗牌幾多錢")
        answer = next(m for m in replies if m["metadata"].get("kind") == "answer")
        assert answer["metadata"]["label"] == "dog_licence.fee"
        assert answer["metadata"]["source"].startswith("http")
        sender = session["session_id"]

    async with websockets.connect(socket_url(server)) as ws:  # a reload: same session id
        session = await hello(ws, sender)
        assert session["session_id"] == sender and session["resumed"] is True
        history = session["history"]
        assert history[0] == {"type": "message", "from": "user", "text": "狗牌幾多錢"}
        assert any(m.get("metadata", {}).get("label") == "dog_licence.fee" for m in history[1:])
        await ws.send(json.dumps({"type": "end_session"}))
        await receive(ws, "session_ended")

    async with websockets.connect(socket_url(server)) as ws:  # the next person sees nothing
        session = await hello(ws, sender)
        assert session["resumed"] is False and session["history"] == []


async def test_button_payload_goes_to_the_bot_and_history_shows_its_title(server):
    async with websockets.connect(socket_url(server)) as ws:
        session = await hello(ws)
        replies = await say(ws, "English please", '/switch_language{"lang": "en"}')
        assert replies and replies[-1]["metadata"]["language"] == "en"
        replies = await say(ws, "狗牌幾多錢")
        assert any(m["metadata"].get("language") == "en" and "80" in m["text"] for m in replies)
    async with websockets.connect(socket_url(server)) as ws:
        history = (await hello(ws, session["session_id"]))["history"]
        assert history[0]["text"] == "English please"


async def test_other_origins_are_refused_and_allowed_ones_accepted(server):
    async with websockets.connect(socket_url(server), origin="http://evil.example") as ws:
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert frame["type"] == "error" and frame["code"] == "origin"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert closed.value.code == 1008
    async with websockets.connect(socket_url(server), origin="http://localhost:5005") as ws:  # bot.yml allowed_origins
        assert (await hello(ws))["session_id"]


async def test_bad_frames_get_polite_errors_and_the_socket_stays_open(server):
    async with websockets.connect(socket_url(server)) as ws:
        await hello(ws, language="en")
        await ws.send(json.dumps({"type": "message", "text": "狗" * 20_000}))
        error = await receive(ws, "error")
        assert error["code"] == "too_long" and "too long" in error["text"]
        for bad in ("not json", "[1, 2]", "[" * 10_000, json.dumps({"type": "message", "text": "   "}), json.dumps({"type": "nope"})):
            await ws.send(bad)
            assert (await receive(ws, "error"))["code"] == "bad_frame"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive(ws, "pong"))["type"] == "pong"


def test_pages_have_a_strict_csp_and_unknown_bots_a_polite_404(server):
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        for path in (f"/demo/{BOT}", f"/kiosk/{BOT}"):
            page = client.get(path)
            assert page.status_code == 200
            csp = page.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
            assert "<style" not in page.text and not re.search(r"\s(style|on[a-z]+)=", page.text)
            assert not re.search(r"<script(?![^>]*(src=|application/json))", page.text)  # no inline code
        missing = client.get("/demo/no_such_bot")
        assert missing.status_code == 404 and "1823" in missing.text and "no_such_bot" in missing.text
        assert client.get("/kiosk/<script>").status_code == 404
        script = client.get("/widget.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert client.get("/hkbot-static/../web.py").status_code == 404


async def test_send_to_pushes_to_every_open_socket_of_a_conversation(monkeypatch):
    """The operators' handoff will push through `send_to`; here a real Sanic server in this process."""
    from sanic import Sanic

    from connectors.websocket import WebSocketInput, open_senders, send_to

    async def ignore(message: Any) -> None:  # this test is about pushing, not about the bot
        return None

    monkeypatch.setattr(Sanic, "test_mode", True)  # and untouch_sanic() below: later tests start apps too
    app = Sanic("send_to_test")
    channel = WebSocketInput.from_credentials({"bot": "pushbot"})
    app.blueprint(channel.blueprint(ignore), url_prefix="/bots/pushbot/websocket")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    try:
        url = f"ws://127.0.0.1:{port}/bots/pushbot/websocket"
        async with websockets.connect(url) as first, websockets.connect(url) as second:
            sender = (await hello(first))["session_id"]
            await hello(second, sender)  # the same conversation in a second tab
            assert open_senders("pushbot") == [sender]
            delivered = await send_to("pushbot", sender, {"from": "agent", "text": "<b>An officer</b> is here"})
            assert delivered == 2
            for ws in (first, second):
                frame = await receive(ws, "message")
                assert frame == {"type": "message", "from": "agent", "text": "<b>An officer</b> is here"}
        await asyncio.sleep(0.2)
        assert open_senders("pushbot") == []
        assert await send_to("pushbot", sender, {"text": "nobody"}) == 0
    finally:
        server.close()
        await server.wait_closed()
        untouch_sanic()

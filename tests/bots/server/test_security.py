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


# ----------------------------------------------------------------------------- 2: session ids


def socket_url(server: Any, bot: str = BOT) -> str:
    return server.url.replace("http://", "ws://") + f"/bots/{bot}/websocket"


def connect(server: Any, address: str = "127.0.0.1", bot: str = BOT) -> Any:
    """A websocket to the server from `address` (any 127.x.y.z is this machine)."""
    return websockets.connect(socket_url(server, bot), local_addr=(address, 0))


async def receive(ws: Any, *kinds: str) -> dict[str, Any]:
    """The next frame of one of these types, skipping the others."""
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] in kinds:
            return frame


async def hello(ws: Any, session_id: str | None = None) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "hello", "session_id": session_id, "language": "yue"}))
    return await receive(ws, "session")


async def say(ws: Any, text: str, metadata: dict[str, Any] | None = None, payload: str | None = None) -> list[dict[str, Any]]:
    """Send a message; the bot's messages up to the end of the typing indicator (or the error frame)."""
    frame: dict[str, Any] = {"type": "message", "text": text, "metadata": metadata or {"language": "yue"}}
    if payload:
        frame["payload"] = payload
    await ws.send(json.dumps(frame))
    messages = []
    while True:
        frame = await receive(ws, "typing", "message", "error")
        if frame["type"] == "error":
            return [frame]
        if frame["type"] == "typing" and not frame["on"]:
            return messages
        if frame["type"] == "message":
            messages.append(frame)


def rest(server: Any, sender: str, text: str, address: str = "127.0.0.1", metadata: dict | None = None) -> httpx.Response:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    with client(address) as http:
        return http.post(f"{server.url}/bots/{BOT}/webhooks/rest/webhook", json=body)


def stored_events(server: Any, sender: str) -> list[dict[str, Any]]:
    import sqlite3

    with sqlite3.connect(server.data_dir / "trackers.sqlite3", timeout=30) as db:
        return [json.loads(row[0]) for row in db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (f"{BOT}:{sender}",))]


async def test_hello_cannot_open_a_conversation_by_choosing_its_id(server):
    """A REST conversation (a phone-number sender) or a made-up id is never resumed over the websocket."""
    phone_sender = f"whatsapp-852{uuid.uuid4().int % 10**8:08d}"
    assert rest(server, phone_sender, "我想問狗牌幾多錢").status_code == 200
    async with connect(server) as ws:
        session = await hello(ws, phone_sender)
        assert session["session_id"] != phone_sender
        assert session["resumed"] is False and session["history"] == []
        chosen = "my-chosen-id-" + uuid.uuid4().hex[:8]
        session = await hello(ws, chosen)
        assert session["session_id"] != chosen and session["session_id"].startswith("ws-")


async def test_a_tampered_session_id_starts_a_new_conversation_and_the_real_one_resumes(server):
    async with connect(server) as ws:
        real = (await hello(ws))["session_id"]
        assert await say(ws, "狗牌幾多錢")
    forged = real[:-1] + ("0" if real[-1] != "0" else "1")
    other_bot = real  # an id issued for dog_licence is not valid for tsw
    async with connect(server) as ws:
        session = await hello(ws, forged)
        assert session["session_id"] not in (real, forged) and session["history"] == []
    async with connect(server, bot="tsw") as ws:
        session = await hello(ws, other_bot)
        assert session["session_id"] != real and session["history"] == []
    async with connect(server) as ws:  # the citizen's own reload
        session = await hello(ws, real)
        assert session["session_id"] == real and session["resumed"] is True
        assert session["history"][0]["text"] == "狗牌幾多錢"


def test_rest_cannot_reach_a_websocket_conversation(server):
    async def open_one() -> str:
        async with connect(server) as ws:
            session_id = (await hello(ws))["session_id"]
            assert await say(ws, "狗牌幾多錢")
            return session_id

    session_id = asyncio.run(open_one())
    before = len(stored_events(server, session_id))
    reply = rest(server, session_id, "I want to talk to a real person")
    assert reply.status_code == 400 and "reserved" in reply.json()["error"]
    assert rest(server, "ws-anything", "hello").status_code == 400
    assert len(stored_events(server, session_id)) == before


def test_session_ids_survive_a_restart_and_replicas_share_them_by_secret(server_factory):
    """The secret is kept in the data dir (no API token set) or given by HKBOT_SESSION_SECRET on every replica."""
    from connectors import session_ids

    one = server_factory(env={"HKBOT_API_TOKEN": ""}, bots=[BOT])
    secret_file = one.data_dir / "session_secret"

    async def converse() -> str:
        async with connect(one) as ws:
            session_id = (await hello(ws))["session_id"]
            assert await say(ws, "狗牌幾多錢")
            return session_id

    session_id = asyncio.run(converse())
    assert secret_file.is_file() and (secret_file.stat().st_mode & 0o077) == 0  # owner-only
    one.stop()
    one.start()

    async def resume() -> dict[str, Any]:
        async with connect(one) as ws:
            return await hello(ws, session_id)

    session = asyncio.run(resume())
    assert session["session_id"] == session_id and session["resumed"] is True
    # Replicas: the same HKBOT_SESSION_SECRET verifies the same ids; another secret does not.
    key, other = b"k" * 40, b"o" * 40
    issued = session_ids.issue(BOT, key)
    assert session_ids.verify(BOT, issued, key) and not session_ids.verify(BOT, issued, other)
    assert not session_ids.verify("tsw", issued, key)


def test_the_session_secret_comes_from_the_environment_first(monkeypatch, tmp_path):
    from connectors import session_ids

    monkeypatch.setenv("HKBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HKBOT_SESSION_SECRET", "s" * 40)
    monkeypatch.setenv("HKBOT_API_TOKEN", "token")
    assert session_ids.load_secret() == b"s" * 40
    monkeypatch.setenv("HKBOT_SESSION_SECRET", "short")
    with pytest.raises(session_ids.SessionSecretError, match="at least 32"):
        session_ids.load_secret()
    monkeypatch.delenv("HKBOT_SESSION_SECRET")
    derived = session_ids.load_secret()
    assert derived != b"token" and len(derived) == 32 and derived == session_ids.load_secret()
    monkeypatch.delenv("HKBOT_API_TOKEN")
    from_file = session_ids.load_secret()
    assert from_file == session_ids.load_secret() and (tmp_path / "session_secret").is_file()


async def test_hello_end_session_and_ping_are_rate_limited(flood_server):
    """Control frames spend the same buckets as messages (here: 5 at once per conversation)."""
    async with connect(flood_server, "127.0.0.51") as ws:
        await hello(ws)
        answers = []
        for _ in range(12):
            await ws.send(json.dumps({"type": "ping"}))
            answers.append((await receive(ws, "pong", "error"))["type"])
        assert "error" in answers and answers.count("pong") <= 6
    async with connect(flood_server, "127.0.0.52") as ws:  # a fresh session id per hello spends the new-conversation budget
        kinds = []
        for _ in range(12):
            await ws.send(json.dumps({"type": "hello"}))
            kinds.append((await receive(ws, "session", "error"))["type"])
        assert "error" in kinds and kinds.count("session") <= 7
    async with connect(flood_server, "127.0.0.53") as ws:  # another address is not affected
        assert (await hello(ws))["session_id"]


# ----------------------------------------------------------------------------- 7: flooding without login

FLOOD_ENV = {
    "HKBOT_ADDRESS_NEW_RATE": "6",  # new conversations per hour per address: none come back during the test
    "HKBOT_ADDRESS_NEW_BURST": "5",
    "HKBOT_ADDRESS_SOCKETS": "5",
    "HKBOT_SENDER_RATE": "6",
    "HKBOT_SENDER_BURST": "5",
}


@pytest.fixture(scope="module")
def flood_server(server_factory):
    """dog_licence with small flood limits, so that a test can reach them quickly."""
    return server_factory(env=FLOOD_ENV, bots=[BOT])


def console_rows(server: Any, table: str) -> int:
    import sqlite3

    path = server.data_dir / "console.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:  # the console creates its tables on first use
            return 0


def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_rotating_rest_senders_cannot_flood_the_handoff_desk(flood_server):
    """Fake "talk to a human" requests under ever new sender ids: bounded rows; a real citizen still reaches the desk."""
    from concurrent.futures import ThreadPoolExecutor

    handoffs_before, turns_before = console_rows(flood_server, "console_handoffs"), console_rows(flood_server, "console_turns")
    rss_before = rss_mb(flood_server.process.pid)
    flood = [f"flood-{uuid.uuid4().hex}" for _ in range(400)]
    addresses = ["127.0.0.61", "127.0.0.62"]

    def one(index: int) -> int:
        return rest(flood_server, flood[index], "I want to talk to a real person", addresses[index % 2]).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(len(flood))))
    accepted = statuses.count(200)
    assert set(statuses) <= {200, 429}
    assert accepted <= 2 * (5 + 1), statuses  # each address's burst, and at most one more that trickled in

    citizen = f"citizen-{uuid.uuid4().hex[:8]}"
    reply = rest(flood_server, citizen, "I want to talk to a real person", "127.0.0.63")
    assert reply.status_code == 200 and reply.json()[0]["metadata"]["kind"] == "handoff"
    wait_for(lambda: console_rows(flood_server, "console_handoffs") >= handoffs_before + accepted + 1)
    time.sleep(0.5)
    assert console_rows(flood_server, "console_handoffs") - handoffs_before == accepted + 1  # bounded
    assert console_rows(flood_server, "console_turns") - turns_before == accepted + 1
    assert rss_mb(flood_server.process.pid) - rss_before < 50  # bounded memory

    import sqlite3

    with sqlite3.connect(flood_server.data_dir / "console.sqlite3", timeout=30) as db:
        waiting = [row[0] for row in db.execute("SELECT sender FROM console_handoffs WHERE status = 'waiting' ORDER BY id LIMIT 200")]
    assert citizen in waiting  # on the desk's first page, nothing lost
    # The citizen's own conversation carries on; the flood's senders that were refused have no conversation.
    assert rest(flood_server, citizen, "hello", "127.0.0.63").status_code == 200
    refused = [flood[i] for i, status in enumerate(statuses) if status == 429]
    assert all(not stored_events(flood_server, sender) for sender in refused[:20])


async def test_end_session_does_not_grow_the_conversation(server):
    """Ending an ended conversation again and again stores one Restarted event, not one per frame."""
    async with connect(server) as ws:
        session_id = (await hello(ws))["session_id"]
        assert await say(ws, "狗牌幾多錢")
        for _ in range(10):
            await hello(ws, session_id)
            await ws.send(json.dumps({"type": "end_session"}))
            await receive(ws, "session_ended")
    restarts = [e for e in stored_events(server, session_id) if e["event"] == "restart"]
    assert len(restarts) == 1


async def test_one_address_holds_a_bounded_number_of_sockets(flood_server):
    sockets = [await connect(flood_server, "127.0.0.71").__aenter__() for _ in range(5)]
    try:
        for ws in sockets:
            assert (await hello(ws))["session_id"]
        async with connect(flood_server, "127.0.0.71") as extra:
            error = await receive(extra, "error", "session")
            assert error["type"] == "error" and error["code"] == "unavailable" and "1823" in error["text"]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(extra.recv(), TIMEOUT)
            assert closed.value.code == 1013  # "try again later": the widget reconnects with backoff
        async with connect(flood_server, "127.0.0.72") as other:  # another address is not affected
            assert (await hello(other))["session_id"]
        await sockets.pop().close()
        await asyncio.sleep(0.3)
        async with connect(flood_server, "127.0.0.71") as again:  # a closed socket frees its place
            assert (await hello(again))["session_id"]
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_websocket_flood_keeps_memory_bounded_and_real_citizens_answered(flood_server):
    """Many sockets from one address, each saying hello and pinging: most refused, memory flat, a citizen unaffected."""
    rss_before = rss_mb(flood_server.process.pid)

    async def attacker(index: int) -> int:
        try:
            async with connect(flood_server, "127.0.0.81") as ws:
                for _ in range(5):
                    await ws.send(json.dumps({"type": "hello"}))
                    await ws.send(json.dumps({"type": "ping"}))
                    await ws.send(json.dumps({"type": "message", "text": f"flood {index}"}))
                await asyncio.sleep(0.2)
                return 1
        except (websockets.ConnectionClosed, OSError):
            return 0

    await asyncio.gather(*(attacker(i) for i in range(200)))
    assert rss_mb(flood_server.process.pid) - rss_before < 50
    async with connect(flood_server, "127.0.0.82") as ws:
        await hello(ws)
        replies = await say(ws, "狗牌幾多錢")
        assert any(m.get("metadata", {}).get("label") == "dog_licence.fee" for m in replies), replies


# ----------------------------------------------------------------------------- 8: the smaller ones

PASSWORD = "security test password"


def add_user(server: Any, name: str, role: str) -> None:
    import os
    import subprocess

    repo = Path(__file__).resolve().parents[3]
    subprocess.run([os.path.join(repo, ".venv", "bin", "hkbot"), "console", "add-user", name, "--role", role],
                   input=PASSWORD + "\n", text=True, check=True, env=server.env, cwd=repo, capture_output=True)


def console_login(server: Any, name: str) -> tuple[httpx.Client, str]:
    """A logged-in console client and its CSRF token."""
    import re

    http = httpx.Client(base_url=server.url, timeout=TIMEOUT)
    page = http.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    http.post("/console/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/console"})
    desk = http.get("/console/handoffs")
    assert desk.status_code == 200, desk.text[:300]
    return http, re.search(r'data-csrf="([^"]+)"', desk.text).group(1)


def handoff_row(server: Any, sender: str) -> tuple[int, str, str | None] | None:
    import sqlite3

    if console_rows(server, "console_handoffs") == 0:
        return None
    with sqlite3.connect(server.data_dir / "console.sqlite3", timeout=30) as db:
        return db.execute("SELECT id, status, agent FROM console_handoffs WHERE sender = ? ORDER BY id DESC", (sender,)).fetchone()


def test_an_agent_cannot_hand_back_another_agents_conversation(server):
    suffix = uuid.uuid4().hex[:6]
    first, second, admin = f"agent-a-{suffix}", f"agent-b-{suffix}", f"admin-{suffix}"
    for name, role in ((first, "agent"), (second, "agent"), (admin, "admin")):
        add_user(server, name, role)
    citizen = f"citizen-{suffix}"
    assert rest(server, citizen, "I want to talk to a real person").json()[0]["metadata"]["kind"] == "handoff"
    wait_for(lambda: handoff_row(server, citizen) is not None)
    handoff_id = handoff_row(server, citizen)[0]

    agent_a, csrf_a = console_login(server, first)
    agent_b, csrf_b = console_login(server, second)
    assert agent_a.post(f"/console/handoffs/{handoff_id}/take", data={"csrf_token": csrf_a}).status_code in (302, 303)
    assert handoff_row(server, citizen)[1:] == ("active", first)

    refused = agent_b.post(f"/console/handoffs/{handoff_id}/release", data={"csrf_token": csrf_b})
    assert refused.status_code == 403 and first in refused.text
    assert handoff_row(server, citizen)[1:] == ("active", first)
    # Still with the officer: the bot answers nothing; REST gets what the officer sent ("an officer has joined"), once.
    assert [m["metadata"]["kind"] for m in rest(server, citizen, "hello").json()] == ["agent"]

    done = agent_a.post(f"/console/handoffs/{handoff_id}/release", data={"csrf_token": csrf_a})
    assert done.status_code in (302, 303) and handoff_row(server, citizen)[1] == "closed"

    # An admin may hand back anyone's conversation (a supervisor freeing a stuck one).
    citizen2 = f"citizen2-{suffix}"
    rest(server, citizen2, "I want to talk to a real person")
    wait_for(lambda: handoff_row(server, citizen2) is not None)
    second_id = handoff_row(server, citizen2)[0]
    assert agent_b.post(f"/console/handoffs/{second_id}/take", data={"csrf_token": csrf_b}).status_code in (302, 303)
    supervisor, csrf_admin = console_login(server, admin)
    assert supervisor.post(f"/console/handoffs/{second_id}/release", data={"csrf_token": csrf_admin}).status_code in (302, 303)
    assert handoff_row(server, citizen2)[1] == "closed"


def test_rest_metadata_is_filtered_and_display_text_cannot_disguise_a_message(server):
    sender = f"meta-{uuid.uuid4().hex[:8]}"
    reply = rest(server, sender, "How much is a dog licence?",
                 metadata={"language": "en", "display_text": "I am happy with the answer", "blob": "x" * 5000, "nested": {"a": [1, 2]}})
    assert reply.status_code == 200
    user = next(e for e in stored_events(server, sender) if e["event"] == "user")
    client_keys = {k: v for k, v in user["metadata"].items() if k not in ("assistant_id", "model_id")}  # Rasa's own
    assert client_keys == {"language": "en"}


async def test_display_text_only_names_a_button_press(server):
    """Officers and a reloaded page see what the bot processed, not a caption the client made up."""
    async with connect(server) as ws:
        session_id = (await hello(ws))["session_id"]
        await say(ws, "I want to talk to a real person", metadata={"language": "en", "display_text": "Thank you, bye"})
    async with connect(server) as ws:
        history = (await hello(ws, session_id))["history"]
    assert history[0] == {"type": "message", "from": "user", "text": "I want to talk to a real person"}
    wait_for(lambda: handoff_row(server, session_id) is not None)

    import sqlite3

    with sqlite3.connect(server.data_dir / "console.sqlite3", timeout=30) as db:
        texts = [row[0] for row in db.execute(
            "SELECT text FROM console_handoff_messages WHERE handoff_id = ? AND author = 'citizen'", (handoff_row(server, session_id)[0],))]
    assert texts == ["I want to talk to a real person"]

"""Issue 18: channels from bot.yml, on a real `hkbot serve` over localhost, per bot.

The server runs the repository's own bot.yml files, copied with their messenger channels switched
on (`enabled: true`) and pointed at a local stand-in for the provider APIs (`api_base_url`), with
the secrets in the environment variables the files name. Citizens are real clients: a
python-socketio AsyncClient, HTTP posts of Telegram's and Twilio's documented webhook payloads,
a REST-callback client; officers use the real console over HTTP.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import websockets
import yaml
from twilio.request_validator import RequestValidator

from tests.provider_stub import ProviderStub
from tests.widget_browser import browser, playwright  # noqa: F401  (fixtures)
from tests.bots.server.test_security import add_user, console_login, wait_for

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60
TELEGRAM_TOKENS = {"1823": "100001:token-of-the-1823-bot", "tsw": "100003:token-of-the-tsw-bot", "wsd": "100004:token-of-the-wsd-bot"}
TELEGRAM_SECRETS = {"1823": "secret-1823-abcdef", "tsw": "secret-tsw-abcdef", "wsd": "secret-wsd-abcdef"}
TWILIO = {"1823": ("AC" + "1" * 32, "auth-token-1823"), "dog_licence": ("AC" + "2" * 32, "auth-token-dog")}
OFFICER = "agnes"


def bot_yml(folder: Path, bot: str) -> dict[str, Any]:
    return yaml.safe_load((folder / bot / "bot.yml").read_text(encoding="utf-8"))


def channel_settings(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(next(iter(e.values())) for e in config["channels"] if isinstance(e, dict) and next(iter(e)) == name)


def copy_bots(target: Path) -> Path:
    shutil.copytree(REPO / "bots", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def switch_on(folder: Path, stub_url: str, callback_url: str | None = None) -> None:
    """What a department does once it has the accounts: `enabled: true`; here the provider API is the stub."""
    for bot in ("1823", "dog_licence", "tsw", "wsd"):
        path = folder / bot / "bot.yml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in config["channels"]:
            if isinstance(entry, dict) and next(iter(entry)) in ("telegram", "twilio"):
                settings = next(iter(entry.values()))
                settings.update(enabled=True, api_base_url=stub_url)
        if bot == "1823" and callback_url:
            config["channels"].append({"callback": {"url": callback_url}})
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def secrets_env() -> dict[str, str]:
    env = {}
    for bot, token in TELEGRAM_TOKENS.items():
        env[f"HKBOT_{bot.upper()}_TELEGRAM_TOKEN"] = token
        env[f"HKBOT_{bot.upper()}_TELEGRAM_SECRET"] = TELEGRAM_SECRETS[bot]
    for bot, (sid, token) in TWILIO.items():
        env[f"HKBOT_{bot.upper()}_TWILIO_ACCOUNT_SID"] = sid
        env[f"HKBOT_{bot.upper()}_TWILIO_AUTH_TOKEN"] = token
    return env


@pytest.fixture(scope="module")
def stub():
    usernames = {TELEGRAM_TOKENS[bot]: channel_settings(bot_yml(REPO / "bots", bot), "telegram")["verify"] for bot in TELEGRAM_TOKENS}
    provider = ProviderStub(usernames).start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def channel_server(server_factory, tmp_path_factory, stub):
    folder = copy_bots(tmp_path_factory.mktemp("channels") / "bots")
    switch_on(folder, stub.url, f"{stub.url}/callback")
    server = server_factory(env={"HKBOT_BOTS_DIR": str(folder), **secrets_env()})
    add_user(server, OFFICER, "agent")
    return server


# --------------------------------------------------------------------------- configuration


def test_the_repository_bots_configure_socketio_and_a_messenger_with_secrets_only_as_variable_names():
    from hkbot.bot_config import load_bots

    for name, bot in load_bots().items():
        assert {"rest", "websocket", "socketio"} <= set(bot.channels), name
        messengers = [e for e in bot.channel_entries if e.name in ("telegram", "twilio")]
        assert messengers, f"{name} has no messenger channel"
        for entry in messengers:
            assert not entry.enabled  # a fresh `make run` needs no secrets
            assert all(key.endswith("_env") for key in entry.settings if "token" in key or "sid" in key)


def test_a_secret_written_into_bot_yml_is_refused_naming_file_and_key(tmp_path):
    from hkbot.bot_config import BotConfigError, load_bot

    folder = copy_bots(tmp_path / "bots")
    path = folder / "tsw" / "bot.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    channel_settings(config, "telegram")["access_token"] = "100003:the-real-token"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(BotConfigError) as error:
        load_bot(folder / "tsw")
    message = str(error.value)
    assert str(path) in message and "access_token" in message and "access_token_env" in message
    assert "the-real-token" not in message


def test_the_old_list_form_and_dotted_class_paths_still_work(tmp_path):
    from hkbot.bot_config import load_bot
    from connectors.channel_setup import plan_channels

    folder = copy_bots(tmp_path / "bots")
    path = folder / "dog_licence" / "bot.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["channels"] = ["rest", "websocket", {"rasa.core.channels.callback.CallbackInput": {"url": "http://127.0.0.1:9/cb", "path": "cb"}}]
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plans = plan_channels(load_bot(folder / "dog_licence"))
    assert [(p.id, p.mount) for p in plans] == [("rest", "webhooks/rest"), ("websocket", "websocket"), ("cb", "webhooks/cb")]
    assert plans[2].credentials == {"url": "http://127.0.0.1:9/cb"}


def test_a_missing_secret_stops_hkbot_serve_naming_bot_channel_and_variable(tmp_path, stub):
    folder = copy_bots(tmp_path / "bots")
    switch_on(folder, stub.url)
    env = {k: v for k, v in secrets_env().items() if k != "HKBOT_TSW_TELEGRAM_TOKEN"}
    run = subprocess.run([str(REPO / ".venv" / "bin" / "hkbot"), "serve", "--port", "9"], cwd=REPO, capture_output=True, text=True,
                         timeout=120, env={**_base_env(tmp_path), "HKBOT_BOTS_DIR": str(folder), **env})
    assert run.returncode == 1, run.stderr[-2000:]
    assert "bot 'tsw', channel 'telegram'" in run.stderr and "HKBOT_TSW_TELEGRAM_TOKEN" in run.stderr
    assert "Traceback" not in run.stderr
    # A token that cannot be a Telegram token is refused by Rasa's channel class, as early and as clearly.
    env["HKBOT_TSW_TELEGRAM_TOKEN"] = "not-a-telegram-token"
    run = subprocess.run([str(REPO / ".venv" / "bin" / "hkbot"), "serve", "--port", "9"], cwd=REPO, capture_output=True, text=True,
                         timeout=120, env={**_base_env(tmp_path), "HKBOT_BOTS_DIR": str(folder), **env})
    assert run.returncode == 1 and "bot 'tsw', channel 'telegram': could not start" in run.stderr, run.stderr[-2000:]
    assert "not-a-telegram-token" not in run.stderr and "Traceback" not in run.stderr


def _base_env(tmp_path: Path) -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("HKBOT_")} | {
        "HKBOT_DATA_DIR": str(tmp_path / "data"), "HKBOT_MODELS_DIR": str(REPO / "var" / "models")}


# --------------------------------------------------------------------------- every channel, every bot

QUESTIONS = {"1823": "狗牌幾錢呀", "dog_licence": "How much is a dog licence?", "tsw": "點樣登記 TSW 帳戶", "wsd": "點樣交水費"}


def rest_turn(server, bot: str, sender: str, text: str) -> list[dict[str, Any]]:
    reply = httpx.post(f"{server.url}/bots/{bot}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=TIMEOUT)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.parametrize("bot", ["1823", "dog_licence", "tsw", "wsd"])
def test_health_lists_every_configured_channel(channel_server, bot):
    bots = httpx.get(f"{channel_server.url}/health", timeout=TIMEOUT).json()["bots"]
    listed = next(entry for entry in bots if entry["name"] == bot)["channels"]
    expected = {"1823": {"whatsapp", "telegram", "callback"}, "dog_licence": {"whatsapp"}, "tsw": {"telegram"}, "wsd": {"telegram"}}[bot]
    assert set(listed) == {"rest", "websocket", "socketio"} | expected


@pytest.mark.parametrize("bot", ["1823", "dog_licence", "tsw", "wsd"])
async def test_rest_and_our_websocket_answer_per_bot(channel_server, bot):
    answer = rest_turn(channel_server, bot, f"test-{uuid.uuid4().hex[:8]}", QUESTIONS[bot])
    assert answer and answer[0]["text"]
    async with websockets.connect(f"ws://127.0.0.1:{channel_server.port}/bots/{bot}/websocket") as ws:
        await ws.send(json.dumps({"type": "hello", "language": "yue"}))
        await ws.send(json.dumps({"type": "message", "text": QUESTIONS[bot]}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            if frame["type"] == "message":
                break
        assert frame["text"] == answer[0]["text"]


async def socketio_citizen(server, bot: str, headers: dict[str, str] | None = None,
                           asked: str | None = None) -> tuple[socketio.AsyncClient, asyncio.Queue, str]:
    """A connected socket.io client with a session (as rasa-webchat does: session_request, session_confirm).

    The client asks for `asked` (a stored id, or one of its own making); the server's answer is its session id."""
    client = socketio.AsyncClient(reconnection=False)
    received: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()

    @client.on("bot_uttered")
    async def on_bot(data: Any) -> None:
        await received.put(data)

    @client.on("session_confirm")
    async def on_session(data: Any) -> None:
        if not confirmed.done():
            confirmed.set_result(data)

    await client.connect(server.url, socketio_path=f"/bots/{bot}/socket.io", transports=["polling"], headers=headers or {},
                         wait_timeout=TIMEOUT)
    await client.emit("session_request", {"session_id": asked})
    session_id = await asyncio.wait_for(confirmed, TIMEOUT)
    return client, received, session_id


async def test_socketio_ids_are_the_servers_and_a_message_cannot_name_another_conversation(channel_server):
    """Rasa 3.6 takes a message's conversation from the `session_id` the client writes into it: anyone who
    knew an id could write into that citizen's conversation. Here ids are issued and signed by the server,
    and a message belongs to its own socket's conversation."""
    chosen = uuid.uuid4().hex
    victim, victim_inbox, victim_id = await socketio_citizen(channel_server, "tsw", asked=chosen)
    intruder, intruder_inbox, intruder_id = await socketio_citizen(channel_server, "tsw")
    try:
        assert victim_id != chosen and victim_id.startswith("ws-") and intruder_id != victim_id
        await intruder.emit("user_uttered", {"message": "點樣登記 TSW 帳戶", "session_id": victim_id})
        await next_bot_message(intruder_inbox)  # answered in the intruder's own conversation
        with pytest.raises(asyncio.TimeoutError):
            await next_bot_message(victim_inbox, seconds=3)
    finally:
        await victim.disconnect()
        await intruder.disconnect()
    # A returning page asks for the id it was given, and gets it back (the same conversation).
    returning, _, resumed = await socketio_citizen(channel_server, "tsw", asked=victim_id)
    await returning.disconnect()
    assert resumed == victim_id
    # An id signed for another bot is not resumed.
    other, _, elsewhere = await socketio_citizen(channel_server, "dog_licence", asked=victim_id)
    await other.disconnect()
    assert elsewhere != victim_id


async def next_bot_message(received: asyncio.Queue, seconds: float = TIMEOUT) -> dict[str, Any]:
    return await asyncio.wait_for(received.get(), seconds)


@pytest.mark.parametrize("bot", ["1823", "dog_licence", "tsw", "wsd"])
async def test_socketio_citizens_get_the_bots_answer_in_their_language(channel_server, bot):
    client, received, session_id = await socketio_citizen(channel_server, bot)
    try:
        await client.emit("user_uttered", {"message": QUESTIONS[bot], "session_id": session_id, "customData": {"language": "yue", "secret": "x"}})
        first = await next_bot_message(received)
        expected = rest_turn(channel_server, bot, f"test-{uuid.uuid4().hex[:8]}", QUESTIONS[bot])
        assert first["text"] == expected[0]["text"].split("\n\n")[0]  # Rasa's socket.io channel splits at blank lines
    finally:
        await client.disconnect()
    # The conversation is the channel's own: REST cannot write into it under the same id.
    refused = httpx.post(f"{channel_server.url}/bots/{bot}/webhooks/rest/webhook",
                         json={"sender": f"socketio:{session_id}", "message": "hello"}, timeout=TIMEOUT)
    assert refused.status_code == 400 and "socketio" in refused.json()["error"]


async def test_socketio_refuses_pages_of_other_origins(channel_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        await socketio_citizen(channel_server, "tsw", headers={"Origin": "http://evil.example"})
    client, _, _ = await socketio_citizen(channel_server, "tsw", headers={"Origin": "http://localhost:5005"})  # allowed_origins
    await client.disconnect()


# --------------------------------------------------------------------------- Telegram


def telegram_update(chat_id: int, text: str | None = None, data: str | None = None) -> dict[str, Any]:
    """An Update as Telegram documents it: a text message, or a pressed inline button (callback_query)."""
    person = {"id": chat_id, "is_bot": False, "first_name": "Siu Ming", "language_code": "zh-hk"}
    message = {"message_id": 1365, "date": 1733350000, "chat": {"id": chat_id, "type": "private", "first_name": "Siu Ming"},
               "from": person, "text": text or "…"}
    if data is None:
        return {"update_id": 900000 + chat_id % 1000, "message": message}
    return {"update_id": 900001 + chat_id % 1000, "callback_query": {"id": "4382bfdwdsb323b2d9", "from": person,
                                                                       "chat_instance": "-1", "data": data, "message": message}}


def post_telegram(server, bot: str, update: dict[str, Any], secret: str | None = "default") -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRETS[bot] if secret == "default" else secret} if secret else {}
    return httpx.post(f"{server.url}/bots/{bot}/webhooks/telegram/webhook", json=update, headers=headers, timeout=TIMEOUT)


def sent_to_chat(stub: ProviderStub, bot: str, chat_id: int):
    return lambda call: call["kind"] == "telegram" and call["token"] == TELEGRAM_TOKENS[bot] \
        and call["method"] == "sendMessage" and str(call["fields"].get("chat_id")) == str(chat_id)


@pytest.mark.parametrize("bot", ["1823", "tsw", "wsd"])
def test_telegram_registers_its_webhook_with_the_secret_at_start(channel_server, stub, bot):
    webhook = channel_settings(bot_yml(REPO / "bots", bot), "telegram")["webhook_url"]
    calls = stub.wait_for(lambda c: c["kind"] == "telegram" and c["token"] == TELEGRAM_TOKENS[bot] and c["method"] == "setWebhook")
    assert calls[0]["fields"] == {"url": webhook, "secret_token": TELEGRAM_SECRETS[bot]}


@pytest.mark.parametrize("bot", ["1823", "tsw", "wsd"])
def test_telegram_answers_in_chinese_with_an_inline_keyboard_and_buttons_work(channel_server, stub, bot):
    chat = int(uuid.uuid4().int % 10**9)
    assert post_telegram(channel_server, bot, telegram_update(chat, QUESTIONS[bot])).status_code == 200
    sent = stub.wait_for(sent_to_chat(stub, bot, chat))
    answer = rest_turn(channel_server, bot, f"test-{uuid.uuid4().hex[:8]}", QUESTIONS[bot])[0]
    assert sent[0]["fields"]["text"] == answer["text"].split("\n\n")[0] and any("\u4e00" <= ch <= "\u9fff" for ch in sent[0]["fields"]["text"])
    with_keyboard = stub.wait_for(lambda c: sent_to_chat(stub, bot, chat)(c) and "reply_markup" in c["fields"])
    rows = json.loads(with_keyboard[0]["fields"]["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == [b["title"] for b in answer["buttons"]]
    assert all(len(row) == 1 and len(row[0]["callback_data"].encode()) <= 64 for row in rows)  # one a row; Telegram's limit
    # Pressing the last button (whatever its data) goes to the bot as that button's payload.
    before = len(stub.matching(sent_to_chat(stub, bot, chat)))
    assert post_telegram(channel_server, bot, telegram_update(chat, data=rows[-1][0]["callback_data"])).status_code == 200
    after = stub.wait_for(sent_to_chat(stub, bot, chat), count=before + 1)
    pressed = rest_turn(channel_server, bot, f"test-{uuid.uuid4().hex[:8]}", answer["buttons"][-1]["payload"])
    assert after[before]["fields"]["text"] == pressed[0]["text"].split("\n\n")[0]


def test_telegram_updates_without_the_secret_token_are_refused(channel_server, stub):
    chat = int(uuid.uuid4().int % 10**9)
    for secret in (None, "wrong"):
        assert post_telegram(channel_server, "tsw", telegram_update(chat, "hello"), secret=secret).status_code == 403
    assert not stub.matching(sent_to_chat(stub, "tsw", chat))


def test_telegram_junk_is_refused_and_updates_without_a_message_are_acknowledged(channel_server, stub):
    chat = int(uuid.uuid4().int % 10**9)
    url = f"{channel_server.url}/bots/tsw/webhooks/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRETS["tsw"]}
    for junk in (b"", b"\xff\xfe<script>", b"[1, 2]", b"{" * 5000):
        answer = httpx.post(url, content=junk, headers=headers, timeout=TIMEOUT)
        assert answer.status_code == 400 and "Telegram update" in answer.json()["error"]
    blocked = {"update_id": 1, "my_chat_member": {"chat": {"id": chat, "type": "private"}, "from": {"id": chat, "is_bot": False, "first_name": "A"},
                                                  "date": 1, "old_chat_member": {}, "new_chat_member": {}}}
    assert httpx.post(url, json=blocked, headers=headers, timeout=TIMEOUT).status_code == 200
    edited = telegram_update(chat, "Hello")
    edited["edited_message"] = edited.pop("message")
    assert post_telegram(channel_server, "tsw", edited).status_code == 200
    assert stub.wait_for(sent_to_chat(stub, "tsw", chat))  # an edited message is answered as a message


# --------------------------------------------------------------------------- Twilio (WhatsApp)


def post_twilio(server, bot: str, form: dict[str, str], sign: bool = True) -> httpx.Response:
    """A Twilio webhook call as documented: form-encoded, signed with the auth token over the public URL."""
    url = channel_settings(bot_yml(REPO / "bots", bot), "twilio")["webhook_url"]
    signature = RequestValidator(TWILIO[bot][1]).compute_signature(url, form) if sign else "bad"
    return httpx.post(f"{server.url}/bots/{bot}/webhooks/whatsapp/webhook", data=form, headers={"X-Twilio-Signature": signature},
                      timeout=TIMEOUT)


def whatsapp_form(number: str, body: str) -> dict[str, str]:
    return {"SmsMessageSid": "SM" + uuid.uuid4().hex, "NumMedia": "0", "ProfileName": "Siu Ming", "SmsSid": "SM" + uuid.uuid4().hex,
            "WaId": number.lstrip("+"), "SmsStatus": "received", "Body": body, "To": "whatsapp:+85218230000", "NumSegments": "1",
            "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "1" * 32, "From": f"whatsapp:{number}", "ApiVersion": "2010-04-01"}


def sent_to_phone(bot: str, number: str):
    sid = TWILIO[bot][0]
    return lambda call: call["kind"] == "twilio" and call["path"] == f"/2010-04-01/Accounts/{sid}/Messages.json" \
        and call["fields"].get("To") == f"whatsapp:{number}"


@pytest.mark.parametrize("bot", ["1823", "dog_licence"])
def test_whatsapp_answers_with_numbered_choices_and_a_number_picks_one(channel_server, stub, bot):
    number = f"+8529{uuid.uuid4().int % 10**7:07d}"
    form = whatsapp_form(number, "狗牌幾錢呀")
    assert post_twilio(channel_server, bot, form).status_code == 204
    answer = rest_turn(channel_server, bot, f"test-{uuid.uuid4().hex[:8]}", "狗牌幾錢呀")[0]
    parts = answer["text"].split("\n\n")
    sent = stub.wait_for(sent_to_phone(bot, number), count=len(parts))
    own_number = channel_settings(bot_yml(REPO / "bots", bot), "twilio")["twilio_number"]
    assert all(call["fields"]["From"] == own_number for call in sent)
    assert sent[0]["fields"]["Body"].startswith(parts[0])
    last = sent[len(parts) - 1]["fields"]["Body"]
    for number_, button in enumerate(answer["buttons"], 1):
        assert f"{number_}. {button['title']}" in last
    assert "請回覆選項的號碼" in last and "/" not in last.split(parts[-1], 1)[-1]  # no payload shown
    # "1" is the first choice, as if pressed.
    before = len(stub.matching(sent_to_phone(bot, number)))
    assert post_twilio(channel_server, bot, whatsapp_form(number, " 1 ")).status_code == 204
    after = stub.wait_for(sent_to_phone(bot, number), count=before + 1)
    pressed = rest_turn(channel_server, bot, f"test-{uuid.uuid4().hex[:8]}", answer["buttons"][0]["payload"])
    assert after[before]["fields"]["Body"].split("\n")[0] == pressed[0]["text"].split("\n\n")[0].split("\n")[0]


def test_whatsapp_calls_without_a_valid_signature_are_refused(channel_server, stub):
    number = f"+8526{uuid.uuid4().int % 10**7:07d}"
    assert post_twilio(channel_server, "dog_licence", whatsapp_form(number, "hello"), sign=False).status_code == 403
    assert not stub.matching(sent_to_phone("dog_licence", number))


def test_a_whatsapp_photo_without_text_gets_a_polite_sentence(channel_server, stub):
    number = f"+8525{uuid.uuid4().int % 10**7:07d}"
    form = {**whatsapp_form(number, ""), "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/1"}
    assert post_twilio(channel_server, "dog_licence", form).status_code == 204
    sent = stub.wait_for(sent_to_phone("dog_licence", number))
    assert "文字" in sent[0]["fields"]["Body"] and "text" not in sent[0]["fields"]["Body"]


# --------------------------------------------------------------------------- handoff on every channel


def take_and_reply(server, sender: str, text: str) -> dict[str, Any]:
    import sqlite3

    def row():
        path = server.data_dir / "console.sqlite3"
        if not path.exists():
            return None
        with sqlite3.connect(path, timeout=30) as db:
            try:
                return db.execute("SELECT id FROM console_handoffs WHERE sender = ? ORDER BY id DESC", (sender,)).fetchone()
            except sqlite3.OperationalError:
                return None

    wait_for(lambda: row() is not None, 30)
    handoff_id = row()[0]
    http, csrf = console_login(server, OFFICER)
    assert http.post(f"/console/handoffs/{handoff_id}/take", data={"csrf_token": csrf}).status_code in (302, 303)
    reply = http.post(f"/console/handoffs/{handoff_id}/reply", data={"csrf_token": csrf, "text": text}, headers={"Accept": "application/json"})
    assert reply.status_code == 200, reply.text[:300]
    return reply.json()


async def test_an_officers_reply_reaches_a_socketio_citizen(channel_server):
    client, received, session_id = await socketio_citizen(channel_server, "dog_licence")
    try:
        await client.emit("user_uttered", {"message": "我想搵真人", "session_id": session_id})
        await next_bot_message(received)
        text = f"你好，我係漁護署職員 {uuid.uuid4().hex[:4]}"
        answer = await asyncio.to_thread(take_and_reply, channel_server, f"socketio:{session_id}", text)
        assert answer["delivered"] == 1
        seen = [await next_bot_message(received) for _ in range(2)]  # "an officer has joined", then the reply
        assert seen[-1]["text"] == text
    finally:
        await client.disconnect()


def test_an_officers_reply_reaches_telegram_whatsapp_and_rest_callback_citizens(channel_server, stub):
    chat = int(uuid.uuid4().int % 10**9)
    post_telegram(channel_server, "1823", telegram_update(chat, "我想搵真人"))
    text = f"你好，我係 1823 職員 {uuid.uuid4().hex[:4]}"
    assert take_and_reply(channel_server, f"telegram:{chat}", text)["delivered"] == 1
    assert stub.wait_for(lambda c: sent_to_chat(stub, "1823", chat)(c) and c["fields"]["text"] == text)

    number = f"+8528{uuid.uuid4().int % 10**7:07d}"
    post_twilio(channel_server, "1823", whatsapp_form(number, "I want to talk to a real person"))
    assert take_and_reply(channel_server, f"whatsapp:whatsapp:{number}", "Hello, this is 1823.")["delivered"] == 1
    assert stub.wait_for(lambda c: sent_to_phone("1823", number)(c) and c["fields"]["Body"] == "Hello, this is 1823.")

    sender = f"app-{uuid.uuid4().hex[:8]}"
    posted = httpx.post(f"{channel_server.url}/bots/1823/webhooks/callback/webhook", json={"sender": sender, "message": "我想搵真人"}, timeout=TIMEOUT)
    assert posted.status_code == 200
    stub.wait_for(lambda c: c["kind"] == "callback" and c["fields"].get("recipient_id") == sender)
    assert take_and_reply(channel_server, f"callback:{sender}", text)["delivered"] == 1
    assert stub.wait_for(lambda c: c["kind"] == "callback" and c["fields"].get("recipient_id") == sender and c["fields"].get("text") == text)


def test_an_officers_reply_reaches_a_plain_rest_citizen_with_their_next_message(channel_server):
    """A citizen review: over plain REST (no callback), a citizen waiting for an officer got empty replies and never
    saw the officer's. Nothing can be pushed to them: it comes with their next message, in order, once."""
    sender = f"app-{uuid.uuid4().hex[:8]}"
    asked = rest_turn(channel_server, "1823", sender, "我想搵真人")
    assert asked and asked[-1]["metadata"]["kind"] == "handoff"
    waiting = rest_turn(channel_server, "1823", sender, "有冇人呀？")
    assert [m["metadata"]["kind"] for m in waiting] == ["handoff_waiting"] and "職員" in waiting[0]["text"]
    text = f"你好，我係 1823 職員 {uuid.uuid4().hex[:4]}"
    assert take_and_reply(channel_server, sender, text)["delivered"] == 0  # REST cannot be pushed to
    seen = rest_turn(channel_server, "1823", sender, "多謝")
    assert [m["metadata"]["kind"] for m in seen] == ["agent", "agent"] and seen[-1]["text"] == text, seen
    assert [m["metadata"]["kind"] for m in rest_turn(channel_server, "1823", sender, "仲有冇嘢？")] == ["handoff_waiting"]  # not again


# --------------------------------------------------------------------------- rasa-webchat in Chromium

WEBCHAT = REPO / "node_modules" / "rasa-webchat" / "lib" / "index.js"
WEBCHAT_PAGE = """<!doctype html><html lang="zh-HK"><head><meta charset="utf-8"><title>A department's page</title></head>
<body><div id="webchat"></div><script src="/__test__/rasa-webchat.js"></script>
<script>WebChat.default({selector: "#webchat", socketUrl: location.origin, socketPath: "/bots/tsw/socket.io/",
  customData: {language: "zh-Hant"}, embedded: true, title: "TSW", params: {storage: "session"}}, null);</script></body></html>"""


def test_rasa_webchat_from_npm_talks_to_the_socketio_channel_in_chromium(channel_server, browser, artifacts_dir):
    """The widget most Rasa sites embed, unchanged from the npm registry (package.json), on a page of the server's origin."""
    from tests.widget_browser import ANSWER_TIMEOUT_MS, Page

    assert WEBCHAT.is_file(), f"{WEBCHAT} is missing: run `make browser-tools` (npm ci)"
    page = Page(browser)
    try:
        page.page.route("**/__test__/webchat.html", lambda route: route.fulfill(body=WEBCHAT_PAGE, content_type="text/html"))
        page.page.route("**/__test__/rasa-webchat.js", lambda route: route.fulfill(path=str(WEBCHAT), content_type="application/javascript"))
        page.page.goto(f"{channel_server.url}/__test__/webchat.html")
        box = page.page.locator(".rw-new-message")
        box.wait_for(timeout=ANSWER_TIMEOUT_MS)
        question = QUESTIONS["tsw"]
        box.fill(question)
        box.press("Enter")
        answer = rest_turn(channel_server, "tsw", f"test-{uuid.uuid4().hex[:8]}", question)[0]["text"].split("\n\n")[0]
        response = page.page.locator(".rw-response").filter(has_text=answer.split("\n")[0][:20])
        response.first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.page.screenshot(path=str(artifacts_dir / "rasa_webchat_tsw.png"))
        assert question in page.page.locator(".rw-client").first.inner_text()
        # The widget's empty opening message gets no "I can only read text" reply.
        assert "文字訊息" not in " ".join(page.page.locator(".rw-response").all_inner_texts())
    finally:
        page.close()

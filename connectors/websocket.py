"""The streaming transport of the web widget and the kiosk: a Rasa input channel over one websocket.

Frames are JSON text in both directions (see docs/widget.md):

  browser -> server: hello {session_id?, language?}, message {text, payload?, metadata?},
                     end_session {session_id?}, ping
  server -> browser: session {session_id, resumed, history}, typing {on}, message {from, text,
                     buttons, metadata}, session_ended {session_id}, error {code, text}, pong

Session ids are issued and signed by the server (connectors.session_ids): a `hello` with an id
this server did not issue starts a new conversation. `end_session` may name an id the browser
held earlier (a kiosk wiped while offline ends its last conversation once it is back online).
Every frame counts against the per-address and per-conversation buckets of bots.server.limits,
and one address may hold at most `HKBOT_ADDRESS_SOCKETS` sockets at once.

Every open socket is registered per (bot, sender) so that other parts of the server
(operators taking over a conversation) can push to a citizen with `send_to`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from typing import Any, Awaitable, Callable, Iterable, Mapping

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, SessionStarted, UserUttered
from sanic import Blueprint, Request, Sanic

from connectors import session_ids
from connectors.client_metadata import CLIENT_KEYS, client_metadata, shown_text
from connectors.profile import bot_profile, config_value
from actions.sentences import sentence
from bots.runtime.hooks import SESSION_END_HOOKS
from bots.server.limits import check_frame, check_message, client_address, shared_limits

logger = logging.getLogger(__name__)

#: Largest frame accepted from a browser, in bytes; larger ones get a polite error.
MAX_FRAME_BYTES = 16 * 1024
#: Message metadata a browser may set; anything else it sends is dropped (see connectors.client_metadata).
CLIENT_METADATA_KEYS = CLIENT_KEYS
#: Metadata keys of a bot message that are not Rasa's own message fields.
_MESSAGE_FIELDS = {
    "text", "buttons", "quick_replies", "elements", "attachment", "image", "custom",
    "timestamp", "template", "response", "metadata",
}
_BOT_PATH = re.compile(r"/bots/([^/]+)/")

def error_text(code: str, language: str | None) -> str:
    """The polite sentence for an error code, in the citizen's language (`actions.sentences`, key `socket_<code>`)."""
    return sentence(f"socket_{code}", language)


# --- the registry of open sockets -------------------------------------------------------

_sockets: dict[tuple[str, str], set[Any]] = {}
#: Open sockets per client address (the per-address cap).
_per_address: dict[str, int] = {}


def open_senders(bot: str) -> list[str]:
    """Sender ids of a bot that have at least one socket open now."""
    return sorted(sender for (name, sender), sockets in _sockets.items() if name == bot and sockets)


async def send_frame(ws: Any, frame: Mapping[str, Any]) -> bool:
    """Send one JSON frame to one socket; False when the socket is gone."""
    try:
        await ws.send(json.dumps(frame, ensure_ascii=False))
        return True
    except Exception:  # a closed socket: the browser left or reconnects
        return False


async def send_to(bot: str, sender: str, message: Mapping[str, Any]) -> int:
    """Push a frame to every open socket of a conversation; returns how many received it.

    `message` is a frame such as `{"type": "message", "from": "agent", "text": "..."}`;
    a dict without `type` is sent as a message.
    """
    frame = dict(message)
    frame.setdefault("type", "message")
    frame.setdefault("from", "bot")
    delivered = 0
    for ws in list(_sockets.get((bot, sender), ())):
        if await send_frame(ws, frame):
            delivered += 1
    return delivered


def _register(bot: str, sender: str, ws: Any) -> None:
    _sockets.setdefault((bot, sender), set()).add(ws)


def _unregister(bot: str, sender: str, ws: Any) -> None:
    sockets = _sockets.get((bot, sender))
    if sockets is not None:
        sockets.discard(ws)
        if not sockets:
            del _sockets[(bot, sender)]


# --- frames from Rasa messages and events ---------------------------------------------


def _buttons(buttons: Iterable[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    return [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", b.get("title", "")))}
        for b in buttons or ()
        if isinstance(b, Mapping)
    ]


def bot_frame(message: Mapping[str, Any]) -> dict[str, Any]:
    """A `message` frame from a Rasa bot message (text, buttons, flattened metadata)."""
    metadata = {k: v for k, v in message.items() if k not in _MESSAGE_FIELDS and v is not None}
    if isinstance(message.get("metadata"), Mapping):  # a domain response's own `metadata:` block
        metadata.update(message["metadata"])
    frame: dict[str, Any] = {
        "type": "message",
        "from": "bot",
        "text": str(message.get("text") or ""),
        "buttons": _buttons(message.get("buttons") or message.get("quick_replies")),
        "metadata": metadata,
    }
    if message.get("custom") is not None:
        frame["custom"] = message["custom"]
    return frame


def history_frames(events: Iterable[Any]) -> list[dict[str, Any]]:
    """The visible conversation (citizen and bot messages) of a tracker's applied events."""
    frames: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered) and event.text is not None:
            frames.append({"type": "message", "from": "user", "text": shown_text(event.text, event.metadata)})
        elif isinstance(event, BotUttered):
            frame = bot_frame(event.message())
            if frame["metadata"].get("kind") == "agent":  # an officer's words, stored by the console
                frame["from"] = "agent"
            if frame["text"] or frame["buttons"]:
                frames.append(frame)
    return frames


class WebSocketOutput(OutputChannel):
    """Streams each bot message to the conversation's open sockets as it is produced."""

    @classmethod
    def name(cls) -> str:
        return "websocket"

    def __init__(self, bot: str) -> None:
        self.bot = bot

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        frame = bot_frame(message)
        if frame["text"] or frame["buttons"] or "custom" in frame:
            await send_to(self.bot, recipient_id, frame)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


# --- the server side of a bot: agent and config ---------------------------------------


def _agent(app: Sanic, bot: str) -> Any:
    """The Rasa agent serving `bot` in this process (multi-bot server or plain `rasa run`)."""
    agents = getattr(app.ctx, "agents", None)
    if isinstance(agents, Mapping) and bot in agents:
        return agents[bot]
    runtimes = getattr(app.ctx, "runtimes", None)  # bots.runtime.agents.BotRuntime per bot
    if isinstance(runtimes, Mapping) and bot in runtimes:
        return getattr(runtimes[bot], "agent", None)
    return getattr(app.ctx, "agent", None)


def _bot_config(app: Sanic, bot: str) -> Any:
    """The bot's BotConfig as given to `register_web_routes` (None when unknown)."""
    bots = getattr(app.ctx, "hkbot_bots", None)
    if isinstance(bots, Mapping):
        return bots.get(bot)
    return None


def origin_allowed(origin: str | None, host: str, allowed: Iterable[str] | None) -> bool:
    """Same-origin pages and the bot's `allowed_origins` may open a socket; others may not."""
    if not origin:  # not a browser (tests, curl): the Origin header is browsers' protection
        return True
    origin = origin.rstrip("/").lower()
    if origin in {f"http://{host}".lower(), f"https://{host}".lower()}:
        return True
    return any(origin == str(o).rstrip("/").lower() or str(o) == "*" for o in allowed or ())


def _already_restarted(tracker: Any) -> bool:
    """True when nothing but session bookkeeping happened since the conversation's last restart."""
    for event in reversed(tracker.events):
        if isinstance(event, Restarted):
            return True
        if not isinstance(event, (SessionStarted, ActionExecuted)) or getattr(event, "action_name", None) not in (None, "action_session_start", "action_listen"):
            return False
    return False


async def end_conversation(app: Sanic, bot: str, sender: str) -> None:
    """Restart the conversation on the server: the tracker forgets it and any handoff ends.

    Ending an ended conversation again stores nothing (a client repeating `end_session`
    cannot grow the tracker).
    """
    agent = _agent(app, bot)
    if agent is not None and getattr(agent, "tracker_store", None) is not None:
        async with agent.lock_store.lock(sender):
            tracker = await agent.tracker_store.retrieve(sender)
            if tracker is not None and not _already_restarted(tracker):
                tracker.update(Restarted())  # resets every slot, `handoff_active` too
                await agent.tracker_store.save(tracker)
    # The app's own registry (bots.runtime.hooks), called with (bot, sender): e.g. the console's handoff
    # desk closes a waiting handoff. An app that registered none (plain `rasa run`) has nothing to call.
    hooks = getattr(app.ctx, SESSION_END_HOOKS, None)
    if hooks is not None:
        await hooks.fire(bot, sender)


async def conversation_history(app: Sanic, bot: str, sender: str) -> list[dict[str, Any]]:
    """The frames that let a reloaded page redraw the conversation so far."""
    agent = _agent(app, bot)
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return []
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return []
    return history_frames(tracker.applied_events())


# --- the input channel ----------------------------------------------------------------

_blueprint_numbers = itertools.count(1)


class WebSocketInput(InputChannel):
    """JSON over a websocket at `/bots/<bot>/websocket`, for the widget and the kiosk."""

    hkbot_channel = True
    hkbot_checks_limits = True  # every frame is checked in Conversation (check_frame / check_message)
    hkbot_mount = "websocket"

    @classmethod
    def name(cls) -> str:
        return "websocket"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(bot=(credentials or {}).get("bot"))

    def __init__(self, bot: str | None = None) -> None:
        self.bot = bot

    def url_prefix(self) -> str:
        return "websocket"

    def _bot_of(self, request: Request) -> str:
        if self.bot:
            return self.bot
        match = _BOT_PATH.search(request.path)
        return match.group(1) if match else "default"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Sanic needs a distinct blueprint name per mounted bot.
        name = f"hkbot_websocket_{self.bot or next(_blueprint_numbers)}"
        bp = Blueprint(name)
        channel = self

        @bp.websocket("")  # the server mounts the blueprint at /bots/<bot>/websocket
        async def websocket(request: Request, ws: Any) -> None:
            bot = channel._bot_of(request)
            await Conversation(request.app, bot, ws, on_new_message).run(request)

        return bp


async def next_message(ws: Any) -> str | bytes | None:
    """The next whole message of a Sanic websocket, read frame by frame; None once it has closed.

    Not `ws.recv()`: Sanic 21.12 (Rasa 3.6's pin) passes a bare coroutine to `asyncio.wait` there,
    which Python 3.11 refuses with a TypeError, so every chat socket closed after its first read.
    """
    parts = [part async for part in ws.recv_streaming()]
    if not parts:
        return None
    return "".join(parts) if isinstance(parts[0], str) else b"".join(parts)


class Conversation:
    """One open socket: reads frames, hands messages to the agent, answers politely."""

    def __init__(self, app: Sanic, bot: str, ws: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        self.app = app
        self.bot = bot
        self.ws = ws
        self.on_new_message = on_new_message
        self.sender: str | None = None
        self.language: str | None = None
        self.address: str | None = None

    async def error(self, code: str) -> None:
        await send_frame(self.ws, {"type": "error", "code": code, "text": error_text(code, self.language)})

    async def run(self, request: Request) -> None:
        self._set_language(request.args.get("lang"))  # before hello, for a refusal in the right language
        self.address = client_address(request)
        config = _bot_config(self.app, self.bot)
        origin = request.headers.get("origin")
        if not origin_allowed(origin, request.host, config_value(config, "allowed_origins", ())):
            logger.warning("Refused a %s chat socket from origin %s (not in allowed_origins)", self.bot, origin)
            await self.error("origin")
            await self.ws.close(code=1008, reason="origin not allowed")
            return
        cap = shared_limits().limits.address_sockets
        if cap and _per_address.get(self.address, 0) >= cap:
            logger.warning("Refused a %s chat socket from %s: %d sockets open from that address", self.bot, self.address, cap)
            await self.error("unavailable")
            await self.ws.close(code=1013, reason="too many connections from this address")  # the widget retries later
            return
        _per_address[self.address] = _per_address.get(self.address, 0) + 1
        try:
            while True:
                raw = await next_message(self.ws)
                if raw is None:
                    break
                await self.handle_raw(raw)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the browser went away mid-frame
            logger.debug("Chat socket of %s closed: %s", self.bot, error)
        finally:
            if self.sender:
                _unregister(self.bot, self.sender, self.ws)
            left = _per_address.get(self.address, 1) - 1
            if left > 0:
                _per_address[self.address] = left
            else:
                _per_address.pop(self.address, None)

    async def handle_raw(self, raw: Any) -> None:
        size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
        if size > MAX_FRAME_BYTES:
            await self.error("too_long")
            return
        try:
            frame = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # deeply nested JSON included
            await self.error("bad_frame")
            return
        if not isinstance(frame, dict):
            await self.error("bad_frame")
            return
        kind = frame.get("type")
        if kind == "message":  # limited in `message`, with the message's own checks
            await self.message(frame)
            return
        if kind not in ("hello", "end_session", "ping"):
            await self.error("bad_frame")
            return
        refusal = check_frame(self.bot, self.sender, self.address)
        if refusal is not None:
            await send_frame(self.ws, {"type": "error", "code": refusal.code, "text": refusal.text(self.language)})
            if kind == "hello" and not self.sender:  # no session to go on with: the widget reconnects after a pause
                await self.ws.close(code=1013, reason="rate limited")
            return
        if kind == "hello":
            await self.hello(frame)
        elif kind == "end_session":
            await self.end_session(frame)
        else:
            await send_frame(self.ws, {"type": "pong"})

    def _set_language(self, value: Any) -> None:
        if value in ("en", "yue", "zh-Hant", "zh-Hans"):
            self.language = value

    async def _bind(self, sender: str) -> None:
        if self.sender:
            _unregister(self.bot, self.sender, self.ws)
        self.sender = sender
        _register(self.bot, sender, self.ws)

    async def hello(self, frame: Mapping[str, Any]) -> None:
        self._set_language(frame.get("language"))
        requested = frame.get("session_id")
        resumed = session_ids.verify(self.bot, requested)  # only ids this server issued
        if requested and not resumed:
            logger.info("A %s chat socket asked for a conversation id this server did not issue; a new one starts", self.bot)
        sender = str(requested) if resumed else session_ids.issue(self.bot)
        await self._bind(sender)
        history: list[dict[str, Any]] = []
        if resumed:
            try:
                history = await conversation_history(self.app, self.bot, sender)
            except Exception:
                logger.exception("Could not read the history of a %s conversation", self.bot)
        await send_frame(
            self.ws,
            {
                "type": "session",
                "session_id": self.sender,
                "resumed": bool(history),
                "history": history,
                "profile": bot_profile(self.bot, _bot_config(self.app, self.bot)),
            },
        )

    async def message(self, frame: Mapping[str, Any]) -> None:
        if not self.sender:
            await self.hello({})
        text = frame.get("payload") or frame.get("text")
        if not isinstance(text, str) or not text.strip():
            await self.error("bad_frame")
            return
        refusal = check_message(self.bot, self.sender, self.address, text)
        if refusal is not None:  # the same message length and per-sender and per-address limits as the REST channel
            await send_frame(self.ws, {"type": "error", "code": refusal.code, "text": refusal.text(self.language)})
            return
        metadata = client_metadata(frame.get("metadata"), text, frame.get("text") if frame.get("payload") else None)
        self._set_language(metadata.get("language"))
        metadata["channel"] = "websocket"
        await send_frame(self.ws, {"type": "typing", "on": True})
        try:
            await self.on_new_message(
                UserMessage(
                    text.strip(),
                    WebSocketOutput(self.bot),
                    self.sender,
                    input_channel=WebSocketInput.name(),
                    metadata=metadata,
                )
            )
        except Exception:
            logger.exception("The %s bot failed to handle a message", self.bot)
            await self.error("unavailable")
        finally:
            await send_frame(self.ws, {"type": "typing", "on": False})

    async def end_session(self, frame: Mapping[str, Any] | None = None) -> None:
        """End this socket's conversation, or an earlier one of this browser named by its (signed) id."""
        requested = (frame or {}).get("session_id")
        target = self.sender
        if requested and requested != self.sender:
            if not session_ids.verify(self.bot, requested):
                await self.error("bad_frame")
                return
            target = requested
        if target:
            await end_conversation(self.app, self.bot, target)
            if target == self.sender:
                _unregister(self.bot, target, self.ws)
                self.sender = None
        await send_frame(self.ws, {"type": "session_ended", "session_id": target})

"""Rasa's socket.io channel (what rasa-webchat and similar widgets speak), once per bot.

Rasa's `SocketIOInput` attaches its socket.io server at one absolute path (`/socket.io`) and
accepts every origin. Here each bot gets its own server at `/bots/<bot>/socket.io/` (a widget's
`socketPath`; the server URL is the site's origin), only pages of the same origin or the bot's
`allowed_origins` may connect (as with our websocket), and the console can tell whether a
citizen is still connected before pushing an officer's words (`reachable`).

Conversation ids are the server's, as with the widget's websocket (connectors.session_ids):
`session_request` hands out a signed id (or accepts one this server signed for this bot's
socket.io), keeps it in the socket's own session, and a message belongs to the id of its socket,
never to a `session_id` the client writes into the message (Rasa 3.6 trusts that one, so anyone
knowing an id could write into that conversation). A new conversation costs its address the same
budget as a new REST or websocket one (bots.server.limits).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from connectors import session_ids
from connectors.profile import config_value
from connectors.websocket import origin_allowed
from bots.server.limits import shared_limits

logger = logging.getLogger("hkbot.channels")
#: The label socket.io ids are signed with: a widget's websocket id does not open a socket.io conversation.
SIGNING_LABEL = "{bot}/socketio"


class BotSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output that can say whether anybody is in a conversation's room."""

    def __init__(self, sio: Any, bot_message_evt: str, namespace: Optional[str]) -> None:
        super().__init__(sio, bot_message_evt)
        self.namespace = namespace or "/"

    def reachable(self, room: str) -> bool:
        """True while a socket of this conversation is connected (its room has a member)."""
        rooms = getattr(self.sio.manager, "rooms", {}).get(self.namespace, {})
        return bool(rooms.get(room))


class BotSocketIOInput(SocketIOInput):
    """`socketio` in bot.yml: Rasa's channel with a per-bot path, origin check and push check."""

    hkbot_channel = True

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "BotSocketIOInput":
        credentials = dict(credentials or {})
        bot = str(credentials.pop("bot", "default"))
        own_path = f"/bots/{bot}/socket.io"
        path = str(credentials.get("socketio_path") or own_path).rstrip("/")
        if not path.startswith(f"/bots/{bot}/"):
            raise ValueError(f"socketio_path {path!r} must be under /bots/{bot}/ (each bot has its own), e.g. {own_path}")
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            bool(credentials.get("session_persistence", False)),
            path,
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.bot = bot
        return channel

    bot: str = "default"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        bot = self.bot

        def allowed(origin: Optional[str], environ: dict[str, Any]) -> bool:
            request = environ.get("sanic.request")
            config = getattr(getattr(getattr(request, "app", None), "ctx", None), "hkbot_bots", {}).get(bot) if request else None
            return origin_allowed(origin, environ.get("HTTP_HOST", ""), config_value(config, "allowed_origins", ()))

        self.sio.eio.cors_allowed_origins = allowed
        self.sio.on("session_request", namespace=self.namespace)(self._session_request)  # replaces Rasa's
        self.on_new_message = on_new_message
        self.sio.on(self.user_message_evt, namespace=self.namespace)(self._user_uttered)  # replaces Rasa's
        return blueprint

    def _address(self, sid: str) -> str:
        """The client's address, as the other channels see it (bots.server.limits.client_address)."""
        try:
            environ = self.sio.get_environ(sid, namespace=self.namespace) or {}
        except Exception:
            environ = {}
        request = environ.get("sanic.request")
        return (getattr(request, "remote_addr", "") or getattr(request, "ip", "") or environ.get("REMOTE_ADDR") or "unknown")

    async def _session_request(self, sid: str, data: Optional[dict[str, Any]]) -> None:
        """Rasa's `session_request` with server-issued ids, the new-conversation budget, and the room
        joined (Rasa 3.6 calls python-socketio 5's `enter_room` without awaiting it)."""
        data = data if isinstance(data, dict) else {}
        label = SIGNING_LABEL.format(bot=self.bot)
        asked = data.get("session_id")
        resumed = session_ids.verify(label, asked)
        session_id = str(asked) if resumed else session_ids.issue(label)
        refusal = shared_limits().check_frame(self.bot, f"socketio:{session_id}", self._address(sid))
        if refusal is not None:
            logger.warning("bot=%s channel=socketio refused a session (%s)", self.bot, refusal.code)
            await self.sio.emit("session_refused", {"code": refusal.code}, room=sid, namespace=self.namespace)
            return
        await self.sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
        if self.session_persistence:
            await self.sio.enter_room(sid, session_id, namespace=self.namespace)
        await self.sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

    async def _user_uttered(self, sid: str, data: Any) -> None:
        """A citizen's message, in the conversation of ITS socket (the id `session_request` gave it)."""
        data = data if isinstance(data, dict) else {}
        try:
            session = await self.sio.get_session(sid, namespace=self.namespace)
        except KeyError:
            session = {}
        session_id = session.get("session_id")
        if not session_id:
            if self.session_persistence:  # as in Rasa: a message before session_request is dropped
                logger.warning("bot=%s channel=socketio dropped a message sent before session_request", self.bot)
                return
            session_id = sid
        metadata = data.get(self.metadata_key, {})
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = {}
        text = data.get("message", "")
        output = BotSocketIOOutput(self.sio, self.bot_message_evt, self.namespace)
        await self.on_new_message(UserMessage(text if isinstance(text, str) else "", output, session_id,
                                              input_channel=self.name(), metadata=metadata if isinstance(metadata, dict) else {}))

    def get_output_channel(self) -> Optional[BotSocketIOOutput]:
        if self.sio is None:
            return None
        return BotSocketIOOutput(self.sio, self.bot_message_evt, self.namespace)

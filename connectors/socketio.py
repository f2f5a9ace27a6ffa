"""Rasa's socket.io channel (what rasa-webchat and similar widgets speak), once per bot.

Rasa's `SocketIOInput` attaches its socket.io server at one absolute path (`/socket.io`) and
accepts every origin. Here each bot gets its own server at `/bots/<bot>/socket.io/` (a widget's
`socketPath`; the server URL is the site's origin), only pages of the same origin or the bot's
`allowed_origins` may connect (as with our websocket), and the console can tell whether a
citizen is still connected before pushing an officer's words (`reachable`).
"""
from __future__ import annotations

import uuid
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from connectors.profile import config_value
from connectors.websocket import origin_allowed


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

        self.sio.eio.cors_allowed_origins = allowed  # type: ignore[union-attr]
        self.sio.on("session_request", namespace=self.namespace)(self._session_request)  # replaces Rasa's
        return blueprint

    async def _session_request(self, sid: str, data: Optional[dict[str, Any]]) -> None:
        """Rasa's `session_request`, with the room joined: Rasa 3.6 calls python-socketio 5's
        `enter_room` without awaiting it, so with `session_persistence` no answer reached the citizen."""
        data = data if isinstance(data, dict) else {}
        session_id = data.get("session_id")
        if not isinstance(session_id, str) or not session_id.strip() or len(session_id) > 128:
            session_id = uuid.uuid4().hex
        if self.session_persistence:
            await self.sio.enter_room(sid, session_id, namespace=self.namespace)  # type: ignore[union-attr]
        await self.sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)  # type: ignore[union-attr]

    def get_output_channel(self) -> Optional[BotSocketIOOutput]:
        if self.sio is None:
            return None
        return BotSocketIOOutput(self.sio, self.bot_message_evt, self.namespace)

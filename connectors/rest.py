"""Rasa's REST channel for one bot, at `POST /bots/<bot>/webhooks/rest/webhook`.

The wire format is Rasa's: the request is `{"sender": str, "message": str,
"metadata"?: object}`, the answer a JSON list of `{"recipient_id", "text",
"buttons"?, "image"?, "custom"?, ...}`. Two additions that a Rasa client ignores:
each bot message also carries our metadata (label, kind, language, topic, source)
under `metadata`, and a message is never split on blank lines (Rasa splits text
at "\\n\\n" into several list items; an answer and its source link belong together,
so we send one item per bot message). Bad requests get a 400 with a JSON `error`.
"""
from __future__ import annotations

import json
import logging
import re
import time
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import session_ids
from connectors.client_metadata import client_metadata
from connectors.gate import MAX_SENDER_CHARS, reserved_sender

logger = logging.getLogger("hkbot.rest")

#: The largest request body accepted, in bytes.
MAX_BODY_BYTES = 64 * 1024
#: Keys of a bot message that are part of Rasa's wire format; everything else is our metadata.
WIRE_FIELDS = ("text", "buttons", "image", "attachment", "custom", "elements")
DROPPED_FIELDS = {"timestamp", "template", "response", "quick_replies", "metadata"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRequest(ValueError):
    """A request this channel refuses, with a sentence saying what to send instead."""


def wire_message(recipient_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """One bot message (BotUttered.message()) in Rasa's REST wire format, our metadata under `metadata`."""
    out: dict[str, Any] = {"recipient_id": recipient_id}
    buttons = message.get("buttons") or message.get("quick_replies")
    for key in WIRE_FIELDS:
        value = buttons if key == "buttons" else message.get(key)
        if value not in (None, "", [], {}):
            out[key] = value
    if out.get("attachment") == out.get("image"):
        out.pop("attachment", None)
    metadata = {k: v for k, v in message.items() if k not in WIRE_FIELDS and k not in DROPPED_FIELDS and v is not None}
    if isinstance(message.get("metadata"), dict):  # a domain response's own `metadata:` block
        metadata.update(message["metadata"])
    if metadata:
        out["metadata"] = metadata
    return out


class MessageCollector(CollectingOutputChannel):
    """Collects a turn's bot messages, one list item per message, with their metadata."""

    #: Nothing reaches a REST citizen between turns: an officer's messages come with their next turn (bots.runtime.processor).
    hkbot_pull_only = True

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self._persist_message(wire_message(recipient_id, message))


def parse_request(request: Request, bot: Optional[str] = None) -> tuple[str, str, Optional[dict[str, Any]]]:
    """(sender, text, metadata) of a REST request, or BadRequest saying what is wrong."""
    body = request.body or b""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"request too large: at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise BadRequest('empty request: send JSON {"sender": "...", "message": "..."}')
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        raise BadRequest('request body is not JSON text: send {"sender": "...", "message": "..."}') from None
    if not isinstance(data, dict):
        raise BadRequest('request body must be a JSON object: {"sender": "...", "message": "..."}')
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("'sender' is missing: give a non-empty string that identifies the conversation")
    if len(sender) > MAX_SENDER_CHARS or _LONE_SURROGATE.search(sender) or not sender.isprintable():
        raise BadRequest(f"'sender' must be printable text of at most {MAX_SENDER_CHARS} characters")
    if session_ids.reserved(sender):  # the web widget's conversations: REST may not read or write them
        raise BadRequest(f"'sender' must not start with {session_ids.PREFIX!r}: that prefix is reserved for the web widget's conversations")
    if reserved_sender(bot, sender):  # another channel's conversations (`telegram:<chat id>`, ...)
        raise BadRequest(f"'sender' must not start with {sender.split(':', 1)[0]!r}: that prefix is reserved for that channel's conversations")
    if not isinstance(text, str):
        raise BadRequest("'message' is missing: give the citizen's text as a string")
    if not text.strip():
        raise BadRequest("'message' is empty")
    # Its length was checked before the channel: bots.server.limits's one limit (HTTP 413).
    if _LONE_SURROGATE.search(text):
        raise BadRequest("'message' is not valid Unicode text")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object when given")
    if metadata is not None:  # only `language` and `surface` (and a button's `display_text`) reach the tracker
        metadata = client_metadata(metadata, text, metadata.get("display_text"))
    return sender, text, metadata


class RestChannel(RestInput):
    """Rasa's REST input channel, mounted once per bot, with request validation and one item per message."""

    hkbot_channel = True
    hkbot_checks_limits = True  # bots.server.limits's middleware answers HTTP 429/413 before the channel
    hkbot_mount = "webhooks/rest"

    def __init__(self, bot: Optional[str] = None) -> None:
        self.bot = bot

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "RestChannel":
        return cls(bot=(credentials or {}).get("bot"))

    def url_prefix(self) -> str:
        return "webhooks/rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """GET / (health) and POST /webhook, under a blueprint name unique to this bot."""
        safe = re.sub(r"[^A-Za-z0-9_]", "_", self.bot or "default")
        blueprint = Blueprint(f"hkbot_rest_{safe}")
        channel = self

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            try:
                sender, text, metadata = parse_request(request, channel.bot)
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)
            input_channel = channel.name()
            if request.args.get("stream", "false").lower() == "true":  # Rasa's streaming mode, kept
                return response.stream(
                    channel.stream_response(on_new_message, text, sender, input_channel, metadata),
                    content_type="text/event-stream",
                )
            collector = MessageCollector()
            started = time.monotonic()
            await on_new_message(UserMessage(text, collector, sender, input_channel=input_channel, metadata=metadata))
            logger.debug("bot=%s rest turn in %.0f ms", channel.bot, (time.monotonic() - started) * 1000)
            return response.json(collector.messages)

        return blueprint

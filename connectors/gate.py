"""The one path every channel's messages take to a bot, and every bot message takes back to a channel.

`ChannelGate.on_new_message` is what the server hands each channel's `blueprint()`, so any Rasa
input channel gets, without code of its own:
- its own conversations: sender ids are kept as `<channel>:<id>` (a Telegram chat id, a phone
  number, a socket.io session id can never read or write another channel's conversation); our
  REST and websocket channels keep theirs (they have their own rules, see connectors.rest/session_ids);
- the message limits of bots.server.limits (size, per-sender bucket), refused in the citizen's language;
- only the metadata a client may set (connectors.client_metadata); the channel is the message's
  `input_channel` (its name in the bot: `telegram`, `whatsapp`, ...), stored with it;
- a message without text (a photo on WhatsApp) answered with a sentence where the channel says
  so (`hkbot_empty_reply`), else dropped (rasa-webchat sends an empty message when it opens);
- button choices by number on channels without buttons (SMS, WhatsApp) and short button data
  where a channel limits it (Telegram's 64 bytes), resolved from the conversation's last buttons;
- then `bots.runtime.agents.handle_message`: redaction before storing, console capture, handoff policy.

`GatedOutput` wraps the channel's output: it gives the channel its own recipient id back and
renders buttons the way the channel can show them. `deliver()` sends an officer's message to a
citizen through the channel their conversation last came from (console handoffs).
"""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.constants import DEFAULT_SENDER_ID

from connectors.client_metadata import client_metadata
from actions.sentences import sentence
from bots.server.limits import shared_limits
from connectors.websocket import send_to
from nlu.language_id import detect_language

logger = logging.getLogger("hkbot.channels")

#: Longest sender id a channel may give (REST's rule for every channel: a conversation key, not a payload).
MAX_SENDER_CHARS = 128
#: Channels whose sender ids are their own (not prefixed): REST keeps Rasa's wire format, websocket signs its ids.
OWN_SENDER_IDS = ("rest", "websocket")
#: A pressed button whose payload was too long for the channel arrives as `#<code>`: a hash of the payload,
#: so a button under an older message still means its own choice (Telegram keeps old keyboards in the chat).
SHORT_CHOICE = re.compile(r"^#([0-9a-f]{12})$")
#: How many of the bot's last messages a short code is looked up in.
SHORT_CHOICE_MESSAGES = 20
NUMBER_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
#: Prefixes of channel ids mounted in this process, per bot (REST refuses senders that start with them).
_namespaces: dict[str, set[str]] = {}

def valid_sender(sender: Any) -> bool:
    """A channel's sender id is usable as (part of) a conversation key: printable text, not too long (as REST's)."""
    return (isinstance(sender, str) and bool(sender.strip()) and len(sender) <= MAX_SENDER_CHARS and sender.isprintable()
            and sender != DEFAULT_SENDER_ID)  # Rasa's id for "no sender given": every such client would share one conversation


def guess_language(text: Optional[str], hint: Optional[str] = None) -> Optional[str]:
    """The citizen's language for a reply the bot itself did not write (refusals): hint, else detected."""
    if hint in ("en", "yue", "zh-Hant", "zh-Hans"):
        return hint
    if text and text.strip():
        tag = detect_language(text[:200])
        return None if tag == "und" else tag
    return None


def reserved_sender(bot: Optional[str], sender: str) -> bool:
    """True when a sender id belongs to another channel's namespace (`telegram:...` with telegram mounted)."""
    prefix = sender.split(":", 1)[0] if ":" in sender else None
    if prefix is None:
        return False
    names = _namespaces.get(bot or "", set()) if bot else set().union(*_namespaces.values()) if _namespaces else set()
    return prefix in names


def numbered_text(text: str, buttons: list[dict[str, Any]], language: Optional[str]) -> str:
    """The message with its buttons as numbered lines and how to answer, for channels without buttons."""
    lines = [text.rstrip()] if text and text.strip() else []
    lines += [f"{number}. {button.get('title', '')}" for number, button in enumerate(buttons, 1)]
    lines.append(sentence("choice_hint", language))
    return "\n".join(lines)  # one "\n": Rasa's channels split messages at blank lines


def short_code(payload: Any) -> str:
    """The short button data standing for a payload too long for the channel: `#` + 12 hex of its SHA-256."""
    return "#" + hashlib.sha256(str(payload).encode("utf-8")).hexdigest()[:12]


def buttons_of_recent_messages(tracker: Any, messages: int = SHORT_CHOICE_MESSAGES) -> list[dict[str, Any]]:
    """The buttons of the bot's last `messages` messages in a conversation, newest first."""
    from rasa.shared.core.events import BotUttered

    found: list[dict[str, Any]] = []
    for event in reversed(list(getattr(tracker, "events", []) or [])):
        if isinstance(event, BotUttered):
            messages -= 1
            data = event.data or {}
            found += [b for b in (data.get("buttons") or data.get("quick_replies") or []) if isinstance(b, dict)]
            if messages <= 0:
                break
    return found


def recent_buttons(tracker: Any) -> list[dict[str, Any]]:
    """The buttons of the bot's last message in a conversation ([] when it had none or the citizen spoke since)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    for event in reversed(list(getattr(tracker, "events", []) or [])):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered):
            buttons = (event.data or {}).get("buttons") or (event.data or {}).get("quick_replies") or []
            if buttons:
                return [b for b in buttons if isinstance(b, dict)]
    return []


class GatedOutput(OutputChannel):
    """A channel's output with its own recipient ids, and buttons shown the way the channel can."""

    def __init__(self, inner: OutputChannel, prefix: str = "", numbered: bool = False, payload_bytes: int = 0) -> None:
        self.inner = inner
        self.prefix = prefix
        self.numbered = numbered
        self.payload_bytes = payload_bytes

    def name(self) -> str:  # the channel's own name (responses per channel)
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:  # e.g. a collecting channel's `messages`
        return getattr(self.inner, attribute)

    def recipient(self, recipient_id: str) -> str:
        recipient_id = str(recipient_id)
        return recipient_id[len(self.prefix):] if self.prefix and recipient_id.startswith(self.prefix) else recipient_id

    def shaped(self, message: dict[str, Any]) -> dict[str, Any]:
        """The message as this channel shows it: numbered choices, or short button data."""
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if not buttons:
            return message
        if self.numbered:
            shaped = {k: v for k, v in message.items() if k not in ("buttons", "quick_replies")}
            shaped["text"] = numbered_text(str(message.get("text") or ""), buttons, message.get("language"))
            return shaped
        if self.payload_bytes:
            short = [
                {**b, "payload": b.get("payload") if len(str(b.get("payload", "")).encode("utf-8")) <= self.payload_bytes else short_code(b.get("payload"))}
                for b in buttons
            ]
            return {**{k: v for k, v in message.items() if k != "quick_replies"}, "buttons": short}
        return message

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.inner.send_response(self.recipient(recipient_id), self.shaped(dict(message)))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


class ChannelGate:
    """Wraps the bot's message handler for one channel of one bot (see the module docstring)."""

    def __init__(
        self,
        bot: str,
        channel_id: str,
        channel: InputChannel,
        handler: Callable[[UserMessage], Awaitable[Any]],
        tracker_store: Any = None,
    ) -> None:
        self.bot = bot
        self.channel_id = channel_id
        self.channel = channel
        self.handler = handler
        self.tracker_store = tracker_store
        self.own_ids = channel_id in OWN_SENDER_IDS and getattr(channel, "hkbot_channel", False)
        self.prefix = "" if self.own_ids else f"{channel_id}:"
        self.numbered = bool(getattr(channel, "hkbot_numbered_choices", False))
        self.payload_bytes = int(getattr(channel, "hkbot_payload_bytes", 0) or 0)
        self.checks_limits = bool(getattr(channel, "hkbot_checks_limits", False))
        self.empty_reply = bool(getattr(channel, "hkbot_empty_reply", False))
        if not self.own_ids:
            _namespaces.setdefault(bot, set()).add(channel_id)

    def output(self, inner: OutputChannel) -> GatedOutput:
        return inner if isinstance(inner, GatedOutput) else GatedOutput(inner, self.prefix, self.numbered, self.payload_bytes)

    def sender_of(self, sender_id: Any) -> str:
        return f"{self.prefix}{sender_id}"

    async def choice(self, sender: str, text: str) -> Optional[dict[str, Any]]:
        """The button a short code (button data too long for the channel) or, on numbered channels, a `2` stands for."""
        short = SHORT_CHOICE.match(text)
        number = NUMBER_CHOICE.match(text) if self.numbered and short is None else None
        if (short is None and number is None) or self.tracker_store is None:
            return None
        try:
            tracker = await self.tracker_store.retrieve(sender)
        except Exception:
            logger.exception("bot=%s channel=%s: could not read the last buttons", self.bot, self.channel_id)
            return None
        if short is not None:  # whichever recent message it was pressed under
            return next((b for b in buttons_of_recent_messages(tracker) if short_code(b.get("payload")) == text), None)
        buttons = recent_buttons(tracker)
        chosen = int(number.group(1)) if number else 0
        return buttons[chosen - 1] if 1 <= chosen <= len(buttons) else None

    async def on_new_message(self, message: UserMessage) -> None:
        if not self.own_ids and not valid_sender(message.sender_id):
            # e.g. Rasa's callback channel takes any JSON value as the sender: a dict, 60 KB of text, nothing
            logger.warning("bot=%s channel=%s dropped a message whose sender id is not printable text of at most %d characters",
                           self.bot, self.channel_id, MAX_SENDER_CHARS)
            return
        output = self.output(message.output_channel)
        sender = self.sender_of(message.sender_id) if not self.own_ids else str(message.sender_id)
        text = message.text if isinstance(message.text, str) else ""
        given = message.metadata if isinstance(message.metadata, dict) else {}
        display = given.get("display_text")
        chosen = await self.choice(sender, text.strip()) if text else None
        if chosen is not None:
            text, display = str(chosen.get("payload") or ""), str(chosen.get("title") or "")
        hint = given.get("language")
        if not text.strip() and not self.empty_reply:  # e.g. a widget's empty start-up message: nothing to answer
            return
        if not self.checks_limits:  # REST and websocket refuse before this, with their own answer format
            limits = shared_limits()
            refusal = limits.check_size(0, text) or limits.check_sender(self.bot, sender)  # a photo costs a token too
            if refusal is not None:  # the language is worked out only for a refusal (the NLU does it for a turn)
                logger.warning("bot=%s channel=%s refused a message (%s)", self.bot, self.channel_id, refusal.code)
                await self.tell(output, sender, refusal.text(guess_language(text if chosen is None else None, hint)))
                return
        if not text.strip():  # a photo or voice note on a messenger: say we read text only
            await self.tell(output, sender, sentence("text_only", guess_language(None, hint)))
            return
        metadata = client_metadata(given, text, display)
        if self.own_ids and isinstance(given.get("channel"), str):  # the websocket marks its own messages
            metadata["channel"] = given["channel"]
        await self.handler(UserMessage(text, output, sender, parse_data=message.parse_data,
                                       input_channel=self.channel_id, message_id=message.message_id, metadata=metadata))

    async def tell(self, output: OutputChannel, sender: str, text: str) -> None:
        try:
            await output.send_response(sender, {"text": text})
        except Exception:
            logger.exception("bot=%s channel=%s: could not send a refusal", self.bot, self.channel_id)


class Delivery:
    """The channels of one bot that can reach a citizen outside a turn (Rasa's `get_output_channel`)."""

    def __init__(self) -> None:
        self.gates: dict[str, ChannelGate] = {}

    def add(self, gate: ChannelGate) -> None:
        self.gates[gate.channel_id] = gate

    async def send(self, sender: str, channel_id: Optional[str], message: dict[str, Any]) -> int:
        """Send one bot message to the citizen through `channel_id`; 1 when handed to the channel, else 0."""
        gate = self.gates.get(channel_id or "")
        if gate is None or gate.channel_id == "websocket":  # the widget's sockets are reached by send_to
            return 0
        try:
            inner = gate.channel.get_output_channel()
        except Exception:
            logger.exception("bot=%s channel=%s: no output channel for a pushed message", gate.bot, gate.channel_id)
            return 0
        if inner is None or not getattr(inner, "hkbot_can_push", True):
            return 0
        reachable = getattr(inner, "reachable", None)
        output = gate.output(inner)
        if reachable is not None and not reachable(output.recipient(sender)):
            return 0
        try:
            await output.send_response(sender, message)
        except Exception:
            logger.exception("bot=%s channel=%s: a pushed message could not be sent", gate.bot, gate.channel_id)
            return 0
        if getattr(inner, "last_error", None) is not None:  # the provider refused it (e.g. WhatsApp's 24-hour window)
            return 0
        return 1


#: Per bot: its channels' delivery, filled when the server mounts them.
deliveries: dict[str, Delivery] = {}


async def deliver(bot: str, sender: str, channel_id: Optional[str], message: dict[str, Any]) -> int:
    """Push a bot message (an officer's words) to a citizen on their conversation's channel; how many got it."""
    delivered = 0
    if channel_id in (None, "websocket") or sender.startswith("ws-"):
        frame = {"type": "message", "from": message.get("from", "agent"), "text": message.get("text", ""),
                 "buttons": message.get("buttons", []), "metadata": message.get("metadata", {})}
        delivered += await send_to(bot, sender, frame)
    delivery = deliveries.get(bot)
    if delivery is not None and channel_id not in (None, "websocket"):
        outgoing = {k: v for k, v in message.items() if k not in ("from", "metadata")}
        outgoing.update({k: v for k, v in (message.get("metadata") or {}).items() if k not in outgoing})
        delivered += await delivery.send(sender, channel_id, outgoing)
    return delivered

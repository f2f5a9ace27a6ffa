"""Limits that keep one sender or one address from flooding the bots: token buckets, message and body size.

Every message endpoint (POST `/bots/<bot>/webhooks/...`) goes through `install_limits(app)`:
the request body is at most `HKBOT_MAX_BODY_BYTES`, the citizen's `message` at most
`HKBOT_MAX_MESSAGE_CHARS` characters (HTTP 413; the one message-length limit, every channel's), and each address and each (bot, sender)
has a token bucket (HTTP 429 with `Retry-After`). A conversation the process has not seen
before also takes a token from its address's new-conversation bucket, so rotating sender ids
cannot create conversations (trackers, handoff requests, review items) without limit.
Refusals are JSON with a sentence for the citizen (`actions.sentences`, key = the refusal code) in English,
Traditional and Simplified Chinese. Other channels (websocket) call `check_message(...)` for each message and
`check_frame(...)` for each other frame, and show `refusal.text(language)`.

Environment (defaults in brackets; a rate of 0 means no limit):
  HKBOT_RATE_LIMITS         on | off                               [on]
  HKBOT_SENDER_RATE         messages per minute per bot and sender [60]
  HKBOT_SENDER_BURST        messages a sender may send at once     [30]
  HKBOT_ADDRESS_RATE        requests per minute per client address [1200]
  HKBOT_ADDRESS_BURST       requests an address may send at once   [600]
  HKBOT_ADDRESS_NEW_RATE    new conversations per hour per address [600]
  HKBOT_ADDRESS_NEW_BURST   new conversations an address may start at once [60]
  HKBOT_ADDRESS_SOCKETS     websocket connections open at once per address [100]
  HKBOT_MAX_MESSAGE_CHARS   characters in one message              [2000, also its maximum; read by nlu.sanitise.message_limit]
  HKBOT_MAX_BODY_BYTES      bytes in one request body              [65536]
Buckets live in the process (one per replica); the client address is Sanic's
`request.remote_addr` (set SANIC_PROXIES_COUNT or SANIC_REAL_IP_HEADER behind a proxy),
else the socket's peer address.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

from actions.sentences import sentence
from nlu.language_id import detect_language
from nlu.sanitise import MAX_MESSAGE_CHARS, message_limit

logger = logging.getLogger("hkbot.limits")

#: The paths whose requests carry citizens' messages.
MESSAGE_PATH = re.compile(r"^/bots/(?P<bot>[^/]+)/webhooks/[^/]+/webhook/?$")
#: Most distinct keys a limiter remembers; the least recently seen are forgotten first.
MAX_TRACKED_KEYS = 100_000

# ----------------------------------------------------------------------------- settings


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: must be a whole number") from None
    if number < 0:
        raise ValueError(f"{name}={value!r}: must be 0 or more")
    return number


@dataclass(frozen=True)
class Limits:
    """The limits in force; `Limits.from_env()` reads the HKBOT_* variables above."""

    enabled: bool = True
    sender_rate: int = 60  # per minute: no one types a message a second for long
    sender_burst: int = 30
    address_rate: int = 1200  # generous: an office or kiosk network shares one address
    address_burst: int = 600
    new_conversation_rate: int = 600  # per hour: a kiosk centre or office starts one every few seconds at most
    new_conversation_burst: int = 60
    address_sockets: int = 100  # open websockets per address; 0 means no cap
    max_message_chars: int = MAX_MESSAGE_CHARS
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_env(cls) -> "Limits":
        switch = os.environ.get("HKBOT_RATE_LIMITS", "on").strip().lower()
        if switch not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
            raise ValueError(f"HKBOT_RATE_LIMITS={switch!r}: use on or off")
        return cls(
            enabled=switch in ("on", "1", "true", "yes"),
            sender_rate=_number("HKBOT_SENDER_RATE", cls.sender_rate),
            sender_burst=max(1, _number("HKBOT_SENDER_BURST", cls.sender_burst)),
            address_rate=_number("HKBOT_ADDRESS_RATE", cls.address_rate),
            address_burst=max(1, _number("HKBOT_ADDRESS_BURST", cls.address_burst)),
            new_conversation_rate=_number("HKBOT_ADDRESS_NEW_RATE", cls.new_conversation_rate),
            new_conversation_burst=max(1, _number("HKBOT_ADDRESS_NEW_BURST", cls.new_conversation_burst)),
            address_sockets=_number("HKBOT_ADDRESS_SOCKETS", cls.address_sockets) if switch in ("on", "1", "true", "yes") else 0,
            max_message_chars=message_limit(),  # the one message-length limit, read by nlu.sanitise
            max_body_bytes=max(1024, _number("HKBOT_MAX_BODY_BYTES", cls.max_body_bytes)),
        )


# ----------------------------------------------------------------------------- token buckets


class TokenBucketLimiter:
    """A token bucket per key: `burst` tokens at most, refilled at `per_minute` tokens a minute."""

    def __init__(self, per_minute: float, burst: int, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, updated)
        self._lock = threading.Lock()

    def take(self, key: str, now: Optional[float] = None) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, updated = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - updated) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._buckets


# ----------------------------------------------------------------------------- refusals


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: an HTTP status, a code, and the sentence's values."""

    status: int
    code: str
    retry_after: int = 0
    limit: int = 0

    def text(self, language: Optional[str]) -> str:
        """The sentence `self.code` for the citizen (`actions.sentences`: yue and unknown read Traditional)."""
        return sentence(self.code, language, seconds=self.retry_after, limit=f"{self.limit:,}" if language == "en" else self.limit)

    def body(self, language: Optional[str] = None) -> dict[str, Any]:
        """The JSON body of the refusal: `error` in the citizen's language, and every language under `messages`."""
        tag = language if language in ("en", "zh-Hant", "zh-Hans") else ("zh-Hant" if language == "yue" else "en")
        body: dict[str, Any] = {
            "error": self.text(tag),
            "code": self.code,
            "language": tag,
            "messages": {lang: self.text(lang) for lang in ("en", "zh-Hant", "zh-Hans")},
        }
        if self.retry_after:
            body["retry_after"] = self.retry_after
        if self.limit:
            body["limit"] = self.limit
        return body


class MessageLimits:
    """The limits of one server process: the settings and a bucket per address and per sender."""

    def __init__(self, limits: Optional[Limits] = None) -> None:
        self.limits = limits or Limits.from_env()
        self.by_address = TokenBucketLimiter(self.limits.address_rate, self.limits.address_burst)
        self.by_sender = TokenBucketLimiter(self.limits.sender_rate, self.limits.sender_burst)
        self.new_by_address = TokenBucketLimiter(self.limits.new_conversation_rate / 60.0, self.limits.new_conversation_burst)

    def check_size(self, body_bytes: int = 0, text: Optional[str] = None) -> Optional[Refusal]:
        """A 413 refusal when the body or the message is over its limit."""
        if body_bytes > self.limits.max_body_bytes:
            return Refusal(413, "request_too_large", limit=self.limits.max_body_bytes)
        if isinstance(text, str) and len(text) > self.limits.max_message_chars:
            return Refusal(413, "message_too_long", limit=self.limits.max_message_chars)
        return None

    def check_address(self, address: Optional[str]) -> Optional[Refusal]:
        """A 429 refusal when the address has used up its bucket (one token per request)."""
        if not self.limits.enabled or not address:
            return None
        wait = self.by_address.take(address)
        return Refusal(429, "rate_limited", retry_after=max(1, math.ceil(wait))) if wait else None

    def check_sender(self, bot: str, sender: Optional[str]) -> Optional[Refusal]:
        """A 429 refusal when the sender has used up their bucket with this bot."""
        if not self.limits.enabled or not isinstance(sender, str) or not sender:
            return None
        wait = self.by_sender.take(f"{bot}:{sender}")
        return Refusal(429, "rate_limited", retry_after=max(1, math.ceil(wait))) if wait else None

    def check_new_conversation(self, bot: str, sender: Optional[str], address: Optional[str]) -> Optional[Refusal]:
        """A 429 refusal when a conversation this process has not seen would exceed its address's budget."""
        if not self.limits.enabled or not address or not isinstance(sender, str) or not sender:
            return None
        if f"{bot}:{sender}" in self.by_sender:  # seen (its bucket is remembered): not new
            return None
        wait = self.new_by_address.take(address)
        return Refusal(429, "rate_limited", retry_after=max(1, math.ceil(wait))) if wait else None

    def check_message(self, bot: str, sender: Optional[str], address: Optional[str], text: Optional[str]) -> Optional[Refusal]:
        """Every check for one message, cheapest first; None when it may go to the bot."""
        return (self.check_size(0, text) or self.check_address(address)
                or self.check_new_conversation(bot, sender, address) or self.check_sender(bot, sender))

    def check_frame(self, bot: str, sender: Optional[str], address: Optional[str]) -> Optional[Refusal]:
        """For a control frame (websocket hello, end_session, ping): the same buckets as a message, without the size."""
        return self.check_address(address) or self.check_new_conversation(bot, sender, address) or self.check_sender(bot, sender)


_shared: Optional[MessageLimits] = None


def shared_limits() -> MessageLimits:
    """The process-wide limits (read from the environment once)."""
    global _shared
    if _shared is None:
        _shared = MessageLimits()
    return _shared


def check_message(bot: str, sender: Optional[str], address: Optional[str], text: Optional[str]) -> Optional[Refusal]:
    """For channels other than REST (websocket): a Refusal to show the citizen, or None to go on."""
    return shared_limits().check_message(bot, sender, address, text)


def check_frame(bot: str, sender: Optional[str], address: Optional[str]) -> Optional[Refusal]:
    """For a websocket control frame (hello, end_session, ping): a Refusal, or None to go on."""
    return shared_limits().check_frame(bot, sender, address)


# ----------------------------------------------------------------------------- Sanic


def client_address(request: Any) -> str:
    """The client's address: the proxy-reported one when Sanic is told to trust proxies, else the peer."""
    return request.remote_addr or request.ip or "unknown"


def _peek(body: bytes) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(sender, message, language hint) of a REST body, or Nones when it is not the expected JSON."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    language = metadata.get("language") if isinstance(metadata, dict) else None
    return (sender if isinstance(sender, str) else None, text if isinstance(text, str) else None, language if isinstance(language, str) else None)


def _language_of(text: Optional[str], hint: Optional[str], request: Any) -> Optional[str]:
    """The language to refuse in: the client's hint, else the message's own, else Accept-Language."""
    if hint in ("en", "yue", "zh-Hant", "zh-Hans"):
        return hint
    if text:
        tag = detect_language(text[:200])
        if tag != "und":
            return tag
    accept = (request.headers.get("accept-language") or "").lower()
    if accept.startswith("zh"):
        return "zh-Hans" if ("hans" in accept[:12] or accept.startswith(("zh-cn", "zh-sg"))) else "zh-Hant"
    return "en" if accept.startswith("en") else None


def _refuse(refusal: Refusal, language: Optional[str], bot: str, address: str) -> Any:
    from sanic import response

    logger.warning("bot=%s %s refused (%s): HTTP %d", bot, address, refusal.code, refusal.status)
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
    return response.json(refusal.body(language), status=refusal.status, headers=headers)


def install_limits(app: Any, limits: Optional[MessageLimits] = None) -> MessageLimits:
    """Check every POST to a message endpoint before its channel sees it; returns the limits in force."""
    limits = limits or shared_limits()
    app.ctx.message_limits = limits

    async def limit_messages(request: Any) -> Any:
        if request.method != "POST":
            return None
        match = MESSAGE_PATH.match(request.path)
        if match is None:
            return None
        bot, address = match.group("bot"), client_address(request)
        body = request.body or b""
        if len(body) > limits.limits.max_body_bytes:
            return _refuse(Refusal(413, "request_too_large", limit=limits.limits.max_body_bytes), _language_of(None, None, request), bot, address)
        sender, text, hint = _peek(body)
        refusal = limits.check_message(bot, sender, address, text)
        if refusal is not None:
            return _refuse(refusal, _language_of(text, hint, request), bot, address)
        return None

    app.register_middleware(limit_messages, "request")
    return limits

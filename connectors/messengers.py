"""Rasa's Telegram and Twilio (WhatsApp, SMS) channels, with what a public service needs around them.

Both are Rasa's own classes (`TelegramInput`, `TwilioInput`, their output channels); the
subclasses here only add:
- `api_base_url`: the provider's API address (default: the real one). Tests point it at a local
  HTTP server standing in for the provider; a department may point it at its own gateway.
- authenticity of inbound webhooks: Telegram's `secret_token` header (set with the webhook) and
  Twilio's `X-Twilio-Signature` (HMAC with the auth token), refused with 403 when wrong;
- no provider call while the server is built: Telegram's webhook is registered once the server
  runs, and a refusal is logged (naming bot and channel) instead of stopping the other channels;
- Twilio's blocking HTTP client runs in a thread, not in the server's event loop;
- buttons the way each can show them (see connectors.gate): Telegram an inline keyboard, one
  button a row (long Chinese titles); SMS and WhatsApp numbered choices in the text.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import parse_qs, urlsplit

from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

logger = logging.getLogger("hkbot.channels")
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs every request (citizens' numbers) at INFO

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: The kinds of Telegram update Rasa's channel reads; others are acknowledged and ignored.
TELEGRAM_HANDLED = ("message", "edited_message", "callback_query")
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"


def _api_base_url(value: Any) -> Optional[str]:
    """A provider API address from bot.yml: https, or http only to this machine (a test stand-in, a local Bot API
    server): the Telegram token travels in the URL path and Twilio's credentials in a header."""
    if not value:
        return None
    url = str(value)
    parts = urlsplit(url)
    local = (parts.hostname or "") in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ValueError(f"api_base_url must be an https:// address (http:// only to this machine), got {url!r}")
    return url


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


# ----------------------------------------------------------------------------- Telegram


class BotTelegramOutput(TelegramOutput):
    """Rasa's Telegram output against a configurable Bot API server, buttons one per row by default."""

    def __init__(self, access_token: Optional[str], api_base_url: Optional[str] = None, button_type: str = "vertical") -> None:
        server = TelegramAPIServer.from_base(api_base_url) if api_base_url else TELEGRAM_PRODUCTION
        Bot.__init__(self, access_token, server=server)
        self.button_type = button_type
        self._me: Any = None

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     button_type: Optional[str] = None, **kwargs: Any) -> None:
        await super().send_text_with_buttons(recipient_id, text, buttons, button_type=button_type or self.button_type, **kwargs)

    async def get_me(self) -> Any:  # Rasa asks on every update to check `verify`; the answer does not change
        if self._me is None:
            self._me = await super().get_me()
        return self._me


class BotTelegramInput(TelegramInput):
    """`telegram` in bot.yml: access_token_env, verify (the bot's username), webhook_url, secret_token_env,
    api_base_url, button_type (vertical | inline | reply)."""

    hkbot_channel = True
    hkbot_payload_bytes = 64  # Telegram's limit for a button's callback_data

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "BotTelegramInput":
        credentials = dict(credentials or {})
        bot = str(credentials.pop("bot", "default"))
        for required in ("access_token", "verify"):
            if not credentials.get(required):
                raise ValueError(f"'{required}' is required (access_token from access_token_env; verify is the bot's username)")
        channel = cls(credentials["access_token"], credentials["verify"], credentials.get("webhook_url"), debug_mode=False)
        channel.bot = bot
        channel.api_base_url = _api_base_url(credentials.get("api_base_url"))
        channel.secret_token = credentials.get("secret_token")
        if not channel.secret_token and not _flag(credentials.get("allow_unauthenticated"), False):
            # The webhook URL is public (it is in bot.yml): without the secret anyone could post as any chat.
            raise ValueError("'secret_token_env' is required: without it anyone who knows the webhook URL can post "
                             "updates as any citizen (set allow_unauthenticated: true only for a local trial)")
        channel.button_type = str(credentials.get("button_type") or "vertical")
        if channel.button_type not in ("vertical", "inline", "reply"):
            raise ValueError(f"button_type must be vertical, inline or reply, got {channel.button_type!r}")
        BotTelegramOutput(channel.access_token)  # aiogram checks the token's form: a typo fails start-up here
        return channel

    bot = "default"
    api_base_url: Optional[str] = None
    secret_token: Optional[str] = None
    button_type = "vertical"

    _output: Optional[BotTelegramOutput] = None

    def get_output_channel(self) -> BotTelegramOutput:
        """The channel's one output (one HTTP session), with no provider call (Rasa's registers the webhook here)."""
        if self._output is None:
            self._output = BotTelegramOutput(self.access_token, self.api_base_url, self.button_type)
        return self._output

    async def register_webhook(self) -> None:
        """Tell Telegram where to post updates (with the secret token); log, never stop the server, on failure."""
        if not self.webhook_url:
            logger.info("bot=%s channel=telegram: no webhook_url; register the webhook yourself", self.bot)
            return
        output = self.get_output_channel()
        payload = {"url": self.webhook_url}
        if self.secret_token:
            payload["secret_token"] = self.secret_token
        try:
            await output.request("setWebhook", payload)
            logger.info("bot=%s channel=telegram: webhook registered at %s", self.bot, self.webhook_url)
        except Exception as error:
            logger.error("bot=%s channel=telegram: Telegram refused the webhook %s: %s; messages will not arrive until this is fixed",
                         self.bot, self.webhook_url, error)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        channel = self
        if not self.secret_token:
            logger.warning("bot=%s channel=telegram: no secret_token_env; anyone who knows the webhook URL can post updates", self.bot)

        @blueprint.middleware("request")
        async def authentic(request: Request) -> Any:
            if request.method != "POST":
                return None
            if channel.secret_token:
                given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
                if not hmac.compare_digest(given.encode(), channel.secret_token.encode()):
                    logger.warning("bot=%s channel=telegram: refused an update without the secret token", channel.bot)
                    return response.json({"error": "forbidden: this is not a Telegram update for this bot"}, status=403)
            try:
                update = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError, RecursionError):
                update = None
            if not isinstance(update, dict):
                return response.json({"error": "not a Telegram update: send the Update object as JSON"}, status=400)
            query = update.get("callback_query")
            if isinstance(query, dict) and not isinstance(query.get("message"), dict):
                return response.text("success")  # a press under an inline-mode or very old message: nothing to answer in
            if not any(isinstance(update.get(kind), dict) for kind in TELEGRAM_HANDLED):
                # e.g. my_chat_member when a citizen blocks the bot: Rasa's handler would fail with 500 and
                # Telegram would send it again and again; it needs no answer.
                return response.text("success")
            return None

        @blueprint.listener("before_server_start")
        async def register(_: Any, __: Any) -> None:
            await channel.register_webhook()

        return blueprint


# ----------------------------------------------------------------------------- Twilio


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client sending every API call to another base URL (same paths)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        rebased = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, rebased, *args, **kwargs)


class BotTwilioOutput(TwilioOutput):
    """Rasa's Twilio output: its API calls in a thread, to a configurable base URL."""

    def __init__(self, account_sid: Optional[str], auth_token: Optional[str], twilio_number: Optional[str],
                 api_base_url: Optional[str] = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number)
        if api_base_url:
            self.http_client = RebasedHttpClient(api_base_url)
        self.last_error: Optional[Exception] = None  # read by a push (connectors.gate.Delivery): refused is not delivered

    async def _send_message(self, message_data: dict[str, Any]) -> Any:
        try:
            return await asyncio.to_thread(self.messages.create, **message_data)
        except Exception as error:  # TwilioRestException, connection errors: the turn goes on
            logger.error("channel=twilio: a message to the citizen could not be sent: %s", error)
            self.last_error = error
            return None


class BotTwilioInput(TwilioInput):
    """`twilio` in bot.yml (WhatsApp: a `whatsapp:+852...` number; SMS: a plain number): account_sid_env,
    auth_token_env, twilio_number, webhook_url (the public URL Twilio calls, for the signature),
    validate_signature (default true), api_base_url."""

    hkbot_channel = True
    hkbot_numbered_choices = True  # SMS and WhatsApp (without templates) have no buttons
    hkbot_empty_reply = True  # a photo or voice note arrives with an empty Body: say we read text only

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "BotTwilioInput":
        credentials = dict(credentials or {})
        bot = str(credentials.pop("bot", "default"))
        for required in ("account_sid", "auth_token", "twilio_number"):
            if not credentials.get(required):
                raise ValueError(f"'{required}' is required (account_sid and auth_token from *_env settings)")
        channel = cls(credentials["account_sid"], credentials["auth_token"], str(credentials["twilio_number"]), debug_mode=False)
        channel.bot = bot
        channel.api_base_url = _api_base_url(credentials.get("api_base_url"))
        channel.webhook_url = credentials.get("webhook_url")
        channel.validate_signature = _flag(credentials.get("validate_signature"), True)
        if not channel.validate_signature:
            logger.warning("bot=%s channel=twilio: validate_signature is off; anyone who knows the webhook URL can post "
                           "messages as any phone number", bot)
        elif not channel.webhook_url:
            # Behind a TLS proxy the URL Sanic sees is not the one Twilio signed: every real message would get 403.
            raise ValueError("'webhook_url' is required while validate_signature is on: it is the public URL Twilio "
                             "signs (behind a proxy the server cannot work it out)")
        return channel

    bot = "default"
    api_base_url: Optional[str] = None
    webhook_url: Optional[str] = None
    validate_signature = True

    def get_output_channel(self) -> BotTwilioOutput:
        return BotTwilioOutput(self.account_sid, self.auth_token, self.twilio_number, self.api_base_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        channel = self

        @blueprint.middleware("request")
        async def authentic(request: Request) -> Any:
            if request.method != "POST":
                return None
            # Twilio signs every parameter, empty ones too (Sanic's `request.form` drops those)
            parsed = parse_qs((request.body or b"").decode("utf-8", "replace"), keep_blank_values=True)
            form = {key: values[0] for key, values in parsed.items() if values}
            if channel.validate_signature:
                url = channel.webhook_url or request.url
                signature = request.headers.get(TWILIO_SIGNATURE_HEADER, "")
                if not signature or not RequestValidator(channel.auth_token).validate(url, form, signature):
                    logger.warning("bot=%s channel=twilio: refused a webhook call without a valid Twilio signature", channel.bot)
                    return response.json({"error": "forbidden: the X-Twilio-Signature does not match"}, status=403)
            if not form.get("From"):
                return response.json({"error": "not a Twilio message: 'From' is missing"}, status=400)
            if "Body" not in request.form:  # media without a caption: Rasa would fail on a missing Body
                request.form["Body"] = [""]
            return None

        return blueprint

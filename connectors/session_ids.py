"""Server-issued, HMAC-signed conversation ids for the websocket channel (the widget and the kiosk).

A browser may only resume a conversation whose id this server (or a replica with the same
secret) issued: `ws-<32 hex random>-<32 hex HMAC-SHA256(secret, bot + random)>`. Guessing or
choosing another citizen's id would need the secret. The `ws-` prefix is reserved: the REST
channel refuses senders that start with it, so REST and websocket conversations never share
a tracker.

The secret, first found of:
  HKBOT_SESSION_SECRET   at least 32 characters; the same on every replica
  HKBOT_API_TOKEN        a key derived from it (HMAC with a fixed label), so replicas that
                         already share the API token share session ids too
  <data dir>/session_secret   32 random bytes written once (mode 0600), kept across restarts
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from pathlib import Path

from hkbot.settings import data_dir

logger = logging.getLogger("hkbot.sessions")

SECRET_ENV = "HKBOT_SESSION_SECRET"
API_TOKEN_ENV = "HKBOT_API_TOKEN"
SECRET_FILE = "session_secret"
#: Sender ids with this prefix belong to the websocket channel; no other channel may use them.
PREFIX = "ws-"
MIN_SECRET_CHARS = 32
_DERIVE_LABEL = b"hkbot websocket session ids v1"
_ID = re.compile(r"^ws-([0-9a-f]{32})-([0-9a-f]{32})$")

_secret: bytes | None = None
_lock = threading.Lock()


class SessionSecretError(RuntimeError):
    """HKBOT_SESSION_SECRET (or the secret file) is too short to be a secret."""


def _file_secret(folder: Path) -> bytes:
    """The random secret in `folder/session_secret`, created once: written whole, then linked in (atomic)."""
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{SECRET_FILE}.{secrets.token_hex(8)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)  # fails if another process linked its secret first: use that one
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    value = path.read_text().strip()
    if len(value) < MIN_SECRET_CHARS:
        raise SessionSecretError(f"{path} does not hold a secret of at least {MIN_SECRET_CHARS} characters; delete it to make a new one")
    return value.encode()


def load_secret() -> bytes:
    """The secret from the environment or the data dir (see the module docstring)."""
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        if len(configured) < MIN_SECRET_CHARS:
            raise SessionSecretError(f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters (e.g. `openssl rand -hex 32`)")
        return configured.encode()
    api_token = os.environ.get(API_TOKEN_ENV, "").strip()
    if api_token:
        return hmac.new(api_token.encode(), _DERIVE_LABEL, hashlib.sha256).digest()
    return _file_secret(data_dir())


def secret() -> bytes:
    """The process's secret, read once."""
    global _secret
    with _lock:
        if _secret is None:
            _secret = load_secret()
        return _secret


def _signature(bot: str, nonce: str, key: bytes) -> str:
    return hmac.new(key, f"{bot}\n{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def issue(bot: str, key: bytes | None = None) -> str:
    """A new conversation id for `bot`, signed with the server's secret."""
    nonce = secrets.token_hex(16)
    return f"{PREFIX}{nonce}-{_signature(bot, nonce, key or secret())}"


def verify(bot: str, session_id: object, key: bytes | None = None) -> bool:
    """True when `session_id` was issued for `bot` with this secret."""
    if not isinstance(session_id, str):
        return False
    match = _ID.match(session_id)
    if match is None:
        return False
    expected = _signature(bot, match.group(1), key or secret())
    return hmac.compare_digest(expected, match.group(2))


def reserved(sender: str) -> bool:
    """True for sender ids that only the websocket channel may issue."""
    return sender.startswith(PREFIX)

"""Sender pseudonyms: the one keyed hash (HMAC-SHA256) by which stored rows refer to a citizen.

A sender id is often a phone number or an e-mail address; an unkeyed SHA-256 of it is
reversed by hashing every phone number (10^8 guesses, seconds). The key makes that
impossible for anyone who sees the pseudonyms without the key (a CSV, a backup of one
table, a log line).

The key is `HKBOT_SENDER_KEY` when set (a secret of at least 32 characters, the same on
every replica, kept outside the databases). Without it, each database keeps a random key
of its own, created on first use (`hkbot_privacy_settings` row `sender_key`, as the
feedback store has always kept its key): replicas sharing a database then share its key.
Erasure tries every key it can see (the configured one and the stored one), so changing
from one to the other never hides a citizen's older rows.

What is hashed is always the conversation key `<bot>:<sender>` (`sender_pseudonym`): the
console's rows, the feedback store and the log tags, so one citizen of one bot has one
pseudonym wherever the key is the same, and citizens cannot be linked across bots. Feedback
rows written before this hold the keyed hash of the bare sender id; erasure still finds them
(a request's identities hold the bare id as well as every `<bot>:<sender>` key).

Rows written before pseudonyms were keyed hold a plain SHA-256 (64 hex characters);
`upgrade_legacy` replaces each with the keyed hash of it (`hkbot privacy purge` runs it),
and erasure also matches both forms, so none escapes in between.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from typing import Iterable, Optional

import sqlalchemy as sa

KEY_ENV = "HKBOT_SENDER_KEY"
MIN_KEY_CHARS = 32
#: Characters of hex kept: 128 bits, too many to collide, short enough for the old columns.
HASH_CHARS = 32
#: The length of the pre-key SHA-256 hex digests still found in older rows.
LEGACY_CHARS = 64
KEY_NAME = "sender_key"

_metadata = sa.MetaData()
SETTINGS = sa.Table(
    "hkbot_privacy_settings", _metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)


class SenderKeyError(ValueError):
    """`HKBOT_SENDER_KEY` is set but too short to be a secret."""


def configured_key() -> Optional[bytes]:
    """The key from `HKBOT_SENDER_KEY`, or None when it is not set."""
    value = os.environ.get(KEY_ENV, "").strip()
    if not value:
        return None
    if len(value) < MIN_KEY_CHARS:
        raise SenderKeyError(f"{KEY_ENV} must be a secret of at least {MIN_KEY_CHARS} characters (e.g. `openssl rand -hex 32`)")
    return value.encode("utf-8")


def pseudonym(sender_id: str, key: bytes) -> str:
    """The keyed hash of a sender id: equal for the same sender and key, unlinkable without the key."""
    return hmac.new(key, str(sender_id).encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:HASH_CHARS]


def sender_pseudonym(bot: str, sender_id: str, key: bytes) -> str:
    """THE pseudonym of a citizen wherever hkbot stores or logs one: the keyed hash of their conversation key `<bot>:<sender>`."""
    return pseudonym(f"{bot}:{sender_id}", key)


def legacy_hash(sender_id: str) -> str:
    """The unkeyed SHA-256 hex that rows written before keyed pseudonyms hold (for finding them only)."""
    return hashlib.sha256(str(sender_id).encode("utf-8", "replace")).hexdigest()


_process_key: Optional[bytes] = None
_process_lock = threading.Lock()


def process_key() -> bytes:
    """The configured key, else a random key for this process (log tags: stable per run, never reversible)."""
    global _process_key
    key = configured_key()
    if key is not None:
        return key
    with _process_lock:
        if _process_key is None:
            _process_key = secrets.token_bytes(32)
        return _process_key


def create_tables(metadata: sa.MetaData, engine: sa.engine.Engine, attempts: int = 8) -> None:
    """`metadata.create_all`, again while other processes starting at the same time create the same tables."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except (sa.exc.OperationalError, sa.exc.IntegrityError, sa.exc.ProgrammingError):  # "already exists": another process won
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def stored_key(engine: sa.engine.Engine, create: bool = False) -> Optional[bytes]:
    """The random key kept in this database (created first when `create`), or None when it has none."""
    if not create and not sa.inspect(engine).has_table(SETTINGS.name):
        return None
    if create:
        create_tables(_metadata, engine)
    select = sa.select(SETTINGS.c.value).where(SETTINGS.c.name == KEY_NAME)
    with engine.connect() as connection:
        value = connection.execute(select).scalar()
    if value is None and create:
        try:
            with engine.begin() as connection:
                connection.execute(SETTINGS.insert().values(name=KEY_NAME, value=secrets.token_hex(32)))
        except sa.exc.IntegrityError:  # another process created it first: use theirs
            pass
        with engine.connect() as connection:
            value = connection.execute(select).scalar()
    return bytes.fromhex(value) if value else None


_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()


def database_key(engine: sa.engine.Engine) -> bytes:
    """The key pseudonyms in this database are written with: the configured one, else the database's own."""
    key = configured_key()
    if key is not None:
        return key
    name = engine.url.render_as_string(hide_password=False)
    with _keys_lock:
        if name not in _keys:
            _keys[name] = stored_key(engine, create=True)  # type: ignore[assignment]
        return _keys[name]


def known_keys(*stored: Optional[bytes]) -> list[bytes]:
    """Every key rows may have been written with: the configured one and the stored ones given."""
    keys = [key for key in (configured_key(), *stored) if key]
    return list(dict.fromkeys(keys))


def candidates(identities: Iterable[str], keys: Iterable[bytes], legacy: bool = True) -> list[str]:
    """Every stored form of these sender ids: keyed with each key, and (with `legacy`) the old unkeyed and upgraded forms."""
    keys = list(keys)
    forms: set[str] = set()
    for identity in identities:
        forms.update(pseudonym(identity, key) for key in keys)
        if legacy:
            old = legacy_hash(identity)
            forms.add(old)
            forms.update(pseudonym(old, key) for key in keys)
    return sorted(forms)


def upgrade_legacy(engine: sa.engine.Engine, table: sa.Table, column: str = "sender_hash", dry_run: bool = False) -> int:
    """Replace the unkeyed SHA-256 pseudonyms of older rows by their keyed hash; returns how many rows."""
    field = table.c[column]
    old = sa.func.length(field) == LEGACY_CHARS
    with engine.connect() as connection:
        values = [row[0] for row in connection.execute(sa.select(field).where(old).distinct())]
    if dry_run or not values:
        with engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(table).where(old)).scalar() or 0)
    key = database_key(engine)
    changed = 0
    with engine.begin() as connection:
        for value in values:
            changed += connection.execute(table.update().where(field == value).values({column: pseudonym(value, key)})).rowcount
    return changed

"""Data access and erasure requests: everything stored about one sender, exported as JSON or deleted.

Conversations come from the SQL tracker store (keys `<bot>:<sender>`). Other stores that
keep rows about a sender (feedback, review queue) are SQLite files under `data_dir()`; any
table there with a `sender_id`, `sender` or `sender_hash` column is included, where
`sender_hash` holds `privacy.sender_hash(sender)` (SHA-256 hex, or a prefix of it of at
least 10 characters) of the sender id or of its `<bot>:<sender>` key, or a keyed hash:
HMAC-SHA256 with the hex key in that database's `settings` table row `sender_key` (as the
feedback store `actions.feedback_store` keeps it), whole or cut the same way.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import sqlalchemy as sa

from bots.settings import data_dir
from privacy.tracker_db import EVENTS, TRACKER_DB_NAME, TrackerDb, conversation_key, keys_of_sender, split_key

SENDER_COLUMNS = ("sender_id", "sender")
HASH_COLUMN = "sender_hash"
BOT_COLUMN = "bot"
HASH_PREFIX_LENGTHS = (10, 12, 16, 20, 24, 32, 40, 64)
STORE_SUFFIXES = (".sqlite3", ".sqlite", ".db")


def _hashes(values: Iterable[str], key: Optional[bytes] = None) -> list[str]:
    """Every accepted form of the SHA-256 hex digest of each value (and of its HMAC with `key`)."""
    forms = set()
    for value in values:
        data = value.encode("utf-8", "replace")
        digests = [hashlib.sha256(data).hexdigest()]
        if key:
            digests.append(hmac.new(key, data, hashlib.sha256).hexdigest())
        forms.update(digest[:length] for digest in digests for length in HASH_PREFIX_LENGTHS)
    return sorted(forms)


def _sender_key(connection: sqlite3.Connection) -> Optional[bytes]:
    """The store's own hash key (`settings.sender_key`, hex), when it keeps one."""
    try:
        row = connection.execute("SELECT value FROM settings WHERE name = 'sender_key'").fetchone()
        return bytes.fromhex(row[0]) if row and row[0] else None
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return None


def _identities(sender: str, bots: Optional[Iterable[str]], keys: Iterable[str]) -> list[str]:
    """The sender id and every `<bot>:<sender>` key it may be stored under."""
    from bots.registry import bot_names

    names = set(keys) | {sender}
    # every configured bot too: a purged conversation may have left rows in other stores
    names |= {conversation_key(bot, sender) for bot in (bots if bots is not None else bot_names())}
    return sorted(names)


def other_store_files(tracker_db_url: Optional[str] = None) -> list[Path]:
    """SQLite files under data_dir() other than the tracker database."""
    folder = data_dir()
    if not folder.is_dir():
        return []
    skip = {(folder / TRACKER_DB_NAME).resolve()}
    if tracker_db_url and tracker_db_url.startswith("sqlite:///"):
        skip.add(Path(tracker_db_url[len("sqlite:///") :]).resolve())
    return sorted(p for p in folder.iterdir() if p.suffix in STORE_SUFFIXES and p.is_file() and p.resolve() not in skip)


def _matching_tables(connection: sqlite3.Connection) -> list[tuple[str, list[str], bool]]:
    """(table, sender columns, has a `bot` column) of every table that refers to senders."""
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    found = []
    for table in tables:
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
        wanted = [column for column in (*SENDER_COLUMNS, HASH_COLUMN) if column in columns]
        if wanted:
            found.append((table, wanted, BOT_COLUMN in columns))
    return found


def _where(columns: list[str], identities: list[str], hashes: list[str], bots: Optional[list[str]]) -> tuple[str, list[str]]:
    clauses, params = [], []
    for column in columns:
        values = hashes if column == HASH_COLUMN else identities
        clauses.append(f'"{column}" IN ({", ".join("?" for _ in values)})')
        params.extend(values)
    where = "(" + " OR ".join(clauses) + ")"
    if bots is not None:  # a request limited to some bots leaves the other bots' rows alone
        where += f' AND "{BOT_COLUMN}" IN ({", ".join("?" for _ in bots)})'
        params.extend(bots)
    return where, params


def _other_rows(identities: list[str], delete: bool, tracker_db_url: Optional[str], bots: Optional[list[str]] = None) -> dict[str, Any]:
    """Rows about the sender in other stores: {"file:table": rows or count}."""
    result: dict[str, Any] = {}
    for path in other_store_files(tracker_db_url):
        try:
            connection = sqlite3.connect(path, timeout=30)
        except sqlite3.Error:
            continue
        try:
            hashes = _hashes(identities, _sender_key(connection))
            connection.row_factory = sqlite3.Row
            for table, columns, has_bot in _matching_tables(connection):
                where, params = _where(columns, identities, hashes, bots if has_bot else None)
                name = f"{path.name}:{table}"
                if delete:
                    with connection:
                        count = connection.execute(f'DELETE FROM "{table}" WHERE {where}', params).rowcount
                    if count:
                        result[name] = count
                else:
                    rows = [dict(row) for row in connection.execute(f'SELECT * FROM "{table}" WHERE {where}', params)]
                    if rows:
                        result[name] = rows
        except sqlite3.DatabaseError:
            continue  # not an SQLite database, or locked for too long: skip, never half-report
        finally:
            connection.close()
    return result


def export_sender(db: TrackerDb, sender: str, bots: Optional[Iterable[str]] = None) -> dict[str, Any]:
    """Everything stored about a sender, as one JSON-ready object."""
    bots = list(bots) if bots is not None else None
    keys = keys_of_sender(db, sender, bots) if db.has_events_table() else []
    conversations = []
    with db.engine.connect() as connection:
        for key in keys:
            rows = connection.execute(sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == key).order_by(EVENTS.c.id)).all()
            bot, _ = split_key(key)
            conversations.append({"bot": bot, "key": key, "events": [json.loads(row.data) for row in rows if row.data]})
    return {
        "sender": sender,
        "conversations": conversations,
        "other_records": _other_rows(_identities(sender, bots, keys), delete=False, tracker_db_url=db.url, bots=bots),
    }


@dataclass
class DeleteReport:
    """What an erasure removed: events per conversation key, rows per other store table."""

    events: dict[str, int] = field(default_factory=dict)
    other_rows: dict[str, int] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not self.events and not self.other_rows


def delete_sender(db: TrackerDb, sender: str, bots: Optional[Iterable[str]] = None) -> DeleteReport:
    """Erase a sender's conversations (of the given bots, all when None) and their rows in other stores."""
    bots = list(bots) if bots is not None else None
    report = DeleteReport()
    keys = keys_of_sender(db, sender, bots) if db.has_events_table() else []
    with db.engine.begin() as connection:
        for key in keys:
            report.events[key] = connection.execute(EVENTS.delete().where(EVENTS.c.sender_id == key)).rowcount
    report.other_rows = _other_rows(_identities(sender, bots, keys), delete=True, tracker_db_url=db.url, bots=bots)
    return report

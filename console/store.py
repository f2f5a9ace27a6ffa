"""The console's own tables (users, sessions, audit log, review queue, handoffs, daily turns) in one database.

`HKBOT_CONSOLE_DB` (a SQLAlchemy URL) or SQLite at `data_dir()/console.sqlite3`. Rows about
citizens carry `bot` and `sender`/`sender_hash` columns (a keyed pseudonym, `sender_pseudonym`);
`console.citizen_data` registers them for `hkbot privacy purge/export/delete`.
"""
from __future__ import annotations

import os
import threading

import sqlalchemy as sa

from bots.storage.sql_driver import Prepared, insert_row
from hkbot.settings import data_dir
from knowledge.db_store import engine_for
import privacy.pseudonym as pseudonyms
from privacy.pseudonym import create_tables, database_key

DB_ENV = "HKBOT_CONSOLE_DB"
DEFAULT_FILE = "console.sqlite3"

metadata = sa.MetaData()

users = sa.Table(
    "console_users", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

sessions = sa.Table(
    "console_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

login_failures = sa.Table(
    "console_login_failures", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
)

audit = sa.Table(
    "console_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False, default=""),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)

review_items = sa.Table(
    "console_review_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("bot", sa.String(64), nullable=False),
    sa.Column("group_key", sa.String(500), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),  # redacted
    sa.Column("language", sa.String(10), nullable=False, default="und"),
    sa.Column("reason", sa.String(20), nullable=False),  # fallback, low_confidence, clarify
    sa.Column("topic", sa.String(200), nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("sender_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="open"),  # open, attached, drafted, dismissed
    # The knowledge base the retrieval's top candidates agreed on ("" = they did not; NULL = queued before this column).
    sa.Column("kb", sa.String(100), nullable=True),
)

handoffs = sa.Table(
    "console_handoffs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bot", sa.String(64), nullable=False),
    sa.Column("sender", sa.String(128), nullable=False),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # waiting, active, closed, expired
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("taken_at", sa.Float, nullable=True),
    sa.Column("closed_at", sa.Float, nullable=True),
    sa.Column("agent", sa.String(64), nullable=True),
    # The bot gave crisis lines in this conversation (kind `crisis`): first in the queue, marked (null in older rows).
    sa.Column("urgent", sa.Boolean, nullable=True),
    # When it became urgent: its shorter wait (`handoff.urgent_wait_seconds`) counts from then (null: not urgent, or older rows).
    sa.Column("urgent_at", sa.Float, nullable=True),
)

handoff_messages = sa.Table(
    "console_handoff_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handoff_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("author", sa.String(20), nullable=False),  # citizen, bot, agent, system
    sa.Column("text", sa.Text, nullable=False),  # redacted
)

turns = sa.Table(
    "console_turns", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("day", sa.String(10), nullable=False, index=True),
    sa.Column("bot", sa.String(64), nullable=False),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # answer, fallback, clarify, handoff, silent, ...
    sa.Column("topic", sa.String(200), nullable=True),
    sa.Column("sender_hash", sa.String(64), nullable=False),
)


#: Columns added after a table was first shipped: created in older databases on first use (table, column).
ADDED_COLUMNS: tuple[tuple[sa.Table, str], ...] = ((review_items, "kb"), (handoffs, "urgent"), (handoffs, "urgent_at"))


def add_missing_columns(db: sa.engine.Engine) -> list[str]:
    """Add the ADDED_COLUMNS an older console database lacks (nullable, so old rows stay valid); returns what was added."""
    inspector = sa.inspect(db)
    added = []
    for table, name in ADDED_COLUMNS:
        if name in {c["name"] for c in inspector.get_columns(table.name)}:
            continue
        column = table.c[name]
        kind = column.type.compile(dialect=db.dialect)
        try:
            with db.begin() as connection:
                connection.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN {name} {kind}'))
            added.append(f"{table.name}.{name}")
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # another process added it at the same moment
            if name not in {c["name"] for c in sa.inspect(db).get_columns(table.name)}:
                raise
    return added


def default_url() -> str:
    return os.environ.get(DB_ENV, "").strip() or f"sqlite:///{data_dir() / DEFAULT_FILE}"


_ready: set[str] = set()
_lock = threading.Lock()


_inserts: dict[tuple, Prepared] = {}


def insert(engine: sa.engine.Engine, table: sa.Table, values: dict) -> None:
    """One row into `table`, with its INSERT compiled once per engine and columns (for per-turn writes)."""
    key = (id(engine), table.name, tuple(values))
    statement = _inserts.get(key)
    if statement is None:
        statement = _inserts[key] = Prepared(table.insert(), engine.dialect, column_keys=list(values))
    insert_row(engine, statement, values)


def engine(url: str | None = None) -> sa.engine.Engine:
    """The console database (tables created on first use)."""
    url = url or default_url()
    db = engine_for(url)
    with _lock:
        if url not in _ready:
            create_tables(metadata, db)
            add_missing_columns(db)
            _ready.add(url)
    return db


def sender_pseudonym(db: sa.engine.Engine, bot: str, sender: str) -> str:
    """How console rows refer to a bot's sender: the keyed hash of `<bot>:<sender>` with this database's key."""
    return pseudonyms.sender_pseudonym(bot, sender, database_key(db))

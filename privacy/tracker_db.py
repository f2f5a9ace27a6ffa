"""Where the conversations are stored: the `events` table of Rasa's SQLTrackerStore, reached without loading Rasa.

The server keeps every bot's conversations in one SQL tracker store, under keys
`<bot>:<sender>` (see `bots.runtime.agents.BotTrackerStore`). By default that is SQLite at
`data_dir()/trackers.sqlite3`; when `HKBOT_ENDPOINTS` names an endpoints.yml whose
`tracker_store` is `type: sql`, it is that database (PostgreSQL for several replicas).
Plain SQLAlchemy is enough for reading and deleting rows, and keeps `hkbot privacy` quick.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

import sqlalchemy as sa
import yaml

from hkbot.settings import data_dir

ENDPOINTS_ENV = "HKBOT_ENDPOINTS"  # the same variable bots.runtime.agents reads
#: The default tracker database file; bots.runtime.agents.tracker_db_path() names the same file
#: (kept here too so the command does not import Rasa; a test checks they agree).
TRACKER_DB_NAME = "trackers.sqlite3"
KEY_SEPARATOR = ":"
BOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,63}$")

_metadata = sa.MetaData()
#: Rasa 3.6's SQLTrackerStore.SQLEvent table, the columns we use.
EVENTS = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


class TrackerStoreError(RuntimeError):
    """The tracker store cannot be reached or is not an SQL store; the message says what to do."""


def default_tracker_db_url() -> str:
    return f"sqlite:///{data_dir() / TRACKER_DB_NAME}"


def _sql_url(config: dict[str, Any]) -> str:
    """The SQLAlchemy URL Rasa's SQLTrackerStore builds from an endpoints.yml `tracker_store` block."""
    host = config.get("url") or config.get("host")
    if host and "://" in str(host):
        return str(host)
    port = config.get("port")
    url = sa.engine.URL.create(
        str(config.get("dialect") or "sqlite"),
        username=config.get("username"),
        password=config.get("password"),
        host=host,
        port=int(port) if port not in (None, "") else None,
        database=config.get("db") or "rasa.db",
        query=config.get("query") or {},
    )
    return url.render_as_string(hide_password=False)


def tracker_db_url(endpoints: Optional[str] = None) -> str:
    """The SQLAlchemy URL of the conversations database: from HKBOT_ENDPOINTS when set, else the default SQLite file."""
    path = endpoints or os.environ.get(ENDPOINTS_ENV)
    if not path:
        return default_tracker_db_url()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise TrackerStoreError(f"{ENDPOINTS_ENV}={path}: cannot read it ({error.strerror})") from None
    config = (yaml.safe_load(os.path.expandvars(text)) or {}).get("tracker_store")
    if not config:
        return default_tracker_db_url()
    kind = str(config.get("type") or "").lower()
    if kind != "sql":
        raise TrackerStoreError(
            f"{path}: tracker_store type {kind or '?'!r} is not an SQL store; these commands work on "
            "type: sql (SQLite, PostgreSQL). For Redis, set record_exp to expire conversations."
        )
    return _sql_url(config)


@dataclass
class TrackerDb:
    """An open connection pool on the conversations database."""

    url: str
    engine: sa.engine.Engine

    def has_events_table(self) -> bool:
        return sa.inspect(self.engine).has_table("events")


def open_tracker_db(url: Optional[str] = None) -> TrackerDb:
    """The conversations database at `url` (default: where the server keeps it); fails clearly when it is missing."""
    url = url or tracker_db_url()
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise TrackerStoreError(f"{url!r} is not a database URL (e.g. sqlite:////path/trackers.sqlite3, postgresql://user@host/db)") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).is_file():
            raise TrackerStoreError(f"no conversations database at {database}: nothing has been stored yet, or set HKBOT_DATA_DIR / HKBOT_ENDPOINTS")
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})  # wait for a server writing at the same time
    else:
        engine = sa.create_engine(parsed, pool_pre_ping=True)
    try:
        with engine.connect():
            pass
    except sa.exc.SQLAlchemyError as error:
        raise TrackerStoreError(f"cannot connect to the conversations database {parsed.render_as_string(hide_password=True)}: {error.__class__.__name__}") from None
    return TrackerDb(url=url, engine=engine)


def conversation_key(bot: str, sender: str) -> str:
    """How the server keys a bot's conversation with a sender."""
    return f"{bot}{KEY_SEPARATOR}{sender}"


def split_key(key: str) -> tuple[Optional[str], str]:
    """(bot, sender) of a stored key; bot is None for keys not written by the multi-bot server."""
    bot, separator, sender = key.partition(KEY_SEPARATOR)
    if separator and BOT_NAME.match(bot):
        return bot, sender
    return None, key


def keys_of_sender(db: TrackerDb, sender: str, bots: Optional[Iterable[str]] = None) -> list[str]:
    """Every stored key of this sender: `<bot>:<sender>` for the given bots (any bot when None)."""
    column = EVENTS.c.sender_id
    if bots is not None:
        wanted = [conversation_key(bot, sender) for bot in bots]
        query = sa.select(column).where(column.in_(wanted)).distinct()
    else:
        query = sa.select(column).where(sa.or_(column == sender, column.endswith(KEY_SEPARATOR + sender, autoescape=True))).distinct()
    with db.engine.connect() as connection:
        found = [row[0] for row in connection.execute(query)]
    if bots is None:  # a key "a:b:<sender>" belongs to sender "b:<sender>", not to this one
        found = [key for key in found if key == sender or split_key(key)[1] == sender]
    return sorted(found)

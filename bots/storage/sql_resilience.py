"""Rasa's SQL tracker store made sturdy: PostgreSQL restarts ridden out, SQLite commits made cheap.

Rasa's `SQLTrackerStore` keeps pooled connections that die when PostgreSQL restarts;
the next message would then fail, and Rasa's `FailSafeTrackerStore` would answer it
from an empty tracker. Here every pooled connection is pinged before use
(SQLAlchemy `pool_pre_ping`), and opening a new one is retried for up to
`HKBOT_DB_RETRY_SECONDS` (default 10) while the database is starting, so replicas
continue the same conversations once it is back. SQLite stores get pooled connections and a
write-ahead log instead (`use_write_ahead_log`).
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any

import sqlalchemy as sa

from knowledge.db_store import engine_for

logger = logging.getLogger("hkbot.sql")

RETRY_ENV = "HKBOT_DB_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 10.0


def retry_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(RETRY_ENV, DEFAULT_RETRY_SECONDS)))
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def retry_connects(engine: sa.engine.Engine, seconds: float | None = None) -> sa.engine.Engine:
    """Make `engine` retry opening a connection (backoff 0.1 s to 1 s) while the server is unreachable."""
    limit = retry_seconds() if seconds is None else seconds

    @sa.event.listens_for(engine, "do_connect")
    def connect_with_retry(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        deadline, delay, warned = time.monotonic() + limit, 0.1, False
        while True:
            try:
                connection = dialect.dbapi.connect(*cargs, **cparams)
            except dialect.dbapi.OperationalError as error:
                if time.monotonic() + delay > deadline:
                    raise
                if not warned:
                    logger.warning("database %s unreachable (%s); retrying for up to %.0f s",
                                   engine.url.render_as_string(hide_password=True), str(error).strip().splitlines()[0], limit)
                    warned = True
                time.sleep(delay)  # the tracker store is synchronous: this turn waits, others would fail anyway
                delay = min(delay * 2, 1.0)
                continue
            if warned:
                logger.info("database %s reachable again", engine.url.render_as_string(hide_password=True))
            return connection

    return engine


def find_sql_store(store: Any) -> Any:
    """Rasa's SQLTrackerStore inside the wrappers Rasa puts around it, or None."""
    from rasa.core.tracker_store import SQLTrackerStore

    for _ in range(6):
        if isinstance(store, SQLTrackerStore):
            return store
        store = getattr(store, "_tracker_store", None)
        if store is None:
            return None
    return None


def harden_tracker_store(store: Any) -> Any:
    """Give a server-database SQLTrackerStore (in any wrapper) a pre-pinging, retrying engine; returns `store`."""
    sql = find_sql_store(store)
    if sql is None or sql.engine.dialect.name == "sqlite":
        return store
    from rasa.core.tracker_store import create_engine_kwargs

    url = sql.engine.url
    engine = retry_connects(sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url)))
    sql.engine.dispose()
    sql.engine = engine
    sql.sessionmaker = sa.orm.sessionmaker(bind=engine)
    logger.info("tracker store %s: connections pinged before use, reconnects retried for %.0f s",
                url.render_as_string(hide_password=True), retry_seconds())
    return store


def use_write_ahead_log(store: Any) -> Any:
    """Give a SQLite tracker store the project's SQLite engine (pooled, WAL, `synchronous=NORMAL`); returns `store`.

    SQLAlchemy opens and closes a SQLite connection per session, and SQLite's default
    (rollback journal, `synchronous=FULL`) syncs the disk several times per commit: together
    a third of each turn. `knowledge.db_store.engine_for` keeps connections in a pool, and with
    a write-ahead log a commit is one append; it survives a crash of the server, and readers
    (the console, `hkbot privacy` commands) no longer wait for writers. Only a power cut can
    lose the last moments of conversations.
    """
    sql = find_sql_store(store)
    if sql is None or sql.engine.dialect.name != "sqlite":
        return store
    engine = engine_for(sql.engine.url.render_as_string(hide_password=False))
    sql.engine.dispose()
    sql.engine = engine
    sql.sessionmaker = sa.orm.sessionmaker(bind=engine)
    return store

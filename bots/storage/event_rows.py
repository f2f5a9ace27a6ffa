"""The tracker cache's two per-turn queries on Rasa's `events` table, run straight on the database driver.

Each turn asks for a conversation's version (row count and newest id) three or four times
and appends a few rows; `bots.storage.sql_driver` runs them without SQLAlchemy's per-call layers.
On SQLite an append takes the write lock first (`BEGIN IMMEDIATE`), so the version it checks
cannot change before its rows are in.
"""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa

from bots.storage.sql_driver import Prepared, driver_cursor

Version = tuple[int, Optional[int]]

#: The columns Rasa's `SQLTrackerStore.save` fills, in its order.
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


class EventRows:
    """Version reads and guarded appends for one `events` table (Rasa's `SQLTrackerStore.SQLEvent`)."""

    def __init__(self, engine: sa.engine.Engine, table: sa.Table) -> None:
        self.engine = engine
        self._version = Prepared(
            sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(table.c.sender_id == sa.bindparam("key")),
            engine.dialect,
        )
        self._insert = Prepared(table.insert(), engine.dialect, column_keys=list(COLUMNS))

    def _read(self, cursor: Any, key: str) -> Version:
        cursor.execute(self._version.sql, self._version.params({"key": key}))
        count, newest = cursor.fetchone()
        return int(count), newest

    def version(self, key: str) -> Version:
        """How many rows the conversation `key` has, and its newest row id."""
        with driver_cursor(self.engine) as cursor:
            return self._read(cursor, key)

    def append(self, key: str, known: Version, rows: list[dict[str, Any]]) -> Optional[Version]:
        """Insert `rows` if the conversation is still at `known`, in one transaction; its new version, or None."""
        with driver_cursor(self.engine, write_lock=True) as cursor:
            if self._read(cursor, key) != known:
                return None  # nothing written; the commit ends the read
            if rows:
                cursor.executemany(self._insert.sql, [self._insert.params(row) for row in rows])
            return self._read(cursor, key)

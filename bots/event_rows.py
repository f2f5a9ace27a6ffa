"""The tracker cache's two per-turn queries on Rasa's `events` table, run straight on the database driver.

Each turn asks for a conversation's version (row count and newest id) three or four times
and appends a few rows. Through SQLAlchemy's connection, statement and result layers each
query cost ~0.3 ms of the event loop, ten times the database's own work. `EventRows`
compiles the statements once for the engine's dialect (so PostgreSQL and SQLite get their
own SQL and parameter style) and runs them on a pooled DBAPI connection from the same
engine. On SQLite an append takes the write lock first (`BEGIN IMMEDIATE`), so the version
it checks cannot change before its rows are in.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional

import sqlalchemy as sa

Version = tuple[int, Optional[int]]

#: The columns Rasa's `SQLTrackerStore.save` fills, in its order.
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


class Prepared:
    """A statement compiled once for a dialect, with its parameters in the driver's style."""

    def __init__(self, statement: Any, dialect: Any, column_keys: Optional[list[str]] = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        self.positions = list(compiled.positiontup) if compiled.positional else None

    def params(self, values: dict[str, Any]) -> Any:
        return tuple(values[name] for name in self.positions) if self.positions is not None else values


class EventRows:
    """Version reads and guarded appends for one `events` table (Rasa's `SQLTrackerStore.SQLEvent`)."""

    def __init__(self, engine: sa.engine.Engine, table: sa.Table) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self._version = Prepared(
            sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(table.c.sender_id == sa.bindparam("key")),
            engine.dialect,
        )
        self._insert = Prepared(table.insert(), engine.dialect, column_keys=list(COLUMNS))

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor on a pooled connection: committed when the block ends, rolled back if it raises."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool

    def _read(self, cursor: Any, key: str) -> Version:
        cursor.execute(self._version.sql, self._version.params({"key": key}))
        count, newest = cursor.fetchone()
        return int(count), newest

    def version(self, key: str) -> Version:
        """How many rows the conversation `key` has, and its newest row id."""
        with self._cursor() as cursor:
            return self._read(cursor, key)

    def append(self, key: str, known: Version, rows: list[dict[str, Any]]) -> Optional[Version]:
        """Insert `rows` if the conversation is still at `known`, in one transaction; its new version, or None."""
        with self._cursor() as cursor:
            if self.sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            if self._read(cursor, key) != known:
                return None  # nothing written; the commit ends the read
            if rows:
                cursor.executemany(self._insert.sql, [self._insert.params(row) for row in rows])
            return self._read(cursor, key)

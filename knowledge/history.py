"""Which entries changed when: version headers and the entries changed since a version or a moment.

Reads the published versions of knowledge.db_store (each one a full snapshot) and compares two
snapshots with knowledge.versions, so "changed in the last 7 days" is exactly what the Versions
pages would show between the last version before that week and the live one.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from knowledge.db_store import KnowledgeDatabase, Version, versions_table
from knowledge.versions import diff_entries


@dataclass(frozen=True)
class VersionHeader:
    """A published version without its entries: for choosing one in a list."""

    number: int
    created_at: float
    author: str
    message: str


@dataclass(frozen=True)
class Changes:
    """Entries that differ between a baseline version (None: before the first one) and the live version."""

    baseline: int | None
    latest: int
    kinds: dict[str, str]  # entry id -> added / changed / removed

    def ids(self, kind: str | None = None) -> set[str]:
        return {i for i, k in self.kinds.items() if kind is None or k == kind}


def headers(database: KnowledgeDatabase, limit: int = 100) -> list[VersionHeader]:
    """The most recent versions first, without loading any snapshot."""
    table = versions_table
    query = sa.select(table.c.number, table.c.created_at, table.c.author, table.c.message).order_by(table.c.number.desc()).limit(limit)
    with database.engine.connect() as connection:
        return [VersionHeader(int(r.number), float(r.created_at), str(r.author), str(r.message or "")) for r in connection.execute(query)]


def version_before(database: KnowledgeDatabase, moment: float) -> Version | None:
    """The version that was live at `moment` (the last one published before it); None if none was."""
    table = versions_table
    query = sa.select(sa.func.max(table.c.number)).where(table.c.created_at < moment)
    with database.engine.connect() as connection:
        number = connection.execute(query).scalar()
    return database.version(int(number)) if number is not None else None


def changes_since(database: KnowledgeDatabase, baseline: Version | None) -> Changes | None:
    """Entries changed from `baseline` to the live version; None when nothing is published yet."""
    latest = database.version()
    if latest is None:
        return None
    before = baseline.entries if baseline is not None else []
    kinds = {c.entry_id: c.kind for c in diff_entries(before, latest.entries)}
    return Changes(baseline.number if baseline is not None else None, latest.number, kinds)

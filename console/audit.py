"""The audit log: who changed what, when. Every state-changing console action writes one row."""
from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from console import store

#: User names the console writes entries under by itself: `system` (handoff timeouts), `cli`
#: (`hkbot console add-user`), `-` (a failed log-in with no name). No operator may have one.
SYSTEM = "system"
CLI = "cli"
ANONYMOUS = "-"
AUTOMATIC_USERS: frozenset[str] = frozenset({SYSTEM, CLI, ANONYMOUS})


def is_automatic(name: str) -> bool:
    """True for a name only the console's own entries use (compared without case: `System` looks the same in the log)."""
    return (name or "").strip().lower() in AUTOMATIC_USERS


@dataclass(frozen=True)
class AuditRecord:
    at: float
    user: str
    action: str
    target: str
    detail: str


def record(user: str, action: str, target: str = "", detail: str = "", url: str | None = None) -> None:
    """Append one line to the audit log (never updated or deleted by the console)."""
    with store.engine(url).begin() as connection:
        connection.execute(store.audit.insert().values(
            at=time.time(), user=user[:64], action=action[:64], target=target[:200], detail=detail[:4000],
        ))


def recent(limit: int = 200, user: str | None = None, action: str | None = None, url: str | None = None) -> list[AuditRecord]:
    """The latest audit lines, newest first."""
    query = sa.select(store.audit).order_by(store.audit.c.id.desc()).limit(limit)
    if user:
        query = query.where(store.audit.c.user == user)
    if action:
        query = query.where(store.audit.c.action == action)
    with store.engine(url).connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [AuditRecord(r["at"], r["user"], r["action"], r["target"], r["detail"]) for r in rows]

"""Data access and erasure requests: everything stored about one sender, exported as JSON or deleted.

Every store is visited through the registry `privacy.citizen_data.citizen_stores()`:
the conversations (keys `<bot>:<sender>`), the feedback, the console's review queue,
handoffs with their transcripts, turns and the audit lines quoting a citizen, on SQLite
or PostgreSQL. Each store finds the sender by id or by keyed pseudonym (`privacy.pseudonym`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from hkbot.bot_config import bot_names
from privacy.citizen_data import SubjectRequest, Where, citizen_stores
from privacy.tracker_db import TrackerDb, conversation_key


def subject_request(sender: str, bots: Optional[Iterable[str]] = None) -> SubjectRequest:
    """The request for a sender: their id and the `<bot>:<sender>` key of every bot asked for (every configured bot when None)."""
    chosen = tuple(bots) if bots is not None else None
    # every configured bot: a purged conversation may have left rows in other stores
    names = {sender} | {conversation_key(bot, sender) for bot in (chosen if chosen is not None else bot_names())}
    return SubjectRequest(sender=sender, bots=chosen, identities=tuple(sorted(names)))


def _where(db: TrackerDb, console_url: Optional[str]) -> Where:
    return Where(tracker_url=db.url, console_url=console_url)


def export_sender(db: TrackerDb, sender: str, bots: Optional[Iterable[str]] = None, console_url: Optional[str] = None) -> dict[str, Any]:
    """Everything stored about a sender, as one JSON-ready object: conversations, and the rows of every other store."""
    request = subject_request(sender, bots)
    record: dict[str, Any] = {"sender": sender, "conversations": [], "other_records": {}}
    for store in citizen_stores(_where(db, console_url)):
        rows = store.export(request)
        if store.name == "conversations":
            record["conversations"] = rows
        elif rows:
            record["other_records"][store.name] = rows
    return record


@dataclass
class DeleteReport:
    """What an erasure removed: events per conversation key, rows per other store."""

    events: dict[str, int] = field(default_factory=dict)
    other_rows: dict[str, int] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not self.events and not self.other_rows


def delete_sender(db: TrackerDb, sender: str, bots: Optional[Iterable[str]] = None, console_url: Optional[str] = None) -> DeleteReport:
    """Erase a sender's conversations (of the given bots, all when None) and their rows in every other store."""
    request = subject_request(sender, bots)
    report = DeleteReport()
    for store in citizen_stores(_where(db, console_url)):
        if store.name == "conversations":
            report.events = store.delete_keys(request)  # type: ignore[attr-defined]
            continue
        count = store.delete(request)
        if count:
            report.other_rows[store.name] = count
    return report

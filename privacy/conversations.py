"""The conversations (Rasa's `events` table, keys `<bot>:<sender>`) as a registered citizen-data store."""
from __future__ import annotations

import json
from typing import Any, Optional

import sqlalchemy as sa

from privacy.citizen_data import PurgeResult, Retention, SubjectRequest, Where
from privacy.retention import purge_before
from privacy.tracker_db import EVENTS, TrackerDb, keys_of_sender, open_tracker_db, split_key


class Conversations:
    """Every event of every conversation: what the citizen typed (redacted) and what the bot answered."""

    name = "conversations"
    tables = ("events",)
    retention = "a conversation session is deleted once its last event is older than the bot's retention_days"

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url
        self._db: Optional[TrackerDb] = None

    @property
    def db(self) -> TrackerDb:
        if self._db is None:
            self._db = open_tracker_db(self.url)
        return self._db

    def _keys(self, request: SubjectRequest) -> list[str]:
        if not self.db.has_events_table():
            return []
        return keys_of_sender(self.db, request.sender, request.bots)

    def export(self, request: SubjectRequest) -> list[dict[str, Any]]:
        conversations = []
        with self.db.engine.connect() as connection:
            for key in self._keys(request):
                rows = connection.execute(sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == key).order_by(EVENTS.c.id)).all()
                conversations.append({"bot": split_key(key)[0], "key": key, "events": [json.loads(row.data) for row in rows if row.data]})
        return conversations

    def delete_keys(self, request: SubjectRequest) -> dict[str, int]:
        """Events deleted per conversation key."""
        deleted = {}
        keys = self._keys(request)
        with self.db.engine.begin() as connection:
            for key in keys:
                deleted[key] = connection.execute(EVENTS.delete().where(EVENTS.c.sender_id == key)).rowcount
        return deleted

    def delete(self, request: SubjectRequest) -> int:
        return sum(self.delete_keys(request).values())

    def purge(self, retention: Retention, dry_run: bool = False) -> PurgeResult:
        report = purge_before(self.db, retention.cutoff, retention.only, dry_run)
        return PurgeResult(deleted=report.total_events)


def citizen_stores(where: Where) -> list[Conversations]:
    return [Conversations(where.tracker_url)]

"""Each conversation's last saved tracker kept in this process; the database is re-read only when it moved on.

Rasa's `SQLTrackerStore` reads and deserialises the whole session on every turn, and the
operator console reads it once more after the turn: most of a turn's time went there.
`CachedTrackerStore` keeps the events of the tracker it last saved or loaded for each
conversation, together with that conversation's version in the database (number of stored
events and the highest row id). A read asks the database for the version only (one indexed
query) and, when it is unchanged, replays the kept events into a new tracker, as Rasa's own
read would. A save that continues the kept events inserts just the new rows, in the same
form as Rasa's `SQLTrackerStore.save`, checking the version in the same transaction
(`bots.storage.event_rows`: both queries run on the database driver, compiled once); a conversation
the database has no rows for is read as absent and its first save appended whole.
Another replica's write, a retention or subject-request deletion, or a restart change or
lose the version, and the next read or save goes through Rasa's store as before. Stores
that are not SQL, and stores with an event broker, keep Rasa's own reads and saves.
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict
from functools import cached_property
from typing import Any, Iterable, Optional

from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bots.storage.event_rows import EventRows, Version
from bots.storage.sql_resilience import find_sql_store
from bots.storage.wrapper import WrappingTrackerStore

#: Conversations kept per bot and process (env `HKBOT_TRACKER_CACHE`, 0 turns the cache off);
#: the least recently used are forgotten first. A ten-message conversation takes ~0.1 MB.
SIZE_ENV = "HKBOT_TRACKER_CACHE"
DEFAULT_SIZE = 500


def cache_size() -> int:
    """How many conversations each bot keeps in memory (`HKBOT_TRACKER_CACHE`, default 500)."""
    try:
        return max(0, int(os.environ.get(SIZE_ENV, DEFAULT_SIZE)))
    except ValueError:
        return DEFAULT_SIZE


def latest_session(events: list[Event]) -> list[Event]:
    """The events Rasa's SQL store reads back for the latest session: from the last `SessionStarted` timestamp on."""
    starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
    if not starts:
        return list(events)
    start = max(starts)
    return [event for event in events if event.timestamp >= start]


class CachedTrackerStore(WrappingTrackerStore):
    """Serves reads of a per-bot SQL store from memory while the conversation's database version is unchanged."""

    def __init__(self, inner: Any, size: int = DEFAULT_SIZE) -> None:
        super().__init__(inner)  # a BotTrackerStore: `key(sender)` is the conversation's row key
        self.sql = find_sql_store(getattr(inner, "inner", None)) if size > 0 else None  # None: pass through
        self.size = size
        self.kept: OrderedDict[str, tuple[Version, list[Event]]] = OrderedDict()
        self.just_saved: OrderedDict[str, DialogueStateTracker] = OrderedDict()

    @cached_property
    def rows(self) -> EventRows:
        """The per-turn queries on the SQL store's events table, run on its engine's driver."""
        if self.sql is None:  # cannot be: `save` and `retrieve` pass through before reading rows without an SQL store
            raise RuntimeError("no SQL tracker store to read rows from")
        return EventRows(self.sql.engine, self.sql.SQLEvent.__table__)

    def version(self, sender_id: str) -> Version:
        """How many events the database holds for the conversation, and its newest row id."""
        return self.rows.version(self.inner.key(sender_id))

    def _insert_new_events(self, tracker: DialogueStateTracker, known: Version, new: list[Event]) -> Optional[Version]:
        """Append `new` as Rasa's SQL store would, if the stored conversation is still `known`; its new version."""
        key = self.inner.key(tracker.sender_id)
        rows = []
        for event in new:
            data = event.as_dict()
            rows.append({
                "sender_id": key,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            })
        return self.rows.append(key, known, rows)

    def _keep(self, sender_id: str, version: Version, events: list[Event]) -> None:
        self.kept[sender_id] = (version, events)
        self.kept.move_to_end(sender_id)
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)

    def take_saved(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker this store last saved for the conversation, once (for a turn listener that reads it at once)."""
        return self.just_saved.pop(sender_id, None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self.sql is None:
            return await self._sync().save(tracker)
        self.just_saved.pop(tracker.sender_id, None)
        await self._save(tracker)
        self.just_saved[tracker.sender_id] = tracker
        while len(self.just_saved) > self.size:
            self.just_saved.popitem(last=False)

    async def _save(self, tracker: DialogueStateTracker) -> None:
        entry = self.kept.pop(tracker.sender_id, None)  # if anything below fails, nothing stale stays
        events = list(tracker.events)
        # A conversation this process knows goes on from its kept events; one it does not
        # know is appended whole if the database has nothing for it yet (a new conversation).
        known, kept = entry if entry is not None else ((0, None), [])
        if self._continues(kept, events):
            version = self._insert_new_events(tracker, known, events[len(kept):])
            if version is not None:
                self._keep(tracker.sender_id, version, latest_session(events))
                return
        new_conversation = self.version(tracker.sender_id) == (0, None)
        await self._sync().save(tracker)
        if new_conversation:  # the database now holds exactly these events; otherwise the next read goes there
            self._keep(tracker.sender_id, self.version(tracker.sender_id), latest_session(events))

    def _continues(self, kept: list[Event], events: list[Event]) -> bool:
        """True when `events` are the kept ones plus new ones, and nothing else needs Rasa's own save."""
        return (
            not self._streams_events()
            and self.max_event_history is None
            and len(events) >= len(kept)
            and all(old is new for old, new in zip(kept, events))
        )

    def _streams_events(self) -> bool:
        """True when an event broker is connected anywhere down to the SQL store (the server sets it late)."""
        stores = (self, self.inner, getattr(self.inner, "inner", None), self.sql)
        return any(getattr(store, "event_broker", None) is not None for store in stores)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        if self.sql is None:
            return await self._sync().retrieve(sender_id)
        version = self.version(sender_id)  # before the read: a write in between only makes the entry look stale
        entry = self.kept.get(sender_id)
        if entry is not None and entry[0] == version:
            self.kept.move_to_end(sender_id)
            return DialogueStateTracker.from_events(sender_id, entry[1], self.domain.slots)
        if version == (0, None):  # nothing stored: Rasa's read would find no events either
            self.kept.pop(sender_id, None)
            return None
        tracker = await self._sync().retrieve(sender_id)
        if tracker is None:
            self.kept.pop(sender_id, None)
        else:
            self._keep(sender_id, version, list(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        return await self._sync().retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[str]:
        return await self.inner.keys()

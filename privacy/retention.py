"""Retention: delete conversations older than each bot's `privacy.retention_days` from the SQL tracker store.

A conversation session is deleted whole once its last event is older than the cut-off; a
session still in use (some events older, some newer) is kept whole, so a live conversation
never loses its beginning. Keys the multi-bot server did not write (no `<bot>:` prefix, or
a bot no longer configured) follow the default retention.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

import sqlalchemy as sa

from hkbot.bot_config import BotConfigError, bot_names
from privacy.config import default_retention_days, privacy_config
from privacy.tracker_db import EVENTS, TrackerDb, split_key

SESSION_STARTED = "session_started"
SECONDS_PER_DAY = 86_400


@dataclass
class PurgeReport:
    """What a purge deleted (or would delete), per bot."""

    cutoffs: dict[str, float] = field(default_factory=dict)  # bot -> epoch seconds
    events: dict[str, int] = field(default_factory=dict)
    conversations: dict[str, int] = field(default_factory=dict)  # conversations deleted whole

    @property
    def total_events(self) -> int:
        return sum(self.events.values())


def purge(db: TrackerDb, days: Optional[int] = None, bots: Optional[Iterable[str]] = None, now: Optional[float] = None, dry_run: bool = False) -> PurgeReport:
    """Delete (or with dry_run, count) conversation sessions older than the retention period."""
    return purge_before(db, cutoff_function(days, now), bots, dry_run)


def cutoff_function(days: Optional[int] = None, now: Optional[float] = None) -> Callable[[Optional[str]], float]:
    """bot -> the epoch second before which its data is old: `days` for every bot, else each bot's retention_days."""
    now = time.time() if now is None else now
    default_days = days if days is not None else default_retention_days()
    known: dict[Optional[str], int] = {}

    def cutoff(bot: Optional[str]) -> float:
        if bot not in known:
            known[bot] = _days_for(bot, days, default_days)
        return now - known[bot] * SECONDS_PER_DAY

    return cutoff


def strictest_cutoff(cutoff: Callable[[Optional[str]], float]) -> float:
    """The latest cut-off of every configured bot and the default: for rows that belong to no one bot."""
    return max([cutoff(None)] + [cutoff(bot) for bot in bot_names()])


def purge_before(db: TrackerDb, cutoff_of: Callable[[Optional[str]], float], bots: Optional[Iterable[str]] = None, dry_run: bool = False) -> PurgeReport:
    """Delete (or count) conversation sessions that ended before their bot's cut-off."""
    report = PurgeReport()
    if not db.has_events_table():
        return report
    only = set(bots) if bots is not None else None
    with db.engine.connect() as connection:
        keys = [row[0] for row in connection.execute(sa.select(EVENTS.c.sender_id).distinct())]
    for key in keys:
        bot, _ = split_key(key)
        label = bot or "(other)"
        if only is not None and bot not in only:
            continue
        cutoff = cutoff_of(bot)
        report.cutoffs[label] = cutoff
        deleted, whole = _purge_key(db, key, cutoff, dry_run)
        report.events[label] = report.events.get(label, 0) + deleted
        report.conversations[label] = report.conversations.get(label, 0) + int(whole)
    return report


def _days_for(bot: Optional[str], days: Optional[int], default_days: int) -> int:
    if days is not None or bot is None:
        return default_days
    try:
        return privacy_config(bot).retention_days
    except BotConfigError:  # a bot no longer configured: its conversations follow the default
        return default_days


def _purge_key(db: TrackerDb, key: str, cutoff: float, dry_run: bool) -> tuple[int, bool]:
    """(events deleted, whether the whole conversation went) for one stored key."""
    with db.engine.begin() as connection:
        newest = connection.execute(sa.select(sa.func.max(EVENTS.c.timestamp)).where(EVENTS.c.sender_id == key)).scalar()
        if newest is not None and newest < cutoff:  # the common case: the whole conversation is old
            count = connection.execute(sa.select(sa.func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == key)).scalar() or 0
            if not dry_run:
                connection.execute(EVENTS.delete().where(EVENTS.c.sender_id == key))
            return int(count), True
        oldest = connection.execute(sa.select(sa.func.min(EVENTS.c.timestamp)).where(EVENTS.c.sender_id == key)).scalar()
        if oldest is None or oldest >= cutoff:
            return 0, False
        rows = connection.execute(
            sa.select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.action_name, EVENTS.c.timestamp).where(EVENTS.c.sender_id == key).order_by(EVENTS.c.id)
        ).all()
        ids = old_session_ids([(row.id, row.type_name, row.action_name, row.timestamp) for row in rows], cutoff)
        if ids and not dry_run:
            for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
                connection.execute(EVENTS.delete().where(EVENTS.c.id.in_(ids[start : start + 500])))
        return len(ids), False


def old_session_ids(rows: list[tuple[int, str, Optional[str], Optional[float]]], cutoff: float) -> list[int]:
    """Ids of one conversation's events (ordered by id) in sessions whose last event is before `cutoff`.

    A session begins at `action_session_start` (Rasa logs it right before `session_started`)
    or at a `session_started` without one; the newest session is never deleted here.
    """
    sessions: list[list[tuple[int, Optional[float]]]] = [[]]
    for index, (event_id, type_name, action_name, timestamp) in enumerate(rows):
        opens = action_name == "action_session_start" or (
            type_name == SESSION_STARTED and not (index and rows[index - 1][2] == "action_session_start")
        )
        if opens and sessions[-1]:
            sessions.append([])
        sessions[-1].append((event_id, timestamp))
    ids: list[int] = []
    for session in sessions[:-1]:
        stamps = [stamp for _, stamp in session if stamp is not None]
        if stamps and max(stamps) < cutoff:
            ids.extend(event_id for event_id, _ in session)
    return ids

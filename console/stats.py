"""Dashboard numbers per bot and day: messages, answered and fallback rates, handoffs, feedback, languages, topics.

Turns come from `console.capture` (one row per citizen message, no text); feedback from the
actions' SQLite store (`actions.feedback_store`).
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from actions.feedback_store import FeedbackStore, default_path
from console import store


def day_of(at: float) -> str:
    """The local calendar day of a timestamp (Hong Kong servers run on local time)."""
    return dt.datetime.fromtimestamp(at).date().isoformat()


def record_turn(bot: str, sender: str, language: str, kind: str, topic: str | None, at: float | None = None,
                url: str | None = None) -> None:
    at = time.time() if at is None else at
    db = store.engine(url)
    store.insert(db, store.turns, {
        "at": at, "day": day_of(at), "bot": bot, "language": language or "und", "kind": kind or "other",
        "topic": topic, "sender_hash": store.sender_pseudonym(db, bot, sender),
    })


def whole_percentages(counts: dict[str, int]) -> dict[str, int]:
    """Counts as whole percentages that sum to 100 (largest remainders round up); all 0 when there are none."""
    total = sum(counts.values())
    if not total:
        return {key: 0 for key in counts}
    exact = {key: 100 * value / total for key, value in counts.items()}
    shares = {key: int(value) for key, value in exact.items()}
    for key in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[:100 - sum(shares.values())]:
        shares[key] += 1
    return shares


@dataclass
class DayStats:
    """One bot's day."""

    bot: str
    day: str
    messages: int = 0
    answered: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    helpful: int = 0
    not_helpful: int = 0
    languages: Counter = field(default_factory=Counter)

    @property
    def answered_rate(self) -> float:
        return self.answered / self.messages if self.messages else 0.0

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.messages if self.messages else 0.0

    @property
    def other(self) -> int:
        """Messages that were none of the three: greetings, small talk, clarifying questions, checklists."""
        return self.messages - self.answered - self.fallbacks - self.handoffs

    def shares(self) -> dict[str, int]:
        """Whole percentages of answered, fallback, handoff and other messages that add up to exactly 100."""
        return whole_percentages({"answered": self.answered, "fallback": self.fallbacks,
                                  "handoff": self.handoffs, "other": self.other})

    def to_dict(self) -> dict:
        return {
            "bot": self.bot, "day": self.day, "messages": self.messages, "answered": self.answered,
            "fallbacks": self.fallbacks, "handoffs": self.handoffs, "helpful": self.helpful,
            "not_helpful": self.not_helpful, "answered_rate": round(self.answered_rate, 3),
            "fallback_rate": round(self.fallback_rate, 3), "languages": dict(self.languages),
        }


def _feedback_rows(path: Path | None):
    path = path or default_path()
    if not Path(path).is_file():
        return []
    return FeedbackStore(path).all()


def daily(days: int = 14, bot: str | None = None, today: dt.date | None = None, url: str | None = None,
          feedback_path: Path | None = None) -> tuple[list[DayStats], dict[str, Counter]]:
    """Per (bot, day) numbers for the last `days` days, and each bot's top topics over them."""
    today = today or dt.date.today()
    first = (today - dt.timedelta(days=days - 1)).isoformat()
    query = sa.select(store.turns.c.day, store.turns.c.bot, store.turns.c.language, store.turns.c.kind,
                      store.turns.c.topic).where(store.turns.c.day >= first)
    if bot:
        query = query.where(store.turns.c.bot == bot)
    with store.engine(url).connect() as connection:
        rows = connection.execute(query).all()
    table: dict[tuple[str, str], DayStats] = {}
    topics: dict[str, Counter] = {}
    for day, name, language, kind, topic in rows:
        stats = table.setdefault((name, day), DayStats(name, day))
        stats.messages += 1
        stats.languages[language] += 1
        if kind == "answer":
            stats.answered += 1
            if topic:
                topics.setdefault(name, Counter())[topic] += 1
        elif kind == "fallback":
            stats.fallbacks += 1
        elif kind == "handoff":
            stats.handoffs += 1
    for feedback in _feedback_rows(feedback_path):
        day = day_of(feedback.created_at)
        if day < first or (bot and feedback.bot != bot):
            continue
        stats = table.setdefault((feedback.bot, day), DayStats(feedback.bot, day))
        if feedback.helpful:
            stats.helpful += 1
        else:
            stats.not_helpful += 1
    return sorted(table.values(), key=lambda s: (s.bot, s.day)), topics

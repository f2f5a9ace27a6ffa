"""What the bot missed: fallbacks and low-confidence messages, redacted, grouped by similar text.

An operator attaches a group to an entry as a new question variant (a draft), drafts a new
entry from it, or dismisses it. Texts are stored only after `privacy.redact`.
"""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from console import store
from knowledge.index import DEFAULT_THRESHOLD
from nlu.normalise import normalise
from privacy import redact

#: A closest topic is pre-selected for "Add as a question of" only from this score up: the score at
#: which the bot answers with a topic. Below it the operator chooses (one reflex click must not
#: teach the bot a wrong answer).
SUGGEST_SCORE = DEFAULT_THRESHOLD
#: An answer scoring less than this above the threshold is "low confidence" and is reviewed too.
LOW_CONFIDENCE_MARGIN = 0.08
MAX_TEXT_CHARS = 500
REASONS = ("fallback", "low_confidence", "clarify")


def group_key(text: str) -> str:
    """Texts that differ only in case, width, script, colloquial wording, spaces or punctuation share a key."""
    normalised = normalise(text)
    kept = "".join(ch for ch in normalised if not unicodedata.category(ch).startswith(("P", "S", "Z")))
    return re.sub(r"\s+", " ", kept).strip()[:500] or normalised[:500]


@dataclass(frozen=True)
class ReviewGroup:
    """Open review items with the same key: how often, in which bots, an example text."""

    key: str
    text: str
    count: int
    bots: dict[str, int]
    languages: tuple[str, ...]
    reasons: tuple[str, ...]
    topics: tuple[str, ...]
    last_at: float
    #: The best score each closest topic had, highest first.
    scores: tuple[tuple[str, float], ...] = ()

    @property
    def suggestion(self) -> str | None:
        """The topic to pre-select: the closest one, only when it scored at least SUGGEST_SCORE."""
        return self.scores[0][0] if self.scores and self.scores[0][1] >= SUGGEST_SCORE else None


def add(bot: str, sender: str, text: str, language: str, reason: str, topic: str | None = None,
        score: float | None = None, url: str | None = None) -> bool:
    """Queue one missed message (redacted first); False when there is nothing to review."""
    clean = redact(str(text or "")).strip()[:MAX_TEXT_CHARS]
    if not clean or clean.startswith("/"):  # empty, or a button payload
        return False
    key = group_key(clean)
    if not key:
        return False
    db = store.engine(url)
    store.insert(db, store.review_items, {
        "at": time.time(), "bot": bot, "group_key": key, "text": clean, "language": language or "und",
        "reason": reason, "topic": topic, "score": score, "sender_hash": store.sender_pseudonym(db, bot, sender),
        "status": "open",
    })
    return True


def groups(bot: str | None = None, status: str = "open", url: str | None = None, limit: int = 500) -> list[ReviewGroup]:
    """Open items grouped by key, most frequent first."""
    query = sa.select(store.review_items).where(store.review_items.c.status == status).order_by(store.review_items.c.id)
    if bot:
        query = query.where(store.review_items.c.bot == bot)
    with store.engine(url).connect() as connection:
        rows = connection.execute(query).mappings().all()
    collected: dict[str, dict] = {}
    for row in rows:
        group = collected.setdefault(row["group_key"], {"texts": {}, "bots": {}, "languages": set(), "reasons": set(),
                                                        "topics": set(), "scores": {}, "last": 0.0})
        group["texts"][row["text"]] = group["texts"].get(row["text"], 0) + 1
        group["bots"][row["bot"]] = group["bots"].get(row["bot"], 0) + 1
        group["languages"].add(row["language"])
        group["reasons"].add(row["reason"])
        if row["topic"]:
            group["topics"].add(row["topic"])
            group["scores"][row["topic"]] = max(group["scores"].get(row["topic"], 0.0), float(row["score"] or 0.0))
        group["last"] = max(group["last"], row["at"])
    result = [
        ReviewGroup(
            key=key, text=max(g["texts"], key=g["texts"].get), count=sum(g["bots"].values()), bots=g["bots"],
            languages=tuple(sorted(g["languages"])), reasons=tuple(sorted(g["reasons"])),
            topics=tuple(sorted(g["topics"])), last_at=g["last"],
            scores=tuple(sorted(g["scores"].items(), key=lambda item: -item[1])),
        )
        for key, g in collected.items()
    ]
    result.sort(key=lambda g: (-g.count, -g.last_at))
    return result[:limit]


def group(key: str, url: str | None = None) -> ReviewGroup | None:
    return next((g for g in groups(url=url) if g.key == key), None)


def resolve(key: str, status: str, url: str | None = None) -> int:
    """Close every open item of a group as attached, drafted or dismissed; returns how many."""
    with store.engine(url).begin() as connection:
        return connection.execute(store.review_items.update().where(
            (store.review_items.c.group_key == key) & (store.review_items.c.status == "open")).values(status=status)).rowcount

"""What the bot missed: fallbacks, low-confidence answers and answers marked not helpful, redacted, grouped by similar text.

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
REASONS = ("fallback", "low_confidence", "clarify", "not_helpful")
#: What each reason means, as the queue shows it to an operator.
REASON_LABELS = {"fallback": "not answered", "low_confidence": "answered, but unsure", "clarify": "asked which topic",
                 "not_helpful": "answer marked not helpful"}
#: Which department a missed message seems to be about, from the retrieval's candidates for it: the
#: candidates are the top matches scoring at least AREA_BAND x the top score; their knowledge base is
#: the message's when it holds at least AREA_SHARE of their summed score and the top scored at least
#: AREA_FLOOR (the lowest threshold a topic may have: below it every match is noise). Else unclear ("").
#: Looser on purpose than actions.department_hint.clear_kb, which decides whether a CITIZEN is sent to a
#: department's hotline (4 of the top 5 must agree): a review group only sorts work for an officer, who reads it.
AREA_BAND = 0.5
AREA_SHARE = 2 / 3
AREA_FLOOR = 0.30
AREA_CANDIDATES = 5
#: The `area` of a group whose candidates did not agree on one knowledge base.
UNCLEAR = ""


def area_of(matches: list[dict] | tuple = ()) -> str:
    """The knowledge base the retrieval's top candidates agree on (parse data `faq.matches`: id, kb, score), else UNCLEAR."""
    candidates = []
    for match in list(matches or ())[:AREA_CANDIDATES]:
        try:
            score = float(match.get("score") or 0.0)
        except (TypeError, ValueError, AttributeError):
            continue
        kb = str(match.get("kb") or str(match.get("id") or "").partition(".")[0])[:100]  # the column's size
        if kb:
            candidates.append((kb, score))
    if not candidates or candidates[0][1] < AREA_FLOOR:
        return UNCLEAR
    top = candidates[0][1]
    weights: dict[str, float] = {}
    for kb, score in candidates:
        if score >= AREA_BAND * top:
            weights[kb] = weights.get(kb, 0.0) + score
    kb, weight = max(weights.items(), key=lambda item: item[1])
    return kb if weight >= AREA_SHARE * sum(weights.values()) else UNCLEAR


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
    #: The knowledge base (department) the messages seem to be about; UNCLEAR when the candidates disagreed.
    area: str = UNCLEAR

    @property
    def suggestion(self) -> str | None:
        """The topic to pre-select: the closest one, only when it scored at least SUGGEST_SCORE."""
        return self.scores[0][0] if self.scores and self.scores[0][1] >= SUGGEST_SCORE else None


def add(bot: str, sender: str, text: str, language: str, reason: str, topic: str | None = None,
        score: float | None = None, url: str | None = None, area: str | None = None) -> bool:
    """Queue one missed message (redacted first) with the department it seems about (`area_of`); False when there is nothing to review."""
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
        "status": "open", "kb": area if area is not None else _legacy_area(topic, score),
    })
    return True


def _legacy_area(topic: str | None, score: float | None) -> str:
    """The area of an item queued without its candidates: its closest topic's knowledge base, if that scored enough."""
    return str(topic).partition(".")[0] if topic and float(score or 0.0) >= AREA_FLOOR else UNCLEAR


def _group_area(areas: dict[str, int]) -> str:
    """A group's area: the one most of its messages had (a tie, or none: UNCLEAR)."""
    ranked = sorted(areas.items(), key=lambda item: -item[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return UNCLEAR
    return ranked[0][0]


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
                                                        "topics": set(), "scores": {}, "last": 0.0, "areas": {}})
        group["texts"][row["text"]] = group["texts"].get(row["text"], 0) + 1
        group["bots"][row["bot"]] = group["bots"].get(row["bot"], 0) + 1
        group["languages"].add(row["language"])
        group["reasons"].add(row["reason"])
        if row["topic"]:
            group["topics"].add(row["topic"])
            if row["reason"] != "not_helpful":  # the answer marked wrong is never offered as the closest topic
                group["scores"][row["topic"]] = max(group["scores"].get(row["topic"], 0.0), float(row["score"] or 0.0))
        group["last"] = max(group["last"], row["at"])
        area = row["kb"] if row["kb"] is not None else _legacy_area(row["topic"], row["score"])
        group["areas"][area] = group["areas"].get(area, 0) + 1
    result = [
        ReviewGroup(
            key=key, text=max(g["texts"], key=g["texts"].get), count=sum(g["bots"].values()), bots=g["bots"],
            languages=tuple(sorted(g["languages"])), reasons=tuple(sorted(g["reasons"])),
            topics=tuple(sorted(g["topics"])), last_at=g["last"],
            scores=tuple(sorted(g["scores"].items(), key=lambda item: -item[1])), area=_group_area(g["areas"]),
        )
        for key, g in collected.items()
    ]
    result.sort(key=lambda g: (-g.count, -g.last_at))
    return result[:limit]


def area_counts(found: list[ReviewGroup]) -> dict[str, tuple[int, int]]:
    """Area -> (groups, messages) over these groups, largest first: the queue's department headings and filter."""
    counts: dict[str, tuple[int, int]] = {}
    for g in found:
        groups_, messages = counts.get(g.area, (0, 0))
        counts[g.area] = (groups_ + 1, messages + g.count)
    return dict(sorted(counts.items(), key=lambda item: (item[0] == UNCLEAR, -item[1][1], item[0])))


def group(key: str, url: str | None = None) -> ReviewGroup | None:
    return next((g for g in groups(url=url) if g.key == key), None)


def resolve(key: str, status: str, url: str | None = None) -> int:
    """Close every open item of a group as attached, drafted or dismissed; returns how many."""
    with store.engine(url).begin() as connection:
        return connection.execute(store.review_items.update().where(
            (store.review_items.c.group_key == key) & (store.review_items.c.status == "open")).values(status=status)).rowcount

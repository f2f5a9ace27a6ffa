"""Suggested answers for the officer: the best knowledge matches for the citizen's latest message.

The officer sees each match's title, score and answer in the conversation's language and can
copy one into the reply box to edit; nothing is sent without the officer pressing Send.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from actions.language import in_script
from actions.sources import without_source
from knowledge.live import shared_store

MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Suggestion:
    """One knowledge entry that may answer the citizen."""

    id: str
    title: str
    score: float
    answer: str
    source: str

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "score": round(self.score, 2), "answer": self.answer,
                "source": self.source}


def latest_citizen_text(messages: Iterable[object]) -> str:
    """The text of the citizen's latest message in a handoff transcript ('' when there is none)."""
    texts = [str(getattr(m, "text", "")) for m in messages if getattr(m, "author", "") == "citizen"]
    return texts[-1] if texts else ""


def suggest(text: str, knowledge_bases: Iterable[str], language: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """The best `limit` matches of the bot's knowledge for `text`, answers in the reply language and script."""
    if not text.strip():
        return []
    store = shared_store()
    found = []
    for match in store.index().decide(text, list(knowledge_bases)).matches[:limit]:
        entry = store.entry(match.id)
        if entry is None:
            continue
        answer = in_script(without_source(entry.answer_in(language), entry.source), language)
        found.append(Suggestion(entry.id, in_script(entry.title_in(language), language), float(match.score), answer,
                                entry.source))
    return found

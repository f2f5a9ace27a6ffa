"""Which department a question was clearly about, when the bot could not answer it: the ranker's candidates.

The signal is generic and needs no per-department word lists: FaqRetriever's top matches
(`faq.matches`, each with its knowledge base) for the message. A message is clearly about a
department when its best candidate scores at least `MIN_SCORE` and at least `MIN_VOTES` of the
top `VOTES_OF` candidates come from that candidate's knowledge base, a clear majority. A
message about nothing the bots know ("what's the weather tomorrow") scores low or spreads over
departments, and keeps today's generic fallback.
"""
from __future__ import annotations

from typing import Any, Sequence

from rasa_sdk import Tracker

from actions.context import recent_events
from knowledge.departments import department_of_kb
from knowledge.schema import Department
from nlu.parse_keys import FAQ

#: Lowest score of the best candidate for the message to be about its department (the answering
#: threshold is 0.55; "what's the weather tomorrow" scores 0.22, "水管爆咗點算" 0.51).
MIN_SCORE = 0.30
#: How many of the top candidates must share the best one's knowledge base ("lift broke down in my
#: building": EMSD 3 of 5, not clear; "water meter reading wrong": WSD 5 of 5).
MIN_VOTES = 4
VOTES_OF = 5
#: How many earlier citizen messages a handoff looks back over for the conversation's department.
HANDOFF_LOOKBACK = 3


def clear_kb(faq: dict[str, Any] | None) -> str | None:
    """The knowledge base the ranker's candidates clearly point to, or None (see the module docstring)."""
    matches = (faq or {}).get("matches") if isinstance(faq, dict) else None
    if not isinstance(matches, list):
        return None
    top = [m for m in matches[:VOTES_OF] if isinstance(m, dict) and isinstance(m.get("kb"), str)]
    if len(top) < MIN_VOTES:
        return None
    best = top[0]
    try:
        score = float(best.get("score") or 0.0)
    except (TypeError, ValueError):
        return None
    votes = sum(1 for m in top if m["kb"] == best["kb"])
    return best["kb"] if score >= MIN_SCORE and votes >= MIN_VOTES else None


def _known(knowledge_bases: Sequence[str] | None, kb: str | None) -> Department | None:
    """The department of a knowledge base this bot answers from (never another bot's).

    A bot with one knowledge base has no department to tell apart: its own hotline is its handoff phone.
    """
    if not kb or (knowledge_bases is not None and (kb not in knowledge_bases or len(knowledge_bases) < 2)):
        return None
    return department_of_kb(kb)


def message_department(knowledge_bases: Sequence[str] | None, tracker: Tracker) -> Department | None:
    """The department the latest message was clearly about (among the bot's knowledge bases), or None."""
    return _known(knowledge_bases, clear_kb((tracker.latest_message or {}).get(FAQ)))


def conversation_department(knowledge_bases: Sequence[str] | None, tracker: Tracker) -> Department | None:
    """The department of the conversation's last answer or clear question, over the last few citizen turns."""
    for event in recent_events(tracker, HANDOFF_LOOKBACK + 1):  # +1: the message asking for a human is the first one met
        kind = event.get("event")
        if kind == "bot":
            kb = (event.get("metadata") or {}).get("kb")
            if (event.get("metadata") or {}).get("kind") == "answer" and isinstance(kb, str):
                return _known(knowledge_bases, kb)
        elif kind == "user":
            department = _known(knowledge_bases, clear_kb((event.get("parse_data") or {}).get(FAQ)))
            if department is not None:
                return department
    return None


def handoff_team(bot: Any, language: str) -> str:
    """Who an officer hand-over goes to, named in the citizen's language: the department the bot serves, else bot.yml's `target`.

    A department bot's `handoff.target` is a short label ("WSD"); when exactly one department among
    the bot's knowledge bases has the hand-over's hotline, its full name (水務署, Water Supplies
    Department) is what a citizen understands. Several (the 1823 bot: 1823 and AFCD both answer on
    1823) keep the label.
    """
    handoff = getattr(bot, "handoff", None)
    if handoff is None:
        return "1823"
    phone = handoff.phone.replace(" ", "")
    named = {}
    for kb in getattr(bot, "knowledge_bases", None) or ():
        department = department_of_kb(kb)
        if department is not None and department.hotline.replace(" ", "") == phone:
            named[department.name_in("en")] = department
    return next(iter(named.values())).name_in(language) if len(named) == 1 else handoff.target

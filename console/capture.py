"""After each citizen message: count the turn, queue what the bot missed, feed a handoff's live chat.

`TurnCapture.on_turn` is in the serving app's `turn_listeners` (bots.runtime.hooks); reads the stored (redacted) tracker of the
conversation (the one the turn just saved, handed over by the tracker cache, else read back),
so nothing here sees personal data the tracker store did not already remove, and redacts
again before writing. Runs after the reply was produced: a failure here is
logged and never reaches the citizen.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from actions.fallback import CRISIS_KIND, gave_crisis_lines
from connectors.client_metadata import shown_text
from console import handoffs, review, stats
from nlu.parse_keys import FAQ, LANGUAGE

logger = logging.getLogger("hkbot.console")

HANDOFF_SLOT = "handoff_active"
#: The turn's kind, when the bot sent several messages: the first of these that occurs.
KIND_ORDER = ("handoff", "fallback", "answer", "clarify")
#: Transcript length kept with a new handoff (messages).
TRANSCRIPT_MESSAGES = 30


def _turn(events: list[Any]) -> tuple[Any, list[Any]] | None:
    """The last citizen message of a tracker and the bot messages after it."""
    from rasa.shared.core.events import BotUttered, UserUttered

    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index], [e for e in events[index + 1:] if isinstance(e, BotUttered)]
    return None


def transcript(events: list[Any]) -> list[tuple[str, str]]:
    """The visible conversation as (author, text), the last `TRANSCRIPT_MESSAGES`."""
    from rasa.shared.core.events import BotUttered, UserUttered

    lines = []
    for event in events:
        if isinstance(event, UserUttered) and event.text:
            lines.append(("citizen", shown_text(event.text, event.metadata)))
        elif isinstance(event, BotUttered) and event.text:
            lines.append(("agent" if (event.metadata or {}).get("kind") == "agent" else "bot", event.text))
    return lines[-TRANSCRIPT_MESSAGES:]


def turn_kind(bot_messages: list[Any]) -> tuple[str, dict]:
    """The turn's kind (answer, fallback, handoff, clarify, other kinds, or silent) and its message's metadata."""
    metas = [b.metadata or {} for b in bot_messages]
    for kind in KIND_ORDER:
        for meta in metas:
            if meta.get("kind") == kind:
                return kind, meta
    if metas:
        return str(metas[0].get("kind") or "other"), metas[0]
    return "silent", {}


def analyse_turn(bot: str, sender: str, tracker: Any, url: str | None = None) -> str | None:
    """Record the latest turn of a tracker; returns its kind (None when there is no citizen message)."""
    events = list(tracker.events)
    found = _turn(events)
    if found is None:
        return None
    user, bot_messages = found
    parse = user.parse_data or {}
    language = parse.get(LANGUAGE)
    if isinstance(language, dict):
        language = language.get("name")
    kind, meta = turn_kind(bot_messages)
    language = language or meta.get("language") or "und"
    text = shown_text(user.text, user.metadata)
    stats.record_turn(bot, sender, language, kind, meta.get("topic") or (meta.get("label") if kind == "answer" else None), url=url)

    faq = parse.get(FAQ) or {}
    matches = faq.get("matches") or []
    best = matches[0] if matches else {}
    area = review.area_of(matches)  # the department the candidates agree on: a knowledge base id, never text
    if kind == "fallback":
        review.add(bot, sender, text, language, "fallback", best.get("id"), best.get("score"), url, area=area)
    elif kind == "clarify":
        review.add(bot, sender, text, language, "clarify", best.get("id"), best.get("score"), url, area=area)
    elif kind == "answer" and best and faq.get("threshold") is not None \
            and float(best.get("score") or 0) < float(faq["threshold"]) + review.LOW_CONFIDENCE_MARGIN:
        review.add(bot, sender, text, language, "low_confidence", best.get("id"), best.get("score"), url, area=area)

    elif kind == "feedback" and meta.get("helpful") is False:
        before = next(i for i in range(len(events) - 1, -1, -1) if events[i] is user)
        _queue_not_helpful(bot, sender, events[:before], str(meta.get("topic") or ""), url)

    if kind == "handoff":
        handoffs.open_handoff(bot, sender, meta.get("language") or language, transcript(events), url, urgent=gave_crisis_lines(events))
    elif tracker.get_slot(HANDOFF_SLOT):
        current = handoffs.find_open(bot, sender, url)
        if current is not None and text:
            handoffs.add_message(current.id, "citizen", text, url)
        if current is not None and kind == CRISIS_KIND and not current.urgent:  # while waiting: the bot gave crisis lines
            handoffs.mark_urgent(current.id, url)
    return kind


def _queue_not_helpful(bot: str, sender: str, events: list[Any], topic: str, url: str | None) -> None:
    """Queue the question whose answer (of `topic`) the citizen marked "not helpful": confident wrong answers reach
    the review queue too (an operator review: they never did, and the dashboard only counted them)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    answered = False
    for event in reversed(events):  # the events before the feedback press
        if isinstance(event, BotUttered) and (event.metadata or {}).get("kind") == "answer" \
                and (event.metadata or {}).get("topic") == topic:
            answered = True
        elif answered and isinstance(event, UserUttered):
            parse = event.parse_data or {}
            language = parse.get(LANGUAGE)
            language = language.get("name") if isinstance(language, dict) else language
            matches = (parse.get(FAQ) or {}).get("matches") or []
            score = next((m.get("score") for m in matches if m.get("id") == topic), None)
            review.add(bot, sender, shown_text(event.text, event.metadata), str(language or "und"), "not_helpful",
                       topic, score, url, area=review.area_of(matches))
            return


class TurnCapture:
    """Records each turn in the background; owned by the app it is mounted on (`app.ctx.turn_capture`).

    Its `on_turn` goes in that app's `turn_listeners`; the tasks still writing are its own, so a
    server can wait for them (`drain`) before it stops and two apps never share them.
    """

    def __init__(self) -> None:
        self.pending: set[asyncio.Task] = set()

    async def on_turn(self, runtime: Any, sender: str) -> None:
        """A `turn_listeners` entry: record the turn without holding up the reply."""
        task = asyncio.get_running_loop().create_task(record_turn(runtime, sender))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def drain(self) -> None:
        """Wait until every turn handed over so far is recorded."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)


async def record_turn(runtime: Any, sender: str) -> None:
    """Analyse the turn `runtime` just handled for `sender`; a failure is logged, never raised."""
    try:
        # The tracker the turn just stored, as stored (redacted); read back only if it is not at hand.
        tracker = runtime.take_saved(sender)  # bots.runtime.agents.BotRuntime: through Rasa's FailSafeTrackerStore
        if tracker is None:
            tracker = await runtime.agent.tracker_store.retrieve(sender)
        if tracker is not None:
            # In the loop, not a thread: under 1 ms of work, and a thread doing SQLite I/O
            # makes the busy loop hand over the GIL again and again (turns were ~10 ms slower).
            analyse_turn(runtime.name, sender, tracker)
    except Exception:
        logger.exception("bot=%s: could not record a turn for the console", runtime.name)

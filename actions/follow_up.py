"""A question that names no subject ("幾錢？", "How do I apply?") asked right after an answer, or while
browsing a service area, is about that: it is decided again among the knowledge bases the conversation was
just about. FaqRetriever marks such a message (`faq_no_subject`); action_answer_faq and action_fallback ask here.
"""
from __future__ import annotations

from rasa_sdk import Tracker

from actions.context import Context, recent_events
from actions.knowledge_access import entry_for
from knowledge.live import shared_store
from knowledge.schema import Entry

#: How many citizen turns back an answer or a browsed area still sets the subject (the current message included).
LOOKBACK = 3
#: The parse-data flag FaqRetriever sets (nlu.components.faq.FAQ_NO_SUBJECT).
NO_SUBJECT = "faq_no_subject"
#: Among the few topics of the conversation's knowledge bases, a subject-less question scores low (its one word
#: against whole questions: "幾錢？" finds the dog licence fee at 0.27), so the top is taken when it is clear:
#: at least FLOOR and LEAD times the next topic's score ("幾錢？" 0.27 vs 0.17, "How do I apply?" in housing 0.49 vs 0.34).
FLOOR = 0.2
LEAD = 1.3


def recent_knowledge_bases(tracker: Tracker, context: Context) -> tuple[str, ...]:
    """The knowledge bases of the conversation's last answer, or of the service area last browsed, if recent."""
    for event in recent_events(tracker, LOOKBACK):
        if event.get("event") == "bot":
            metadata = event.get("metadata") or {}
            if metadata.get("kind") == "answer" and isinstance(metadata.get("kb"), str):
                return (metadata["kb"],)
            label = metadata.get("label")
            if metadata.get("kind") == "browse" and isinstance(label, str) and label.startswith("browse:") and context.bot:
                area = context.bot.area(label.split(":", 1)[1])
                if area is not None:
                    return tuple(area.knowledge_bases)
    return ()


def follow_up_entry(tracker: Tracker, context: Context) -> Entry | None:
    """The topic a subject-less message asks about what the conversation was just about, if it clearly finds one."""
    latest = tracker.latest_message or {}
    text = latest.get("text")
    if not latest.get(NO_SUBJECT) or not isinstance(text, str) or not text.strip():
        return None
    held = context.bot.knowledge_bases if context.bot else None
    scope = [kb for kb in recent_knowledge_bases(tracker, context) if held is None or kb in held]
    if not scope:
        return None
    result = shared_store().index().decide(text, scope)
    if result.top is not None:
        return None if result.ambiguous else entry_for(context.bot, result.top)
    matches = result.matches
    if not matches or matches[0].score < FLOOR or (len(matches) > 1 and matches[0].score < LEAD * matches[1].score):
        return None
    return entry_for(context.bot, matches[0].id)

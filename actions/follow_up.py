"""A question that names no subject ("幾錢？", "How do I apply?") asked right after an answer, or while
browsing a service area, is about that. FaqRetriever marks such a message (`faq_no_subject`); action_answer_faq
and action_fallback ask here.

After an answer, the subject is the topic just answered: the follow-up is answered from that topic or one of
its `related` topics (the operator's own links: a passport's renewal -> its fee), never from another subject of
the same department ("要幾多錢？" after a lost identity card found the passport fee). While browsing an area, it is
decided among the area's knowledge bases.

A question that asks only how to reach someone ("who do I call?", FaqRetriever's `faq_asks_contact`) after an
answer, or while browsing one department's area, gets that department's hotline from its knowledge file; so does
one that names the department (`faq_contact_department`: "Labour Department hotline number").
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import send_answer
from actions.context import Context, recent_events
from actions.knowledge_access import entry_for
from actions.messages import say
from actions.sentences import sentence
from knowledge.departments import department_of_kb
from knowledge.index import FaqResult
from knowledge.live import shared_store
from knowledge.schema import Department, Entry
from nlu.parse_keys import FAQ, FAQ_ASKS_CONTACT, FAQ_CONTACT_DEPARTMENT, FAQ_NO_SUBJECT

#: How many citizen turns back an answer or a browsed area still sets the subject (the current message included).
LOOKBACK = 3
#: Among the few topics of the conversation's knowledge bases, a subject-less question scores low (its one word
#: against whole questions: "幾錢？" finds the dog licence fee at 0.27), so the top is taken when it is clear:
#: at least FLOOR and LEAD times the next topic's score ("幾錢？" 0.27 vs 0.17, "How do I apply?" in housing 0.49 vs 0.34).
FLOOR = 0.2
LEAD = 1.3
#: A related topic answers a follow-up when it scores at least this and LEAD times every other candidate
#: ("how much?" after a passport's renewal: its fee 0.39; "要幾耐先搞掂？" after a dog's change of address found the
#: microchip at 0.20, which the citizen did not ask about).
RELATED_FLOOR = 0.25
#: A typed reply picks one of a clarifying question's few options when it scores it at least FLOOR and this much
#: above the next option (the index's ambiguity margin: "no, I meant the renewal" 0.43 vs the fee 0.37).
OPTION_MARGIN = 0.05
#: Features of how a correction is said, not of what it asks ("I meant ..."): the options' questions need not have them.
CORRECTING = frozenset({"c:meaning"})
#: Enough of the matches to score every topic of one knowledge base.
ALL_MATCHES = 1000


def answer_follow_up(dispatcher: CollectingDispatcher, tracker: Tracker, context: Context, domain: dict[str, Any]) -> bool:
    """Answer a follow-up of what the conversation was just about, if the latest message is one; whether it was."""
    chosen = clarified_entry(tracker, context)
    if chosen is not None:
        send_answer(dispatcher, context, chosen, domain)
        return True
    department = contact_department(tracker, context)
    if department is not None:
        language = context.language
        key = "department_contact" if (tracker.latest_message or {}).get(FAQ_CONTACT_DEPARTMENT) == department.kb else "follow_up_contact"
        say(
            dispatcher, sentence(key, language, name=department.name_in(language), phone=department.hotline),
            language=language, label=f"contact:{department.kb}", kind="contact", bot=context.bot_label,
            department=department.kb,
        )
        return True
    entry = follow_up_entry(tracker, context)
    if entry is not None:
        send_answer(dispatcher, context, entry, domain)
        return True
    return False


def clarified_entry(tracker: Tracker, context: Context, after_answer: bool = False) -> Entry | None:
    """The option a typed reply clearly picks among the bot's last clarifying question's options ("no, I meant the
    renewal" after "fee or renewal?"), or, with `after_answer`, among the related topics of the answer just given
    (a "no" is not that answer). It scores the pick at least FLOOR and OPTION_MARGIN above the next option, and says
    nothing the options' questions never do. A citizen review: such replies were read as new questions ("All right.",
    "I can't answer that")."""
    latest = tracker.latest_message or {}
    text = latest.get("text")
    if not isinstance(text, str) or not text.strip() or text.startswith("/"):
        return None
    options = _last_options(tracker, context, after_answer)
    if not options:
        return None
    faq = latest.get(FAQ)
    top = faq.get("top") if isinstance(faq, dict) else None
    if top is not None and top not in options:
        return None  # a question of its own ("how much is a passport?" after "dog licence fee or renewal?")
    index = shared_store().index()
    entries = [entry for entry in (entry_for(context.bot, topic) for topic in options) if entry is not None]
    ids = {entry.id for entry in entries}
    known = frozenset().union(*(frozenset().union(item.extra, *item.variants) for item in index.ranker.items if item.id in ids))
    if not entries or (index.features(text) - CORRECTING) - known:
        return None  # it says something the options' questions never do ("how much is a passport?")
    scope = sorted({entry.kb for entry in entries})
    scores = {match.id: match.score for match in index.decide(text, scope, top=ALL_MATCHES).matches}
    ranked = sorted(((scores.get(entry.id, 0.0), entry.id) for entry in entries), reverse=True) + [(0.0, "")]
    (best, leader), runner = ranked[0], ranked[1][0]
    return entry_for(context.bot, leader) if best >= FLOOR and best - runner >= OPTION_MARGIN else None


def _last_options(tracker: Tracker, context: Context, after_answer: bool) -> list[str]:
    """The topics the bot's last message offered: a clarifying question's options, or (with `after_answer`) the
    related topics of the answer it gave."""
    for event in recent_events(tracker, 1):
        if event.get("event") != "bot":
            continue
        metadata: dict[str, Any] = event.get("metadata") or {}
        options = metadata.get("options")
        if metadata.get("kind") == "clarify" and isinstance(options, list) and len(options) >= 2:
            return [str(topic) for topic in options]
        topic = metadata.get("topic")
        if after_answer and metadata.get("kind") == "answer" and isinstance(topic, str):
            answered = entry_for(context.bot, topic)
            return [other for other in (answered.related if answered else ()) if other != topic]
        return []
    return []


def contact_department(tracker: Tracker, context: Context) -> Department | None:
    """The department whose hotline answers the latest message: the one it names ("Labour Department hotline"), or
    the one the conversation was just about ("who do I call?")."""
    latest = tracker.latest_message or {}
    held = context.bot.knowledge_bases if context.bot else None
    named = latest.get(FAQ_CONTACT_DEPARTMENT)
    if isinstance(named, str) and (held is None or named in held):
        department = department_of_kb(named)
        if department is not None and department.hotline.strip():
            return department
    if not latest.get(FAQ_ASKS_CONTACT):
        return None
    knowledge_bases, _ = recent_subject(tracker, context)
    found = [department_of_kb(kb) for kb in knowledge_bases if held is None or kb in held]
    departments = {(d.name_in("en"), d.hotline): d for d in found if d is not None and d.hotline.strip()}
    return next(iter(departments.values())) if len(departments) == 1 else None


def recent_subject(tracker: Tracker, context: Context) -> tuple[tuple[str, ...], str | None]:
    """The knowledge bases and topic of the conversation's last answer, or the knowledge bases of the service area
    last browsed (no topic), if recent; else nothing."""
    for event in recent_events(tracker, LOOKBACK):
        if event.get("event") != "bot":
            continue
        metadata: dict[str, Any] = event.get("metadata") or {}
        if metadata.get("kind") == "answer" and isinstance(metadata.get("kb"), str):
            topic = metadata.get("topic")
            return (metadata["kb"],), topic if isinstance(topic, str) else None
        label = metadata.get("label")
        if metadata.get("kind") == "browse" and isinstance(label, str) and label.startswith("browse:") and context.bot:
            area = context.bot.area(label.split(":", 1)[1])
            if area is not None:
                return tuple(area.knowledge_bases), None
    return (), None


def follow_up_entry(tracker: Tracker, context: Context) -> Entry | None:
    """The topic a subject-less message asks about what the conversation was just about, if it clearly finds one."""
    latest = tracker.latest_message or {}
    text = latest.get("text")
    if not latest.get(FAQ_NO_SUBJECT) or not isinstance(text, str) or not text.strip():
        return None
    held = context.bot.knowledge_bases if context.bot else None
    knowledge_bases, topic = recent_subject(tracker, context)
    scope = [kb for kb in knowledge_bases if held is None or kb in held]
    if not scope:
        return None
    if topic is not None:
        return _about_topic(text, scope, topic, context)
    return _scope_answer(shared_store().index().decide(text, scope), context)


def _about_topic(text: str, scope: list[str], topic: str, context: Context) -> Entry | None:
    """A follow-up to the answer of `topic`: a related topic that clearly answers it, else `topic` itself when its
    own texts score the question at all (the lost card's answer says a fee is charged), else, in a bot of one knowledge
    base, that knowledge base's clear answer (`_scope_answer`), else none."""
    answered = entry_for(context.bot, topic)
    if answered is None:
        return None
    result = shared_store().index().decide(text, scope, top=ALL_MATCHES)
    scores = {match.id: match.score for match in result.matches}
    candidates = [(scores.get(other, 0.0), other) for other in answered.related if other != topic]
    leader = _clear_leader(sorted(candidates, reverse=True) + [(scores.get(topic, 0.0), topic)], RELATED_FLOOR)
    if leader is not None and leader != topic:
        return entry_for(context.bot, leader) or answered
    if scores.get(topic, 0.0) > 0:
        return answered
    if context.bot is None or len(context.bot.knowledge_bases) != 1:
        return None  # among several departments' topics the subject may have changed (an identity card's "how long?")
    # A bot of one service: neither the topic nor its related ones say anything of it, so that service's answer, if
    # a clear one ("how much does it cost?" after "What is TSW?" is TSW's fee; a citizen's check found it refused).
    return _scope_answer(result, context)


def _scope_answer(result: FaqResult, context: Context) -> Entry | None:
    """What a follow-up asks of the conversation's scope: the decision's top unless it is a tie, else the clear leader
    of the matches (best first) at FLOOR, else none."""
    if result.top is not None:
        return None if result.ambiguous else entry_for(context.bot, result.top)
    leader = _clear_leader([(match.score, match.id) for match in result.matches], FLOOR)
    return entry_for(context.bot, leader) if leader else None


def _clear_leader(ranked: list[tuple[float, str]], floor: float) -> str | None:
    """The first of `ranked` (best first, then the rivals in any order) when it scores at least `floor` and LEAD
    times every rival; else none."""
    if not ranked:
        return None
    best, leader = ranked[0]
    return leader if best >= floor and all(best >= LEAD * score for score, _ in ranked[1:]) else None

"""action_fallback: say plainly that the bot cannot answer, and offer the 1823 hotline and an officer.

When the question was clearly about one department the bot knows (`actions.department_hint`),
the refusal also names that department and its hotline, from its knowledge file; when it named another place or a
company instead (Shenzhen, HSBC: `faq_elsewhere`), the refusal says such a service is best asked of them. A message whose writer may be
thinking of ending their life (`crisis`, nlu.components.crisis) gets crisis hotlines and an officer instead. A refused question
that names no subject ("how much does it cost?") right after an answer is first asked again of that
answer's knowledge base (`actions.follow_up`).
"""
from __future__ import annotations

from typing import Any, Iterable

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Context, context_of
from actions.department_hint import handoff_team, message_department
from actions.follow_up import answer_follow_up
from actions.forms import stop_checklist
from actions.messages import button, say
from actions.sentences import joined, sentence
from knowledge.schema import Department
from nlu.parse_keys import CRISIS, FAQ_ELSEWHERE, PERSONAL_DETAILS

HOTLINE = "1823"


def department_sentence(department: Department | None, language: str) -> str:
    """'It sounds like a question for the Water Supplies Department: ...', or '' (none, or its hotline is 1823's)."""
    if department is None or department.hotline.replace(" ", "") == HOTLINE:
        return ""
    return sentence("department_clear", language, name=department.name_in(language), phone=department.hotline)


def send_fallback(dispatcher: CollectingDispatcher, context: Context, department: Department | None = None,
                  personal: bool = False, elsewhere: bool = False) -> None:
    """The out-of-scope reply: no guess, the department it was clearly about, the 1823 hotline, an officer button;
    first, for a message that was personal details ("call me 91234567"), that the bot cannot call back; for one that
    named another place or a company (`elsewhere`, and no department), that such a service is best asked of them."""
    language = context.language
    text = sentence("fallback_elsewhere" if elsewhere and department is None else "fallback", language)
    if personal:
        text = joined(language, sentence("personal_details", language), text)
    named = department_sentence(department, language)
    if named:
        text = joined(language, text, named)
    same_phone = bool(named and department and context.bot
                      and context.bot.handoff.phone.replace(" ", "") == department.hotline.replace(" ", ""))
    if context.bot and context.bot.handoff.phone.replace(" ", "") != HOTLINE and not same_phone:
        text = joined(language, text, sentence(
            "department_hotline", language,
            name=handoff_team(context.bot, language), phone=context.bot.handoff.phone,
        ))
    say(
        dispatcher, text, language=language, label="out_of_scope", kind="fallback",
        buttons=[button(sentence("talk_to_officer", language), "ask_human")],
        phone=HOTLINE, bot=context.bot_label, department=department.kb if named and department else "",
    )


#: The kind of the message that gives crisis lines: a conversation with one is urgent for an officer.
CRISIS_KIND = "crisis"


def send_crisis(dispatcher: CollectingDispatcher, context: Context) -> None:
    """Crisis hotlines and an officer, before anything else (nlu.components.crisis)."""
    language = context.language
    say(dispatcher, sentence("crisis", language), language=language, label="crisis", kind=CRISIS_KIND,
        buttons=[button(sentence("talk_to_officer", language), "ask_human")], phone="18111", bot=context.bot_label)


def gave_crisis_lines(events: Iterable[Any]) -> bool:
    """Whether the bot gave crisis lines in a conversation (a message of kind `crisis`): its request for an officer is
    urgent (first in the console's queue, `handoff.urgent_wait_seconds`). `events`: a tracker's, as dicts (actions) or
    Rasa events (the console)."""
    for event in events:
        if isinstance(event, dict):
            name, metadata = event.get("event"), event.get("metadata")
        else:
            name, metadata = getattr(event, "type_name", ""), getattr(event, "metadata", None)
        if name == "bot" and (metadata or {}).get("kind") == CRISIS_KIND:
            return True
    return False


class ActionFallback(Action):
    """Runs for out_of_scope messages and whenever no policy is confident (core fallback)."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        context = context_of(tracker)
        if (tracker.latest_message or {}).get(CRISIS):
            send_crisis(dispatcher, context)
            # ... and a checklist being filled in stops: its next question would be the wrong thing to ask now.
            return stop_checklist(domain) if tracker.active_loop_name else []
        if answer_follow_up(dispatcher, tracker, context, domain):
            return []
        latest = tracker.latest_message or {}
        send_fallback(dispatcher, context, message_department(context.bot.knowledge_bases if context.bot else None, tracker),
                      bool(latest.get(PERSONAL_DETAILS)), bool(latest.get(FAQ_ELSEWHERE)))
        return []

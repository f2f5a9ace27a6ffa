"""action_handoff: the citizen asked for a human. Marks the conversation for an officer and says what happens next.

The event `SlotSet("handoff_active", True)` is the handoff: `bots.runtime.policies.HandoffPolicy`
keeps the bot silent while the slot is true; an operator releases it by setting it false.
When the conversation was about one department (its last answer, or a question clearly about it),
the reply also gives that department's hotline for the wait. The wait it states is the bot's `handoff.wait_seconds`,
or its shorter `urgent_wait_seconds` after the bot gave crisis lines.
"""
from __future__ import annotations

import math
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import context_of
from actions.department_hint import conversation_department, handoff_team
from actions.fallback import gave_crisis_lines
from actions.messages import say
from actions.sentences import joined, sentence

HANDOFF_SLOT = "handoff_active"
HOTLINE = "1823"


class ActionHandoff(Action):
    """Sets `handoff_active` and tells the citizen an officer will take over, with the hotline meanwhile."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        language = context.language
        handoff = context.bot.handoff if context.bot else None
        phone = handoff.phone if handoff else HOTLINE
        if phone.replace(" ", "") == HOTLINE:
            phone = sentence("phone_24h", language, phone=phone)
        seconds = (handoff.urgent_wait_seconds if gave_crisis_lines(tracker.events) else handoff.wait_seconds) if handoff else 120
        minutes = max(1, math.ceil(seconds / 60))  # "usually within": never less than the wait
        wait = sentence("wait_minute", language) if minutes == 1 else sentence("wait_minutes", language, minutes=minutes)
        text = sentence("handoff", language, target=handoff_team(context.bot, language) if handoff else HOTLINE, wait=wait, phone=phone)
        department = conversation_department(context.bot.knowledge_bases if context.bot else None, tracker)
        if department and department.hotline.replace(" ", "") not in (HOTLINE, (handoff.phone if handoff else HOTLINE).replace(" ", "")):
            text = joined(language, text, sentence("handoff_department", language, name=department.name_in(language), phone=department.hotline))
        else:
            department = None
        say(dispatcher, text, language=language, label="ask_human", kind="handoff",
            target=handoff.target if handoff else HOTLINE, phone=handoff.phone if handoff else HOTLINE,
            bot=context.bot_label, department=department.kb if department else "")
        return [SlotSet(HANDOFF_SLOT, True)]

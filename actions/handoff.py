"""action_handoff: the citizen asked for a human. Marks the conversation for an officer and says what happens next.

The event `SlotSet("handoff_active", True)` is the handoff: `bots.policies.HandoffPolicy`
keeps the bot silent while the slot is true; an operator releases it by setting it false.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import context_of
from actions.messages import say
from actions.replies import render

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
            phone = render("phone_24h", language, phone=phone)
        minutes = max(1, round((handoff.wait_seconds if handoff else 120) / 60))
        text = render("handoff", language, target=handoff.target if handoff else HOTLINE, minutes=minutes, phone=phone)
        say(dispatcher, text, language=language, label="ask_human", kind="handoff",
            target=handoff.target if handoff else HOTLINE, phone=handoff.phone if handoff else HOTLINE,
            bot=context.bot_label)
        return [SlotSet(HANDOFF_SLOT, True)]

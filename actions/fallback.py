"""action_fallback: say plainly that the bot cannot answer, and offer the 1823 hotline and an officer."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Context, context_of
from actions.messages import button, say
from actions.replies import render

HOTLINE = "1823"


def send_fallback(dispatcher: CollectingDispatcher, context: Context) -> None:
    """The out-of-scope reply: no guess, the 1823 hotline (24 hours), the bot's own hotline, an officer button."""
    language = context.language
    text = render("fallback", language)
    if context.bot and context.bot.handoff.phone.replace(" ", "") != HOTLINE:
        text += " " + render(
            "department_hotline", language,
            name=context.bot.handoff.target, phone=context.bot.handoff.phone,
        )
    say(
        dispatcher, text, language=language, label="out_of_scope", kind="fallback",
        buttons=[button(render("talk_to_officer", language), "ask_human")],
        phone=HOTLINE, bot=context.bot_label,
    )


class ActionFallback(Action):
    """Runs for out_of_scope messages and whenever no policy is confident (core fallback)."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send_fallback(dispatcher, context_of(tracker))
        return []

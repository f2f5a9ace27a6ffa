"""The small-talk actions: greeting, identity, goodbye, thanks, yes and no."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import send_answer
from actions.browse import area_buttons, top_topic_buttons
from actions.context import context_of
from actions.follow_up import clarified_entry
from actions.messages import button, say
from actions.sentences import sentence
from knowledge.live import shared_store


class ActionGreet(Action):
    """The bot's greeting (persona, virtual assistant, privacy notice) with its service areas (else top topics) as buttons."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        language = context.language
        text = context.bot_text("greeting") or sentence("greet_generic", language)
        privacy = context.bot_text("privacy_notice")  # a link under the greeting (metadata), not a URL in it
        buttons = area_buttons(context)
        if buttons:
            text += "\n" + sentence("greet_areas", language)
        else:
            buttons = top_topic_buttons(context)
            if buttons:
                text += "\n" + sentence("greet_topics", language)
        say(dispatcher, text, language=language, label="greet", kind="greeting", buttons=buttons,
            privacy_notice=privacy, privacy_label=sentence("privacy_label", language), bot=context.bot_label)
        return []


class ActionBotIdentity(Action):
    """Says it is a virtual assistant, not a person, and how to reach a human."""

    def name(self) -> str:
        return "action_bot_identity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        language = context.language
        phone = context.bot.handoff.phone if context.bot else "1823"
        text = sentence("identity", language, name=context.bot_text("display_name") or "1823", phone=phone)
        say(dispatcher, text, language=language, label="bot_identity", kind="identity",
            buttons=[button(sentence("talk_to_officer", language), "ask_human")], bot=context.bot_label)
        return []


class SimpleReply(Action, ABC):
    """A one-sentence reply to a shared intent; subclasses name the intent (also the reply key)."""

    kind = "smalltalk"

    @property
    @abstractmethod
    def intent(self) -> str:
        """The shared intent this action replies to."""

    def name(self) -> str:
        return f"action_{self.intent}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        say(dispatcher, sentence(self.intent, context.language), language=context.language,
            label=self.intent, kind=self.kind, bot=context.bot_label)
        return []


class ActionGoodbye(SimpleReply):
    intent = "goodbye"


class ActionThanks(SimpleReply):
    intent = "thanks"


class ActionAffirm(SimpleReply):
    intent = "affirm"


class ActionDeny(Action):
    """A "no" that says what was wrong ("that didn't help", "唔明", "I don't understand"): sorry, and the ways on, not a
    bare "All right" (a citizen review: "that doesn't answer my question" and 唔明 each got it); a plain decline ("no
    thanks", 唔使喇: no word of its own) gets the plain "All right"."""

    def name(self) -> str:
        return "action_deny"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        chosen = clarified_entry(tracker, context, after_answer=True)  # "no, I meant the renewal"
        if chosen is not None:
            send_answer(dispatcher, context, chosen, domain)
            return []
        language = context.language
        text = (tracker.latest_message or {}).get("text")
        if not isinstance(text, str) or not shared_store().index().features(text):  # "no thanks", 唔使喇: a plain decline
            say(dispatcher, sentence("deny_plain", language), language=language, label="deny", kind="smalltalk",
                bot=context.bot_label)
            return []
        buttons = [button(sentence("talk_to_officer", language), "ask_human"),
                   button(sentence("browse_back", language) if context.bot and context.bot.service_areas
                          else sentence("browse_topics", language), "browse")]
        say(dispatcher, sentence("deny", language), language=language, label="deny", kind="smalltalk", buttons=buttons,
            bot=context.bot_label)
        return []

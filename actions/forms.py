"""The checklist form's actions: validating answers, asking with buttons, giving and stopping the checklist.

Each bot with a checklist declares `checklist_form` and its slots in its own
domain (dog_licence and 1823: dog_application, dog_applicant; tsw: tsw_applicant).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.checklists import CHECKLIST_FORM, CHOICES, DEFAULT_SOURCES, DOG_APPLICANT, DOG_APPLICATION, TSW_APPLICANT, Checklist, checklist_for
from actions.choices import interpret
from actions.context import Context, context_of
from actions.knowledge_access import entry_for
from actions.language import localised
from actions.messages import button, say
from actions.sentences import sentence
from actions.sources import source_label
from nlu.parse_keys import CRISIS

#: The reply key of each choice's button title: `dog_renewal`, `tsw_company`, ...
BUTTON_KEYS = {
    DOG_APPLICATION: {"new": "dog_new", "renewal": "dog_renewal"},
    DOG_APPLICANT: {"in_person": "dog_in_person", "representative": "dog_representative"},
    TSW_APPLICANT: {"individual": "tsw_individual", "company": "tsw_company"},
}


def _previous_action(tracker: Tracker) -> str | None:
    """The action before the form's run (Rasa logs the form itself just before calling its validation)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "action" and event.get("name") != CHECKLIST_FORM:
            return event.get("name")
    return None


#: Intents that leave the form's question for their own rule when the text is no answer to it (a citizen review:
#: "do cats need a licence?" and "what can you do?" were each met with "not understood" until they typed 取消).
INTERRUPTING_INTENTS = frozenset({
    "ask_human", "deny", "goodbye", "bot_identity", "switch_language", "faq", "out_of_scope", "thanks", "browse",
})


class ValidateChecklistForm(FormValidationAction):
    """Turns typed answers into slot values; an unclear answer is asked again.

    The form takes any text while it asks (the classifier is unsure on short answers:
    "we are a company" is no question about the bot). Only when the text is no answer
    and the intent is one of INTERRUPTING_INTENTS is the form rejected, so that the
    rule for that intent runs (an officer, stop, identity, language, an FAQ answer, "I can't answer that",
    you're welcome, the service areas).
    """

    def name(self) -> str:
        return "validate_checklist_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if message.get(CRISIS):  # never an answer to the form ("I want to kill myself" holds "myself": in person)
            return [SlotSet(requested, None), ActionExecutionRejected(CHECKLIST_FORM)] if requested else \
                [ActionExecutionRejected(CHECKLIST_FORM)]
        if (
            requested in CHOICES
            and _previous_action(tracker) in (None, "action_listen")  # not when resuming after the interruption
            and intent in INTERRUPTING_INTENTS
            and not list(tracker.get_latest_entity_values(requested))
            and interpret(requested, message.get("text")) is None
        ):
            return [SlotSet(requested, None), ActionExecutionRejected(CHECKLIST_FORM)]
        return await super().run(dispatcher, tracker, domain)

    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        choice = interpret(slot, value)
        if choice is None and value is not None:  # None: resuming after an interruption, just ask again
            language = context_of(tracker).language
            say(dispatcher, sentence("form_not_understood", language), language=language, label=CHECKLIST_FORM, kind="form")
        return {slot: choice}

    def validate_dog_application(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return self._validate(DOG_APPLICATION, value, dispatcher, tracker)

    def validate_dog_applicant(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return self._validate(DOG_APPLICANT, value, dispatcher, tracker)

    def validate_tsw_applicant(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return self._validate(TSW_APPLICANT, value, dispatcher, tracker)


class AskForChoice(Action, ABC):
    """Asks one checklist question with a button per choice (payload `/choose{"<slot>": "<value>"}`)."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = context_of(tracker).language
        buttons = [
            button(sentence(BUTTON_KEYS[self.slot][value], language), "choose", **{self.slot: value})
            for value in CHOICES[self.slot]
        ]
        say(dispatcher, sentence(f"ask_{self.slot}", language), language=language,
            label=CHECKLIST_FORM, kind="form", buttons=buttons, slot=self.slot)
        return []


class ActionAskDogApplication(AskForChoice):
    slot = DOG_APPLICATION


class ActionAskDogApplicant(AskForChoice):
    slot = DOG_APPLICANT


class ActionAskTswApplicant(AskForChoice):
    slot = TSW_APPLICANT


def _reset(domain: dict[str, Any]) -> list[dict[str, Any]]:
    """Empty the form's slots so the citizen can make another checklist later."""
    slots = (domain.get("forms") or {}).get(CHECKLIST_FORM, {}).get("required_slots") or list(CHOICES)
    return [SlotSet(slot, None) for slot in slots]


def stop_checklist(domain: dict[str, Any]) -> list[dict[str, Any]]:
    """The events that leave the checklist and forget its answers (a later checklist starts afresh)."""
    return [ActiveLoop(None), SlotSet("requested_slot", None)] + _reset(domain)


def render_checklist(context: Context, checklist: Checklist) -> tuple[str, list[str]]:
    """The checklist as one message (heading, bullets, notes) and its source URLs (the first is its link)."""
    language = context.language
    sources = []
    for topic in checklist.topics:
        entry = entry_for(context.bot, topic)
        url = entry.source if entry else DEFAULT_SOURCES[topic]
        if url not in sources:
            sources.append(url)
    lines = [localised(checklist.heading, language)]
    lines += [f"• {localised(item, language)}" for item in checklist.items]
    lines += [localised(note, language) for note in checklist.notes]
    return "\n".join(lines), sources


class ActionGiveChecklist(Action):
    """The form's submit action: exactly what to bring for the chosen branch."""

    def name(self) -> str:
        return "action_give_checklist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        checklist = checklist_for(tracker.slots)
        if checklist is None:
            say(dispatcher, sentence("checklist_unavailable", context.language), language=context.language,
                label=CHECKLIST_FORM, kind="form")
            return _reset(domain)
        text, sources = render_checklist(context, checklist)
        choices = {slot: tracker.get_slot(slot) for slot in CHOICES if tracker.get_slot(slot)}
        say(dispatcher, text, language=context.language, label=checklist.topics[0], kind="checklist",
            topic=checklist.topics[0], source=sources[0],
            source_label=source_label(sources[0], context.language), choices=choices, bot=context.bot_label)
        return _reset(domain)


class ActionStopChecklist(Action):
    """Leaves the checklist when the citizen says no or goodbye."""

    def name(self) -> str:
        return "action_stop_checklist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = context_of(tracker).language
        say(dispatcher, sentence("checklist_stopped", language), language=language, label="deny", kind="form")
        return stop_checklist(domain)

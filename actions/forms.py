"""The checklist form's actions: validating answers, asking with buttons, giving and stopping the checklist.

Each bot with a checklist declares `checklist_form` and its slots in its own
domain (dog_licence and 1823: dog_application, dog_applicant; tsw: tsw_applicant).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.checklists import CHECKLIST_FORM, CHOICES, DEFAULT_SOURCES, DOG_APPLICANT, DOG_APPLICATION, TSW_APPLICANT, Checklist, checklist_for
from actions.choices import interpret
from actions.context import Context, context_of
from actions.knowledge_access import entry_for
from actions.language import localised
from actions.messages import button, say
from actions.replies import render

#: The reply key of each choice's button title: `dog_renewal`, `tsw_company`, ...
BUTTON_KEYS = {
    DOG_APPLICATION: {"new": "dog_new", "renewal": "dog_renewal"},
    DOG_APPLICANT: {"in_person": "dog_in_person", "representative": "dog_representative"},
    TSW_APPLICANT: {"individual": "tsw_individual", "company": "tsw_company"},
}


class ValidateChecklistForm(FormValidationAction):
    """Turns typed answers into slot values; an unclear answer is asked again."""

    def name(self) -> str:
        return "validate_checklist_form"

    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        choice = interpret(slot, value)
        if choice is None:
            language = context_of(tracker).language
            say(dispatcher, render("form_not_understood", language), language=language, label=CHECKLIST_FORM, kind="form")
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
            button(render(BUTTON_KEYS[self.slot][value], language), "choose", **{self.slot: value})
            for value in CHOICES[self.slot]
        ]
        say(dispatcher, render(f"ask_{self.slot}", language), language=language,
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


def render_checklist(context: Context, checklist: Checklist) -> tuple[str, list[str]]:
    """The checklist as one message (heading, bullets, notes, source) and its source URLs."""
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
    lines += [render("source", language, url=url) for url in sources]
    return "\n".join(lines), sources


class ActionGiveChecklist(Action):
    """The form's submit action: exactly what to bring for the chosen branch."""

    def name(self) -> str:
        return "action_give_checklist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        checklist = checklist_for(tracker.slots)
        if checklist is None:
            say(dispatcher, render("checklist_unavailable", context.language), language=context.language,
                label=CHECKLIST_FORM, kind="form")
            return _reset(domain)
        text, sources = render_checklist(context, checklist)
        choices = {slot: tracker.get_slot(slot) for slot in CHOICES if tracker.get_slot(slot)}
        say(dispatcher, text, language=context.language, label=checklist.topics[0], kind="checklist",
            topic=checklist.topics[0], source=sources[0], choices=choices, bot=context.bot_label)
        return _reset(domain)


class ActionStopChecklist(Action):
    """Leaves the checklist when the citizen says no or goodbye."""

    def name(self) -> str:
        return "action_stop_checklist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = context_of(tracker).language
        say(dispatcher, render("checklist_stopped", language), language=language, label="deny", kind="form")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + _reset(domain)

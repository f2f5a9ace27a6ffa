"""One topic's answer as the citizen sees it: the text in their language and script, its source as one labelled link, feedback buttons."""
from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.checklists import CHECKLIST_FORM, CHECKLIST_TOPICS
from actions.context import Context
from actions.language import in_script
from actions.messages import button, say
from actions.sentences import sentence
from actions.sources import source_label, without_source
from knowledge.schema import Entry


def send_answer(
    dispatcher: CollectingDispatcher, context: Context, entry: Entry, domain: dict[str, Any]
) -> None:
    """The entry's answer with feedback buttons; its source goes once, as a labelled link (metadata)."""
    language = context.language
    buttons = [
        button(sentence("helpful", language), "feedback", topic=entry.id, helpful="yes"),
        button(sentence("not_helpful", language), "feedback", topic=entry.id, helpful="no"),
    ]
    if entry.id in CHECKLIST_TOPICS and CHECKLIST_FORM in (domain.get("forms") or {}):
        buttons.append(button(sentence("make_checklist", language), "request_checklist"))
    say(
        dispatcher, in_script(without_source(entry.answer_in(language), entry.source), language),
        language=language, label=entry.id, kind="answer", buttons=buttons,
        topic=entry.id, kb=entry.kb, source=entry.source, source_label=source_label(entry.source, language, entry.kb),
        title=in_script(entry.title_in(language), language), bot=context.bot_label,
    )

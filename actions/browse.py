"""action_browse: the bot's service areas as buttons, then one area's topics a page at a time.

Buttons send `/browse` (every area), `/browse{"area": "<id>"}` (the area's top topics) and
`/browse{"area": "<id>", "page": 2}` (the rest of its knowledge bases' topics, a page at a
time). Areas come from bot.yml `service_areas`; a bot without them offers its `top_topics`.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Context, context_of
from actions.knowledge_access import entries_of, entry_for
from actions.language import in_script, localised
from actions.messages import button, say
from actions.sentences import sentence
from knowledge.schema import Entry

#: Topics on each page after the first ("More questions"); the first page is the area's top_topics.
PAGE_SIZE = 8


def area_buttons(context: Context) -> list[dict[str, str]]:
    """One button per service area of the bot, titled in the reply language."""
    areas = context.bot.service_areas if context.bot else ()
    return [button(localised(area.title, context.language), "browse", area=area.id) for area in areas]


def top_topic_buttons(context: Context) -> list[dict[str, str]]:
    """One button per bot.yml top topic that still exists (bots without service areas)."""
    buttons = []
    for topic in context.bot.top_topics if context.bot else ():
        entry = entry_for(context.bot, topic)
        if entry:
            buttons.append(topic_button(entry, context.language))
    return buttons


def topic_button(entry: Entry, language: str) -> dict[str, str]:
    """A button that asks for one topic's answer."""
    return button(in_script(entry.title_in(language), language), "faq", topic=entry.id)


def area_pages(context: Context, area_id: str) -> list[list[Entry]]:
    """The area's topics in pages: its top topics first, then the rest of its knowledge bases."""
    area = context.bot.area(area_id) if context.bot else None
    if area is None:
        return []
    top = [entry for entry in (entry_for(context.bot, topic) for topic in area.top_topics) if entry is not None]
    shown = {entry.id for entry in top}
    rest = [entry for entry in entries_of(context.bot, area.knowledge_bases) if entry.id not in shown]
    pages = [top] if top else []
    pages += [rest[start:start + PAGE_SIZE] for start in range(0, len(rest), PAGE_SIZE)]
    return pages


def page_number(value: object) -> int:
    """The page a button asked for (1 when missing or not a whole number)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return max(1, number)


def send_areas(dispatcher: CollectingDispatcher, context: Context, key: str = "browse_areas",
               topics_key: str = "greet_topics") -> None:
    """The list of service areas (or, said with `topics_key`, the top topics of a bot without areas)."""
    language = context.language
    buttons = area_buttons(context)
    if not buttons:
        buttons, key = top_topic_buttons(context), topics_key
    say(dispatcher, sentence(key, language), language=language, label="browse", kind="browse",
        buttons=buttons, bot=context.bot_label)


def send_area(dispatcher: CollectingDispatcher, context: Context, area_id: str, page: int) -> None:
    """One page of an area's topics, with "More questions" while there are more and "All service areas"."""
    language = context.language
    area = context.bot.area(area_id) if context.bot else None
    pages = area_pages(context, area_id)
    if area is None or not pages:
        send_areas(dispatcher, context, "browse_area_empty")
        return
    page = min(page, len(pages))
    title = localised(area.title, language)
    buttons = [topic_button(entry, language) for entry in pages[page - 1]]
    if page < len(pages):
        buttons.append(button(sentence("browse_more", language), "browse", area=area.id, page=page + 1))
    buttons.append(button(sentence("browse_back", language), "browse"))
    if page == 1:
        text = sentence("browse_area", language, area=title)
    else:
        text = sentence("browse_area_page", language, area=title, page=page, pages=len(pages))
    say(dispatcher, text, language=language, label=f"browse:{area.id}", kind="browse", buttons=buttons,
        area=area.id, page=page, pages=len(pages), bot=context.bot_label)


def _typed(tracker: Tracker) -> bool:
    """Whether the latest message was typed (a button sends `/browse...`)."""
    text = (tracker.latest_message or {}).get("text")
    return isinstance(text, str) and not text.lstrip().startswith("/")


class ActionBrowse(Action):
    """Answers intent `browse`: the areas, or one page of the chosen area's topics."""

    def name(self) -> str:
        return "action_browse"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(tracker)
        chosen = next(tracker.get_latest_entity_values("area"), None)
        area = context.bot.area(chosen) if context.bot and chosen else None
        if area is not None:
            send_area(dispatcher, context, area.id, page_number(next(tracker.get_latest_entity_values("page"), 1)))
        elif chosen:
            send_areas(dispatcher, context, "browse_unknown_area")
        elif _typed(tracker):  # "what can you do?": what it answers, and what it cannot do
            send_areas(dispatcher, context, "browse_scope", "browse_scope_topics")
        else:
            send_areas(dispatcher, context)
        return []

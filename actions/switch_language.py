"""action_switch_language: the citizen picks a reply language; the `language` slot keeps it for the conversation.

The target is read from a button (`/switch_language{"lang": "en"}`) or from the
message ("English please", "講廣東話得唔得", "可以用中文嗎", "简体中文"); when the
message names no language the bot asks with a button per language.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import context_of
from actions.language import LANGUAGE_SLOT, LANGUAGES
from actions.messages import button, say
from actions.sentences import sentence

#: Words naming a language. "Chinese" alone means the script the citizen writes in (see `requested_language`).
LANGUAGE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("zh-Hans", ("simplified", "简体", "簡體", "简中", "簡中", "普通话", "普通話", "国语", "mandarin", "putonghua", "简体字", "簡體字")),
    ("yue", ("cantonese", "廣東話", "广东话", "粵語", "粤语", "廣東", "广东", "白話", "白话")),
    ("zh-Hant", ("traditional", "繁體", "繁体", "繁中", "正體", "書面語")),
    ("en", ("english", "英文", "英語", "英语", "eng")),
    ("chinese", ("chinese", "中文", "華語", "华语")),
)
#: Button titles, each in its own language so the citizen can read theirs.
LANGUAGE_NAMES = {"en": "English", "yue": "廣東話", "zh-Hant": "繁體中文", "zh-Hans": "简体中文"}
SIMPLIFIED_MARKERS = re.compile("[吗么这说请简体们过为话语]")


def requested_language(text: str, message_language: str | None = None) -> str | None:
    """The language a message asks for, or None. The last one named wins ("我唔識英文，講中文啦" -> Chinese)."""
    lowered = text.lower()
    best: tuple[int, str] | None = None
    for tag, words in LANGUAGE_WORDS:
        for word in words:
            if word == "eng" and not re.search(r"\beng\b", lowered):
                continue
            position = lowered.rfind(word)
            if position >= 0 and (best is None or position + len(word) > best[0]):
                best = (position + len(word), tag)
    if best is None:
        return None
    if best[1] == "chinese":  # plain "Chinese": Simplified for a Simplified writer, else Traditional
        simplified = message_language == "zh-Hans" or bool(SIMPLIFIED_MARKERS.search(text))
        return "zh-Hans" if simplified else "zh-Hant"
    return best[1]


class ActionSwitchLanguage(Action):
    """Sets the sticky `language` slot and confirms in the new language, or asks which one."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        target = next(tracker.get_latest_entity_values("lang"), None)
        if target not in LANGUAGES:
            target = requested_language(message.get("text") or "", message.get("language"))
        context = context_of(tracker)
        if target is None:
            buttons = [button(name, "switch_language", lang=tag) for tag, name in LANGUAGE_NAMES.items()]
            say(dispatcher, sentence("language_ask", context.language), language=context.language,
                label="switch_language", kind="language", buttons=buttons, bot=context.bot_label)
            return []
        say(dispatcher, sentence(f"language_set_{target}", target), language=target,
            label="switch_language", kind="language", bot=context.bot_label)
        return [SlotSet(LANGUAGE_SLOT, target)]

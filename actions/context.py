"""What every action needs to know first: the conversation's bot and its reply language."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from rasa_sdk import Tracker

from actions.bot_config import bot_for
from actions.language import FALLBACK_LANGUAGE, localised, reply_language
from hkbot.bot_config import BotConfig


@dataclass(frozen=True)
class Context:
    """The bot (None if the conversation names none) and the tag to reply in."""

    bot: BotConfig | None
    language: str

    @property
    def bot_label(self) -> str:
        return self.bot.name if self.bot else ""

    def bot_text(self, key: str) -> str:
        """A multilingual bot.yml field (display_name, greeting, ...) in the reply language and script."""
        if not self.bot:
            return ""
        return localised(getattr(self.bot, key) or {}, self.language)


def context_of(tracker: Tracker) -> Context:
    """The bot and reply language of this tracker's conversation."""
    bot = bot_for(tracker)
    return Context(bot, reply_language(tracker, bot.default_language if bot else FALLBACK_LANGUAGE))


def recent_events(tracker: Tracker, messages: int) -> Iterator[dict[str, Any]]:
    """The conversation's events, newest first, back to (not beyond) its `messages` latest citizen messages."""
    users = 0
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            users += 1
            if users > messages:
                return
        yield event

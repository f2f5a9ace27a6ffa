"""Which bot a conversation belongs to, and its bot.yml (re-read when the file changes).

Each bot's domain gives the `bot_name` slot an initial value, so the name reaches
the actions with every tracker, whatever server or channel runs them.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from rasa_sdk import Tracker

from hkbot.bot_config import NAME_PATTERN, BotConfig, BotConfigError, load_bot
from hkbot.settings import bots_dir

logger = logging.getLogger(__name__)

BOT_SLOT = "bot_name"
_cache: dict[str, tuple[float, BotConfig]] = {}


def bot_name(tracker: Tracker) -> str | None:
    """The conversation's bot: the `bot_name` slot, else a `bot` key in the message metadata."""
    name = tracker.get_slot(BOT_SLOT)
    if not name:
        name = ((tracker.latest_message or {}).get("metadata") or {}).get("bot")
    return str(name) if name else None


def load_cached(name: str) -> BotConfig | None:
    """The bot's validated config, cached until its bot.yml changes; None if it cannot be read."""
    folder = bots_dir()
    path = os.path.join(folder, name, "bot.yml")  # plain strings: this runs for every action call
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        logger.warning("No bot.yml for bot %r at %s", name, path)
        return None
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        config = load_bot(Path(folder) / name)
    except BotConfigError as error:
        logger.error("Cannot use bot %r: %s", name, error)
        return cached[1] if cached else None  # keep the last good version
    _cache[path] = (mtime, config)
    return config


def bot_for(tracker: Tracker) -> BotConfig | None:
    """The bot.yml of the conversation's bot, or None when the conversation names no known bot."""
    name = bot_name(tracker)
    return load_cached(name) if name and NAME_PATTERN.match(name) else None

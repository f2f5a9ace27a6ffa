"""Looking up knowledge entries for a bot: only topics of the bot's own knowledge bases."""
from __future__ import annotations

import logging

from hkbot.bot_config import BotConfig
from knowledge.live import shared_store
from knowledge.schema import Entry

logger = logging.getLogger(__name__)


def entry_for(bot: BotConfig | None, topic: object) -> Entry | None:
    """The live entry `topic`, or None if it does not exist or is not in the bot's knowledge bases."""
    if not isinstance(topic, str) or not topic:
        return None
    entry = shared_store().entry(topic)
    if entry is None:
        logger.warning("Topic %r is not in the knowledge store", topic)
        return None
    if bot is not None and entry.kb not in bot.knowledge_bases:
        logger.warning("Topic %r is not in bot %r's knowledge bases", topic, bot.name)
        return None
    return entry


def entries_of(bot: BotConfig | None, knowledge_bases: tuple[str, ...]) -> list[Entry]:
    """The live entries of `knowledge_bases` that the bot holds, in file order (browsing an area)."""
    allowed = [kb for kb in knowledge_bases if bot is None or kb in bot.knowledge_bases]
    return shared_store().entries(allowed) if allowed else []

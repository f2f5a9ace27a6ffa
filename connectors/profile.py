"""What the widget and the kiosk show of a bot: its name, greeting, service areas and top topics in each language."""
from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from knowledge.live import shared_store
from nlu.script import to_simplified

logger = logging.getLogger(__name__)

#: The languages a page offers: Traditional (for yue and zh-Hant), Simplified, English.
PAGE_LANGUAGES = ("zh-Hant", "zh-Hans", "en")
DEFAULT_IDLE_SECONDS = 90


def config_value(config: Any, key: str, default: Any = None) -> Any:
    """A bot.yml value from a BotConfig object or a plain mapping."""
    if config is None:
        return default
    if isinstance(config, Mapping):
        value = config.get(key, default)
    else:
        value = getattr(config, key, default)
    return default if value is None else value


def page_language(tag: str | None) -> str:
    """The page language for a language tag: yue reads Traditional Chinese."""
    if tag in ("en", "zh-Hans"):
        return tag
    return "zh-Hant"


def localised(texts: Any, language: str) -> str:
    """One text of a {en, zh-Hant} mapping for a page language (Simplified converted by OpenCC)."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, Mapping) or not texts:
        return ""
    if language == "en":
        return str(texts.get("en") or texts.get("zh-Hant") or next(iter(texts.values())))
    if language == "zh-Hans" and texts.get("zh-Hans"):
        return str(texts["zh-Hans"])
    text = str(texts.get("zh-Hant") or texts.get("yue") or texts.get("en") or "")
    if language == "zh-Hans":
        return to_simplified(text)
    return text


def _topic_titles(topic_id: str) -> dict[str, str]:
    """A topic's title per page language, from the live knowledge store."""
    try:
        entry = shared_store().entry(topic_id)
    except Exception:  # a broken knowledge folder must not take the pages down
        logger.exception("Could not read the knowledge store for topic %s", topic_id)
        entry = None
    if entry is None:
        return {}
    return {language: localised(entry.title, language) for language in PAGE_LANGUAGES}


def _areas(config: Any) -> list[dict[str, Any]]:
    """The bot's service areas as buttons: id, title per page language, and the `/browse` payload the bot answers."""
    areas = []
    for area in config_value(config, "service_areas", ()) or ():
        area_id = str(config_value(area, "id", "") or "")
        title = config_value(area, "title", {}) or {}
        if area_id and title:
            payload = "/browse" + json.dumps({"area": area_id}, ensure_ascii=False)
            areas.append({"id": area_id, "title": {lang: localised(title, lang) for lang in PAGE_LANGUAGES}, "payload": payload})
    return areas


def idle_seconds(config: Any) -> int:
    """The kiosk's idle time from bot.yml `kiosk.idle_seconds` (default 90 s)."""
    # hkbot.bot_config keeps keys it does not know (like `kiosk`) in `extra`.
    kiosk = config_value(config, "kiosk", None) or config_value(config_value(config, "extra", {}), "kiosk", {}) or {}
    value = kiosk.get("idle_seconds") if isinstance(kiosk, Mapping) else getattr(kiosk, "idle_seconds", None)
    try:
        return max(5, int(value)) if value is not None else DEFAULT_IDLE_SECONDS
    except (TypeError, ValueError):
        return DEFAULT_IDLE_SECONDS


def bot_profile(name: str, config: Any) -> dict[str, Any]:
    """Plain JSON data about a bot for a page: every text in every page language."""
    display_name = config_value(config, "display_name", {}) or {"en": name}
    greeting = config_value(config, "greeting", {}) or {}
    privacy = config_value(config, "privacy_notice", {}) or {}
    topics = []
    for topic_id in config_value(config, "top_topics", []) or []:
        titles = _topic_titles(str(topic_id))
        if titles:
            topics.append({"id": str(topic_id), "title": titles})
    return {
        "bot": name,
        "display_name": {lang: localised(display_name, lang) for lang in PAGE_LANGUAGES},
        "greeting": {lang: localised(greeting, lang) for lang in PAGE_LANGUAGES},
        "privacy_notice": {lang: localised(privacy, lang) for lang in PAGE_LANGUAGES},
        "default_language": page_language(config_value(config, "default_language", "zh-Hant")),
        "topics": topics,
        "areas": _areas(config),
        "idle_seconds": idle_seconds(config),
    }

"""The reply language of a conversation, and rendering Traditional text for it.

The language slot (set by switch_language) wins and sticks; otherwise the
language of the citizen's latest message that had one (a button press has no
detected language: the page's language, sent in its metadata, stands in);
otherwise the bot's default language. Chinese written the same in both scripts
("你好", "公屋") shows no script: it keeps the Chinese script the page declares, or
the citizen's earlier Chinese messages had, so a Simplified chat stays Simplified. A word or two in
Latin letters ("byebye", "ok thx") keeps the Chinese of the chat before it.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from rasa_sdk import Tracker

from nlu.parse_keys import LANGUAGE
from nlu.script import script_counts, to_simplified

#: Reply language tags (DESIGN.md): English, written Cantonese, formal Chinese, Simplified.
LANGUAGES: tuple[str, ...] = ("en", "yue", "zh-Hant", "zh-Hans")
FALLBACK_LANGUAGE = "zh-Hant"
LANGUAGE_SLOT = "language"


def _tag(parse_data: Any, metadata: Any = None) -> Any:
    """A message's detected language, else (a button press) the language its page declared."""
    parse_data = parse_data if isinstance(parse_data, dict) else {}
    declared = metadata if isinstance(metadata, dict) else parse_data.get("metadata")
    return parse_data.get(LANGUAGE) or (declared.get("language") if isinstance(declared, dict) else None)


def _script_neutral(text: Any) -> bool:
    """Chinese text with no character of only one script ("你好", "我想找真人客服")."""
    if not isinstance(text, str) or not any("\u3400" <= c <= "\u9fff" for c in text):
        return False
    return script_counts(text) == (0, 0)


#: Most words a message in Latin letters may have and still be taken as a Chinese chat's small talk ("byebye", "ok thx").
SHORT_LATIN_WORDS = 2


def _short_latin(text: Any) -> bool:
    """A message of at most SHORT_LATIN_WORDS words in Latin letters and no Chinese character ("byebye", "ok thx")."""
    if not isinstance(text, str) or any("\u3400" <= c <= "\u9fff" for c in text):
        return False
    words = re.findall(r"[A-Za-z]+", text)
    return 0 < len(words) <= SHORT_LATIN_WORDS


def _chinese_script(tracker: Tracker) -> Any:
    """The Chinese reply language the page declares for the latest message, else the citizen's earlier Chinese one."""
    declared = (tracker.latest_message or {}).get("metadata")
    if isinstance(declared, dict) and declared.get("language") in ("zh-Hans", "zh-Hant", "yue"):
        return declared["language"]
    return next((tag for tag in _earlier_languages(tracker) if tag in ("zh-Hans", "zh-Hant", "yue")), None)


def _earlier_languages(tracker: Tracker) -> Iterator[Any]:
    """Language tags of the citizen's messages before the latest one, newest first."""
    users = (event for event in reversed(tracker.events or []) if event.get("event") == "user")
    next(users, None)  # the latest message: `tracker.latest_message`
    return (_tag(event.get("parse_data"), event.get("metadata")) for event in users)


def _message_languages(tracker: Tracker) -> Iterable[Any]:
    """Language tags of the citizen's messages, newest first."""
    yield _tag(tracker.latest_message)
    yield from _earlier_languages(tracker)


def reply_language(tracker: Tracker, default: str = FALLBACK_LANGUAGE) -> str:
    """The tag to reply in: sticky slot, else the latest tagged message, else the bot default."""
    chosen = tracker.get_slot(LANGUAGE_SLOT)
    if chosen in LANGUAGES:
        return chosen
    latest = tracker.latest_message or {}
    if _tag(latest) == "en" and _short_latin(latest.get("text")):
        # Hong Kong people end a Chinese chat with "byebye" or "ok thx": the reply (and the widget) stays in Chinese.
        earlier = next((tag for tag in _earlier_languages(tracker) if tag in LANGUAGES), None)
        if earlier in ("yue", "zh-Hant", "zh-Hans"):
            return earlier
    if _tag(latest) in ("zh-Hant", "yue") and _script_neutral(latest.get("text")) and _chinese_script(tracker) == "zh-Hans":
        return "zh-Hans"
    for tag in _message_languages(tracker):
        if tag in LANGUAGES:
            return tag
    return default if default in LANGUAGES else FALLBACK_LANGUAGE


def text_key(language: str) -> str:
    """Which written text serves a reply language: `en` or `zh-Hant` (Simplified is converted from it)."""
    return "en" if language == "en" else "zh-Hant"


def in_script(text: str, language: str) -> str:
    """Convert Traditional text to Simplified for `zh-Hans`; other languages are returned unchanged."""
    if language != "zh-Hans" or not text:
        return text
    return to_simplified(text)


def localised(texts: dict[str, str], language: str) -> str:
    """Pick from an {en, zh-Hant, yue?} map for a reply language and convert the script."""
    for key in (language if language in ("en", "yue") else None, text_key(language), "en", "zh-Hant"):
        if key and texts.get(key):
            return in_script(texts[key], language)
    return in_script(next(iter(texts.values()), ""), language)

"""Input cleaning: make any incoming value a safe, bounded string without losing the citizen's text.

Two layers, on purpose:
- `sanitise` keeps the text character-for-character (so token offsets still point into
  what the citizen typed): it only coerces non-strings, replaces lone surrogates with
  U+FFFD (they cannot be encoded, stored or logged) and cuts over-long input.
- `is_invisible` / `strip_invisible` say which characters the matching view drops:
  control characters, zero-width and other format characters, the replacement
  character left by binary junk, and non-characters; `without_markup` blanks HTML tags
  for the views that read a message (its language, its matching view).
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

#: The longest message hkbot reads, in characters (code points): the default of the one
#: message-length limit and its ceiling (no citizen question needs more; it bounds the work per message).
MAX_MESSAGE_CHARS = 2000
#: The one setting of that limit (lower it, never raise it); read only by `message_limit()`.
MESSAGE_LIMIT_ENV = "HKBOT_MAX_MESSAGE_CHARS"

REPLACEMENT_CHAR = "\ufffd"
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")


@dataclass(frozen=True)
class Sanitised:
    """The cleaned text and whether it was cut at the message-length limit."""

    text: str
    truncated: bool = False


def message_limit() -> int:
    """The one message-length limit, in characters: every channel refuses longer messages and the NLU cuts at it."""
    return _parse_limit(os.environ.get(MESSAGE_LIMIT_ENV, "").strip())


@lru_cache(maxsize=8)
def _parse_limit(value: str) -> int:
    """`HKBOT_MAX_MESSAGE_CHARS`: a whole number from 1 to MAX_MESSAGE_CHARS; unset means MAX_MESSAGE_CHARS."""
    if not value:
        return MAX_MESSAGE_CHARS
    try:
        chars = int(value)
    except ValueError:
        raise ValueError(f"{MESSAGE_LIMIT_ENV}={value!r}: must be a whole number") from None
    if not 1 <= chars <= MAX_MESSAGE_CHARS:
        raise ValueError(f"{MESSAGE_LIMIT_ENV}={chars}: from 1 to at most {MAX_MESSAGE_CHARS}, the longest message hkbot reads")
    return chars


def _coerce(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def sanitise(value: object, limit: Optional[int] = None) -> Sanitised:
    """Any value -> a str safe to encode, at most `limit` (default: `message_limit()`) characters, offsets unchanged."""
    limit = message_limit() if limit is None else limit
    text = _coerce(value)
    truncated = len(text) > limit
    if truncated:
        text = text[:limit]
    # Lone surrogates ('\ud800') come from broken JSON or bad decoders; UTF-8 cannot hold them.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join(REPLACEMENT_CHAR if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return Sanitised(text, truncated)


@lru_cache(maxsize=4096)
def is_invisible(ch: str) -> bool:
    """True for characters the matching view drops: controls, zero-width/format, junk."""
    if ch in _WHITESPACE_CONTROLS:
        return False  # whitespace: collapsed to one space, not dropped
    if ch == REPLACEMENT_CHAR:
        return True
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return True
    code = ord(ch)
    return (0xFDD0 <= code <= 0xFDEF) or (code & 0xFFFE) == 0xFFFE


def is_space(ch: str) -> bool:
    """True for any whitespace, including the ideographic space and odd line separators."""
    return ch.isspace() or ch in _WHITESPACE_CONTROLS


def strip_invisible(text: str) -> str:
    """Text without control, zero-width and junk characters (whitespace kept)."""
    return "".join(ch for ch in text if not is_invisible(ch))


def clean(value: object, limit: Optional[int] = None) -> str:
    """Sanitised, invisible characters removed, whitespace collapsed: safe to show or log."""
    text = strip_invisible(sanitise(value, limit).text)
    return " ".join(text.split())


#: An HTML or XML tag ("<b>", "<img src=x onerror=...>"): markup pasted or typed around a question is no language.
_MARKUP = re.compile(r"<[^<>\n]{1,200}>")


def without_markup(text: str) -> str:
    """The text with its HTML tags blanked out, each by as many spaces, so offsets into it still point into the
    text (a citizen review: tags around 水費點交 made the reply English and the question went unanswered)."""
    return _MARKUP.sub(lambda tag: " " * len(tag.group()), text) if "<" in text else text

"""Input cleaning: make any incoming value a safe, bounded string without losing the citizen's text.

Two layers, on purpose:
- `sanitise` keeps the text character-for-character (so token offsets still point into
  what the citizen typed): it only coerces non-strings, replaces lone surrogates with
  U+FFFD (they cannot be encoded, stored or logged) and cuts over-long input.
- `is_invisible` / `strip_invisible` say which characters the matching view drops:
  control characters, zero-width and other format characters, the replacement
  character left by binary junk, and non-characters.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: The longest message the NLU layer looks at, in characters (code points). Longer input is
#: cut here, never rejected: no citizen question needs more, and it bounds the work per message.
MAX_MESSAGE_CHARS = 2000

REPLACEMENT_CHAR = "\ufffd"
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")


@dataclass(frozen=True)
class Sanitised:
    """The cleaned text and whether it was cut at MAX_MESSAGE_CHARS."""

    text: str
    truncated: bool = False


def _coerce(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def sanitise(value: object, limit: int = MAX_MESSAGE_CHARS) -> Sanitised:
    """Any value -> a str safe to encode, at most `limit` characters, offsets unchanged."""
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


def clean(value: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Sanitised, invisible characters removed, whitespace collapsed: safe to show or log."""
    text = strip_invisible(sanitise(value, limit).text)
    return " ".join(text.split())

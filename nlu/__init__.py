"""The shared NLU layer: language id, normalisation and tokenisation for Hong Kong messages.

Plain Python with no Rasa import; `nlu.components` wraps it as Rasa graph components.
"""
from __future__ import annotations

from nlu.language_id import detect_language
from nlu.normalise import aligned_view, formalise, normalise
from nlu.sanitise import MAX_MESSAGE_CHARS, sanitise, without_markup
from nlu.tokenise import tokenise, tokens_of_view
from nlu.types import Analysis, Token

__all__ = [
    "analyse", "Analysis", "Token", "detect_language", "normalise", "tokenise", "MAX_MESSAGE_CHARS",
]


def analyse(text: object) -> Analysis:
    """The original message (sanitised) with its language, matching view and tokens; HTML tags in it are read
    as blanks (the original keeps them, and the offsets still point into it)."""
    cleaned = sanitise(text)
    readable = without_markup(cleaned.text)
    view = aligned_view(readable)
    return Analysis(
        original=cleaned.text,
        normalised=formalise(view.text),
        language=detect_language(readable),
        tokens=tuple(tokens_of_view(cleaned.text, view)),
        truncated=cleaned.truncated,
    )

"""Protocol types shared by every layer: what a message looks like once analysed.

Plain dataclasses with no Rasa import, so the NLU core stays fast to test and
reusable outside Rasa.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: Language tags, as in DESIGN.md. `und` is for empty or undecidable text.
Language = Literal["en", "yue", "zh-Hant", "zh-Hans", "und"]
LANGUAGES: tuple[str, ...] = ("en", "yue", "zh-Hant", "zh-Hans")
UNDETERMINED = "und"


@dataclass(frozen=True)
class Token:
    """One token of the original text; `start`/`end` index into the original."""

    text: str
    start: int
    end: int
    lemma: str  # the matching form: normalised, lemmatised, Hong Kong Traditional
    is_cjk: bool = False


@dataclass(frozen=True)
class Analysis:
    """The original message with its matching view beside it (never instead of it)."""

    original: str
    normalised: str
    language: str
    tokens: tuple[Token, ...] = field(default_factory=tuple)
    truncated: bool = False

    @property
    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.tokens]

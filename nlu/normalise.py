"""The matching view of a message: what retrieval and classifiers compare, never what is shown.

Steps, in order: sanitise (cut at MAX_MESSAGE_CHARS, lone surrogates replaced), control,
zero-width and junk characters dropped, full-width ASCII to half-width (NFKC), case
folding, whitespace collapsed to one space, Simplified/Taiwan forms to Hong Kong
Traditional (OpenCC s2hk), then colloquial Cantonese words to their formal equivalents
(table in nlu/data/colloquial.tsv). `aligned_view` keeps, for every character of the
view, the index of the original character it came from, so tokens can point back.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlu.sanitise import is_invisible, is_space, sanitise
from nlu.script import converter

DATA_DIR = Path(__file__).resolve().parent / "data"
COLLOQUIAL_TABLE = DATA_DIR / "colloquial.tsv"


@dataclass(frozen=True)
class AlignedView:
    """Folded, cleaned, Hong Kong Traditional text with an index into the original per character."""

    text: str
    index: tuple[int, ...]


@lru_cache(maxsize=8192)
def fold_char(ch: str) -> str:
    """One character's folded form: half-width (NFKC) and case-folded; may be longer or empty."""
    if ch.isascii():
        return ch.lower()
    return unicodedata.normalize("NFKC", ch).casefold()


def aligned_view(text: str) -> AlignedView:
    """The folded view of `text` (already sanitised) with its map back to original indices."""
    chars: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if is_space(ch):
            pending_space = bool(chars)
            continue
        if is_invisible(ch):
            continue
        folded = fold_char(ch)
        if not folded:
            continue
        if pending_space:
            chars.append(" ")
            index.append(i - 1)
            pending_space = False
        for piece in folded:
            if is_space(piece):  # NFKC can turn odd spaces into ' '
                piece = " "
            chars.append(piece)
            index.append(i)
    folded_text = "".join(chars)
    converted = converter("s2hk").convert(folded_text) if folded_text else folded_text
    if len(converted) != len(folded_text):
        # A phrase rule changed the length: convert character by character to stay aligned.
        s2hk = converter("s2hk")
        converted = "".join(_one_char(s2hk.convert(c), c) for c in folded_text)
    return AlignedView(converted, tuple(index))


def _one_char(converted: str, original: str) -> str:
    return converted if len(converted) == 1 else original


@lru_cache(maxsize=1)
def colloquial_table() -> dict[str, tuple[tuple[str, str], ...]]:
    """Colloquial -> formal pairs, grouped by first character, longest first."""
    pairs: dict[str, str] = {}
    for line in COLLOQUIAL_TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        colloquial, _, formal = line.partition("\t")
        key = converter("s2hk").convert(colloquial.strip())
        pairs[key] = formal.strip()
    grouped: dict[str, list[tuple[str, str]]] = {}
    for key, value in pairs.items():
        grouped.setdefault(key[0], []).append((key, value))
    return {c: tuple(sorted(v, key=lambda kv: -len(kv[0]))) for c, v in grouped.items()}


def formalise(text: str) -> str:
    """Colloquial Cantonese words replaced by formal equivalents, longest match first."""
    table = colloquial_table()
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        candidates = table.get(text[i])
        if candidates:
            for key, value in candidates:
                if text.startswith(key, i):
                    out.append(value)
                    i += len(key)
                    break
            else:
                out.append(text[i])
                i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def normalise(text: object) -> str:
    """The matching view of a message (see the module docstring for the steps)."""
    return formalise(aligned_view(sanitise(text).text).text)

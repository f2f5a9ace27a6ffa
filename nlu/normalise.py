"""The matching view of a message: what retrieval and classifiers compare, never what is shown.

Steps, in order: sanitise (cut at MAX_MESSAGE_CHARS, lone surrogates replaced), control,
zero-width and junk characters dropped, full-width ASCII to half-width (NFKC), case
folding, whitespace collapsed to one space, Simplified/Taiwan forms to Hong Kong
Traditional (OpenCC s2hk), then colloquial Cantonese words to their formal equivalents
(table in nlu/data/colloquial.tsv). `aligned_view` keeps, for every character of the
view, the index of the original character it came from, so tokens can point back.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlu.sanitise import is_invisible, is_space, sanitise, without_markup
from nlu.script import to_hk_view

DATA_DIR = Path(__file__).resolve().parent / "data"
COLLOQUIAL_TABLE = DATA_DIR / "colloquial.tsv"


@dataclass(frozen=True)
class AlignedView:
    """Folded, cleaned, Hong Kong Traditional text with an index into the original per character."""

    text: str
    index: tuple[int, ...]


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """One character's view: "" if dropped, " " for whitespace, else half-width (NFKC) and
    case-folded (may be longer: NFKC turns ㎏ into kg)."""
    if is_space(ch):
        return " "
    if is_invisible(ch):
        return ""
    folded = ch.lower() if ch.isascii() else unicodedata.normalize("NFKC", ch).casefold()
    return "".join(" " if is_space(c) else c for c in folded if not is_invisible(c))


_NEEDS_SPACE_WORK = re.compile(r"[^\S ]|  |^ | $")


def _already_folded(text: str) -> bool:
    """Fast check (all in C) that folding would change nothing, so the index is the identity."""
    return (
        text.isprintable()
        and not _NEEDS_SPACE_WORK.search(text)
        and unicodedata.is_normalized("NFKC", text)
        and text == text.casefold()
    )


def aligned_view(text: str) -> AlignedView:
    """The folded view of `text` (already sanitised) with its map back to original indices."""
    if _already_folded(text):
        return AlignedView(to_hk_view(text), tuple(range(len(text))))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_char(ch)
        for piece in folded:
            if piece == " " and (not chars or chars[-1] == " "):
                continue  # collapse runs, drop leading space
            chars.append(piece)
            index.append(i)
    if chars and chars[-1] == " ":
        chars.pop()
        index.pop()
    # Same length as the folded text, so the index still holds; Simplified input goes
    # through OpenCC's phrase tables (头发 -> 頭髮), other text character by character.
    return AlignedView(to_hk_view("".join(chars)), tuple(index))


@lru_cache(maxsize=1)
def colloquial_table() -> dict[str, tuple[tuple[str, str], ...]]:
    """Colloquial -> formal pairs, grouped by first character, longest first."""
    pairs: dict[str, str] = {}
    for line in COLLOQUIAL_TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        colloquial, _, formal = line.partition("\t")
        key = to_hk_view(colloquial.strip())
        pairs[key] = formal.strip()
    grouped: dict[str, list[tuple[str, str]]] = {}
    for key, value in pairs.items():
        grouped.setdefault(key[0], []).append((key, value))
    return {c: tuple(sorted(v, key=lambda kv: -len(kv[0]))) for c, v in grouped.items()}


@lru_cache(maxsize=1)
def _colloquial_pattern() -> re.Pattern:
    """One alternation of every colloquial word, longest first: at each position the regex
    engine tries them in that order, so the longest match wins, as in a hand-written scan."""
    keys = sorted((key for pairs in colloquial_table().values() for key, _ in pairs), key=lambda k: (-len(k), k))
    return re.compile("|".join(map(re.escape, keys)))


@lru_cache(maxsize=1)
def _formal_of() -> dict[str, str]:
    return {key: value for pairs in colloquial_table().values() for key, value in pairs}


@lru_cache(maxsize=65536)
def formalise(text: str) -> str:
    """Colloquial Cantonese words replaced by formal equivalents, longest match first."""
    formal = _formal_of()
    return _colloquial_pattern().sub(lambda match: formal[match.group()], text)


def folded_text(text: str) -> str:
    """`aligned_view(text).text` without the index (the matching view needs no offsets)."""
    if _already_folded(text):
        return to_hk_view(text)
    folded = "".join(fold_char(ch) for ch in text)
    return to_hk_view(_SPACE_RUNS.sub(" ", folded).strip(" "))


_SPACE_RUNS = re.compile(" {2,}")


def normalise(text: object) -> str:
    """The matching view of a message (see the module docstring for the steps)."""
    return formalise(folded_text(without_markup(sanitise(text).text)))

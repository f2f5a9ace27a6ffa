"""Find personal data in text and replace it with typed marks: [HKID], [PHONE], [EMAIL], [PASSPORT], [CARD].

What is recognised (ASCII or full-width characters, upper or lower case):
- `hkid`: Hong Kong identity card numbers, one or two letters, six digits and a check digit
  (A123456(3), A123456 (3), A1234563, AB9876543(9)); only when the check digit is right, so
  a reference number that merely looks like one is kept.
- `phone`: Hong Kong numbers, eight digits starting 2, 3, 5, 6, 7, 8 or 9, written 23456789,
  2345 6789 or 2345-6789, with an optional +852 / 852 / (852) in front. The 1823 hotline,
  prices (HK$80, $23456789), decimals and dates written as YYYYMMDD / DDMMYYYY are kept.
- `email`: addresses like chan.tai.man@example.com.hk.
- `passport`: HK SAR passports (H or K and eight digits), mainland Chinese ones (E or G and
  eight digits, or E, a letter and seven digits), and any other country's number (six to nine
  digits with up to two letters) only right after the word passport / 護照 / 护照.
- `card`: payment card numbers, 13 to 19 digits with optional spaces or dashes, only when the
  Luhn check passes.

Matching runs on a width-folded copy of the text of the same length, so spans point into
the original. Where two kinds overlap, the first in `KINDS` wins. Values in `keep` (as made
by `identity_of`, e.g. a department's published hotline) are public, not personal: kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import AbstractSet, Callable, Iterable, Iterator, Optional

#: Every kind of personal data we recognise, in priority order (earlier wins an overlap).
KINDS: tuple[str, ...] = ("hkid", "email", "card", "passport", "phone")
MARKS: dict[str, str] = {kind: f"[{kind.upper()}]" for kind in KINDS}


@dataclass(frozen=True)
class PersonalData:
    """One piece of personal data: its kind, where it is in the text, and what it was."""

    kind: str
    start: int
    end: int
    text: str

    @property
    def mark(self) -> str:
        return MARKS[self.kind]


# ----------------------------------------------------------------------------- width folding

# One character for one character, so offsets stay valid: full-width ASCII forms, the
# ideographic and no-break spaces, and the various dashes people paste.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x00A0: 0x20, 0x2007: 0x20, 0x202F: 0x20})
_FOLD.update({code: ord("-") for code in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63)})


def fold_width(text: str) -> str:
    """Full-width digits, letters and signs as ASCII, same length (offsets are kept)."""
    return text.translate(_FOLD)


# ----------------------------------------------------------------------------- checks


def hkid_check_digit(prefix: str, digits: str) -> str:
    """The check character ('0'-'9' or 'A') of an HKID with letter prefix and six digits."""
    letters = prefix.upper().rjust(2)  # a single letter counts a leading space as 36
    values = [36 if ch == " " else ord(ch) - ord("A") + 10 for ch in letters] + [int(d) for d in digits]
    total = sum(value * weight for value, weight in zip(values, range(9, 1, -1)))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum used by payment cards."""
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# ----------------------------------------------------------------------------- patterns

# "Word" boundaries that work next to Chinese: only ASCII letters and digits join a token.
_B = r"(?<![0-9A-Za-z])"
_E = r"(?![0-9A-Za-z])"

_HKID = re.compile(_B + r"([A-Z]{1,2}) ?([0-9]{6}) ?(?:\( ?([0-9A]) ?\)|([0-9A]))" + _E, re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}" + _E
)
_CARD = re.compile(r"(?<![0-9])(?<![0-9][.,])[0-9](?:[ \-]?[0-9]){12,18}(?![0-9])(?![.,][0-9])")
_PASSPORT = re.compile(_B + r"(?:[EGHK][0-9]{8}|E[A-Z][0-9]{7})" + _E, re.IGNORECASE)
_PASSPORT_AFTER_WORD = re.compile(
    r"(?:passport|護照|护照)(?:\s*(?:no\.?|number|num\.?|#|號碼|号码|編號|编号|號|号))?\s*(?:is|係|是|:|：)?\s*"
    + _B + r"([A-Z]{0,2}[0-9]{6,9}[A-Z]?)" + _E,
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![0-9A-Za-z$])(?<![0-9][.,/])(?:(?:\+|00)?\(?\+?852\)? ?-? ?)?([235-9][0-9]{3})[ \-]?([0-9]{4})(?![0-9])(?![.,][0-9])"
)
_DATE_LIKE = re.compile(
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"  # YYYYMMDD
    r"|(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])(?:19|20)[0-9]{2}"  # DDMMYYYY
)


def _hkid(text: str) -> Iterator[tuple[int, int]]:
    for match in _HKID.finditer(text):
        prefix, digits, check = match.group(1), match.group(2), (match.group(3) or match.group(4)).upper()
        if hkid_check_digit(prefix, digits) == check:
            yield match.span()


def _email(text: str) -> Iterator[tuple[int, int]]:
    if "@" in text:
        yield from (match.span() for match in _EMAIL.finditer(text))


def _card(text: str) -> Iterator[tuple[int, int]]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ \-]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            yield match.span()


def _passport(text: str) -> Iterator[tuple[int, int]]:
    yield from (match.span() for match in _PASSPORT.finditer(text))
    yield from (match.span(1) for match in _PASSPORT_AFTER_WORD.finditer(text))


def _phone(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        number = match.group(1) + match.group(2)
        written_as_one_block = match.group() == number
        if written_as_one_block and _DATE_LIKE.fullmatch(number):
            continue  # 20241123 is a date far more often than a phone number
        yield match.span()


_FINDERS: dict[str, Callable[[str], Iterable[tuple[int, int]]]] = {
    "hkid": _hkid,
    "email": _email,
    "card": _card,
    "passport": _passport,
    "phone": _phone,
}


# ----------------------------------------------------------------------------- API


def identity_of(kind: str, text: str) -> str:
    """A comparable form of a found value: the 8 digits of a phone, a card's digits, a lower-case email."""
    folded = fold_width(text)
    if kind == "email":
        return "email:" + folded.lower()
    if kind in ("phone", "card"):
        digits = re.sub(r"[^0-9]", "", folded)
        return f"{kind}:" + (digits[-8:] if kind == "phone" else digits)
    return f"{kind}:" + re.sub(r"[^0-9A-Z]", "", folded.upper())


# Every kind needs six digits with at most one separator between them, or an "@": text
# without either (most of a tracker: intent names, topic ids, short replies) is skipped fast.
_CANDIDATE = re.compile(r"[@\uff20]|[0-9\uff10-\uff19](?:[^0-9\uff10-\uff19]?[0-9\uff10-\uff19]){5}")
_MIN_LENGTH = 6  # the shortest e-mail, a@b.hk


def could_hold_personal_data(text: str) -> bool:
    """A quick necessary condition: False means `find_personal_data` would find nothing."""
    return len(text) >= _MIN_LENGTH and _CANDIDATE.search(text) is not None


@lru_cache(maxsize=64)
def _kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    wanted = {str(kind).strip().lower() for kind in kinds}
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kind of personal data {sorted(unknown)[0]!r} (use {', '.join(KINDS)})")
    return tuple(kind for kind in KINDS if kind in wanted)


def normalise_kinds(kinds: Optional[Iterable[str]]) -> tuple[str, ...]:
    """The kinds to look for, in priority order; None means all. Unknown kinds are a ValueError."""
    if kinds is None or kinds is KINDS:
        return KINDS
    return _kinds(tuple(kinds))


def find_personal_data(text: str, kinds: Optional[Iterable[str]] = None, keep: AbstractSet[str] = frozenset()) -> list[PersonalData]:
    """Every piece of personal data in `text` (of the given kinds, all by default), left to right, never overlapping."""
    if not isinstance(text, str) or not could_hold_personal_data(text):
        normalise_kinds(kinds)  # still refuse unknown kinds
        return []
    folded = fold_width(text)
    taken: list[PersonalData] = []
    for kind in normalise_kinds(kinds):
        for start, end in _FINDERS[kind](folded):
            if all(end <= other.start or start >= other.end for other in taken):
                taken.append(PersonalData(kind, start, end, text[start:end]))
    if keep:
        taken = [item for item in taken if identity_of(item.kind, item.text) not in keep]
    return sorted(taken, key=lambda found: found.start)


def redact(text: str, kinds: Optional[Iterable[str]] = None, keep: AbstractSet[str] = frozenset()) -> str:
    """`text` with each piece of personal data replaced by its mark, e.g. "call [PHONE]"."""
    if not isinstance(text, str) or not text:
        return text
    found = find_personal_data(text, kinds, keep)
    if not found:
        return text
    parts, position = [], 0
    for item in found:
        parts.append(text[position : item.start])
        parts.append(item.mark)
        position = item.end
    parts.append(text[position:])
    return "".join(parts)


def redact_value(value: object, kinds: Optional[Iterable[str]] = None, keep: AbstractSet[str] = frozenset()) -> object:
    """Any JSON-like value with every string in it redacted (dicts, lists and tuples copied, not changed in place).

    Tuples stay tuples, so a value with nothing to redact compares equal to the original.
    """
    if isinstance(value, str):
        return redact(value, kinds, keep)
    if isinstance(value, dict):
        return {key: redact_value(item, kinds, keep) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item, kinds, keep) for item in value]
    if isinstance(value, tuple):
        return tuple(redact_value(item, kinds, keep) for item in value)
    return value

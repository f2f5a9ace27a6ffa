"""Find personal data in text and replace it with typed marks: [HKID], [PHONE], [EMAIL], [PASSPORT], [CARD], [BANK_ACCOUNT].

What is recognised (ASCII or full-width characters, upper or lower case). Each rule weighs a
missed identity number against a date, fee or reference number lost from the stored copy
(the bot always answers from what the citizen typed; only what is stored or logged changes):
- `hkid`: Hong Kong identity card numbers, one or two letters and six digits, with the check
  digit or without it, written A123456(3), A123456 (3), A1234563, A123 456(3), A-123456-3,
  AB987654(3), A123456. A wrong check digit is still redacted (a citizen's typo is still their
  identity number); only a right one decides between an HKID and a passport (EA1234567).
- `phone`: Hong Kong numbers, eight digits starting 2 to 9 (4 is mobile since 2023), written
  23456789, 2345 6789, 2345-6789, 2345.6789 or 23 45 67 89, with an optional +852 / 852 /
  (852) in front. The 1823 hotline, prices (HK$80, $23456789, HK$2345.6789 or "fee 2345.6789"),
  decimals and dates written as YYYYMMDD / DDMMYYYY are kept, unless a word such as phone,
  tel, call, 電話, 手機 or 电话 stands next to the date-like number.
- `email`: addresses like chan.tai.man@example.com.hk, and written to dodge filters:
  name[at]domain.com, name(at)domain(dot)com, name at domain dot com, name 小老鼠 domain.com;
  "name at domain.com" only for the big mail providers or a name with a digit, dot or
  underscore (so "online at www.gov.hk" is kept).
- `passport`: HK SAR passports (H or K and eight digits), mainland Chinese ones (E or G and
  eight digits, or E, a letter and seven digits), and any other country's number (six to nine
  digits with up to two letters) only right after the word passport / 護照 / 护照.
- `card`: payment card numbers, 13 to 19 digits with optional spaces or dashes, only when the
  Luhn check passes.
- `bank_account`: Hong Kong bank account numbers written in groups, a 3-digit first group
  and 10 to 17 digits in all (004-123-456789-838, 123-456789-838, 012-875-1-234567-8); 9 to
  17 digits in any form right after account / a/c / 戶口 / 帳戶 / 账户 / bank / 銀行.

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
KINDS: tuple[str, ...] = ("hkid", "email", "card", "passport", "bank_account", "phone")
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

# letters, six digits (optionally 3 + 3) and a check character in brackets or not; without a
# check character the code must end there (A123456(3)9 and A1234567890 are other codes)
_HKID = re.compile(
    _B + r"([A-Z]{1,2})([ \-]?)([0-9]{3})([ \-]?)([0-9]{3})"
    r"(?:[ \-]?\( ?([0-9A]) ?\)|[ \-]?([0-9A])|(?![ \-]?\())" + _E,
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}" + _E
)
# the at and dot of e-mail addresses written to dodge filters: [at] (at) {at} <at>, " at ", 小老鼠 / 艾特; [dot] " dot " 點 点
_DOT_WRITTEN = r"(?: {0,2}[\[({<] {0,2}(?:dot|\.) {0,2}[\])}>] {0,2}| {1,3}dot {1,3}| {0,2}[點点] {0,2})"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
# found from each "at" outwards (few per text), not tried at every word
_AT_ANY = re.compile(r"@|[\[({<] {0,2}(?:at|@) {0,2}[\])}>]|(?<![A-Za-z])at(?![A-Za-z])|小老鼠|艾特", re.IGNORECASE)
_LOCAL_BEFORE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}$")
_DOMAIN_AFTER = re.compile(rf"{_LABEL}(?:(?:\.|{_DOT_WRITTEN}){_LABEL}){{1,6}}" + _E, re.IGNORECASE)
_DOT_SPLIT = re.compile(rf"\.|{_DOT_WRITTEN}", re.IGNORECASE)
#: Top-level domains a written-out address may end in (any two-letter country code, or one of these).
_TLDS = frozenset({"com", "net", "org", "edu", "gov", "info", "biz", "io", "app", "dev", "mil", "int", "name", "pro", "asia"})
#: Mail providers for which "name at provider.com" is an address, not a sentence.
_MAIL_PROVIDERS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.com.hk", "ymail.com", "hotmail.com", "hotmail.com.hk", "outlook.com",
    "live.com", "live.hk", "msn.com", "icloud.com", "me.com", "netvigator.com", "qq.com", "foxmail.com", "163.com", "126.com",
    "sina.com", "sohu.com", "aol.com", "protonmail.com", "proton.me", "gmx.com", "hkbn.net", "i-cable.com", "ctimail.com",
})
_CARD = re.compile(r"(?<![0-9])(?<![0-9][.,])[0-9](?:[ \-]?[0-9]){12,18}(?![0-9])(?![.,][0-9])")
_PASSPORT = re.compile(_B + r"(?:[EGHK][0-9]{8}|E[A-Z][0-9]{7})" + _E, re.IGNORECASE)
_PASSPORT_AFTER_WORD = re.compile(
    r"(?:passport|護照|护照)(?:\s*(?:no\.?|number|num\.?|#|號碼|号码|編號|编号|號|号))?\s*(?:is|係|是|:|：)?\s*"
    + _B + r"([A-Z]{0,2}[0-9]{6,9}[A-Z]?)" + _E,
    re.IGNORECASE,
)
# eight digits as 4+4 (space, dash or dot between, or nothing) or 2+2+2+2 (the same separator each time)
_PHONE = re.compile(
    r"(?<![0-9A-Za-z$])(?<![0-9][.,/])(?:(?:\+|00)?\(?\+?852\)? ?-? ?)?"
    r"(?:([2-9][0-9]{3})([ \-.]?)([0-9]{4})|([2-9][0-9])([ \-.])([0-9]{2})\5([0-9]{2})\5([0-9]{2}))"
    r"(?![0-9])(?![.,][0-9])"
)
_DATE_LIKE = re.compile(
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"  # YYYYMMDD
    r"|(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])(?:19|20)[0-9]{2}"  # DDMMYYYY
)
#: Words next to a number that say it is a phone number (before it, or just after it).
_PHONE_WORD_BEFORE = re.compile(
    r"(?<![A-Za-z_\[])(?:tel|phone|mobile|cell|call|contact|whatsapp|wechat|signal|sms|text me|fax|電話|电话|手機|手机|致電|致电|聯絡|联络|聯繫|联系"
    r"|打俾|打畀|打比|打给|打給|傳真|传真)[^0-9]{0,12}$",
    re.IGNORECASE,
)
_PHONE_WORD_AFTER = re.compile(r"^[^0-9]{0,6}(?:電話|电话|手機|手机|phone|mobile|tel(?![A-Za-z]))", re.IGNORECASE)
#: A price before a dotted number (2345.6789 after $ or "fee" is money, not a phone number).
_MONEY_BEFORE = re.compile(r"(?:\$|(?<![A-Za-z])(?:hkd|price|fee|cost|charge|amount)|費|费|價|价|金額|金额)[^0-9]{0,6}$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"^ ?(?:元|蚊|dollars?|hkd)", re.IGNORECASE)

# bank accounts: a 3-digit group (bank code or branch) and more groups with the same separator, 10-17 digits in all ...
_BANK_GROUPED = re.compile(
    r"(?<![0-9A-Za-z$+.,/\-])[0-9]{3}([ \-])[0-9]{1,9}(?:\1[0-9]{1,9}){1,3}(?![0-9A-Za-z])(?![.,/\-][0-9])"
)
# ... or any 9-17 digits right after a word for a bank account
_BANK_AFTER_WORD = re.compile(
    r"(?<![A-Za-z_\[])(?:account|a/c|acct|bank|戶口|户口|帳戶|账户|帳號|账号|銀行|银行)[^0-9]{0,15}?"
    r"(?<![0-9])([0-9](?:[ \-]?[0-9]){8,16})(?![0-9])",
    re.IGNORECASE,
)

def _hkid(text: str) -> Iterator[tuple[int, int]]:
    for match in _HKID.finditer(text):
        letters, separator, inner, bracketed = match.group(1), match.group(2), match.group(4), match.group(6)
        check = (bracketed or match.group(7) or "").upper()
        if separator == " " and inner and not bracketed:
            continue  # "on 187 8022" (a hotline after a word) is not an HKID, whatever its last digit
        if check != hkid_check_digit(letters, match.group(3) + match.group(5)):
            if separator == " " and not bracketed:
                continue  # "at 1234567" after a word is not an HKID without its right check digit
            if _PASSPORT.fullmatch(match.group()):
                continue  # EA1234567 is a mainland passport unless its last digit is an HKID's right check digit
        yield match.span()


def _email(text: str) -> Iterator[tuple[int, int]]:
    if "@" in text:
        yield from (match.span() for match in _EMAIL.finditer(text))
    for at in _AT_ANY.finditer(text):
        start, end = at.span()
        while start > 0 and text[start - 1] == " " and at.start() - start < 3:
            start -= 1
        while end < len(text) and text[end] == " " and end - at.end() < 3:
            end += 1
        if at.group().lower() == "at" and (start == at.start() or end == at.end()):
            continue  # the word "at" needs a space on each side
        local = _LOCAL_BEFORE.search(text, max(0, start - 64), start)
        domain = _DOMAIN_AFTER.match(text, end)
        if local and domain and _written_out_address(local.group(), at.group(), domain.group()):
            yield local.start(), domain.end()


def _written_out_address(local: str, at: str, domain: str) -> bool:
    """True when local + at + domain is an address, not a sentence like "look at www.gov.hk"."""
    at = at.strip().lower()
    labels = [label.strip().lower() for label in _DOT_SPLIT.split(domain)]
    if labels[0] == "www" or not (len(labels[-1]) == 2 or labels[-1] in _TLDS) or not labels[-1].isalpha():
        return False
    dots_written_out = len(labels) - 1 > domain.count(".")
    if at == "@":
        return dots_written_out  # plain addresses are `_EMAIL`'s
    if at != "at":  # [at] (at) 小老鼠 ...: nobody writes that in a sentence
        return True
    return dots_written_out or ".".join(labels) in _MAIL_PROVIDERS or any(ch.isdigit() or ch in "._" for ch in local)


def _card(text: str) -> Iterator[tuple[int, int]]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ \-]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            yield match.span()


def _passport(text: str) -> Iterator[tuple[int, int]]:
    yield from (match.span() for match in _PASSPORT.finditer(text))
    yield from (match.span(1) for match in _PASSPORT_AFTER_WORD.finditer(text))


_NINE_DIGITS = re.compile(r"[0-9](?:[ \-]?[0-9]){8}")


def _bank_account(text: str) -> Iterator[tuple[int, int]]:
    if not _NINE_DIGITS.search(text):
        return  # every form has at least nine digits
    for match in _BANK_GROUPED.finditer(text):
        digits = re.sub(r"[ \-]", "", match.group())
        if 10 <= len(digits) <= 17 and not match.group().startswith("852"):
            yield match.span()
    yield from (match.span(1) for match in _BANK_AFTER_WORD.finditer(text))


def _phone(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        start, end = match.span()
        before, after = text[max(0, start - 24) : start], text[end : end + 12]
        if match.group(1):
            number, separator = match.group(1) + match.group(3), match.group(2)
        else:
            number, separator = "".join(match.group(i) for i in (4, 6, 7, 8)), match.group(5)
        said_phone = bool(_PHONE_WORD_BEFORE.search(before) or _PHONE_WORD_AFTER.search(after))
        if match.group() == number and _DATE_LIKE.fullmatch(number) and not said_phone:
            continue  # 20241123 is a date far more often than a phone number, unless someone says "phone"
        if separator == "." and (_MONEY_BEFORE.search(before) or _MONEY_AFTER.search(after)) and not said_phone:
            continue  # fee 2345.6789 is money
        yield match.span()


_FINDERS: dict[str, Callable[[str], Iterable[tuple[int, int]]]] = {
    "hkid": _hkid,
    "email": _email,
    "card": _card,
    "passport": _passport,
    "bank_account": _bank_account,
    "phone": _phone,
}


# ----------------------------------------------------------------------------- API


def identity_of(kind: str, text: str) -> str:
    """A comparable form of a found value: the 8 digits of a phone, a card's digits, a lower-case email."""
    folded = fold_width(text)
    if kind == "email":
        return "email:" + folded.lower()
    if kind in ("phone", "card", "bank_account"):
        digits = re.sub(r"[^0-9]", "", folded)
        return f"{kind}:" + (digits[-8:] if kind == "phone" else digits)
    return f"{kind}:" + re.sub(r"[^0-9A-Z]", "", folded.upper())


# Every kind needs six digits with at most one separator between them, an "@", or the "at" of
# a written-out e-mail address: text without (most of a tracker: intent names, topic ids, short
# replies) is skipped fast.
_SIX_DIGITS = re.compile(r"[0-9\uff10-\uff19](?:[^0-9\uff10-\uff19]?[0-9\uff10-\uff19]){5}")
_EMAIL_CANDIDATE = re.compile(
    r"[@\uff20]|小老鼠|艾特|(?<![A-Za-z])at(?![A-Za-z])[^\n]{1,80}?(?:\.[A-Za-z]|dot|點|点)", re.IGNORECASE
)
_MIN_LENGTH = 6  # the shortest e-mail, a@b.hk


def _candidate(text: str) -> tuple[bool, bool]:
    """(could hold an e-mail address, has six digits): every kind but e-mail needs six digits."""
    return _EMAIL_CANDIDATE.search(text) is not None, _SIX_DIGITS.search(text) is not None


def could_hold_personal_data(text: str) -> bool:
    """A quick necessary condition: False means `find_personal_data` would find nothing."""
    return len(text) >= _MIN_LENGTH and any(_candidate(text))


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
    wanted = normalise_kinds(kinds)  # refuses unknown kinds
    if not isinstance(text, str) or len(text) < _MIN_LENGTH:
        return []
    maybe_email, has_digits = _candidate(text)
    if not has_digits:
        wanted = ("email",) if maybe_email and "email" in wanted else ()
    folded = fold_width(text)
    taken: list[PersonalData] = []
    for kind in wanted:
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

"""Tokens of a message for matching: jieba (Hong Kong dictionary) for Chinese runs, spaCy's
English tokenizer and lookup lemmatizer for the rest.

Works on the aligned matching view (folded, Hong Kong Traditional) and maps every token
back to the citizen's ORIGINAL text: `original[token.start:token.end] == token.text`.
A token's `lemma` is its matching form: HK Traditional and formal-mapped for Chinese,
lower-cased and lemmatised for English. Punctuation, symbols and emoji are not tokens.
"""
from __future__ import annotations

import re

from nlu import english
from nlu.lexicon import segment
from nlu.normalise import AlignedView, aligned_view, formalise
from nlu.sanitise import sanitise
from nlu.types import Token

#: Han ideographs (unified, extension A, compatibility, supplementary planes) and 〇.
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RUN = re.compile(f"[{HAN}]+")
_HAN_CHAR = re.compile(f"[{HAN}]")
_WORDISH = re.compile(r"\w+")


def is_cjk(text: str) -> bool:
    """True if the text contains a Han character."""
    return _HAN_CHAR.search(text) is not None


def tokenise(text: object) -> list[Token]:
    """Tokens of `text` with offsets into it (after sanitising: see nlu.sanitise)."""
    original = sanitise(text).text
    return tokens_of_view(original, aligned_view(original))


def tokens_of_view(original: str, view: AlignedView) -> list[Token]:
    """Tokens of an aligned view, mapped back into `original`."""
    tokens: list[Token] = []
    position = 0
    for match in _HAN_RUN.finditer(view.text):
        if match.start() > position:
            _other_tokens(original, view, position, match.start(), tokens)
        _chinese_tokens(original, view, match.start(), match.end(), tokens)
        position = match.end()
    if position < len(view.text):
        _other_tokens(original, view, position, len(view.text), tokens)
    return tokens


def _make(original: str, view: AlignedView, start: int, end: int, lemma: str, cjk: bool) -> Token:
    first, last = view.index[start], view.index[end - 1] + 1
    return Token(original[first:last], first, last, lemma, cjk)


def _chinese_tokens(original: str, view: AlignedView, start: int, end: int, out: list[Token]) -> None:
    offset = start
    for word in segment(view.text[start:end]):
        out.append(_make(original, view, offset, offset + len(word), formalise(word), True))
        offset += len(word)


def _other_tokens(original: str, view: AlignedView, start: int, end: int, out: list[Token]) -> None:
    run = view.text[start:end]
    if not run.strip():
        return
    if not any(c.isalpha() for c in run):
        # Digits and symbols only: no need to wake spaCy up.
        for match in _WORDISH.finditer(run):
            s, e = start + match.start(), start + match.end()
            out.append(_make(original, view, s, e, match.group(), False))
        return
    for token in english.tokenize(run):
        if token.is_punct:
            continue
        s = start + token.start
        out.append(_make(original, view, s, s + len(token.text), token.lemma, False))

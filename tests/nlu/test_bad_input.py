"""Bad input never raises anywhere in the NLU layer; over-long input is cut at the limit."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nlu
from nlu.language_id import detect_language
from nlu.normalise import normalise
from nlu.sanitise import MAX_MESSAGE_CHARS, clean, sanitise
from nlu.tokenise import tokenise

BAD = [
    "",
    "   \t\n  ",
    "😀🐶🙏🏽👨‍👩‍👧",
    "0123456789",
    "狗" * 100_000,
    "a" * 100_000,
    "\x00\x01\x02\x1b[31m\x7f\x85",
    "\u200b\u200c\u200d\ufeff\u2060",
    "\ud800",
    "abc\udfff狗牌\ud800",
    os.urandom(512).decode("latin-1"),
    b"\xff\xfe\x00binary\x80\x81",
    "<script>alert(1)</script>",
    "'; DROP TABLE users; --",
    "\u202e\u202d reversed",
    None,
    12345,
]


@pytest.mark.parametrize("value", BAD, ids=range(len(BAD)))
def test_never_raises(value) -> None:
    result = nlu.analyse(value)
    assert result.language in ("en", "yue", "zh-Hant", "zh-Hans", "und")
    assert len(result.original) <= MAX_MESSAGE_CHARS
    result.original.encode("utf-8")  # storable and loggable: no lone surrogates left
    result.normalised.encode("utf-8")
    for token in result.tokens:
        assert result.original[token.start : token.end] == token.text
    detect_language(value)
    normalise(value)
    tokenise(value)
    clean(value).encode("utf-8")


def test_over_long_input_is_cut_at_the_limit() -> None:
    result = nlu.analyse("狗牌" * 100_000)
    assert result.truncated
    assert len(result.original) == MAX_MESSAGE_CHARS
    assert result.language == "zh-Hant" or result.language == "yue"
    assert not nlu.analyse("狗牌").truncated


def test_lone_surrogate_becomes_replacement_character() -> None:
    assert sanitise("a\ud800b").text == "a\ufffdb"
    assert detect_language("\ud800") == "und"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=300))
def test_any_text(text: str) -> None:
    result = nlu.analyse(text)
    for token in result.tokens:
        assert result.original[token.start : token.end] == token.text


@pytest.mark.parametrize(("text", "language", "view"), [
    # A citizen review: tags around a Chinese question made the reply English and the question went unanswered.
    ("<b>bold</b> <img src=x onerror=alert(1)> 水費點交", "zh-Hant", "bold 水費點交"),
    ("<p>How do I pay my water bill?</p>", "en", "how do i pay my water bill?"),
    ("1 < 2，水費點交", "zh-Hant", "<"),  # a lone "<" is no tag
])
def test_html_tags_are_read_as_blanks(text: str, language: str, view: str) -> None:
    assert detect_language(text) == language
    assert normalise(text) == nlu.analyse(text).normalised
    assert view.replace("點交", "") in normalise(text) and "img" not in normalise(text)
    analysis = nlu.analyse(text)
    assert analysis.original == text  # the citizen's text is kept; offsets still point into it
    assert all(text[t.start:t.end] == t.text for t in analysis.tokens) and not any("onerror" in t.text for t in analysis.tokens)

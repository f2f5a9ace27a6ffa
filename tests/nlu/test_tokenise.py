"""Tokenisation: jieba with the Hong Kong dictionary, spaCy lookups for English, offsets into the original."""
from __future__ import annotations

import re

import pytest

from nlu.lexicon import hk_tokenizer, segment
from nlu.tokenise import tokenise


def words(text: str) -> list[str]:
    return [t.text for t in tokenise(text)]


def test_code_mixed_example() -> None:
    tokens = tokenise("我想renew個dog licence")
    assert [t.text for t in tokens] == ["我", "想", "renew", "個", "dog", "licence"]
    assert [t.is_cjk for t in tokens] == [True, True, False, True, False, False]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("點樣申請狗牌呀", ["點樣", "申請", "狗牌", "呀"]),
        ("漁護署嘅地址係邊度", ["漁護署", "嘅", "地址", "係", "邊度"]),
        ("我哋想用智方便登記單一窗口", ["我哋", "想", "用", "智方便", "登記", "單一窗口"]),
        ("請問1823幾點開", ["請問", "1823", "幾點", "開"]),
        ("如何申请犬只牌照", ["如何", "申请", "犬只牌照"]),  # Simplified: segmented on its HK form
    ],
)
def test_hong_kong_words_stay_whole(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_lemmas_are_the_matching_form() -> None:
    lemmas = {t.text: t.lemma for t in tokenise("點樣申請狗牌 Renewing my dogs' LICENCES 申请")}
    assert lemmas["點樣"] == "如何"
    assert lemmas["狗牌"] == "犬隻牌照"
    assert lemmas["Renewing"] == "renew"
    assert lemmas["dogs"] == "dog"
    assert lemmas["LICENCES"] == "licence"
    assert lemmas["申请"] == "申請"


@pytest.mark.parametrize(
    "text",
    [
        "我想renew個dog licence",
        "ＡＢＣ　Ｄｏｇ\u200b  Licences\x00 running",
        "  點樣\t\t申請 狗牌？？ HK$80 ",
        "漁護署\u200b嘅地址\ufeff係邊度😀",
        "dog\u2028licence\u3000狗牌",
        "㎏ Ⅻ ① ﬁne 头发",
    ],
)
def test_offsets_point_into_the_original(text: str) -> None:
    tokens = tokenise(text)
    assert tokens
    for token in tokens:
        assert text[token.start : token.end] == token.text
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)


def test_punctuation_and_emoji_are_not_tokens() -> None:
    assert words("狗牌？！😀 ...") == ["狗牌"]


def test_fast_segmenter_matches_jieba() -> None:
    sentences = [
        "點樣申請狗牌呀我想知道幾時續牌",
        "漁農自然護理署動物管理中心喺邊度",
        "貿易單一窗口帳戶被鎖定了應該怎麼辦",
        "佢哋話智方便可以用嚟登入但係我唔識",
        "香港特別行政區政府一站式查詢熱線",
    ]
    tokenizer = hk_tokenizer()
    for sentence in sentences:
        for run in re.findall(r"[\u4e00-\u9fff]+", sentence):
            assert list(segment(run)) == list(tokenizer.cut(run, HMM=False))

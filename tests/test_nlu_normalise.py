"""Normalisation: the matching view beside the citizen's text."""
from __future__ import annotations

import pytest

from nlu import analyse
from nlu.normalise import normalise
from nlu.script import to_simplified, to_traditional


@pytest.mark.parametrize(
    "text, expected",
    [
        ("點樣申請狗牌呀？", "如何申請犬隻牌照呀?"),  # colloquial -> formal, full-width ？
        ("狗牌幾多錢", "犬隻牌照多少錢"),
        ("喺邊度攞狗牌", "在哪裡領取犬隻牌照"),
        ("佢冇帶身份證", "他沒有帶身份證"),
        ("如何申请犬只牌照", "如何申請犬隻牌照"),  # Simplified -> HK Traditional
        ("我的头发", "我的頭髮"),  # OpenCC phrase tables, not character by character
        ("ＨＥＬＬＯ　Ｗｏｒｌｄ", "hello world"),  # full-width -> half-width, case folded
        ("  dog\t\n licence  ", "dog licence"),  # whitespace collapsed and trimmed
        ("dog\u200b\u200dlic\x00ence\ufeff", "doglicence"),  # zero-width and control chars dropped
        ("唔該晒", "唔該晒"),  # a longer entry protects 唔該 from 唔 -> 不
        ("我冇關係", "我沒有關係"),  # 關係 is formal, its 係 stays
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_cantonese_and_formal_questions_meet_in_the_view() -> None:
    assert normalise("點樣申請狗牌") == normalise("如何申请犬只牌照")


def test_original_is_kept_beside_the_view() -> None:
    text = "點樣申請狗牌呀？"
    result = analyse(text)
    assert result.original == text
    assert result.normalised == "如何申請犬隻牌照呀?"


def test_script_conversion_round_trip() -> None:
    assert to_traditional("软件和网络") == "軟件和網絡"
    assert to_simplified("漁農自然護理署") == "渔农自然护理署"
    assert to_traditional("") == "" and to_simplified("") == ""

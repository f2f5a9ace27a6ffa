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


def test_fast_paths_agree_with_the_aligned_view_and_a_plain_scan():
    # normalise() folds without building offsets and formalises with one regex; both must
    # give exactly what the offset-keeping view and a longest-first scan give.
    import importlib
    import random

    module = importlib.import_module("nlu.normalise")

    def scan(text: str) -> str:
        table, out, i = module.colloquial_table(), [], 0
        while i < len(text):
            for key, value in table.get(text[i], ()):
                if text.startswith(key, i):
                    out.append(value)
                    i += len(key)
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    rng = random.Random(7)
    alphabet = " \t\u3000ＡaB點樣幾多錢喺邊度冇係唔該\u200b\x07e㎏"
    texts = ["  Ｈｅｌｌｏ\u200b  World\t\n 點樣  ", "冇嘢 唔係 佢哋喺邊度", ""]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(2000)]
    for text in texts:
        view = module.aligned_view(text).text
        assert module.folded_text(text) == view, text
        assert module.formalise(view) == scan(view), view

"""Language identification against the bar, on held-out real sentences (nlu.langid_data)."""
from __future__ import annotations

import pytest

from nlu.langid_data import heldout_set, split, tuning_set
from nlu.langid_eval import evaluate
from nlu.language_id import detect_language


@pytest.fixture(scope="module")
def scores():
    return evaluate(heldout_set())


def test_heldout_set_is_real_and_large_enough() -> None:
    held = heldout_set()
    sources = {(e.source, e.label) for e in held}
    assert {("common_voice", "yue"), ("hkcancor", "yue"), ("hsk", "zh-Hant"), ("hsk", "zh-Hans"), ("hsk", "en")} <= sources
    assert sum(e.label == "zh-Hant" for e in held) >= 1000
    assert sum(e.label == "yue" for e in held) >= 5000


def test_heldout_never_overlaps_tuning() -> None:
    tuning = {e.text for e in tuning_set()}
    assert all(split(e.text) == "heldout" and e.text not in tuning for e in heldout_set())


def test_cantonese_vs_formal_meets_the_bar(scores) -> None:
    score = scores["yue_vs_formal"]
    assert score.accuracy >= 0.90, score.describe()
    for _label, (right, total) in score.per_class.items():  # each side, not just the majority
        assert right / total >= 0.90, score.describe()


def test_english_meets_the_bar(scores) -> None:
    assert scores["english"].accuracy >= 0.99, scores["english"].describe()


def test_simplified_vs_traditional_meets_the_bar(scores) -> None:
    assert scores["script"].accuracy >= 0.99, scores["script"].describe()


@pytest.mark.parametrize(
    "text, tag",
    [
        ("我想renew個dog licence", "yue"),  # Chinese matrix with English words
        ("我想知dog licence幾多錢", "yue"),
        ("我想renew我的犬只牌照，怎么办", "zh-Hans"),
        ("I want to apply for 狗牌", "en"),  # English with one Chinese word
        ("Where is 漁護署?", "en"),
        ("點樣申請狗牌呀？", "yue"),
        ("如何申請犬隻牌照？", "zh-Hant"),
        ("如何申请犬只牌照？", "zh-Hans"),
        ("How do I renew my dog licence?", "en"),
        ("ＨＯＷ　ＭＵＣＨ", "en"),
        ("", "und"),
        ("   \t ", "und"),
        ("😀😀😀", "und"),
        ("12345 678", "und"),
        ("？！。", "und"),
    ],
)
def test_examples(text: str, tag: str) -> None:
    assert detect_language(text) == tag

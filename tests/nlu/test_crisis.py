"""nlu.crisis: the phrases of a citizen who may be thinking of ending their life, in every language and script."""
from __future__ import annotations

import pytest

from nlu.crisis import in_crisis


@pytest.mark.parametrize("text", [
    "我不想活了", "唔想生存落去", "我好灰心，有時諗住唔想生存落去", "我想自殺", "我想自杀", "我觉得活不下去了",
    "I want to kill myself", "I don't want to live anymore", "thinking about suicide", "I want to END MY LIFE",
    "suicide prevention hotline number?",  # asking for the lines: the crisis reply gives them
    "我不想再活下去了", "唔想再生存落去", "一死了之", "我想上吊", "活着没意思", "my friend wants to kill himself",
])
def test_crisis_phrases_are_found(text: str) -> None:
    assert in_crisis(text)


@pytest.mark.parametrize("text", [
    "熱到想死", "攰到想死", "跳樓價大減價", "my dog died, how do I cancel its licence", "I'm dying to know the fee",
    "how do I renew my dog licence", "", "\x00\ufffd<b>",
    # A review's probes: work injuries, housing, insurance, savings, closing a business, a barbecue, small shops.
    "I hurt myself at work, can I claim employee compensation?", "I cut myself shaving",
    "I don't want to live with my parents, can I apply for public housing?", "I do want to live in Sha Tin",
    "How do I end my life insurance policy", "can I take my life savings out of MPF", "我想結束自己的公司",
    "結束自己嘅生意要做咩", "燒烤場可以燒炭嗎", "啲小店生存唔落去", "我不如死心算了", "交稅交到好想死",
])
def test_hyperbole_and_ordinary_questions_are_not(text: str) -> None:
    assert not in_crisis(text)

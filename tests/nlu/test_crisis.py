"""nlu.crisis: the phrases of a citizen who may be thinking of ending their life, in every language and script."""
from __future__ import annotations

import pytest

from nlu.crisis import in_crisis


@pytest.mark.parametrize("text", [
    "我不想活了", "唔想生存落去", "我好灰心，有時諗住唔想生存落去", "我想自殺", "我想自杀", "我觉得活不下去了",
    "I want to kill myself", "I don't want to live anymore", "thinking about suicide", "I want to END MY LIFE",
    "suicide prevention hotline number?",  # asking for the lines: the crisis reply gives them
])
def test_crisis_phrases_are_found(text: str) -> None:
    assert in_crisis(text)


@pytest.mark.parametrize("text", [
    "熱到想死", "攰到想死", "跳樓價大減價", "my dog died, how do I cancel its licence", "I'm dying to know the fee",
    "how do I renew my dog licence", "", "\x00\ufffd<b>",
])
def test_hyperbole_and_ordinary_questions_are_not(text: str) -> None:
    assert not in_crisis(text)

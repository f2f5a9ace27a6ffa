"""nlu.clauses: a message cut into its clauses and into its separate questions."""
from __future__ import annotations

import pytest

from nlu.clauses import clauses, questions


def test_clauses_join_back_into_the_text() -> None:
    text = "my pipe burst at 3am, will anyone at 1823 pick up? see 1823.gov.hk"
    assert "".join(clauses(text)) == text and len(clauses(text)) == 3


@pytest.mark.parametrize(("text", "expected"), [
    ("is 1823 open 24 hours, and how do I pay my water bill?", ["is 1823 open 24 hours", "how do I pay my water bill?"]),
    ("1823係咪24小時開？另外點樣交水費？", ["1823係咪24小時開？", "點樣交水費？"]),
    ("單一窗口收費嗎？還有支援甚麼瀏覽器？", ["單一窗口收費嗎？", "支援甚麼瀏覽器？"]),
    ("我想問下狗牌幾錢，同埋喺邊度申請", ["我想問下狗牌幾錢", "喺邊度申請"]),
    ("TSW hotline number? and which browsers does it support?", ["TSW hotline number?", "which browsers does it support?"]),
    ("is it free? also, can I pay by cash?", ["is it free?", "can I pay by cash?"]),
])
def test_a_message_that_asks_two_things_is_two_questions(text: str, expected: list[str]) -> None:
    assert questions(text) == expected


@pytest.mark.parametrize("text", [
    "my pipe burst at 3am, will anyone at 1823 pick up?",  # a story, then the question: a comma alone is no second question
    "I moved house, how do I update my dog licence address?",
    "cats and dogs need licences?",  # "and" inside a clause joins words, not questions
])
def test_one_question_with_a_story_or_a_list_is_not_cut(text: str) -> None:
    assert questions(text) == [text]


def test_a_word_that_begins_like_a_joiner_is_kept() -> None:
    assert questions("what is 1823? andrew said so, is it true") == ["what is 1823?", "andrew said so, is it true"]


@pytest.mark.parametrize(("text", "expected"), [
    ("狗牌點續期？同埋要幾錢？", ["狗牌點續期？ 要幾錢？"]),  # too short to ask alone: it stays with the question before
    ("why? how?", ["why? how?"]),
    ("   ", []),
])
def test_a_short_part_stays_with_the_question_before_it(text: str, expected: list[str]) -> None:
    assert questions(text) == expected

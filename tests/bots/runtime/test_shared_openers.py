"""Greetings that announce a question, and corrections of the bot, through a real trained seed bot.

The seed round of the sixth session (2026-12-05) found citizens opening with "你好，想問少少嘢" and
correcting the bot with "我唔係問呢個", which the bots refused as out of scope; the shared NLU data
(`bots/shared/data/nlu.yml`) now has both in every language. The phrasings below are not in the
training data: they check that the classifier generalises, through `hkbot eval`'s own message path.
"""
from __future__ import annotations

import asyncio

import pytest

from bots.training.evaluate import Case, run_cases


@pytest.mark.parametrize(("text", "label"), [
    ("hi, i've got a question", "greet"),
    ("你好，有問題想問下", "greet"),
    ("您好，想咨询点事情", "greet"),
    ("hello，我想查詢下", "greet"),
    ("您好，我有個問題", "greet"),
    ("我唔係問緊呢樣", "deny"),
    ("我问的不是这个", "deny"),
    ("這不是我要問的", "deny"),
    # and what must not move: a greeting with a topic is the topic, a near-miss stays out of scope
    ("你好，想問狗牌幾錢", "dog_licence.fee"),
    ("我想問下點樣申請貓牌", "out_of_scope"),
    ("How do I bring my dog into Hong Kong from overseas?", "out_of_scope"),
    # Seventh session (2026-12-05): mainland chat openers, short thanks, one-word yeses and formal
    # corrections, not in the training data; each was refused as out of scope by the models before it
    ("亲 在不在", "greet"),
    ("嗨 在不在呀", "greet"),
    ("谢谢啦，帮大忙了", "thanks"),
    ("ya", "affirm"),
    ("嗯嗯", "affirm"),
    ("並非這個", "deny"),
])
def test_openers_corrections_and_short_replies_get_their_shared_intent(runtime, text: str, label: str) -> None:
    [outcome] = asyncio.run(run_cases({"dog_licence": runtime}, [Case("dog_licence", text, label, "test")]))
    assert outcome.got == label, outcome

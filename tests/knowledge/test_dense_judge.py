"""The dense cosines' own say: a confident top just under the threshold answers, a close top-2 re-ranks."""
from __future__ import annotations

import pytest

from knowledge import index as index_module
from knowledge.cli import bot_knowledge_bases
from nlu.concepts import english_shorthand, view_of

BOT_1823 = [str(kb) for kb in bot_knowledge_bases("1823")]
DOG_LICENCE = [str(kb) for kb in bot_knowledge_bases("dog_licence")]
TSW = [str(kb) for kb in bot_knowledge_bases("tsw")]


@pytest.mark.parametrize(("question", "bot", "topic"), [
    # Dev questions (english_dev2, qa_dev, seed_dev10) whose right topic was on top, just under the threshold.
    ("where recycle wine bottles", BOT_1823, "epd.glass_bottles"),
    ("min wage how much", BOT_1823, "ld.minimum_wage"),
    ("請問許可證上所印的驗證碼有何用途？", TSW, "tsw.validity_check"),  # seed_dev10 (the copy question it replaced is answered outright since the twelfth session)
    ("give my dog to friend update owner afcd", BOT_1823, "dog_licence.change_details"),
])
def test_a_confident_dense_signal_answers_just_under_the_threshold(dense_index, monkeypatch, question, bot, topic) -> None:
    assert dense_index.decide(question, bot).top == topic
    monkeypatch.setattr(index_module, "RESCUE_GAP", None)
    refused = dense_index.decide(question, bot)
    assert refused.top is None, refused.to_dict()  # the rescue, not something else, answers it
    assert refused.matches[0].id == topic


@pytest.mark.parametrize("question", [
    # Out-of-scope near-misses of english_dev2 that score in the rescue band: the cosines are high but not ahead.
    "HK Electric bill pay at convenience store ok",
    "bank customer service hotline 24 hours number hsbc",
    "Hello, could you help me improve my CV and cover letter for a job application?",
])
def test_out_of_scope_near_misses_in_the_rescue_band_stay_refused(dense_index, monkeypatch, question) -> None:
    monkeypatch.setattr(index_module, "ELSEWHERE_FACTOR", None)  # the cosines alone keep them refused
    result = dense_index.decide(question, BOT_1823)
    assert result.top is None, result.to_dict()
    assert result.matches and result.matches[0].score >= dense_index.threshold - index_module.RESCUE_GAP - 0.1


@pytest.mark.parametrize(("question", "bot", "topic", "lexical_top"), [
    # Dev questions (swd_dev, fehd_dev) whose right topic is a close second lexically, both cosines ahead by
    # 0.005-0.012 (the seed round of 2026-12-05 settled the 1823 and dog licence examples in the knowledge itself;
    # 續領特區護照需時多久, once here, has answer cosines 0.0003 apart: it turns on the encoder's rounding).
    ("残疾人津贴的申请条件", BOT_1823, "swd.disability_allowance", "swd.disability_allowance_apply"),
    ("食肆暫准牌照幾時先批到", BOT_1823, "fehd.provisional_licence", "fehd.restaurant_licence"),
])
def test_a_close_top_two_is_reranked_by_the_cosines(dense_index, monkeypatch, question, bot, topic, lexical_top) -> None:
    assert dense_index.decide(question, bot).top == topic
    monkeypatch.setattr(index_module, "RERANK_MARGIN", None)
    assert dense_index.decide(question, bot).top == lexical_top


@pytest.mark.parametrize(("question", "bot", "topic", "lexical_top"), [
    # Dev questions (seed_dev7, seed_dev9, english_dev2): two topics of one knowledge base share most words
    # ("AFCD", "1823", "departments"); the one the sentence is about is 0.05-0.15 behind lexically, and its
    # question cosine leads by 0.03 or more, its answer cosine too.
    ("moved to a new flat last week, do i have to tell afcd my new address for the dog", BOT_1823,
     "dog_licence.change_details", "dog_licence.who_needs"),
    ("i moved house last week, do i have to tell AFCD my dog's new address", BOT_1823,
     "dog_licence.change_details", "dog_licence.who_needs"),
    ("1823 handle which govt depts", BOT_1823, "1823.departments", "1823.complaint"),
])
def test_a_topic_the_sentence_clearly_prefers_moves_up(dense_index, monkeypatch, question, bot, topic, lexical_top) -> None:
    assert dense_index.decide(question, bot).matches[0].id == topic
    monkeypatch.setattr(index_module, "WIDE_RERANK_MARGIN", None)
    assert dense_index.decide(question, bot).matches[0].id == lexical_top


def test_the_wide_rerank_stays_inside_the_top_knowledge_base(dense_index, monkeypatch) -> None:
    # eval_dev2's near-miss: without the limit, a dog licence topic the cosines prefer took the place of another
    # department's top, and the 1823 bot's confirmed band then answered a fishing licence with a dog licence.
    question = "Where can I renew my fishing licence?"
    monkeypatch.setattr(index_module, "WIDE_RERANK_MARGIN", None)
    lexical = dense_index.decide(question, BOT_1823).matches[0]
    assert lexical.group != "dog_licence" and lexical.score >= dense_index.threshold - index_module.WIDE_RERANK_BELOW
    monkeypatch.undo()
    reranked = dense_index.decide(question, BOT_1823).matches[0]
    assert reranked.group == lexical.group


@pytest.mark.parametrize(("question", "topic", "department_top"), [
    # Dev questions (seed_dev11, seed_dev13) where one shared word let a department's topic, its score scaled and
    # lifted by the cosines, outscore the seed topic whose words are the lexical ranker's alone.
    ("moved house, how do i update the address on my dog licence", "dog_licence.change_details", "ird.change_of_address"),
    ("本人擬就某項政府服務作出投訴，請問1823是否受理此類個案？", "1823.complaint", "bd.report_ubw"),
])
def test_a_seed_topic_the_sentence_prefers_takes_a_department_tops_place(dense_index, monkeypatch, question, topic,
                                                                          department_top) -> None:
    assert dense_index.decide(question, BOT_1823).top == topic
    monkeypatch.setattr(index_module, "CROSS_RERANK_MARGIN", None)
    assert dense_index.decide(question, BOT_1823).top == department_top


def test_the_cross_rerank_takes_only_a_seed_topic_its_own_words_nearly_answer(dense_index, monkeypatch) -> None:
    # A citizen who greets the bot by name: "good morning" brings 1823's hours close in the cosines, but the words
    # alone answer the water bill and not 1823's hours (which scores under the confirmed band).
    question = "早晨，1823，點樣交水費"
    assert dense_index.decide(question, BOT_1823).top == "wsd.pay_bill"
    monkeypatch.setattr(index_module, "CROSS_RERANK_BELOW", 1.0)  # no floor
    assert dense_index.decide(question, BOT_1823).top == "1823.hours"


def test_the_cross_rerank_needs_the_question_cosine_to_lead(dense_index, monkeypatch) -> None:
    # immd_dev: with no floor and a wide margin, a passport collected by a friend would go to the dog licence's
    # representative if a tie of question cosines were a lead.
    question = "可以委託朋友代我領取已批出的護照嗎？"
    monkeypatch.setattr(index_module, "CROSS_RERANK_BELOW", 1.0)
    monkeypatch.setattr(index_module, "CROSS_RERANK_MARGIN", 0.5)
    assert dense_index.decide(question, BOT_1823).top == "immd.passport_collection"
    monkeypatch.setattr(index_module, "CROSS_RERANK_QUESTION_LEAD", 0.0)
    assert dense_index.decide(question, BOT_1823).top != "immd.passport_collection"


@pytest.mark.parametrize(("short", "full"), [
    ("5 ppl 17 yrs old", "5 people 17 years old"),
    ("old aircon bracket", "old air conditioner bracket"),
    ("book appt tmr", "book appointment tomorrow"),
    ("close water acct", "close water account"),
])
def test_general_english_shorthand_reads_as_the_full_word(short, full) -> None:
    assert view_of(short) == view_of(full)


def test_ambiguous_shorthand_is_left_alone() -> None:
    table = english_shorthand()
    assert not {"ot", "min", "hr", "ac"} & table.keys()
    assert view_of("ot pay") != view_of("overtime pay")
    # Whole words only: a word that merely contains a shorthand is unchanged.
    assert view_of("pplx yrsa") == "pplx yrsa"


def test_a_decision_computes_the_messages_cosines_once(dense_index, monkeypatch) -> None:
    calls = []
    original = dense_index._dense
    monkeypatch.setattr(dense_index, "_dense", lambda vector, *a, **k: calls.append(1) or original(vector, *a, **k))
    assert dense_index.decide("min wage how much", BOT_1823).top == "ld.minimum_wage"  # embedded, then judged
    assert len(calls) == 1


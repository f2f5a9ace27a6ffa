"""Long English questions that describe a situation before they ask: answered, not diluted under the threshold."""
from __future__ import annotations


import pytest

from tests.knowledge.dev_files import dev_figures
from knowledge.cli import bot_knowledge_bases
from nlu import retrieval
from nlu.commonness import FLOOR, unknown_word_factor
from nlu.retrieval import Item, Ranker, normalised_length

BOT_1823 = [str(kb) for kb in bot_knowledge_bases("1823")]


def test_everyday_words_the_knowledge_lacks_weigh_less_than_rare_ones() -> None:
    for everyday in ("w:week", "w:friend", "w:ago", "w:say"):
        assert FLOOR <= unknown_word_factor(everyday) < 0.6, everyday
    for rare in ("w:tennis", "w:trademark", "w:broadband", "w:zqxjv"):  # the last one is in no table: rare
        assert unknown_word_factor(rare) == 1.0, rare
    # Concepts and Chinese bigrams keep their weight: only English words are judged by frequency.
    assert unknown_word_factor("c:cat") == 1.0 and unknown_word_factor("b:水費") == 1.0


EVERYDAY = {f"w:{w}" for w in "week friend ago say think people year day little house night money".split()}
RARE = {f"w:{w}" for w in "tennis trademark broadband clubhouse umbrella tuition hoist logo flu dim shelter lease".split()}


def test_a_long_question_padded_with_everyday_words_outscores_one_padded_with_rare_words() -> None:
    ranker = Ranker([Item("a.move", "a", (frozenset({"c:dog", "c:address", "c:change"}),)),
                     Item("a.fee", "a", (frozenset({"c:dog", "c:cost"}),))])
    core = {"c:dog", "c:address", "c:change"}
    everyday = ranker.scores(core | EVERYDAY)[0]
    rare = ranker.scores(core | RARE)[0]
    assert everyday > rare + 0.1


def test_a_short_question_weighs_its_unknown_words_as_before() -> None:
    # "Which browser is fastest?" must not creep up on a browser topic because "fast" is common English.
    ranker = Ranker([Item("a.move", "a", (frozenset({"c:dog", "c:address", "c:change"}),)),
                     Item("a.fee", "a", (frozenset({"c:dog", "c:cost"}),))])
    core = {"c:dog", "c:address", "c:change"}
    assert ranker.scores(core | {"w:week", "w:friend"})[0] == pytest.approx(ranker.scores(core | {"w:tennis", "w:logo"})[0])


def test_weight_past_the_question_budget_counts_less() -> None:
    budget = retrieval.QUERY_BUDGET
    assert normalised_length(budget / 2) == budget / 2 and normalised_length(budget) == budget
    assert budget < normalised_length(budget + 50) < budget + 50


def test_context_around_a_question_dilutes_it_less_than_before(monkeypatch) -> None:
    topic = frozenset({"c:dog", "c:address", "c:change"})
    other = frozenset(f"w:context{i}" for i in range(60))  # words another entry knows: weigh fully
    ranker = Ranker([Item("a.move", "a", (topic,)), Item("a.story", "a", (other,))])
    normalised = ranker.scores(topic | other)[0]
    monkeypatch.setattr(retrieval, "QUERY_BUDGET", None)
    plain = ranker.scores(topic | other)[0]
    assert normalised > 1.5 * plain
    assert ranker.scores(topic)[0] == pytest.approx(1.0)  # a short question is scored as before


@pytest.mark.parametrize(("question", "topic"), [
    # From tests/data/english_dev.yml (written from titles and answers): refused before this round.
    ("We relocated from Sha Tin to Tsuen Wan a few weeks ago and my dog's licence still shows the old address. "
     "Who do I notify and how fast?", "dog_licence.change_details"),
    ("I found a piece of metal wire in my noodles at a restaurant in Causeway Bay yesterday and I kept the food. "
     "Who should I complain to?", "fehd.food_complaint"),
    ("I lost my wallet on the bus this morning and my ID card was inside. What do I need to do to get a new one?",
     "immd.id_card_lost"),
    ("I hurt my back lifting boxes in the warehouse last week. How do I claim compensation from my employer?",
     "ld.employees_compensation"),
    ("Good afternoon, can you tell me what exactly 1823 is and who runs it?", "1823.about"),
])
def test_a_long_situational_english_question_finds_its_topic(dense_index, question: str, topic: str) -> None:
    assert dense_index.decide(question, BOT_1823).top == topic


@pytest.mark.parametrize("question", [
    "My CLP electricity bill doubled this month even though I've been away. How can I dispute it with them?",
    pytest.param(
        "My son got into university. How does he apply for a student grant or loan to cover the tuition fees?",
        marks=pytest.mark.xfail(strict=True, reason=(
            "answered with ird.allowances (0.61) since English messages meet English-calibrated thresholds "
            "(2026-12-05, second round; English dev near-misses refused 142/148 -> 137/148, English dev "
            "questions answered 519/680 -> 569/680); see docs/new-knowledge.md"))),
    "How long is the waiting time for a specialist out-patient appointment at a public hospital?",
    "my landlord won't give back my rental deposit after I moved out, what can I do",
])
def test_a_long_question_about_another_service_is_still_refused(dense_index, question: str) -> None:
    assert dense_index.decide(question, BOT_1823).top is None


def test_the_english_dev_file_is_answered_and_its_near_misses_refused(dense_index) -> None:
    figures = dev_figures(dense_index, "english_dev")
    # 2026-12-05: 46/77 and 21/21 before this round, 60/77 and 21/21 after it.
    assert figures.answered / figures.answerable >= 0.75, f"{figures.answered}/{figures.answerable}"
    assert figures.refused / figures.outside >= 0.9, f"{figures.refused}/{figures.outside}"

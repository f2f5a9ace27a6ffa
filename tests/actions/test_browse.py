"""action_browse and the greeting: service areas first, then an area's topics a page at a time, in every language."""
from __future__ import annotations

import dataclasses
import json

import pytest
from rasa_sdk.executor import CollectingDispatcher
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from actions.browse import PAGE_SIZE, area_pages, send_area
from actions.context import Context
from hkbot.bot_config import ServiceArea, load_bots
from knowledge.live import shared_store
from tests.actions.support import domain, only_response, run, user_message


def pressed(**entities: object) -> dict:
    """Parse data of a browse button (Rasa parses `/browse{...}` without NLU; no language tag)."""
    text = "/browse" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return user_message(text, "browse", None, entities=entities)


def payload(button: dict) -> tuple[str, dict]:
    intent, _, rest = button["payload"][1:].partition("{")
    return intent, json.loads("{" + rest) if rest else {}


@pytest.mark.parametrize("language, title, back", [
    ("en", "Water supply and bills", "All service areas"),
    ("yue", "供水及水費", "所有服務範疇"),
    ("zh-Hant", "供水及水費", "所有服務範疇"),
    ("zh-Hans", "供水及水费", "所有服务范畴"),
])
async def test_greeting_of_the_1823_bot_offers_its_ten_service_areas(language: str, title: str, back: str) -> None:
    config = load_bots(["1823"])["1823"]
    reply = only_response(await run("action_greet", "1823", user_message("hi", "greet", language)))
    assert [payload(b) for b in reply["buttons"]] == [("browse", {"area": area.id}) for area in config.service_areas]
    assert len(reply["buttons"]) == 10 and reply["buttons"][0]["title"] == title


@pytest.mark.parametrize("language", ["en", "yue", "zh-Hans"])
async def test_a_tapped_area_lists_its_top_topics_then_more_and_back(language: str) -> None:
    config = load_bots(["1823"])["1823"]
    area = config.area("tax_rates")
    typed = user_message("hello", "greet", language)  # the citizen's language comes from their earlier message
    reply = only_response(await run("action_browse", "1823", typed, pressed(area="tax_rates")))
    assert reply["kind"] == "browse" and reply["label"] == "browse:tax_rates" and reply["language"] == language
    topics = [payload(b) for b in reply["buttons"][:-2]]
    assert topics == [("faq", {"topic": topic}) for topic in area.top_topics]
    store = shared_store()
    key = "en" if language == "en" else "zh-Hant"
    expected = [store.entry(topic).title[key] for topic in area.top_topics]
    titles = [b["title"] for b in reply["buttons"][:-2]]
    assert (titles == expected) == (language != "zh-Hans")  # Simplified titles are converted
    assert payload(reply["buttons"][-2]) == ("browse", {"area": "tax_rates", "page": 2})
    assert payload(reply["buttons"][-1]) == ("browse", {})
    assert ("Tax and rates" if language == "en" else "稅務及差餉" if language == "yue" else "税务及差饷") in reply["text"]


async def test_more_questions_pages_through_every_topic_of_the_area_once() -> None:
    config = load_bots(["1823"])["1823"]
    area = config.area("buildings_safety")  # two knowledge bases: bd and emsd
    every = {entry.id for entry in shared_store().entries(area.knowledge_bases)}
    seen: list[str] = []
    page = 1
    while True:
        reply = only_response(await run("action_browse", "1823", pressed(area=area.id, page=page)))
        assert reply["page"] == page
        topics = [payload(b)[1]["topic"] for b in reply["buttons"] if payload(b)[0] == "faq"]
        assert page == 1 or len(topics) <= PAGE_SIZE
        seen += topics
        more = [payload(b)[1] for b in reply["buttons"] if payload(b)[1].get("page")]
        if not more:
            assert reply["page"] == reply["pages"]
            break
        page = more[0]["page"]
    assert sorted(seen) == sorted(every) and len(seen) == len(set(seen)) and len(every) == 26
    assert seen[: len(area.top_topics)] == list(area.top_topics)


@pytest.mark.parametrize("entities", [{"area": "no_such_area"}, {"area": "<script>"}, {}, {"area": ""}])
async def test_an_unknown_or_missing_area_lists_the_areas_again(entities: dict) -> None:
    reply = only_response(await run("action_browse", "1823", user_message("hi", "greet", "en"), pressed(**entities)))
    assert reply["kind"] == "browse" and reply["label"] == "browse"
    assert [payload(b)[0] for b in reply["buttons"]] == ["browse"] * 10
    assert ("don't have that service area" in reply["text"]) == bool(entities.get("area"))


@pytest.mark.parametrize("page, shown", [("x", 1), (-3, 1), (0, 1), (999, "last"), ("2", 2)])
async def test_a_bad_page_number_gives_a_real_page(page: object, shown: object) -> None:
    reply = only_response(await run("action_browse", "1823", pressed(area="water", page=page)))
    assert reply["page"] == (reply["pages"] if shown == "last" else shown)
    assert any(payload(b)[0] == "faq" for b in reply["buttons"])


async def test_a_bot_without_service_areas_browses_its_top_topics() -> None:
    config = load_bots(["tsw"])["tsw"]
    reply = only_response(await run("action_browse", "tsw", pressed(area="water")))
    assert [payload(b) for b in reply["buttons"]] == [("faq", {"topic": topic}) for topic in config.top_topics]
    greeting = only_response(await run("action_greet", "tsw", user_message("hi", "greet", "en")))
    assert [payload(b) for b in greeting["buttons"]] == [("faq", {"topic": topic}) for topic in config.top_topics]


def test_an_area_whose_topics_are_all_gone_says_so_and_offers_the_others() -> None:
    """An operator deleted every topic of an area (its knowledge base is no longer loaded): no empty list."""
    config = load_bots(["1823"])["1823"]
    gone = ServiceArea("gone", {"en": "Gone", "zh-Hant": "已刪除"}, ("no_such_kb",), ("no_such_kb.topic",))
    bot = dataclasses.replace(config, knowledge_bases=config.knowledge_bases + ("no_such_kb",),
                              service_areas=config.service_areas + (gone,))
    context = Context(bot, "en")
    assert area_pages(context, "gone") == []
    dispatcher = CollectingDispatcher()
    send_area(dispatcher, context, "gone", 1)
    reply = only_response({"responses": dispatcher.messages})
    assert "no questions in that service area" in reply["text"] and len(reply["buttons"]) == 11


@pytest.mark.parametrize("bot", ["1823", "dog_licence", "tsw"])
def test_rasa_parses_the_browse_payloads_in_every_bot(bot: str) -> None:
    bot_domain = Domain.from_dict(domain(bot))
    assert "action_browse" in bot_domain.action_names_or_texts
    for text, entities in [('/browse{"area": "water"}', {"area": "water"}), ('/browse{"area": "water", "page": 2}', {"area": "water", "page": 2}), ("/browse", {})]:
        parsed = YAMLStoryReader.unpack_regex_message(Message(data={"text": text}), bot_domain)
        assert parsed.get("intent")["name"] == "browse", text
        assert {e["entity"]: e["value"] for e in parsed.get("entities")} == entities, text


@pytest.mark.parametrize("page_language, title", [("en", "Water supply and bills"), ("zh-Hans", "供水及水费"), ("zh-Hant", "供水及水費")])
async def test_a_first_tap_replies_in_the_language_of_the_page_it_came_from(page_language: str, title: str) -> None:
    """A button press has no detected language: the page's language (its metadata) stands in, not the bot's default."""
    tap = pressed(area="water")
    tap["metadata"] = {"language": page_language, "surface": "widget"}
    reply = only_response(await run("action_browse", "1823", tap))
    assert reply["language"] == page_language and title in reply["text"]
    forged = pressed(area="water")
    forged["metadata"] = {"language": "klingon"}
    assert only_response(await run("action_browse", "1823", forged))["language"] == "zh-Hant"  # the bot's default


@pytest.mark.parametrize(("bot", "text", "language", "said", "kind"), [
    ("1823", "what can you do?", "en", "can't take applications", "browse"),
    ("1823", "你可以做咩", "yue", "不能代辦申請", "browse"),
    ("tsw", "what can you do?", "en", "Tap a topic", "faq"),  # a bot without areas: its top topics
])
async def test_asking_what_the_bot_can_do_says_what_it_answers_and_cannot_do(bot: str, text: str, language: str,
                                                                            said: str, kind: str) -> None:
    """A citizen review: "what can you do?" got only "which service area?" and buttons, no word on what it does."""
    reply = only_response(await run("action_browse", bot, user_message(text, "browse", language)))
    assert said in reply["text"] and reply["buttons"] and all(payload(b)[0] == kind for b in reply["buttons"])
    tapped = only_response(await run("action_browse", bot, pressed()))  # the "All service areas" button: no lecture
    assert "applications" not in tapped["text"] and "申請" not in tapped["text"]

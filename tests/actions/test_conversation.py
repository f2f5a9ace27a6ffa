"""Greeting, identity, fallback and handoff: what citizens must always be told."""
from __future__ import annotations

import pytest

from hkbot.bot_config import load_bots
from knowledge.live import shared_store
from tests.actions.support import bot_message, only_response, run, slot_events, user_message


@pytest.mark.parametrize("bot", ["1823", "dog_licence", "tsw"])
@pytest.mark.parametrize("language", ["en", "yue", "zh-Hans"])
async def test_greeting_says_virtual_assistant_links_privacy_and_offers_top_topics(bot: str, language: str) -> None:
    config = load_bots([bot])[bot]
    reply = only_response(await run("action_greet", bot, user_message("hi", "greet", language)))
    assert reply["kind"] == "greeting" and reply["label"] == "greet"
    assert ("virtual assistant" if language == "en" else "虚拟助理" if language == "zh-Hans" else "虛擬助理") in reply["text"]
    privacy = config.privacy_notice["en" if language == "en" else "zh-Hant"]
    assert "http" not in reply["text"] and reply["privacy_notice"] == privacy  # a link, not a URL in the text
    assert reply["privacy_label"] == {"en": "Privacy notice", "zh-Hans": "私隐政策"}.get(language, "私隱政策")
    if config.service_areas:  # service areas first (tests/actions/test_browse.py), else the top topics
        assert [b["payload"] for b in reply["buttons"]] == [f'/browse{{"area": "{a.id}"}}' for a in config.service_areas]
        return
    assert [b["payload"] for b in reply["buttons"]] == [f'/faq{{"topic": "{t}"}}' for t in config.top_topics]
    titles = [shared_store().entry(t).title_in("en") for t in config.top_topics]
    assert ([b["title"] for b in reply["buttons"]] == titles) == (language == "en")


@pytest.mark.parametrize("language, words", [("en", ["virtual assistant", "not a person"]), ("yue", ["虛擬助理", "並非真人"])])
async def test_identity_says_it_is_not_a_person_and_how_to_reach_one(language: str, words: list[str]) -> None:
    reply = only_response(await run("action_bot_identity", "dog_licence", user_message("are you human", "bot_identity", language)))
    assert all(word in reply["text"] for word in words)
    assert reply["kind"] == "identity" and reply["label"] == "bot_identity"
    assert {"/ask_human"} == {b["payload"] for b in reply["buttons"]}


@pytest.mark.parametrize("bot", ["1823", "dog_licence", "tsw"])
async def test_fallback_offers_1823_and_an_officer_without_guessing(bot: str) -> None:
    reply = only_response(await run("action_fallback", bot, user_message("how do I get a cat licence", "out_of_scope", "en")))
    assert reply["label"] == "out_of_scope" and reply["kind"] == "fallback"
    assert "1823" in reply["text"] and "24 hours" in reply["text"] and "can't answer" in reply["text"]
    assert [b["payload"] for b in reply["buttons"]] == ["/ask_human"]
    assert "topic" not in reply  # no topic is ever attached to a fallback


async def test_tsw_fallback_also_gives_the_tsw_hotline() -> None:
    reply = only_response(await run("action_fallback", "tsw", user_message("點樣報稅", "out_of_scope", "yue")))
    assert "2117 3348" in reply["text"] and "1823" in reply["text"]


@pytest.mark.parametrize("bot, phone", [("1823", "1823"), ("dog_licence", "1823"), ("tsw", "2117 3348")])
async def test_handoff_sets_the_slot_and_tells_the_citizen(bot: str, phone: str) -> None:
    result = await run("action_handoff", bot, user_message("I want to talk to a human", "ask_human", "en"))
    assert slot_events(result) == {"handoff_active": True}
    reply = only_response(result)
    assert reply["kind"] == "handoff" and reply["label"] == "ask_human"
    assert "officer" in reply["text"] and phone in reply["text"]


@pytest.mark.parametrize("language, usual, urgent", [("en", "within 2 minutes", "within 1 minute."), ("yue", "2分鐘內", "1分鐘內")])
async def test_after_crisis_lines_the_handoff_states_the_shorter_urgent_wait(language: str, usual: str, urgent: str) -> None:
    """A request for an officer after the bot gave crisis lines is first in the console's queue and waits at most
    `handoff.urgent_wait_seconds` (60 by default) before the citizen is told to call; the reply says so, in words that
    read right for one minute."""
    asked = user_message("talk to a person", "ask_human", language)
    plain = only_response(await run("action_handoff", "1823", asked))
    assert usual in plain["text"]
    crisis = bot_message("crisis lines", kind="crisis")
    after = only_response(await run("action_handoff", "1823", user_message("I feel hopeless", "out_of_scope", language), crisis, asked))
    assert urgent in after["text"] and usual not in after["text"]


@pytest.mark.parametrize("action, intent", [("action_goodbye", "goodbye"), ("action_thanks", "thanks"), ("action_affirm", "affirm"), ("action_deny", "deny")])
@pytest.mark.parametrize("language", ["en", "zh-Hant", "yue", "zh-Hans"])
async def test_small_talk_replies_in_the_citizens_language(action: str, intent: str, language: str) -> None:
    reply = only_response(await run(action, "tsw", user_message("x", intent, language)))
    assert reply["label"] == intent and reply["language"] == language and reply["text"]
    assert reply["text"].isascii() == (language == "en")

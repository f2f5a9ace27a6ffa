"""What the widget and kiosk pages show of a bot, from its real bot.yml and the seed knowledge."""
from __future__ import annotations

import dataclasses

from hkbot.bot_config import load_bots
from connectors.profile import DEFAULT_IDLE_SECONDS, bot_profile, idle_seconds
from knowledge.live import shared_store
from nlu.script import to_simplified


def test_profile_of_a_real_bot_has_every_text_in_three_scripts():
    config = load_bots(["dog_licence"])["dog_licence"]
    profile = bot_profile("dog_licence", config)
    assert [t["id"] for t in profile["topics"]] == list(config.top_topics)
    first = shared_store().entry(config.top_topics[0])
    assert profile["topics"][0]["title"] == {
        "zh-Hant": first.title_in("zh-Hant"),
        "zh-Hans": to_simplified(first.title_in("zh-Hant")),
        "en": first.title_in("en"),
    }
    assert profile["greeting"]["en"] == config.greeting["en"]
    assert profile["display_name"]["zh-Hans"] == to_simplified(config.display_name["zh-Hant"])
    assert profile["display_name"]["zh-Hans"] != config.display_name["zh-Hant"]
    assert profile["default_language"] == "zh-Hant"


def test_unknown_topics_are_left_out_rather_than_shown_empty():
    config = load_bots(["dog_licence"])["dog_licence"]
    config = dataclasses.replace(config, top_topics=("dog_licence.fee", "dog_licence.no_such_topic"))
    assert [t["id"] for t in bot_profile("dog_licence", config)["topics"]] == ["dog_licence.fee"]


def test_kiosk_idle_time_comes_from_bot_yml_with_a_safe_default():
    config = load_bots(["dog_licence"])["dog_licence"]
    assert idle_seconds(config) == DEFAULT_IDLE_SECONDS == 90
    assert idle_seconds(dataclasses.replace(config, extra={"kiosk": {"idle_seconds": 45}})) == 45
    assert idle_seconds({"kiosk": {"idle_seconds": 1}}) == 5  # never so short that nobody can read
    assert idle_seconds({"kiosk": {"idle_seconds": "soon"}}) == 90


def test_history_shows_citizen_bot_and_officer_messages_only():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    from connectors.websocket import history_frames

    events = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("/switch_language{\"lang\": \"en\"}", metadata={"display_text": "English please"}),
        SlotSet("language", "en"),
        BotUttered("OK, English from now on.", {"buttons": None}, {"kind": "language", "language": "en"}),
        BotUttered("An officer is here.", {}, {"kind": "agent", "language": "en"}),
        BotUttered(None, {}, {}),
    ]
    frames = history_frames(events)
    assert [f["from"] for f in frames] == ["user", "bot", "agent"]
    assert frames[0]["text"] == "English please"
    assert frames[1]["metadata"] == {"kind": "language", "language": "en"} and frames[1]["buttons"] == []


def test_profile_of_the_1823_bot_carries_its_service_areas_as_browse_buttons():
    from actions.messages import payload

    config = load_bots(["1823"])["1823"]
    areas = bot_profile("1823", config)["areas"]
    assert [a["id"] for a in areas] == [area.id for area in config.service_areas] and len(areas) == 10
    assert areas[0]["title"] == {"zh-Hant": "供水及水費", "zh-Hans": "供水及水费", "en": "Water supply and bills"}
    # The page sends exactly the payload the bot's own buttons send, so every channel browses alike.
    assert [a["payload"] for a in areas] == [payload("browse", area=area.id) for area in config.service_areas]
    assert bot_profile("dog_licence", load_bots(["dog_licence"])["dog_licence"])["areas"] == []  # top topics instead

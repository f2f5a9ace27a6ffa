"""A department bot from configuration alone: bots/wsd is one bot.yml (no domain.yml, no data/) and its knowledge base.

Trained for real (a tiny model: the shared intents plus its own questions), served by the real
multi-bot server over REST, and used in the web widget in a real browser.
"""
from __future__ import annotations

import yaml
from playwright.sync_api import expect

from bots.registry.project import compose
from hkbot.bot_config import load_bots
from hkbot.settings import bots_dir
from knowledge.live import shared_store
from tests.bots.test_content_conversations import Chat
from tests.connectors.test_widget_browser import answer_of, ask
from tests.widget_browser import ANSWER_TIMEOUT_MS, Page, browser, playwright, shot, web  # noqa: F401 (fixtures)

BOT = "wsd"


def test_the_wsd_bot_folder_is_one_bot_yml() -> None:
    folder = bots_dir() / BOT
    assert sorted(p.name for p in folder.iterdir()) == ["bot.yml"]
    config = load_bots([BOT])[BOT]
    assert config.config_only and config.knowledge_bases == ("wsd",) and config.extra == {}
    assert set(config.languages) == {"en", "yue", "zh-Hant", "zh-Hans"} and config.handoff.phone == "2824 5000"
    for topic in config.top_topics:
        assert shared_store().entry(topic).kb == "wsd", topic


def test_training_derives_the_plain_faq_bots_domain_deterministically() -> None:
    config = load_bots([BOT])[BOT]
    project = compose(config)
    assert sorted(p.name for p in project.domain.iterdir()) == ["bot_domain.yml", "shared_domain.yml"]
    assert sorted(p.name for p in project.data.iterdir()) == ["knowledge_faq.yml", "shared_nlu.yml", "shared_rules.yml"]
    derived = yaml.safe_load((project.domain / "bot_domain.yml").read_text(encoding="utf-8"))
    assert derived["slots"]["bot_name"]["initial_value"] == "wsd"
    assert compose(config).fingerprint == project.fingerprint  # the model cache finds it again


def test_the_wsd_bot_over_rest_greets_answers_refuses_and_hands_off(server) -> None:
    chat = Chat(server, BOT)
    greeting = chat.reply("你好")
    assert greeting["kind"] == "greeting" and "水務署" in greeting["text"], greeting
    assert [b["payload"] for b in greeting["buttons"]][:4] == [
        f'/faq{{"topic": "{topic}"}}' for topic in load_bots([BOT])[BOT].top_topics]
    answer = chat.reply("How can I pay my water bill?")
    assert (answer["kind"], answer["label"], answer["language"]) == ("answer", "wsd.pay_bill", "en"), answer
    assert answer["source_label"] == "Source: Water Supplies Department website" and "http" not in answer["text"]
    refused = chat.reply("How do I renew my passport?")  # the 1823 bot knows this; the WSD bot does not
    assert refused["kind"] == "fallback" and refused["text"].startswith("Sorry") and "2824 5000" in refused["text"], refused
    assert "Water Supplies Department hotline" in refused["text"], refused  # the department's name, not bot.yml's label
    handoff = chat.reply("I want to talk to a real person")
    assert handoff["kind"] == "handoff" and handoff["target"] == "WSD" and "2824 5000" in handoff["text"], handoff
    assert "(Water Supplies Department)" in handoff["text"], handoff
    assert [m["metadata"]["kind"] for m in chat.say("hello?")] == ["handoff_waiting"]  # no answer: REST's note that the officer has it


def test_the_wsd_bots_chinese_refusal_names_the_department_in_chinese(server) -> None:
    refused = Chat(server, BOT).reply("點樣續領護照？")
    assert refused["kind"] == "fallback" and refused["language"] in ("yue", "zh-Hant"), refused
    assert "水務署熱線2824 5000" in refused["text"] and "WSD" not in refused["text"], refused


def test_the_wsd_bot_answers_in_simplified_chinese(server) -> None:
    answer = Chat(server, BOT).reply("水费可以用信用卡付吗")
    assert answer["kind"] == "answer" and answer["kb"] == "wsd" and answer["language"] == "zh-Hans", answer
    assert answer["source_label"] == "资料来源：水务署网页"


def test_the_wsd_bot_in_the_widget_in_a_real_browser(server, web, artifacts_dir) -> None:
    page = web.page
    page.goto(f"{server.url}/demo/{BOT}")
    page.locator(".hkb-launcher").click()
    expect(page.locator(".hkb-panel")).to_be_visible()
    greeting = page.locator(".hkb-log .hkb-bot").first
    expect(greeting).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(greeting).to_contain_text("水務署")
    answer = answer_of(ask(page, "水費可以點樣交？"))
    assert (answer.get_attribute("data-label") or "").startswith("wsd."), answer.inner_text()
    link = answer.locator("a.hkb-source")
    expect(link).to_have_count(1)
    assert "wsd.gov.hk" in link.get_attribute("href") and "水務署" in link.inner_text()
    shot(page, artifacts_dir, "widget_wsd_config_only_bot")
    assert web.errors == []

"""Browsing the 1823 bot by service area in Debian's chromium against a real `hkbot serve`: the widget
and the kiosk offer the ten areas first, a tapped area lists its topics (then more, and back to
all areas) in the citizen's language, through the bot's own `/browse` replies; axe-core finds
nothing. Screenshots go to tests/artifacts/interface/ (committed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hkbot.bot_config import load_bots
from knowledge.live import shared_store
from nlu.script import to_simplified
from tests.widget_browser import ANSWER_TIMEOUT_MS, Page, assert_no_axe_violations, browser, playwright  # noqa: F401

BOT = "1823"


@pytest.fixture(scope="module")
def config():
    return load_bots([BOT])[BOT]


@pytest.fixture(scope="module")
def shots(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / "interface"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def citizen(browser):
    page = Page(browser, width=1024, height=900)
    yield page
    page.close()


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"))


def area_titles(config: Any, language: str) -> list[str]:
    key = "en" if language == "en" else "zh-Hant"
    titles = [area.title[key] for area in config.service_areas]
    return [to_simplified(t) for t in titles] if language == "zh-Hans" else titles


def topic_titles(topics: tuple[str, ...] | list[str], language: str) -> list[str]:
    key = "en" if language == "en" else "zh-Hant"
    titles = [shared_store().entry(topic).title[key] for topic in topics]
    return [to_simplified(t) for t in titles] if language == "zh-Hans" else titles


def press(page: Any, log: str, title: str, kind: str) -> Any:
    """Tap the last button called `title` in the conversation; return the bot's new reply of `kind`."""
    replies = page.locator(f'{log} .hkb-bot[data-kind="{kind}"]')
    before = replies.count()
    page.locator(f"{log} .hkb-button", has_text=title).last.click()
    expect(replies).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    return replies.last


def buttons_of(message: Any) -> list[str]:
    return [b.inner_text() for b in message.locator(".hkb-button").all()]


def page_errors(page: Page) -> list[str]:
    """Script errors, less the CSP reports that axe-core's own inline styles cause (the pages use none)."""
    return [e for e in page.errors if "Applying inline style violates" not in e]


# --------------------------------------------------------------------------- the widget


def open_widget(page: Any, url: str, lang: str = "") -> Any:
    page.goto(f"{url}/demo/{BOT}" + (f"?lang={lang}" if lang else ""))
    page.locator(".hkb-launcher").click()
    greeting = page.locator('.hkb-log .hkb-bot[data-kind="greeting"]')
    expect(greeting).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return greeting


def test_widget_in_english_offers_areas_then_an_areas_topics_then_the_answer(server, citizen, config, shots):
    page = citizen.page
    greeting = open_widget(page, server.url, "en")
    expect(greeting.locator(".hkb-button")).to_have_text(area_titles(config, "en"))  # the ten areas, in English
    assert_no_axe_violations(page, "the 1823 widget greeting with its service areas")

    water = config.area("water")
    reply = press(page, ".hkb-log", "Water supply and bills", "browse")
    expect(reply).to_have_attribute("data-label", "browse:water")
    expect(reply).to_have_attribute("data-language", "en")  # a first tap on an English page gets English
    expect(page.locator(".hkb-log .hkb-user").last).to_have_text("You said:Water supply and bills")
    assert buttons_of(reply) == topic_titles(water.top_topics, "en") + ["More questions", "All service areas"]
    page.locator(".hkb-log").evaluate("log => log.scrollTop = log.scrollHeight")
    shot(page, shots, "widget_browse_english")
    assert_no_axe_violations(page, "the widget with an area's topics")

    answer = press(page, ".hkb-log", topic_titles([water.top_topics[0]], "en")[0], "answer")
    expect(answer).to_have_attribute("data-label", water.top_topics[0])
    expect(answer.locator("a.hkb-source")).to_contain_text("Water Supplies Department")

    areas = press(page, ".hkb-log", "All service areas", "browse")  # back from the area's list...
    expect(areas).to_be_visible()
    assert buttons_of(areas) == area_titles(config, "en")  # ...to the ten areas
    assert page_errors(citizen) == []


def test_widget_in_chinese_pages_through_an_area_and_follows_simplified(server, citizen, config, shots):
    page = citizen.page
    greeting = open_widget(page, server.url)  # the 1823 bot's default: Traditional Chinese
    expect(greeting.locator(".hkb-button")).to_have_text(area_titles(config, "zh-Hant"))

    area = config.area("tax_rates")
    first = press(page, ".hkb-log", "稅務及差餉", "browse")
    expect(first).to_have_attribute("data-language", "zh-Hant")
    assert buttons_of(first) == topic_titles(area.top_topics, "zh-Hant") + ["更多問題", "所有服務範疇"]
    second = press(page, ".hkb-log", "更多問題", "browse")
    expect(second.locator(".hkb-text")).to_contain_text("第2頁")
    shown = buttons_of(second)[:-2]
    assert shown and not set(shown) & set(topic_titles(area.top_topics, "zh-Hant"))  # new topics, none repeated
    page.locator(".hkb-log").evaluate("log => log.scrollTop = log.scrollHeight")
    shot(page, shots, "widget_browse_traditional")
    assert_no_axe_violations(page, "the widget on an area's second page")

    page.locator(".hkb-lang", has_text="简").click()  # Simplified: the greeting's areas and the next replies convert
    expect(greeting.locator(".hkb-button").first).to_have_text(area_titles(config, "zh-Hans")[0])
    welfare = press(page, ".hkb-log", area_titles(config, "zh-Hans")[6], "browse")
    expect(welfare).to_have_attribute("data-language", "zh-Hans")
    assert buttons_of(welfare) == topic_titles(config.area("social_welfare").top_topics, "zh-Hans") + ["更多问题", "所有服务范畴"]
    assert page_errors(citizen) == []


# --------------------------------------------------------------------------- the kiosk


def test_kiosk_shows_ten_big_area_buttons_and_an_areas_topics_in_each_language(server, citizen, config, shots):
    page = citizen.page
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.goto(f"{server.url}/kiosk/{BOT}")
    expect(page.locator("#kiosk-log .hkb-bot").first).to_be_visible()
    areas = page.locator(".kiosk-area")
    expect(areas).to_have_text(area_titles(config, "zh-Hant"))
    expect(page.locator("#kiosk-topics-title")).to_have_text("服務範疇")
    for button in areas.all():
        assert button.bounding_box()["height"] >= 64, "kiosk area buttons are big touch targets"
    shot(page, shots, "kiosk_areas")
    assert_no_axe_violations(page, "the 1823 kiosk with its service areas")

    housing = config.area("housing")
    reply_count = page.locator('#kiosk-log .hkb-bot[data-kind="browse"]')
    areas.filter(has_text="公共房屋").click()
    expect(reply_count).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    reply = reply_count.last
    expect(reply).to_have_attribute("data-label", "browse:housing")
    assert buttons_of(reply) == topic_titles(housing.top_topics, "zh-Hant") + ["更多問題", "所有服務範疇"]
    for button in reply.locator(".hkb-button").all():
        assert button.bounding_box()["height"] >= 64
    page.locator("#kiosk-log").evaluate("log => log.scrollTop = log.scrollHeight")
    shot(page, shots, "kiosk_browse_area")
    assert_no_axe_violations(page, "the kiosk with an area's topics")

    answer = press(page, "#kiosk-log", topic_titles([housing.top_topics[0]], "zh-Hant")[0], "answer")
    expect(answer).to_have_attribute("data-label", housing.top_topics[0])
    expect(page.locator("#kiosk-log a")).to_have_count(0)  # a kiosk prints references, no links

    # English: the language button turns the ten areas and the next area's topics into English.
    page.get_by_role("button", name="English", exact=True).click()
    expect(areas).to_have_text(area_titles(config, "en"))
    expect(page.locator("#kiosk-topics-title")).to_have_text("Service areas")
    pets = config.area("pets_animals")
    areas.filter(has_text="Pets and dog licences").click()
    expect(reply_count).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    english = reply_count.last
    expect(english).to_have_attribute("data-language", "en")
    assert buttons_of(english) == topic_titles(pets.top_topics, "en") + ["More questions", "All service areas"]
    page.locator("#kiosk-log").evaluate("log => log.scrollTop = log.scrollHeight")
    shot(page, shots, "kiosk_browse_english")
    assert_no_axe_violations(page, "the kiosk in English with an area's topics")
    assert page_errors(citizen) == []

"""The web widget in a real browser against a real `hkbot serve` with trained bots."""
from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from nlu.script import to_simplified
from tests.widget_browser import (  # noqa: F401 (fixtures)
    ANSWER_TIMEOUT_MS,
    CROSS_SITE_ARGS,
    Page,
    browser,
    launch,
    playwright,
    shot,
    web,
)

BOT = "dog_licence"


def open_widget(web: Page, url: str, query: str = "") -> Any:
    """Load the demo page and open the chat panel; returns the page."""
    page = web.page
    page.goto(f"{url}/demo/{BOT}{query}")
    page.locator(".hkb-launcher").click()
    expect(page.locator(".hkb-panel")).to_be_visible()
    expect(page.locator(".hkb-log .hkb-bot").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # the greeting
    return page


def bot_replies_after(page: Any, before: int) -> list[Any]:
    """Wait until the bot has answered (new messages and the typing indicator gone); return the new ones."""
    messages = page.locator(".hkb-log .hkb-bot")
    deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
    while messages.count() <= before:
        assert time.monotonic() < deadline, "the bot did not answer in time"
        page.wait_for_timeout(100)
    expect(page.locator(".hkb-typing")).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
    return [messages.nth(i) for i in range(before, messages.count())]


def ask(page: Any, text: str) -> list[Any]:
    """Type a question, send it with Enter, and return the bot's new messages."""
    before = page.locator(".hkb-log .hkb-bot").count()
    page.locator(".hkb-input").fill(text)
    page.locator(".hkb-input").press("Enter")
    return bot_replies_after(page, before)


def answer_of(replies: list[Any]) -> Any:
    """The reply that is an FAQ answer (the bot may add a feedback question after it)."""
    answers = [r for r in replies if r.get_attribute("data-kind") == "answer"]
    assert answers, f"no answer among {[r.inner_text() for r in replies]}"
    return answers[0]


def test_cantonese_question_gets_the_answer_with_its_source_link(server, web, artifacts_dir):
    page = open_widget(web, server.url)
    shot(page, artifacts_dir, "widget_open")
    answer = answer_of(ask(page, "狗牌幾多錢"))
    assert answer.get_attribute("data-label") == "dog_licence.fee"
    assert "80" in answer.inner_text()
    link = answer.locator("a.hkb-source")
    expect(link).to_have_count(1)
    assert re.match(r"^https?://", link.get_attribute("href"))
    assert "noopener" in link.get_attribute("rel")
    assert link.get_attribute("target") == "_blank"
    expect(page.locator(".hkb-log .hkb-user").last).to_have_text(re.compile("狗牌幾多錢"))
    shot(page, artifacts_dir, "widget_cantonese_answer")
    assert web.errors == []


def test_quick_reply_button_asks_its_topic(server, web, artifacts_dir):
    page = open_widget(web, server.url)
    greeting = page.locator(".hkb-log .hkb-bot").first
    button = greeting.locator(".hkb-button").nth(1)  # the second top topic
    title = button.inner_text()
    before = page.locator(".hkb-log .hkb-bot").count()
    button.click()
    expect(page.locator(".hkb-log .hkb-user").last).to_have_text(re.compile(re.escape(title)))
    answer = answer_of(bot_replies_after(page, before))
    assert answer.get_attribute("data-label") == "dog_licence.documents"
    shot(page, artifacts_dir, "widget_quick_reply")


def test_language_switch_tells_the_bot(server, web, artifacts_dir):
    page = open_widget(web, server.url)
    before = page.locator(".hkb-log .hkb-bot").count()
    page.locator(".hkb-lang", has_text="EN").click()
    expect(page.locator(".hkb-lang", has_text="EN")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".hkb-send")).to_have_text("Send")
    greeting = page.locator(".hkb-log .hkb-bot").first
    expect(greeting).to_have_attribute("data-kind", "greeting")
    expect(greeting.locator(".hkb-button").first).to_have_text(re.compile(r"^[A-Za-z]"))  # topics in English
    confirmation = bot_replies_after(page, before)[-1]
    assert confirmation.get_attribute("data-language") == "en"
    answer = answer_of(ask(page, "狗牌幾多錢"))
    assert answer.get_attribute("data-language") == "en"
    assert re.search(r"HK\$ ?80", answer.inner_text())
    shot(page, artifacts_dir, "widget_english")

    before = page.locator(".hkb-log .hkb-bot").count()
    page.locator(".hkb-lang", has_text="简").click()
    bot_replies_after(page, before)
    answer = answer_of(ask(page, "狗牌幾多錢"))
    text = answer.locator(".hkb-text").inner_text()
    assert answer.get_attribute("data-language") == "zh-Hans"
    assert to_simplified(text) == text  # nothing left in Traditional script
    shot(page, artifacts_dir, "widget_simplified")


def test_reload_keeps_the_conversation(server, web, artifacts_dir):
    page = open_widget(web, server.url)
    answer = answer_of(ask(page, "續牌要帶咩"))
    answer_text = answer.locator(".hkb-text").inner_text()
    session = web.session_storage()[f"hkbot:{BOT}:widget:session"]
    page.reload()
    expect(page.locator(".hkb-panel")).to_be_visible()  # it was open: it stays open
    expect(page.locator(".hkb-log .hkb-user")).to_have_text([re.compile("續牌要帶咩")], timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".hkb-log .hkb-bot .hkb-text", has_text=answer_text[:20]).first).to_be_visible()
    assert web.session_storage()[f"hkbot:{BOT}:widget:session"] == session
    shot(page, artifacts_dir, "widget_after_reload")


def test_html_in_a_message_shows_as_text(server, web, artifacts_dir):
    page = open_widget(web, server.url)
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    ask(page, attack)
    expect(page.locator(".hkb-log .hkb-user").last.locator(".hkb-text")).to_have_text(attack)
    assert page.locator(".hkb-log script, .hkb-log img").count() == 0
    page.wait_for_timeout(300)
    assert web.dialogs == []
    shot(page, artifacts_dir, "widget_html_as_text")
    # A source link is only ever http(s): a javascript: URL in metadata makes no link.
    links = page.evaluate(
        """() => ['javascript:alert(3)', 'data:text/html,x', 'https://www.afcd.gov.hk/'].map(source =>
            HKBot.renderMessage({from: 'bot', text: 'x', metadata: {source}}, 'en').querySelectorAll('a').length)"""
    )
    assert links == [0, 0, 1]


def test_reconnects_and_resumes_after_the_connection_drops(server, web, artifacts_dir):
    page = web.page
    sockets: list[Any] = []

    def through(ws: Any) -> None:  # pass every frame through, but keep a handle to cut the line
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/websocket(\?.*)?$"), through)
    open_widget(web, server.url)
    answer_of(ask(page, "狗牌幾多錢"))
    session = web.session_storage()[f"hkbot:{BOT}:widget:session"]
    sockets[-1].close(code=1006, reason="network down")
    deadline = time.monotonic() + 20
    while len(sockets) < 2:
        assert time.monotonic() < deadline, "the widget did not reconnect"
        page.wait_for_timeout(100)
    expect(page.locator(".hkb-status")).to_be_hidden(timeout=10_000)  # connected again
    expect(page.locator(".hkb-log .hkb-user")).to_have_count(1)  # redrawn from the server's history
    answer_of(ask(page, "續牌要帶咩"))
    assert web.session_storage()[f"hkbot:{BOT}:widget:session"] == session
    shot(page, artifacts_dir, "widget_after_reconnect")


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus, looking inside the widget's shadow root."""
    return page.evaluate(
        """() => {
            let el = document.activeElement;
            while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
            const style = el ? getComputedStyle(el) : null;
            return el ? {cls: el.className, text: el.textContent, outline: style.outlineStyle,
                         width: parseFloat(style.outlineWidth)} : {};
        }"""
    )


def tab_to(page: Any, css_class: str, limit: int = 40, key: str = "Tab") -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if css_class in str(now.get("cls", "")).split():
            return now
    raise AssertionError(f"{css_class} never got the keyboard focus")


def test_keyboard_only_use(server, web, artifacts_dir):
    page = web.page
    page.goto(f"{server.url}/demo/{BOT}")
    launcher = tab_to(page, "hkb-launcher")
    assert launcher["outline"] != "none" and launcher["width"] >= 2  # visible focus
    shot(page, artifacts_dir, "widget_launcher_focus")
    page.keyboard.press("Enter")
    expect(page.locator(".hkb-panel")).to_be_visible()
    assert "hkb-input" in focused(page)["cls"]
    expect(page.locator(".hkb-log .hkb-bot").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    before = page.locator(".hkb-log .hkb-bot").count()
    page.keyboard.type("狗牌幾多錢")
    page.keyboard.press("Enter")
    answer_of(bot_replies_after(page, before))
    shot(page, artifacts_dir, "widget_keyboard_answer")

    # Back up to a quick reply of the greeting and press it with the space bar.
    button = tab_to(page, "hkb-button", key="Shift+Tab")
    assert button["outline"] != "none"
    before = page.locator(".hkb-log .hkb-bot").count()
    page.keyboard.press("Space")
    bot_replies_after(page, before)

    # The language switch is reachable and works from the keyboard.
    tab_to(page, "hkb-lang", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".hkb-lang[aria-pressed=true]")).to_have_text("EN")
    shot(page, artifacts_dir, "widget_keyboard_focus")

    page.keyboard.press("Escape")
    expect(page.locator(".hkb-panel")).to_be_hidden()
    assert "hkb-launcher" in focused(page)["cls"]


def test_accessible_names_and_live_region(server, web):
    page = open_widget(web, server.url)
    log = page.locator(".hkb-log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    expect(page.get_by_role("dialog")).to_have_attribute("aria-labelledby", "hkb-title")
    expect(page.get_by_role("button", name="關閉對話")).to_be_visible()
    expect(page.get_by_role("textbox", name="輸入你的問題")).to_be_visible()
    expect(page.get_by_role("group", name="語言")).to_be_visible()
    for name in ("繁體中文", "简体中文", "EN English"):  # each name holds what the button shows (繁, 简, EN)
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()


@pytest.mark.parametrize("requested, used", [("#1d3b5a", "rgb(29, 59, 90)"), ("#ffff00", "rgb(0, 102, 94)")])
def test_department_colour_with_poor_contrast_falls_back(server, web, requested, used):
    page = web.page
    page.goto(f"{server.url}/demo/{BOT}?color={requested.replace('#', '%23')}")
    colour = page.locator(".hkb-launcher").evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == used


@pytest.mark.parametrize("width, height, name", [(360, 740, "widget_phone_360"), (640, 400, "widget_zoom_200")])
def test_small_screens_and_zoom(server, browser, artifacts_dir, width, height, name):
    """360 px phones, and a 1280x800 window at 200% zoom (640x400 CSS pixels)."""
    web = Page(browser, width, height)
    try:
        page = open_widget(web, server.url)
        box = page.locator(".hkb-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
        assert box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5
        for selector in (".hkb-input", ".hkb-send", ".hkb-close", ".hkb-lang >> nth=2"):
            element = page.locator(selector).bounding_box()
            assert element["x"] + element["width"] <= width + 0.5, selector
        overflow = page.locator(".hkb-log").evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow <= 0
        answer_of(ask(page, "狗牌幾多錢"))
        shot(page, artifacts_dir, name)
    finally:
        web.close()


def department_page(server_url: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>A department</title></head>"
        "<body><h1>A department page on its own site</h1>"
        f"<script src='{server_url}/widget.js' data-bot='{BOT}' data-lang='en'></script></body></html>"
    )


@pytest.mark.parametrize("origin, allowed", [("http://localhost:5005", True), ("http://dept.example", False)])
def test_embedding_on_another_site_follows_allowed_origins(server, playwright, artifacts_dir, origin, allowed):
    """The one-tag embedding on a department's own site; bot.yml allowed_origins lists localhost:5005."""
    chromium = launch(playwright, CROSS_SITE_ARGS)
    web = Page(chromium)
    try:
        embedded(server, web, artifacts_dir, origin, allowed)
    finally:
        web.close()
        chromium.close()


def embedded(server: Any, web: Page, artifacts_dir: Any, origin: str, allowed: bool) -> None:
    page = web.page
    page.route(f"{origin}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=department_page(server.url)))
    page.goto(f"{origin}/services")
    page.locator(".hkb-launcher").click()
    if allowed:
        answer = answer_of(ask(page, "how much is a dog licence?"))
        assert answer.get_attribute("data-label") == "dog_licence.fee"
        shot(page, artifacts_dir, "widget_embedded_allowed_origin")
    else:
        expect(page.locator(".hkb-log .hkb-error")).to_contain_text("not allowed")
        page.wait_for_timeout(1500)
        expect(page.locator(".hkb-log .hkb-error")).to_have_count(1)  # refused once, no retry storm
        shot(page, artifacts_dir, "widget_embedded_refused_origin")

"""The kiosk in a real browser against a real `hkbot serve`: big buttons, no typing, idle wipe."""
from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import websockets
from playwright.sync_api import expect

from knowledge.live import shared_store
from tests.widget_browser import ANSWER_TIMEOUT_MS, Page, browser, playwright, shot, web  # noqa: F401 (fixtures)

BOT = "dog_licence"
TOP_TOPICS = ["dog_licence.fee", "dog_licence.documents", "dog_licence.where_apply", "dog_licence.validity_renewal"]


def bot_replies_after(page: Any, before: int) -> list[Any]:
    """Wait for the bot's answer to finish; return its new messages."""
    messages = page.locator("#kiosk-log .hkb-bot")
    deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
    while messages.count() <= before:
        assert time.monotonic() < deadline, "the bot did not answer in time"
        page.wait_for_timeout(100)
    expect(page.locator("#kiosk-typing")).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
    return [messages.nth(i) for i in range(before, messages.count())]


def press_topic(page: Any, title: str) -> list[Any]:
    before = page.locator("#kiosk-log .hkb-bot").count()
    page.get_by_role("button", name=title, exact=True).click()
    return bot_replies_after(page, before)


def labels(replies: list[Any]) -> list[str | None]:
    return [r.get_attribute("data-label") for r in replies]


def history_of(server: Any, session_id: str) -> dict[str, Any]:
    """What the server would show a browser resuming this conversation."""

    async def ask() -> dict[str, Any]:
        url = server.url.replace("http://", "ws://") + f"/bots/{BOT}/websocket"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "hello", "session_id": session_id}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame["type"] == "session":
                    return frame

    # A thread of its own: Playwright's sync API owns this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ask()).result()


def test_topics_and_languages_as_big_buttons_without_typing(server, web, artifacts_dir):
    page = web.page
    page.goto(f"{server.url}/kiosk/{BOT}")
    store = shared_store()
    titles = [store.entry(topic).title_in("zh-Hant") for topic in TOP_TOPICS]
    expect(page.locator(".kiosk-topic")).to_have_text(titles)
    for button in page.locator(".kiosk-topic, .kiosk-lang").all():
        box = button.bounding_box()
        assert box["height"] >= 64, "kiosk buttons are big touch targets"
    shot(page, artifacts_dir, "kiosk_start")

    replies = press_topic(page, titles[0])
    assert TOP_TOPICS[0] in labels(replies)
    shot(page, artifacts_dir, "kiosk_topic_answer")

    before = page.locator("#kiosk-log .hkb-bot").count()
    page.get_by_role("button", name="English", exact=True).click()
    english = [store.entry(topic).title_in("en") for topic in TOP_TOPICS]
    expect(page.locator(".kiosk-topic")).to_have_text(english)
    bot_replies_after(page, before)
    replies = press_topic(page, english[1])
    answer = next(r for r in replies if r.get_attribute("data-label") == TOP_TOPICS[1])
    assert answer.get_attribute("data-language") == "en"
    shot(page, artifacts_dir, "kiosk_english")
    assert web.errors == [] and web.dialogs == []


def test_idle_warns_then_wipes_the_screen_and_the_server_conversation(server, web, artifacts_dir):
    page = web.page
    page.goto(f"{server.url}/kiosk/{BOT}?idle=4&warn=3")
    title = shared_store().entry(TOP_TOPICS[0]).title_in("zh-Hant")
    press_topic(page, title)
    session = web.session_storage()[f"hkbot:{BOT}:kiosk:session"]
    assert history_of(server, session)["history"], "the conversation is on the server"
    shot(page, artifacts_dir, "kiosk_before_idle")

    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog).to_contain_text("秒")
    expect(page.get_by_role("button", name="繼續使用")).to_be_focused()
    shot(page, artifacts_dir, "kiosk_idle_warning")

    expect(page.locator("body")).to_have_attribute("data-state", "cleared", timeout=10_000)
    expect(dialog).to_be_hidden()
    expect(page.locator("#kiosk-log .hkb-user")).to_have_count(0)
    expect(page.locator("#kiosk-log .hkb-msg")).to_have_count(1)  # only the greeting
    shot(page, artifacts_dir, "kiosk_after_idle_reset")

    deadline = time.monotonic() + 10
    while web.session_storage().get(f"hkbot:{BOT}:kiosk:session") in (None, session):
        assert time.monotonic() < deadline, "the kiosk did not start a new conversation"
        page.wait_for_timeout(100)
    old = history_of(server, session)
    assert old["history"] == [] and old["resumed"] is False, "the server forgot the last person's conversation"


def test_continue_keeps_the_conversation(server, web, artifacts_dir):
    page = web.page
    page.goto(f"{server.url}/kiosk/{BOT}?idle=3&warn=5")
    title = shared_store().entry(TOP_TOPICS[2]).title_in("zh-Hant")
    press_topic(page, title)
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=10_000)
    page.get_by_role("button", name="繼續使用").click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(1500)
    expect(page.locator("#kiosk-log .hkb-user")).to_have_count(1)
    assert page.locator("body").get_attribute("data-state") == "active"


def test_a_citizen_told_to_wait_for_an_officer_is_not_wiped_as_idle(server, web, artifacts_dir):
    page = web.page
    page.goto(f"{server.url}/kiosk/{BOT}?idle=2&warn=2")
    before = page.locator("#kiosk-log .hkb-bot").count()
    page.locator("#kiosk-input").fill("我想搵真人職員")
    page.locator("#kiosk-input").press("Enter")
    replies = bot_replies_after(page, before)
    assert [r.get_attribute("data-kind") for r in replies][-1] == "handoff", [r.inner_text() for r in replies]
    expect(page.locator("#kiosk-subtitle")).to_have_text("正在等候職員（真人）接手，你的訊息會轉交職員")
    page.wait_for_timeout(7000)  # idle 2 s + warn 2 s, well past: the bot asked them to stay
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    assert page.locator("body").get_attribute("data-state") == "active"
    expect(page.locator("#kiosk-log .hkb-user")).to_have_count(1)
    shot(page, artifacts_dir, "kiosk_waiting_for_officer")


def test_unknown_kiosk_is_a_polite_404(server, web, artifacts_dir):
    page = web.page
    response = page.goto(f"{server.url}/kiosk/nobody")
    assert response.status == 404
    expect(page.locator("h1")).to_contain_text("找不到網頁")
    expect(page.get_by_text(re.compile("call 1823"))).to_be_visible()
    shot(page, artifacts_dir, "kiosk_unknown_bot_404")


def test_a_kiosk_wiped_while_offline_does_not_show_the_last_citizen_after_a_reload(server, web, artifacts_dir):
    """Wipe with the network down, reload, network back: a fresh screen, and the server ends the old conversation."""
    page = web.page
    offline = {"on": False}
    sockets: list[Any] = []
    unanswered: list[Any] = []  # sockets opened while offline: nothing reaches the server

    def route(ws: Any) -> None:
        if offline["on"]:
            unanswered.append(ws)
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/websocket(\?.*)?$"), route)
    page.goto(f"{server.url}/kiosk/{BOT}?idle=300")
    press_topic(page, shared_store().entry(TOP_TOPICS[0]).title_in("zh-Hant"))
    session = web.session_storage()[f"hkbot:{BOT}:kiosk:session"]

    offline["on"] = True
    sockets[-1].close(code=1006, reason="network down")
    page.locator("#kiosk-restart").click()  # the next citizen presses "start again" (or the idle wipe runs)
    expect(page.locator("#kiosk-log .hkb-user")).to_have_count(0)
    page.reload()
    page.wait_for_timeout(1000)
    offline["on"] = False
    for ws in unanswered:  # the network is back: the page notices and reconnects
        ws.close(code=1006, reason="network down")

    connected = len(sockets)
    deadline = time.monotonic() + 30
    while len(sockets) == connected:
        assert time.monotonic() < deadline, "the kiosk did not connect again"
        page.wait_for_timeout(200)
    expect(page.locator("#kiosk-status")).to_be_empty(timeout=10_000)  # connected: the session frame arrived
    page.wait_for_timeout(1000)
    expect(page.locator("#kiosk-log .hkb-user")).to_have_count(0)  # not the previous citizen's question
    expect(page.locator("#kiosk-log .hkb-msg")).to_have_count(1)  # only the greeting
    assert web.session_storage().get(f"hkbot:{BOT}:kiosk:session") not in (None, session)
    shot(page, artifacts_dir, "kiosk_after_offline_wipe_and_reload")
    deadline = time.monotonic() + 10
    while history_of(server, session)["history"]:
        assert time.monotonic() < deadline, "the server did not end the previous citizen's conversation"
        time.sleep(0.3)
    assert f"hkbot:{BOT}:kiosk:ending" not in web.session_storage()

"""The operator console in Debian's chromium against a real `hkbot serve` (trained bots, tmp data dir, tmp knowledge DB).

Log in; edit an answer, publish, and the bots give it over REST; roll back; a citizen in the
widget asks for a human, an agent replies from the console, hands back and the bot answers
again; an editor cannot publish; a form without its CSRF token is refused; the review queue
and the dashboard show what happened.
"""
from __future__ import annotations

import os
from pathlib import Path
import re
import subprocess
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.widget_browser import ANSWER_TIMEOUT_MS, Page, browser, playwright, shot  # noqa: F401 (fixtures)

REPO = str(Path(__file__).resolve().parents[2])
PASSWORD = "console test password"
USERS = {"pat": "publisher", "eddie": "editor", "agnes": "agent", "ada": "admin"}
FEE = "dog_licence.fee"
FEE_QUESTION = "How much does a dog licence cost?"


@pytest.fixture(scope="module")
def console_server(server_factory, tmp_path_factory):
    """A real server whose knowledge lives in its own SQLite database, seeded from the YAML; with one user per role."""
    db = tmp_path_factory.mktemp("console-kb") / "knowledge.sqlite3"
    server = server_factory(env={"HKBOT_KNOWLEDGE_DB": f"sqlite:///{db}"})
    for name, role in USERS.items():
        subprocess.run([os.path.join(REPO, ".venv", "bin", "hkbot"), "console", "add-user", name, "--role", role],
                       input=PASSWORD + "\n", text=True, check=True, env=server.env, cwd=REPO, capture_output=True)
    yield server
    if server.process.poll() is not None:
        print(server.log_tail())


@pytest.fixture
def console(browser):
    page = Page(browser, width=1280, height=900)
    page.context.set_default_timeout(ANSWER_TIMEOUT_MS)
    yield page
    page.close()


def login(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/console")
    expect(page).to_have_url(re.compile(r"/console/login"))
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_contain_text(f"{name} ({USERS[name]})")


def ask_rest(url: str, bot: str, text: str, sender: str) -> list[dict]:
    reply = httpx.post(f"{url}/bots/{bot}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return reply.json()


def labels(url: str, bot: str, text: str, sender: str) -> set[str]:
    """What the bot's replies were about (their `metadata.label`: a topic id, a shared intent, out_of_scope)."""
    return {m.get("metadata", {}).get("label") for m in ask_rest(url, bot, text, sender)} - {None}


def answer_text(url: str, bot: str, text: str, sender: str) -> str:
    return " ".join(m.get("text", "") for m in ask_rest(url, bot, text, sender))


def wait_for_answer(url: str, bot: str, expected: str, seconds: float = 2.0) -> float:
    """Ask until the answer contains `expected`; returns how long it took after the publish."""
    started = time.monotonic()
    for _attempt in range(100):
        if expected in answer_text(url, bot, FEE_QUESTION, f"t-{bot}-{time.time_ns()}"):
            return time.monotonic() - started
        assert time.monotonic() - started < seconds + 5, f"{bot} did not give the published answer"
        time.sleep(0.2)
    raise AssertionError("unreachable")


def test_login_edit_publish_rollback(console_server, console, artifacts_dir):
    url, page = console_server.url, console.page
    original = answer_text(url, "dog_licence", FEE_QUESTION, "before")
    login(page, url, "pat")
    page.goto(f"{url}/console/knowledge?q=licence+fee&bot=dog_licence")
    page.get_by_role("link", name=FEE).click()
    answer = page.locator("#answer-en")
    source = re.search(r"https?://\S+$", answer.input_value()).group(0)
    new_text = f"CONSOLE TEST: a dog licence costs HK$81 for each dog. Source: {source}"
    answer.fill(new_text)
    page.locator("#answer-zh-Hant").fill("no source here <b>")
    page.get_by_role("button", name="Check").click()
    expect(page.locator(".problems")).to_contain_text("HTML")  # problems shown before saving
    shot(page, artifacts_dir, "console_problems")
    page.locator("#answer-zh-Hant").fill(f"測試：每隻狗的牌照費用為港幣81元。資料來源：{source}")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice")).to_contain_text("Draft saved")
    assert original and "CONSOLE TEST" not in answer_text(url, "dog_licence", FEE_QUESTION, "draft-only")
    page.get_by_role("button", name="Publish this entry").click()
    published_at = time.monotonic()
    expect(page.locator(".notice")).to_contain_text("Published")
    expect(page.locator(".ladd").first).to_contain_text("CONSOLE TEST")  # the readable diff
    shot(page, artifacts_dir, "console_published_diff")
    waited = wait_for_answer(url, "dog_licence", "CONSOLE TEST")
    assert time.monotonic() - published_at < 2 + waited  # already live when first asked
    wait_for_answer(url, "1823", "CONSOLE TEST")  # every bot using dog_licence knowledge
    assert "HK$81" in answer_text(url, "1823", FEE_QUESTION, "t-1823-again")

    page.goto(f"{url}/console/try?q=" + "How much is a dog licence")
    expect(page.locator('.try-result[data-bot="dog_licence"] .answer')).to_contain_text("CONSOLE TEST")
    expect(page.locator('.try-result[data-bot="tsw"] .intent')).not_to_have_text("faq")
    shot(page, artifacts_dir, "console_try_it")

    page.goto(f"{url}/console/versions")
    versions = page.locator("table.versions tbody tr")
    live = int(versions.first.locator("td").first.inner_text().split()[0])
    page.goto(f"{url}/console/versions/{live - 1}")
    page.get_by_role("link", name="Roll back to this version…").click()
    # Confirmation first, showing only what differs from the live version (one entry, by its title).
    expect(page.locator("#rollback-summary")).to_contain_text("1 entry would change: 1 changed, 0 added back, 0 removed")
    expect(page.locator("section.change h3")).to_have_count(1)
    expect(page.locator("section.change h3 span[title]")).to_have_attribute("title", FEE)
    assert page.evaluate("document.body.scrollHeight") < 4000
    (artifacts_dir / "interface").mkdir(exist_ok=True)
    shot(page, artifacts_dir, "interface/console_rollback_confirm")
    assert "CONSOLE TEST" in answer_text(url, "dog_licence", FEE_QUESTION, f"rb-{time.time_ns()}")  # nothing yet
    page.get_by_role("button", name=f"Yes, roll back to version {live - 1}").click()
    expect(page.locator(".notice")).to_contain_text("Rolled back")
    shot(page, artifacts_dir, "console_rolled_back")
    started = time.monotonic()
    while "CONSOLE TEST" in answer_text(url, "dog_licence", FEE_QUESTION, f"rb-{time.time_ns()}"):
        assert time.monotonic() - started < 7, "the rollback did not go live"
        time.sleep(0.2)
    page.goto(f"{url}/console/audit")
    expect(page).to_have_url(re.compile(r"/console/audit"))
    assert "Your role" in page.content()  # a publisher cannot read the audit log


def test_editor_cannot_publish(console_server, console, artifacts_dir):
    url, page = console_server.url, console.page
    login(page, url, "eddie")
    page.goto(f"{url}/console/knowledge/entry/dog_licence.documents")
    questions = page.locator("#questions-en")
    questions.fill(questions.input_value() + "\nwhat papers do I bring for my dog's licence")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice")).to_contain_text("Draft saved")
    expect(page.get_by_role("button", name="Publish this entry")).to_have_count(0)
    csrf = page.locator("body").get_attribute("data-csrf")
    refused = page.request.post(f"{url}/console/knowledge/publish", form={"csrf_token": csrf, "entry_id": "dog_licence.documents"})
    assert refused.status == 403 and "Your role (editor)" in refused.text()
    refused = page.request.post(f"{url}/console/versions/1/rollback", form={"csrf_token": csrf})
    assert refused.status == 403
    shot(page, artifacts_dir, "console_editor_draft")


def test_forms_without_csrf_token_are_refused(console_server, console, artifacts_dir):
    url, page = console_server.url, console.page
    login(page, url, "ada")
    page.goto(f"{url}/console/users")
    page.locator('form[action="/console/users"] input[name="csrf_token"]').last.evaluate("node => node.remove()")
    page.locator('form[action="/console/users"] input[name="name"]').last.fill("mallory")
    page.locator('form[action="/console/users"] input[name="password"]').fill("a long enough password")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error")).to_contain_text("security token")
    shot(page, artifacts_dir, "console_csrf_refused")
    page.goto(f"{url}/console/users")
    expect(page.locator("table")).not_to_contain_text("mallory")
    wrong = page.request.post(f"{url}/console/knowledge/publish", form={"csrf_token": "forged"})
    assert wrong.status == 403
    anonymous = httpx.post(f"{url}/console/login", data={"name": "ada", "password": PASSWORD})
    assert anonymous.status_code == 403  # the log-in form has its own token too
    page.goto(f"{url}/console/audit")
    expect(page.locator("table.audit")).to_contain_text("csrf.refused")


def test_handoff_round_trip_in_the_widget(console_server, browser, console, artifacts_dir):
    url = console_server.url
    citizen = Page(browser)
    try:
        widget = citizen.page
        widget.goto(f"{url}/demo/dog_licence?lang=en")
        widget.locator(".hkb-launcher").click()
        expect(widget.locator(".hkb-log .hkb-bot").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        widget.locator(".hkb-input").fill("I want to talk to a human")
        widget.locator(".hkb-input").press("Enter")
        expect(widget.locator('.hkb-log .hkb-bot[data-kind="handoff"]')).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

        agent = console.page
        login(agent, url, "agnes")
        agent.goto(f"{url}/console/handoffs")
        row = agent.locator("#handoff-queue tbody tr[data-id]").filter(has_text="Dog Licence").last
        expect(row).to_be_visible(timeout=10_000)  # the queue refreshes itself
        row.get_by_role("link", name="Open").click()
        expect(agent.locator("#transcript")).to_contain_text("I want to talk to a human")
        agent.get_by_role("button", name="Take this conversation").click()
        expect(widget.locator(".hkb-log .hkb-agent").first).to_contain_text("officer (a person) has joined")
        agent.get_by_label("Your message to the citizen").fill("Hello, I am officer Agnes. How can I help?")
        agent.get_by_role("button", name="Send").click()
        expect(widget.locator(".hkb-log .hkb-agent").last).to_contain_text("officer Agnes", timeout=10_000)

        bot_messages = widget.locator(".hkb-log .hkb-bot").count()
        widget.locator(".hkb-input").fill("My dog is 3 months old, my phone is 91234567")
        widget.locator(".hkb-input").press("Enter")
        expect(agent.locator("#transcript")).to_contain_text("My dog is 3 months old, my phone is [PHONE]", timeout=10_000)
        assert widget.locator(".hkb-log .hkb-bot").count() == bot_messages  # the bot stays silent
        shot(agent, artifacts_dir, "console_handoff_agent")
        shot(widget, artifacts_dir, "console_handoff_citizen")

        agent.get_by_role("button", name="Hand back to the bot").click()
        expect(agent.locator(".notice")).to_contain_text("Handed back")
        expect(widget.locator(".hkb-log .hkb-bot").last).to_contain_text("virtual assistant will answer", timeout=10_000)
        widget.locator(".hkb-input").fill(FEE_QUESTION)
        widget.locator(".hkb-input").press("Enter")
        expect(widget.locator('.hkb-log .hkb-bot[data-kind="answer"]').last).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        shot(widget, artifacts_dir, "console_handoff_bot_again")
        assert not citizen.errors and not console.errors
    finally:
        citizen.close()


def test_an_urgent_handoff_is_marked_in_the_queue_and_on_its_page(console_server, console):
    """A leftover of the fifteenth session: the queue marked a request after crisis lines, its page did not."""
    url, agent = console_server.url, console.page
    sender = "urgent-1"
    assert any((m.get("metadata") or {}).get("kind") == "crisis" for m in ask_rest(url, "dog_licence", "I want to kill myself", sender))
    assert any((m.get("metadata") or {}).get("kind") == "handoff" for m in ask_rest(url, "dog_licence", "/ask_human", sender))
    login(agent, url, "agnes")
    agent.goto(f"{url}/console/handoffs")
    row = agent.locator("#handoff-queue tbody tr.urgent[data-id]").first
    expect(row).to_contain_text("Urgent: crisis lines given", timeout=10_000)
    row.get_by_role("link", name="Open").click()
    expect(agent.get_by_role("alert")).to_contain_text("Urgent: the bot gave this citizen crisis lines")
    expect(agent.locator("#transcript")).to_contain_text("I want to kill myself")  # this conversation's page
    agent.get_by_role("button", name="Take this conversation").click()  # taken, so no later test finds it waiting
    expect(agent.locator("#handoff-status")).to_have_text("active")
    assert not console.errors


def test_missed_messages_reach_the_review_queue_redacted_and_grouped(console_server, console, artifacts_dir):
    url, page = console_server.url, console.page
    for sender, text in (("r1", "Can my goldfish learn to swim? Call me on 91234567"),
                         ("r2", "can my GOLDFISH learn to swim?? call me on 9123 4567")):
        replies = ask_rest(url, "dog_licence", text, sender)
        assert any(r.get("text") and "1823" in r["text"] for r in replies)  # the fallback
    login(page, url, "pat")
    group = page.locator(".review-group").filter(has_text="goldfish")
    deadline = time.monotonic() + 10
    while True:
        page.goto(f"{url}/console/review")
        if group.count() and group.first.locator(".count").inner_text() == "2":
            break
        assert time.monotonic() < deadline, "the missed messages did not reach the review queue"
        time.sleep(0.5)
    expect(group.first).to_contain_text("[PHONE]")
    assert "91234567" not in page.content()
    shot(page, artifacts_dir, "console_review")
    # A search box narrows the topic list (a leftover of the fourteenth session: 160 topics in one long list).
    topics = group.first.locator('select[name="entry_id"]')
    topics.select_option("dog_licence.fee")
    search = group.first.locator("input.topic-filter")
    search.fill("fee")  # the chosen topic stays shown and chosen ...
    assert topics.input_value() == "dog_licence.fee"
    search.press("Enter")  # ... and Enter in the search box attaches nothing (a code review: it submitted the form)
    assert "ok=attached" not in page.url and "Added as a question variant" not in page.content()
    search.fill("microchip")  # now searched away
    shown = topics.locator("option:not([hidden])").all_inner_texts()
    assert len(shown) >= 2 and all("microchip" in t.lower() for t in shown[1:]), shown  # "Choose a topic…" stays
    assert topics.locator("option[hidden]").count() > 50
    assert topics.input_value() == ""  # a chosen topic the search hides is unchosen
    group.first.locator("input.topic-filter").fill("")
    assert topics.locator("option[hidden]").count() == 0
    assert topics.input_value() == "dog_licence.fee"  # the topic the search unchose is chosen again (a leftover)
    search.fill("microchip")  # unchosen again ...
    topics.select_option("")  # ... and the operator deliberately chooses none meanwhile: that choice stays
    search.fill("")
    assert topics.input_value() == ""
    group.first.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".notice")).to_contain_text("Dismissed")
    expect(page.locator(".review-group").filter(has_text="goldfish")).to_have_count(0)

    page.goto(f"{url}/console/dashboard?bot=dog_licence")
    expect(page.locator("#stats-table tbody tr").first).to_contain_text("AFCD Dog Licence Assistant")  # names, ids on hover
    expect(page.locator("#charts svg").first).to_be_visible()
    shot(page, artifacts_dir, "console_dashboard")
    assert not console.errors


def test_a_vocabulary_term_added_in_the_console_is_understood_once_published(console_server, console, artifacts_dir):
    url, page = console_server.url, console.page
    question = "關貿通係咩嚟"  # a made-up nickname for the Trade Single Window
    assert "tsw.about" not in labels(url, "tsw", question, "vocab-before")
    login(page, url, "pat")
    page.goto(f"{url}/console/knowledge")
    page.get_by_role("link", name="Vocabulary of tsw").click()
    box = page.get_by_label(re.compile("Concepts, one per line"))
    lines = box.input_value().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("tsw: "))
    lines[index] += " | 關貿通"
    box.fill("\n".join(lines))
    page.get_by_role("button", name="Check").click()
    expect(page.locator("body")).to_contain_text("No problems found.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice")).to_contain_text("Draft saved")
    shot(page, artifacts_dir, "console_vocabulary_draft")
    page.get_by_role("button", name="Publish this vocabulary").click()
    expect(page.locator(".notice")).to_contain_text("Published")
    expect(page.locator("body")).to_contain_text("vocabulary: tsw")  # the version's diff names the concept
    shot(page, artifacts_dir, "console_vocabulary_published")
    started = time.monotonic()
    while "tsw.about" not in labels(url, "tsw", question, f"vocab-{time.time_ns()}"):
        assert time.monotonic() - started < 7, "the published vocabulary did not go live"
        time.sleep(0.2)
    page.goto(f"{url}/console/versions")
    live = int(page.locator("table.versions tbody tr").first.locator("td").first.inner_text().split()[0])
    page.goto(f"{url}/console/versions/{live - 1}/rollback")
    page.get_by_role("button", name=f"Yes, roll back to version {live - 1}").click()
    expect(page.locator(".notice")).to_contain_text("Rolled back")

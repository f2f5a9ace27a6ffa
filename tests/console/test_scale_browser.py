"""Operators at 150 topics, in Debian's chromium against a real `hkbot serve` (the full 1823 bot, a tmp knowledge DB).

An officer narrows the 161-topic list with the keyboard to one department's entries with a language gap
changed since the seed version, sees the counts and the bookmarkable URL, and an empty result said plainly;
citizens' missed questions to the 1823 bot over REST arrive in the review queue grouped by the department
their candidates agree on ("unclear" otherwise), filterable. axe-core finds nothing on these pages.
"""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.widget_browser import ANSWER_TIMEOUT_MS, Page, assert_no_axe_violations, browser, playwright  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "scale test password"
THIN = "wsd.take_up_account"
#: Questions the 1823 bot cannot answer: two about water (its candidates are all Water Supplies Department
#: topics) and one about a service no participating department offers (candidates weak and scattered).
WATER = ("water meter reading wrong", "Why does my tap water taste of chlorine in the morning?")
UNCLEAR = "Where is the nearest public swimming pool?"


@pytest.fixture(scope="module")
def scale_server(server_factory, tmp_path_factory):
    db = tmp_path_factory.mktemp("scale-kb") / "knowledge.sqlite3"
    server = server_factory(env={"HKBOT_KNOWLEDGE_DB": f"sqlite:///{db}"})
    subprocess.run([str(REPO / ".venv" / "bin" / "hkbot"), "console", "add-user", "ada", "--role", "admin"],
                   input=PASSWORD + "\n", text=True, check=True, env=server.env, cwd=REPO, capture_output=True)
    yield server
    if server.process.poll() is not None:
        print(server.log_tail())


@pytest.fixture(scope="module")
def shots(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / "interface"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def officer(browser):
    page = Page(browser, width=1280, height=900)
    page.context.set_default_timeout(ANSWER_TIMEOUT_MS)
    yield page
    page.close()


def login(page, url: str) -> None:
    page.goto(f"{url}/console/login")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_contain_text("ada (admin)")


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def test_an_officer_filters_161_topics_by_department_gap_and_change(scale_server, officer, shots):
    url, page = scale_server.url, officer.page
    login(page, url)
    # Make a language gap the way an officer would: leave one Cantonese question, publish.
    page.goto(f"{url}/console/knowledge/entry/{THIN}")
    yue = page.locator("#questions-yue")
    yue.fill(yue.input_value().splitlines()[0])
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice")).to_contain_text("Draft saved")
    page.get_by_role("button", name="Publish this entry").click()
    expect(page.locator(".notice")).to_contain_text("Published")

    page.goto(f"{url}/console/knowledge")
    total = int(re.search(r"of (\d+) entries", page.locator("#result-count").inner_text()).group(1))
    assert total >= 150
    department = page.get_by_label("Department")
    water_option = department.locator('option[value="wsd"]')
    expect(water_option).to_have_text(re.compile(r"^Water Supplies Department \(wsd\) · \d+$"))
    # Keyboard only: focus each filter by its label, choose, and submit with Enter from the search box.
    page.get_by_label("Search").focus()
    page.keyboard.press("Tab")  # Search -> Bot
    page.keyboard.press("Tab")  # -> Department
    assert page.evaluate("document.activeElement.name") == "kb"
    page.keyboard.type("Water")  # a closed select jumps to the option starting with what is typed
    expect(department).to_have_value("wsd")
    page.get_by_label("Language gaps").select_option("few:yue")
    expect(page.get_by_label("Language gaps").locator('option[value="few:yue"]')).to_have_text(re.compile(r"· 1$"))
    page.get_by_label("Changed since version").select_option("1")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#result-count")).to_have_text(f"Showing 1 of {total} entries.")
    assert query(page) == {"kb": ["wsd"], "gap": ["few:yue"], "since": ["1"]}  # empty filters stay out of the URL
    row = page.locator("table.entries tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_have_attribute("data-id", THIN)
    expect(row.first).to_contain_text("Water Supplies Department")
    expect(row.first.locator(".badge.change")).to_have_text("changed")
    expect(row.first.locator(".badge.gap")).to_have_text(["Fewer than 2 Cantonese questions"])
    expect(page.locator(".changes-summary")).to_contain_text("0 added, 1 changed, 0 removed")
    expect(page.get_by_label("Department")).to_have_value("wsd")  # the form shows what the URL says
    assert_no_axe_violations(page, "the knowledge list, filtered")
    page.screenshot(path=str(shots / "console_knowledge_filters.png"), full_page=False)

    bookmarked = page.url
    page.goto(f"{url}/console/knowledge")
    page.goto(bookmarked)  # a bookmark gives the same list
    expect(page.locator("table.entries tbody tr")).to_have_count(1)

    page.get_by_label("Department").select_option("immd")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".empty")).to_contain_text("No entries match these filters")
    expect(page.locator("table.entries")).to_have_count(0)
    assert_no_axe_violations(page, "the knowledge list, nothing matching")
    page.get_by_role("link", name="Clear filters").first.click()
    expect(page.locator("#result-count")).to_have_text(f"Showing {total} of {total} entries.")


def test_missed_questions_are_grouped_by_department(scale_server, officer, shots):
    url, page = scale_server.url, officer.page
    for number, text in enumerate((*WATER, UNCLEAR)):
        reply = httpx.post(f"{url}/bots/1823/webhooks/rest/webhook", json={"sender": f"scale-{number}", "message": text}, timeout=60)
        reply.raise_for_status()
    login(page, url)
    deadline = time.monotonic() + 20
    page.goto(f"{url}/console/review")
    while page.locator(".review-group").count() < 3:
        assert time.monotonic() < deadline, page.locator("main").inner_text()[:2000]
        page.wait_for_timeout(500)
        page.goto(f"{url}/console/review")
    water = page.locator('section.area[data-area="wsd"]')
    expect(water.locator("h2")).to_contain_text("Water Supplies Department (wsd)")
    expect(water.locator(".review-group")).to_have_count(2)
    for text in WATER:
        expect(water).to_contain_text(text)
    unclear = page.locator('section.area[data-area="unclear"]')
    expect(unclear).to_contain_text(UNCLEAR)
    expect(page.locator("nav.areas")).to_contain_text("Water Supplies Department (wsd): 2 questions, 2 messages")
    expect(page.locator("section.area").last).to_have_attribute("data-area", "unclear")
    assert_no_axe_violations(page, "the review queue, grouped")
    page.screenshot(path=str(shots / "console_review_departments.png"), full_page=True)

    page.get_by_label("Department it seems about").select_option("wsd")
    page.get_by_role("button", name="Filter").click()
    assert query(page) == {"department": ["wsd"]}
    expect(page.locator(".review-group")).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text(UNCLEAR)
    expect(page.locator("#result-count")).to_contain_text("2 of 3 questions")
    page.locator("nav.areas").get_by_role("link", name=re.compile("Unclear")).click()
    expect(page.locator(".review-group")).to_have_count(1)
    expect(page.locator(".review-group")).to_contain_text(UNCLEAR)

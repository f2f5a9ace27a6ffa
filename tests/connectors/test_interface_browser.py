"""What citizens and operators see (issue 17), in Debian's chromium against a real `hkbot serve`.

One source link per answer labelled with the department's name, one language per reply,
a visible human during a handoff, the kiosk's printed reference and QR code, and
axe-core (pinned in package-lock.json, injected by the test only) finding nothing.
Screenshots go to tests/artifacts/interface/ (committed).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml
from playwright.sync_api import expect

from actions.sources import without_source
from knowledge.live import shared_store
from nlu.script import to_simplified
from tests.widget_browser import (  # noqa: F401 (fixtures)
    ANSWER_TIMEOUT_MS,
    Page,
    assert_no_axe_violations,
    browser,
    playwright,
)

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "interface test password"
#: tsw gives up on a handoff after a few seconds here, so the test sees the citizen told.
TSW_WAIT_SECONDS = 4


@pytest.fixture(scope="module")
def ui_server(server_factory, tmp_path_factory):
    """A real server with its own knowledge database, an agent and an admin, and a short tsw handoff wait."""
    root = tmp_path_factory.mktemp("interface")
    bots_dir = root / "bots"
    shutil.copytree(REPO / "bots", bots_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    tsw = bots_dir / "tsw" / "bot.yml"
    config = yaml.safe_load(tsw.read_text(encoding="utf-8"))
    config["handoff"]["wait_seconds"] = TSW_WAIT_SECONDS
    tsw.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    server = server_factory(env={"HKBOT_KNOWLEDGE_DB": f"sqlite:///{root / 'knowledge.sqlite3'}", "HKBOT_BOTS_DIR": str(bots_dir)})
    for name, role in (("agnes", "agent"), ("ada", "admin")):
        subprocess.run([str(REPO / ".venv" / "bin" / "hkbot"), "console", "add-user", name, "--role", role],
                       input=PASSWORD + "\n", text=True, check=True, env=server.env, cwd=REPO, capture_output=True)
    return server


@pytest.fixture(scope="module")
def shots(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / "interface"
    folder.mkdir(exist_ok=True)
    return folder


def shot(page: Any, folder: Path, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


@pytest.fixture
def citizen(browser):
    page = Page(browser, width=1024, height=900)
    yield page
    page.close()


@pytest.fixture
def officer(browser):
    page = Page(browser, width=1280, height=900)
    page.context.set_default_timeout(ANSWER_TIMEOUT_MS)
    page.page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"))
    yield page
    page.close()


# --------------------------------------------------------------------------- helpers


def open_widget(page: Any, url: str, bot: str, lang: str = "") -> None:
    page.goto(f"{url}/demo/{bot}" + (f"?lang={lang}" if lang else ""))
    page.locator(".hkb-launcher").click()
    expect(page.locator(".hkb-log .hkb-bot").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


def ask(page: Any, text: str, kind: str = "answer") -> Any:
    """Type a question; return the bot's new message of `kind` once the bot has finished."""
    before = page.locator(f'.hkb-log .hkb-bot[data-kind="{kind}"]').count()
    page.locator(".hkb-input").fill(text)
    page.locator(".hkb-input").press("Enter")
    expect(page.locator(f'.hkb-log .hkb-bot[data-kind="{kind}"]')).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".hkb-typing")).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
    return page.locator(f'.hkb-log .hkb-bot[data-kind="{kind}"]').last


def widget_words(page: Any) -> dict[str, Any]:
    """Every label the widget shows or reads out, for checking they are in one language."""
    return page.evaluate(
        """() => {
            const root = document.getElementById('hkbot-widget').shadowRoot;
            const text = sel => [...root.querySelectorAll(sel)].map(e => e.textContent);
            return {send: root.querySelector('.hkb-send').textContent,
                    placeholder: root.querySelector('.hkb-input').placeholder,
                    subtitle: root.querySelector('.hkb-subtitle').textContent,
                    close: root.querySelector('.hkb-close').getAttribute('aria-label'),
                    pressed: root.querySelector('.hkb-lang[aria-pressed="true"]').dataset.lang,
                    lang: root.querySelector('.hkb-root').lang,
                    botPrefix: text('.hkb-bot > .hkb-sr').pop(),
                    newTab: text('.hkb-source .hkb-sr').pop()};
        }"""
    )


def check_answer_link(answer: Any, label: str) -> str:
    """One link, labelled `label` (the department's name), and no raw URL in the words; returns the link."""
    links = answer.locator("a")
    expect(links).to_have_count(1)
    link = answer.locator("a.hkb-source")
    assert link.evaluate("a => a.firstChild.textContent") == label
    assert "http" not in answer.locator(".hkb-text").inner_text()
    assert link.get_attribute("href").startswith("https://") and link.get_attribute("target") == "_blank"
    return link.get_attribute("href")


def page_errors(page: Page) -> list[str]:
    """Script errors, less the CSP reports that axe-core's own inline styles cause (the pages use none)."""
    return [e for e in page.errors if "Applying inline style violates" not in e]


def login(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/console/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_contain_text(name)


# --------------------------------------------------------------------------- 1, 2, 6: the widget


def test_widget_one_language_per_reply_and_one_labelled_source_link(ui_server, citizen, shots):
    page = citizen.page
    fee = shared_store().entry("dog_licence.fee")
    open_widget(page, ui_server.url, "dog_licence")
    greeting = page.locator('.hkb-log .hkb-bot[data-kind="greeting"]')
    assert "http" not in greeting.locator(".hkb-text").inner_text()
    privacy = greeting.locator("a.hkb-source")
    expect(privacy).to_have_count(1)
    assert privacy.evaluate("a => a.firstChild.textContent") == "私隱政策"
    assert privacy.get_attribute("href") == "https://www.afcd.gov.hk/tc_chi/privacy.html"
    assert_no_axe_violations(page, "the widget, open")

    # Traditional Chinese (a Cantonese question gets formal written Chinese).
    answer = ask(page, "狗牌幾多錢")
    assert answer.get_attribute("data-language") in ("yue", "zh-Hant")
    assert check_answer_link(answer, "資料來源：1823網頁") == fee.source
    words = widget_words(page)
    assert (words["send"], words["pressed"], words["botPrefix"]) == ("傳送", "zh-Hant", "助理說：")
    page.locator(".hkb-log").evaluate("log => log.scrollTop = log.scrollHeight")
    shot(page, shots, "widget_traditional")
    assert_no_axe_violations(page, "the widget with a Traditional Chinese answer")

    # English typed into a Chinese page: the answer and every label of the page turn English.
    answer = ask(page, "How much does a dog licence cost?")
    assert answer.get_attribute("data-language") == "en"
    check_answer_link(answer, "Source: 1823 website")
    assert answer.locator(".hkb-button").all_inner_texts() == ["Helpful", "Not helpful"]
    words = widget_words(page)
    assert words == {"send": "Send", "placeholder": "Type your question", "subtitle": "Virtual assistant (not a person)",
                     "close": "Close chat", "pressed": "en", "lang": "en", "botPrefix": "Assistant said:",
                     "newTab": " (opens in a new tab)"}
    shot(page, shots, "widget_english")
    assert_no_axe_violations(page, "the widget with an English answer")

    # Simplified: the link label is Simplified too, not Traditional.
    page.locator(".hkb-lang", has_text="简").click()
    expect(page.locator('.hkb-log .hkb-bot[data-language="zh-Hans"]').last).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    answer = ask(page, "狗牌幾多錢")
    assert answer.get_attribute("data-language") == "zh-Hans"
    check_answer_link(answer, "资料来源：1823网页")
    text = answer.inner_text()
    assert to_simplified(text) == text
    words = widget_words(page)
    assert (words["send"], words["botPrefix"], words["newTab"], words["lang"]) == ("发送", "助理说：", " （在新标签页打开）", "zh-CN")
    shot(page, shots, "widget_simplified")
    assert_no_axe_violations(page, "the widget with a Simplified Chinese answer")
    assert page_errors(citizen) == []


def test_two_questions_in_one_message_get_two_answers_in_the_widget(ui_server, citizen, shots):
    page = citizen.page
    open_widget(page, ui_server.url, "1823", "en")
    answers = page.locator('.hkb-log .hkb-bot[data-kind="answer"]')
    before = answers.count()
    also = ask(page, "is 1823 open 24 hours, and how do I pay my water bill?", kind="also")
    expect(answers).to_have_count(before + 2, timeout=ANSWER_TIMEOUT_MS)
    hours, pay = shared_store().entry("1823.hours"), shared_store().entry("wsd.pay_bill")
    # Both answered, whichever the whole message finds first (the two score close): the line names the second.
    top, other = (hours, pay) if pay.title["en"] in also.inner_text() else (pay, hours)
    assert other.title["en"] in also.inner_text()
    first, second = answers.nth(before), answers.nth(before + 1)
    assert first.locator(".hkb-text").inner_text().strip() == without_source(top.answer["en"], top.source).strip()
    assert second.locator(".hkb-text").inner_text().strip() == without_source(other.answer["en"], other.source).strip()
    also.evaluate("e => e.scrollIntoView({block: 'center'})")  # the line naming the second topic, and its answer
    shot(page, shots, "widget_two_questions")
    assert page_errors(citizen) == []


def test_a_paste_longer_than_a_message_is_announced_not_cut_silently(ui_server, citizen):
    page = citizen.page
    open_widget(page, ui_server.url, "dog_licence", "en")
    status = page.locator(".hkb-status")
    page.locator(".hkb-input").fill("dog licence " * 300)  # 3,600 characters: the input keeps 2,000
    page.locator(".hkb-input").dispatch_event("input")
    assert len(page.locator(".hkb-input").input_value()) == 2000
    expect(status).to_have_text("A message holds at most 2,000 characters: the rest will not be sent.")
    page.locator(".hkb-input").fill("how much is a dog licence")
    page.locator(".hkb-input").dispatch_event("input")
    expect(status).to_have_text("")
    assert page_errors(citizen) == []


def test_language_buttons_are_named_by_what_they_show(ui_server, citizen):
    page = citizen.page
    open_widget(page, ui_server.url, "dog_licence")
    for short in ("繁", "简", "EN"):
        button = page.locator(".hkb-lang", has_text=short)
        assert short in button.get_attribute("aria-label")  # a voice user says what they see


# --------------------------------------------------------------------------- 1, 6: the kiosk


def test_kiosk_prints_the_source_with_a_qr_code_and_reads_large(ui_server, citizen, shots):
    page = citizen.page
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.goto(f"{ui_server.url}/kiosk/dog_licence")
    expect(page.locator("#kiosk-log .hkb-bot").first).to_be_visible()
    sizes = page.evaluate("""() => ['body', '#kiosk-log .hkb-text', '.hkb-ref-text', '.kiosk-topic', '.kiosk-input']
        .map(sel => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize))""")
    assert min(sizes) >= 28, sizes
    greeting = page.locator("#kiosk-log .hkb-bot").first
    expect(greeting.locator(".hkb-ref-text")).to_contain_text("私隱政策")
    assert_no_axe_violations(page, "the kiosk, open")

    before = page.locator("#kiosk-log .hkb-bot").count()
    page.get_by_role("button", name=shared_store().entry("dog_licence.fee").title["zh-Hant"], exact=True).click()
    answer = page.locator('#kiosk-log .hkb-bot[data-kind="answer"]')
    expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#kiosk-log .hkb-bot").count() > before
    expect(page.locator("#kiosk-log a")).to_have_count(0)  # no links that lead nowhere on a kiosk
    assert "http" not in answer.locator(".hkb-text").inner_text()
    expect(answer.locator(".hkb-ref-text")).to_contain_text("資料來源：1823網頁")
    expect(answer.locator(".hkb-ref-url")).to_have_text("1823.gov.hk" + urlsplit(shared_store().entry("dog_licence.fee").source).path)
    qr = answer.locator("img.hkb-qr")
    expect(qr).to_have_count(1)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    src = urlsplit(qr.get_attribute("src"))
    assert (src.scheme, src.netloc, src.path) == ("http", urlsplit(ui_server.url).netloc, "/qr.svg")  # drawn by our server
    assert parse_qs(src.query)["url"] == [shared_store().entry("dog_licence.fee").source]
    assert qr.get_attribute("alt")
    page.locator("#kiosk-log").evaluate("log => log.scrollTop = log.scrollHeight")
    shot(page, shots, "kiosk_answer")
    assert_no_axe_violations(page, "the kiosk with an answer")

    # English typed at a Chinese kiosk: the whole screen follows the reply's language.
    page.locator("#kiosk-input").fill("How much does a dog licence cost?")
    page.locator("#kiosk-input").press("Enter")
    expect(answer).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(answer.last.locator(".hkb-ref-text")).to_contain_text("Source: 1823 website")
    expect(page.locator("#kiosk-send")).to_have_text("Send")
    expect(page.locator("#kiosk-restart")).to_have_text("Start again")
    expect(page.locator(".kiosk-lang[aria-pressed=true]")).to_have_text("English")
    expect(page.locator(".kiosk-topic").first).to_have_text(shared_store().entry("dog_licence.fee").title["en"])
    assert page_errors(citizen) == []


def test_qr_codes_only_for_web_links(ui_server):
    good = httpx.get(f"{ui_server.url}/qr.svg", params={"url": "https://www.afcd.gov.hk/a"}, timeout=10)
    assert good.status_code == 200 and good.headers["content-type"].startswith("image/svg+xml") and "<svg" in good.text
    for bad in ("javascript:alert(1)", "", "https://" + "a" * 600, "data:text/html,x"):
        assert httpx.get(f"{ui_server.url}/qr.svg", params={"url": bad}, timeout=10).status_code == 400


# --------------------------------------------------------------------------- 3, 6: a visible human


def test_the_citizen_sees_an_officer_reply(ui_server, citizen, officer, shots):
    widget = citizen.page
    open_widget(widget, ui_server.url, "dog_licence", lang="en")
    ask(widget, "I want to talk to a human", kind="handoff")
    # Waiting is said where the citizen looks, and what they type meanwhile is not lost for them.
    expect(widget.locator(".hkb-subtitle")).to_have_text("Waiting for an officer (a person): your messages are passed on")
    desk = officer.page
    login(desk, ui_server.url, "agnes")
    desk.goto(f"{ui_server.url}/console/handoffs")
    row = desk.locator("#handoff-queue tbody tr[data-id]").filter(has_text="Dog Licence").last
    expect(row).to_be_visible(timeout=10_000)
    row.get_by_role("link", name="Open").click()
    desk.get_by_role("button", name="Take this conversation").click()
    expect(widget.locator(".hkb-subtitle")).to_have_text("An officer (a person) is replying", timeout=10_000)
    desk.get_by_label("Your message to the citizen").fill("Hello, I can help with your licence.")
    desk.get_by_role("button", name="Send").click()
    message = widget.locator(".hkb-log .hkb-agent").last
    expect(message).to_contain_text("I can help with your licence", timeout=10_000)
    expect(message.locator(".hkb-who")).to_have_text("Officer (a person)")
    assert message.locator(".hkb-who").is_visible()
    assert "agnes" not in widget.locator(".hkb-log").inner_text().lower()  # by role, never by login name
    shot(widget, shots, "widget_handoff")
    assert_no_axe_violations(widget, "the widget during a handoff")

    # 5: the desk suggests answers for the citizen's latest words; one click fills the box, Send sends.
    fee = shared_store().entry("dog_licence.fee")
    widget.locator(".hkb-input").fill("How much does the licence cost?")
    widget.locator(".hkb-input").press("Enter")
    first = desk.locator("#suggestions .suggestion").first
    expect(first.locator("h3 span[title]")).to_have_attribute("title", fee.id, timeout=10_000)
    expect(first.locator(".answer")).to_have_text(without_source(fee.answer["en"], fee.source))
    expect(first.locator(".score")).to_have_text(re.compile(r"^score [01]\.\d\d$"))
    officer_messages = widget.locator(".hkb-log .hkb-agent").count()
    first.get_by_role("button", name="Put in the reply box").click()
    expect(desk.get_by_label("Your message to the citizen")).to_have_value(without_source(fee.answer["en"], fee.source))
    desk.wait_for_timeout(1500)
    assert widget.locator(".hkb-log .hkb-agent").count() == officer_messages  # nothing sent without Send
    assert_no_axe_violations(desk, "the handoff desk conversation with suggestions")
    shot(desk, shots, "console_handoff_suggestions", full_page=True)
    desk.get_by_label("Your message to the citizen").press("End")
    desk.get_by_label("Your message to the citizen").type(" Anything else?")
    desk.get_by_role("button", name="Send").click()
    expect(widget.locator(".hkb-log .hkb-agent").last).to_contain_text("Anything else?", timeout=10_000)

    desk.get_by_role("button", name="Hand back to the bot").click()
    expect(widget.locator(".hkb-subtitle")).to_have_text("Virtual assistant (not a person)", timeout=10_000)
    assert page_errors(citizen) == [] and page_errors(officer) == []


def test_a_request_nobody_took_is_told_to_the_citizen_with_the_phone_number(ui_server, citizen, officer, shots):
    widget = citizen.page
    open_widget(widget, ui_server.url, "tsw", lang="en")
    ask(widget, "I want to talk to a human", kind="handoff")
    expect(widget.locator(".hkb-subtitle")).to_contain_text("Waiting for an officer")
    told = widget.locator('.hkb-log .hkb-bot[data-kind="handoff_timeout"]')
    expect(told).to_be_visible(timeout=(TSW_WAIT_SECONDS + 15) * 1000)
    expect(told).to_contain_text("2117 3348")  # the department's own number, from bot.yml
    expect(widget.locator(".hkb-subtitle")).to_have_text("Virtual assistant (not a person)")
    shot(widget, shots, "widget_handoff_expired")

    # Away when it expires: told on coming back, and the transcript says so, not that they saw it.
    ask(widget, "I want to talk to a human", kind="handoff")
    widget.goto("about:blank")
    time.sleep(TSW_WAIT_SECONDS + 4)
    widget.goto(f"{ui_server.url}/demo/tsw?lang=en")
    expect(widget.locator('.hkb-log .hkb-bot[data-kind="handoff_timeout"]')).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    desk = officer.page
    login(desk, ui_server.url, "agnes")
    desk.goto(f"{ui_server.url}/console/handoffs")
    expired = desk.locator("li").filter(has_text="Trade Single Window Assistant").filter(has_text="expired")
    expect(expired).to_have_count(2)
    links = expired.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    notes = []
    for link in links:
        desk.goto(f"{ui_server.url}{link}")
        notes.append(desk.locator("#transcript").inner_text())
    assert any("told in the chat" in n for n in notes) and any("when they come back" in n for n in notes), notes


# --------------------------------------------------------------------------- 6: every console page


def console_pages(url: str) -> list[str]:
    entry = "dog_licence.fee"
    return ["/console/login", "/console/dashboard", "/console/knowledge", f"/console/knowledge/entry/{entry}",
            "/console/knowledge/new", "/console/knowledge/vocabulary/dog_licence", "/console/versions",
            "/console/try?bot=dog_licence&q=dog+licence+fee", "/console/knowledge/import", "/console/review",
            "/console/handoffs", "/console/users", "/console/audit",
            "/console/knowledge?kb=dog_licence&gap=any&days=7", "/console/knowledge?kb=tsw&gap=few:yue&since=1",
            "/console/review?department=unclear"]


def test_review_queue_pre_selects_no_weak_topic_and_the_dashboard_adds_up(ui_server, officer, shots):
    for sender, text in (("w1", "How do I apply for public housing?"), ("w2", "How much is a dog licence?"),
                         ("w3", "hello"), ("w4", "Can my goldfish get a licence?")):
        httpx.post(f"{ui_server.url}/bots/dog_licence/webhooks/rest/webhook", json={"sender": sender, "message": text},
                   timeout=60).raise_for_status()
    page = officer.page
    login(page, ui_server.url, "ada")
    group = page.locator(".review-group").filter(has_text="public housing")
    deadline = time.monotonic() + 15
    while not group.count():
        assert time.monotonic() < deadline, "the missed message did not reach the review queue"
        page.wait_for_timeout(500)
        page.goto(f"{ui_server.url}/console/review")
    scores = [float(s) for s in re.findall(r"score (\d\.\d\d)", group.first.locator(".meta").inner_text())]
    choice = group.first.locator("select[name=entry_id]")
    assert scores and max(scores) < 0.55, scores  # a weak match (the public housing -> dog licence documents)
    expect(choice).to_have_value("")  # nothing pre-selected: the operator chooses
    assert choice.get_attribute("required") is not None
    expect(page.locator("main")).to_contain_text("only when its score is at least 0.55")
    shot(page, shots, "console_review", full_page=True)

    page.goto(f"{ui_server.url}/console/dashboard?bot=dog_licence")
    row = page.locator("#stats-table tbody tr").first
    expect(row).to_contain_text("AFCD Dog Licence Assistant")
    cells = row.locator("td").all_inner_texts()
    shares = [int(re.match(r"(\d+)%", cell).group(1)) for cell in cells[3:7]]
    assert sum(shares) == 100, cells
    assert row.locator("td").first.get_attribute("title") == "dog_licence"
    expect(page.locator("#charts h2").first).to_have_text("AFCD Dog Licence Assistant")  # the charts name bots too
    expect(page.locator("#charts")).not_to_contain_text("dog_licence.fee")
    shot(page, shots, "console_dashboard", full_page=True)


def test_every_console_page_has_no_accessibility_violation(ui_server, officer):
    page = officer.page
    problems = []
    page.goto(f"{ui_server.url}/console/login")
    try:
        assert_no_axe_violations(page, "/console/login")
    except AssertionError as failed:
        problems.append(str(failed))
    login(page, ui_server.url, "ada")
    page.goto(f"{ui_server.url}/console/versions")
    versions = page.locator("table.versions tbody tr td a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for path in console_pages(ui_server.url)[1:] + versions[:1]:
        page.goto(f"{ui_server.url}{path}")
        assert page.locator("h1").count() == 1, path
        try:
            assert_no_axe_violations(page, path)
        except AssertionError as failed:
            problems.append(str(failed))
    assert problems == [], "\n".join(problems)


def test_a_rollback_without_confirmation_changes_nothing(ui_server, officer):
    page = officer.page
    login(page, ui_server.url, "ada")
    page.goto(f"{ui_server.url}/console/versions")
    live = page.locator("table.versions tbody tr").count()
    answered = page.evaluate(
        """async () => {
            const body = new URLSearchParams({csrf_token: document.body.dataset.csrf});
            const reply = await fetch('/console/versions/1/rollback', {method: 'POST', body, credentials: 'same-origin'});
            return {url: reply.url, status: reply.status};
        }"""
    )
    assert answered["status"] == 200 and answered["url"].endswith("/console/versions/1/rollback")  # the confirmation page
    page.goto(f"{ui_server.url}/console/versions")
    assert page.locator("table.versions tbody tr").count() == live  # no new version


def test_publishing_every_draft_shows_the_difference_and_asks_first(ui_server, officer, shots):
    page = officer.page
    login(page, ui_server.url, "ada")
    page.goto(f"{ui_server.url}/console/knowledge/entry/dog_licence.where_apply")
    answer = page.locator("#answer-en")
    answer.fill("ALL DRAFTS TEST. " + answer.input_value())
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice")).to_contain_text("Draft saved")
    page.goto(f"{ui_server.url}/console/knowledge")
    page.get_by_role("link", name="Publish all drafts…").click()
    expect(page.locator("#publish-summary")).to_contain_text("1 entry would change")
    expect(page.locator("section.change")).to_have_count(1)
    expect(page.locator("section.change .ladd").first).to_contain_text("ALL DRAFTS TEST")
    shot(page, shots, "console_publish_all_confirm", full_page=True)
    page.goto(f"{ui_server.url}/console/versions")
    before = page.locator("table.versions tbody tr").count()
    page.goto(f"{ui_server.url}/console/knowledge/publish")
    page.get_by_role("button", name="Yes, publish 1 change").click()
    expect(page.locator(".notice")).to_contain_text("Published")
    page.goto(f"{ui_server.url}/console/versions")
    assert page.locator("table.versions tbody tr").count() == before + 1

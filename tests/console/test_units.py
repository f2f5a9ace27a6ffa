"""Console back end on real SQLite: argon2 users and roles, sessions and CSRF, login slowdown, audit log,
review grouping with redaction, turn capture from a real Rasa tracker, handoff expiry."""
from __future__ import annotations

import re
import time

import pytest
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from console import audit, auth, capture, handoffs, review, stats


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'console.sqlite3'}"


def test_passwords_are_argon2_and_roles_limit_permissions(url):
    auth.add_user("pat", "publisher", "a long password", by="cli", url=url)
    auth.add_user("eddie", "editor", "another long password", by="cli", url=url)
    from console import store

    with store.engine(url).connect() as connection:
        hashes = [row[0] for row in connection.execute(store.users.select().with_only_columns(store.users.c.password_hash))]
    assert all(h.startswith("$argon2id$") and "long password" not in h for h in hashes)
    user = auth.authenticate("pat", "a long password", "127.0.0.1", url)
    assert user.can("publish") and user.can("draft") and not user.can("users")
    editor = auth.authenticate("eddie", "another long password", "127.0.0.1", url)
    assert editor.can("draft") and not editor.can("publish") and not editor.can("handoff")
    assert auth.User("x", "agent").can("handoff") and not auth.User("x", "agent").can("knowledge")
    with pytest.raises(auth.AuthError):
        auth.add_user("bad name!", "editor", "a long password", by="cli", url=url)
    with pytest.raises(auth.AuthError):
        auth.add_user("short", "editor", "short", by="cli", url=url)
    with pytest.raises(auth.AuthError):
        auth.add_user("boss", "king", "a long password", by="cli", url=url)


def test_sessions_csrf_and_disabling(url):
    user = auth.add_user("ada", "admin", "a long password", by="cli", url=url)
    token, session = auth.create_session(user, url)
    found = auth.session_for(token, url)
    assert found and found.user.name == "ada" and auth.csrf_valid(found.csrf, session.csrf)
    assert not auth.csrf_valid(found.csrf, "forged") and not auth.csrf_valid(found.csrf, None)
    assert auth.session_for("not-a-token", url) is None
    auth.set_active("ada", False, by="root", url=url)
    assert auth.session_for(token, url) is None
    with pytest.raises(auth.AuthError):
        auth.authenticate("ada", "a long password", "127.0.0.1", url)


class Clock:
    """The time `console.auth` sees, moved on by the test (the real code, without waiting minutes)."""

    def __init__(self, monkeypatch) -> None:
        self.now = time.time()
        monkeypatch.setattr(auth.time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def refused(name: str, password: str, address: str, url: str, device: str | None = None) -> int:
    """The wait a refused log-in asks for (0 for a wrong password without waiting)."""
    with pytest.raises(auth.AuthError) as error:
        auth.log_in(name, password, address, url, device)
    return error.value.retry_after


def test_repeated_failures_slow_that_name_from_that_address_even_with_the_right_password(url):
    auth.add_user("pat", "publisher", "a long password", by="cli", url=url)
    for _ in range(auth.FREE_FAILURES):
        assert refused("pat", "wrong", "10.0.0.1", url) == 0
    wait = refused("pat", "a long password", "10.0.0.1", url)
    assert 0 < wait <= 2
    # someone else's failures do not lock pat out at another address
    assert auth.authenticate("pat", "a long password", "10.0.0.2", url).name == "pat"
    assert auth.retry_after("nobody", "10.0.0.9", url) == 0


def test_an_attacker_cannot_keep_an_admin_out(url, monkeypatch):
    clock = Clock(monkeypatch)
    auth.add_user("ada", "admin", "a long password", by="cli", url=url)
    _user, device = auth.log_in("ada", "a long password", "192.168.1.10", url)  # ada's own browser, once
    # for two hours, an attacker tries ada's name from five addresses, as fast as the slowdown lets them
    tries = 0
    for _minute in range(2 * 60):
        for bot in range(5):
            if auth.retry_after("ada", f"203.0.113.{bot}", url) == 0:
                tries += 1
                with pytest.raises(auth.AuthError):
                    auth.log_in("ada", "guess", f"203.0.113.{bot}", url)
        clock.advance(60)
    assert tries < 2 * 60 / 3  # guessing is slowed down (about one try per 5 minutes once the free ones are used)
    # ada's known browser is not: she logs in at once, from her usual address or a new one
    assert auth.log_in("ada", "a long password", "192.168.1.10", url, device)[0].name == "ada"
    assert auth.log_in("ada", "a long password", "198.51.100.7", url, device)[0].name == "ada"
    # and the slowdown is time-limited: never more than MAX_WAIT_SECONDS, and forgotten once the attack stops
    assert auth.retry_after("ada", "198.51.100.8", url) <= auth.MAX_WAIT_SECONDS
    clock.advance(auth.ACCOUNT.decay_seconds * (auth.ACCOUNT.free + 12) + auth.MAX_WAIT_SECONDS)
    assert auth.retry_after("ada", "198.51.100.8", url) == 0
    assert auth.log_in("ada", "a long password", "198.51.100.8", url)[0].name == "ada"
    # a stolen or guessed device cookie of another user gives nothing: it is per user name
    assert auth.retry_after("ada", "203.0.113.1", url, "made-up-device") == auth.retry_after("ada", "203.0.113.1", url)


def test_a_known_browser_is_slowed_down_by_its_own_failures(url):
    auth.add_user("pat", "publisher", "a long password", by="cli", url=url)
    _user, device = auth.log_in("pat", "a long password", "10.0.0.1", url)
    for _ in range(auth.DEVICE.free):
        assert refused("pat", "wrong", "10.0.0.1", url, device) == 0
    assert refused("pat", "a long password", "10.0.0.1", url, device) > 0


def test_the_address_counter_decays_so_an_office_behind_nat_keeps_working(url, monkeypatch):
    clock = Clock(monkeypatch)
    office = "172.16.0.1"
    auth.add_user("officer30", "editor", "a long password", by="cli", url=url)
    # a busy morning: 30 officers behind the same NAT address each mistype once, a minute apart
    for n in range(30):
        assert refused(f"officer{n}", "typo", office, url) == 0
        clock.advance(60)
    assert auth.log_in("officer30", "a long password", office, url)[0].name == "officer30"
    # a password spray from one address is slowed down ...
    for n in range(auth.ADDRESS.free):
        clock.advance(1)
        if auth.retry_after(f"guess{n}", "198.51.100.1", url) == 0:
            refused(f"guess{n}", "x", "198.51.100.1", url)
    assert auth.retry_after("officer1", "198.51.100.1", url) > 0
    # ... and the counter decays: an hour later the address is free again
    clock.advance(3600)
    assert auth.retry_after("officer1", "198.51.100.1", url) == 0


def test_a_password_reset_ends_the_users_other_sessions(url):
    auth.add_user("ada", "admin", "a long password", by="cli", url=url)
    ben = auth.add_user("ben", "editor", "a long password", by="ada", url=url)
    ben_phone, _ = auth.create_session(ben, url)
    ben_desk, _ = auth.create_session(ben, url)
    ada = auth.User("ada", "admin")
    ada_here, _ = auth.create_session(ada, url)
    ada_there, _ = auth.create_session(ada, url)
    auth.add_user("ben", "editor", "a new long password", by="ada", url=url)
    assert auth.session_for(ben_phone, url) is None and auth.session_for(ben_desk, url) is None
    auth.add_user("ada", "admin", "another long password", by="ada", url=url, keep_token=ada_here)
    assert auth.session_for(ada_here, url) is not None and auth.session_for(ada_there, url) is None
    assert "2 other session(s) ended" in audit.recent(url=url, user="ada", action="user.update")[-1].detail


def test_sessions_end_after_the_idle_time_and_background_refreshes_do_not_count(url, monkeypatch):
    clock = Clock(monkeypatch)
    monkeypatch.setenv(auth.IDLE_ENV, "10")
    user = auth.add_user("ada", "admin", "a long password", by="cli", url=url)
    token, _ = auth.create_session(user, url)
    for _ in range(6):  # an hour of work, something every 9 minutes: still logged in
        clock.advance(9 * 60)
        assert auth.session_for(token, url) is not None
    for _ in range(11):  # the screen left open: the handoff desk refreshes every minute, nobody clicks
        clock.advance(60)
        found = auth.session_for(token, url, active=False)
    assert found is None and auth.session_for(token, url) is None
    # busy all day, a session still ends after SESSION_SECONDS
    token, _ = auth.create_session(user, url)
    for _ in range(int(auth.SESSION_SECONDS / 300)):
        clock.advance(300)
        auth.session_for(token, url)
    clock.advance(300)
    assert auth.session_for(token, url) is None


def test_idle_minutes_setting(monkeypatch):
    monkeypatch.delenv(auth.IDLE_ENV, raising=False)
    assert auth.idle_seconds() == 30 * 60
    monkeypatch.setenv(auth.IDLE_ENV, "15")
    assert auth.idle_seconds() == 900
    for wrong in ("0", "-5", "soon", "100000"):
        monkeypatch.setenv(auth.IDLE_ENV, wrong)
        assert auth.idle_seconds() == 30 * 60


@pytest.mark.parametrize("name", ["system", "cli", "System", "CLI"])
def test_names_the_automatic_audit_entries_use_are_reserved(url, name):
    with pytest.raises(auth.AuthError, match="reserved"):
        auth.add_user(name, "admin", "a long password", by="ada", url=url)
    # a user created under such a name before it was reserved cannot log in or keep a session
    from console import store

    with store.engine(url).begin() as connection:
        connection.execute(store.users.insert().values(name=name, role="admin", password_hash=auth._hasher.hash("a long password"),
                                                       active=True, created_at=time.time()))
    with pytest.raises(auth.AuthError):
        auth.authenticate(name, "a long password", "10.0.0.1", url)
    token, _ = auth.create_session(auth.User(name, "admin"), url)
    assert auth.session_for(token, url) is None
    # a failed log-in typed as `system` is not written under the automatic entries' name
    assert [r.user for r in audit.recent(url=url, action="login.failed")] == ["-"]


def test_audit_log_records_who_what_when(url):
    before = time.time()
    auth.add_user("pat", "publisher", "a long password", by="ada", url=url)
    audit.record("pat", "publish", "version 2", "dog_licence.fee", url)
    records = audit.recent(url=url)
    assert [(r.user, r.action, r.target) for r in records[:2]] == [("pat", "publish", "version 2"), ("ada", "user.add", "pat")]
    assert all(r.at >= before for r in records)
    assert [r.action for r in audit.recent(user="pat", url=url)] == ["publish"]


def test_review_groups_similar_texts_with_counts_and_bots_redacted(url):
    assert review.add("dog_licence", "s1", "Can my cat swim? call 91234567", "en", "fallback", url=url)
    assert review.add("1823", "s2", "can my CAT swim!! call 9123 4567", "en", "fallback", url=url)
    assert review.add("dog_licence", "s3", "點樣幫貓仔沖涼", "yue", "low_confidence", "dog_licence.fee", 0.6, url=url)
    assert review.add("dog_licence", "s4", "点样帮猫仔冲凉？", "zh-Hans", "fallback", url=url)
    assert not review.add("dog_licence", "s5", '/feedback{"helpful": "yes"}', "en", "fallback", url=url)
    assert not review.add("dog_licence", "s5", "   ", "en", "fallback", url=url)
    groups = review.groups(url=url)
    assert [g.count for g in groups] == [2, 2]
    cat = next(g for g in groups if "swim" in g.text)
    assert cat.bots == {"dog_licence": 1, "1823": 1} and "[PHONE]" in cat.text and "9123" not in cat.text
    chinese = next(g for g in groups if g is not cat)
    assert set(chinese.languages) == {"yue", "zh-Hans"} and chinese.topics == ("dog_licence.fee",)
    assert review.resolve(cat.key, "dismissed", url) == 2
    assert [g.key for g in review.groups(url=url)] == [chinese.key]
    assert review.groups(bot="1823", url=url) == []


def tracker_with(*events) -> DialogueStateTracker:
    tracker = DialogueStateTracker("citizen-1", slots=[])
    for event in events:
        tracker.update(event)
    return tracker


def user(text: str, language: str, faq: dict | None = None) -> UserUttered:
    return UserUttered(text, {"name": "out_of_scope", "confidence": 0.9}, parse_data={"language": language, "faq": faq or {}})


def test_an_answer_marked_not_helpful_queues_its_question(url):
    """An operator review: confident wrong answers never reached the queue; the dashboard only counted them."""
    faq = {"matches": [{"id": "emsd.unsafe_appliance", "kb": "emsd", "score": 0.91}], "threshold": 0.55, "top": "emsd.unsafe_appliance"}
    tracker = tracker_with(
        user("冷氣機滴水點投訴", "yue", faq),
        BotUttered("...", {}, {"kind": "answer", "topic": "emsd.unsafe_appliance", "language": "yue"}),
        user('/feedback{"topic": "emsd.unsafe_appliance", "helpful": "no"}', "yue"),
        BotUttered("Sorry", {}, {"kind": "feedback", "topic": "emsd.unsafe_appliance", "helpful": False, "language": "yue"}),
    )
    assert capture.analyse_turn("1823", "citizen-1", tracker, url) == "feedback"
    [group] = review.groups(url=url)
    assert group.text == "冷氣機滴水點投訴" and group.reasons == ("not_helpful",) and group.topics == ("emsd.unsafe_appliance",)
    assert group.suggestion is None and group.scores == ()  # the answer marked wrong is never pre-selected
    # "Helpful" queues nothing.
    tracker.update(user('/feedback{"topic": "emsd.unsafe_appliance", "helpful": "yes"}', "yue"))
    tracker.update(BotUttered("Thanks", {}, {"kind": "feedback", "topic": "emsd.unsafe_appliance", "helpful": True}))
    capture.analyse_turn("1823", "citizen-1", tracker, url)
    assert len(review.groups(url=url)) == 1 and review.REASON_LABELS["not_helpful"] == "answer marked not helpful"


def test_capture_counts_turns_queues_misses_and_opens_handoffs(url):
    from rasa.shared.core.slots import BooleanSlot

    faq = {"matches": [{"id": "dog_licence.fee", "kb": "dog_licence", "score": 0.58}], "threshold": 0.56, "top": "dog_licence.fee"}
    tracker = tracker_with(user("dog licence fee?", "en", faq), BotUttered("HK$80", {}, {"kind": "answer", "topic": "dog_licence.fee", "language": "en"}))
    assert capture.analyse_turn("dog_licence", "citizen-1", tracker, url) == "answer"
    assert review.groups(url=url)[0].reasons == ("low_confidence",)
    tracker.update(user("my email is a@b.hk, where is the moon", "en"))
    tracker.update(BotUttered("Sorry, call 1823", {}, {"kind": "fallback", "language": "en"}))
    assert capture.analyse_turn("dog_licence", "citizen-1", tracker, url) == "fallback"
    assert any("[EMAIL]" in g.text for g in review.groups(url=url))
    tracker = DialogueStateTracker("citizen-2", slots=[BooleanSlot("handoff_active", mappings=[])])
    for event in (user("I want a human", "en"), BotUttered("An officer will reply", {}, {"kind": "handoff", "language": "en"}),
                  SlotSet("handoff_active", True)):
        tracker.update(event)
    assert capture.analyse_turn("dog_licence", "citizen-2", tracker, url) == "handoff"
    opened = handoffs.find_open("dog_licence", "citizen-2", url)
    assert opened and opened.status == "waiting" and opened.language == "en"
    tracker.update(user("my HKID is A123456(3)", "en"))
    assert capture.analyse_turn("dog_licence", "citizen-2", tracker, url) == "silent"
    texts = [m.text for m in handoffs.messages(opened.id, url=url)]
    assert texts[0] == "I want a human" and texts[-1] == "my HKID is [HKID]"
    rows, topics = stats.daily(days=1, url=url, feedback_path=None)
    day = {r.bot: r for r in rows}["dog_licence"]
    assert (day.messages, day.answered, day.fallbacks, day.handoffs) == (4, 1, 1, 1)
    assert topics["dog_licence"]["dog_licence.fee"] == 1


def test_a_handoff_after_crisis_lines_is_urgent_and_first_in_the_queue(url):
    """A leftover of the fourteenth session: a citizen given crisis lines who asked for an officer waited in line
    behind everyone who asked before, unmarked."""
    from rasa.shared.core.slots import BooleanSlot

    assert not handoffs.open_handoff("tsw", "earlier", "en", [("citizen", "officer please")], url).urgent
    tracker = DialogueStateTracker("citizen-9", slots=[BooleanSlot("handoff_active", mappings=[])])
    for event in (user("我唔想再活落去", "yue"), BotUttered("999 18111 ...", {}, {"kind": "crisis", "language": "zh-Hant"}),
                  user("/ask_human", "yue"), BotUttered("An officer will reply", {}, {"kind": "handoff", "language": "zh-Hant"}),
                  SlotSet("handoff_active", True)):
        tracker.update(event)
    assert capture.analyse_turn("tsw", "citizen-9", tracker, url) == "handoff"
    urgent = handoffs.find_open("tsw", "citizen-9", url)
    assert urgent is not None and urgent.urgent
    assert [h.sender for h in handoffs.queue(url=url)] == ["citizen-9", "earlier"]
    # Without crisis lines in the conversation, the order is who asked first.
    assert not capture.gave_crisis_lines([BotUttered("HK$80", {}, {"kind": "answer"})])
    # Crisis lines given while already waiting make the waiting handoff urgent too (a code review).
    waiting = DialogueStateTracker("citizen-10", slots=[BooleanSlot("handoff_active", mappings=[])])
    for event in (user("/ask_human", "en"), BotUttered("An officer will reply", {}, {"kind": "handoff", "language": "en"}),
                  SlotSet("handoff_active", True)):
        waiting.update(event)
    assert capture.analyse_turn("tsw", "citizen-10", waiting, url) == "handoff"
    assert not handoffs.find_open("tsw", "citizen-10", url).urgent
    waiting.update(user("I want to kill myself", "en"))
    waiting.update(BotUttered("999 18111 ...", {}, {"kind": "crisis", "language": "en"}))
    assert capture.analyse_turn("tsw", "citizen-10", waiting, url) == "crisis"
    assert handoffs.find_open("tsw", "citizen-10", url).urgent
    assert [h.sender for h in handoffs.queue(url=url)][:2] == ["citizen-9", "citizen-10"]


def test_handoffs_overdue_after_wait_seconds_and_only_once(url):
    first = handoffs.open_handoff("tsw", "a", "zh-Hant", [("citizen", "真人")], url)
    assert handoffs.open_handoff("tsw", "a", "zh-Hant", [], url).id == first.id  # one open handoff per conversation
    second = handoffs.open_handoff("1823", "b", "en", [], url)
    now = first.created_at + 30
    assert [h.id for h in handoffs.overdue({"tsw": 20, "1823": 120}, now, url)] == [first.id]
    assert handoffs.set_status(second.id, "active", agent="agnes", expected=("waiting",), url=url)
    assert not handoffs.set_status(second.id, "active", agent="other", expected=("waiting",), url=url)
    assert handoffs.set_status(first.id, "expired", expected=("waiting",), url=url)
    assert handoffs.overdue({"tsw": 0, "1823": 0}, now, url) == []


def test_an_urgent_handoff_waits_its_shorter_time_counted_from_when_it_became_urgent(url):
    """A citizen given crisis lines waited as long as anyone (`wait_seconds`) before being told to call (a leftover of
    the fourteenth session). An urgent request expires after `urgent_wait_seconds`, counted from the crisis lines: one
    made urgent while waiting is not expired at once, nor later than it would have been."""
    waits, urgent_waits = {"tsw": 120}, {"tsw": 60}
    plain = handoffs.open_handoff("tsw", "plain", "en", [], url)
    urgent = handoffs.open_handoff("tsw", "urgent", "en", [], url, urgent=True)
    assert urgent.urgent_at == urgent.created_at and plain.urgent_at is None
    later = handoffs.open_handoff("tsw", "later", "en", [], url)
    start = max(plain.created_at, urgent.created_at, later.created_at)

    def due(now: float) -> set[str]:
        return {h.sender for h in handoffs.overdue(waits, now, url, urgent_wait_seconds=urgent_waits)}

    assert due(start + 59) == set() and due(start + 61) == {"urgent"}
    handoffs.mark_urgent(later.id, url)  # crisis lines given while it waited
    marked = handoffs.get(later.id, url)
    assert marked.urgent and marked.urgent_at >= later.created_at
    assert marked.deadline(120, 60) == min(later.created_at + 120, marked.urgent_at + 60)
    assert "later" not in due(marked.urgent_at + 59)  # not expired the moment it became urgent
    assert "later" in due(marked.urgent_at + 60) and "plain" not in due(marked.urgent_at + 60)
    handoffs.mark_urgent(later.id, url)  # marking again does not push its deadline back
    assert handoffs.get(later.id, url).urgent_at == marked.urgent_at
    assert due(start + 121) == {"plain", "urgent", "later"}
    # Without the urgent waits (an older caller), every request waits its bot's `wait_seconds`.
    assert {h.sender for h in handoffs.overdue(waits, start + 61, url)} == set()


def test_an_older_console_database_gains_the_urgency_columns_and_keeps_its_rows(url):
    """A console database made before `urgent` and `urgent_at` existed gets both on first use; its waiting request
    reads as not urgent and still expires after `wait_seconds`."""
    import sqlalchemy as sa

    from console import store

    old = sa.create_engine(url)
    with old.begin() as connection:
        connection.execute(sa.text("CREATE TABLE console_handoffs (id INTEGER PRIMARY KEY, bot VARCHAR(64) NOT NULL, "
                                   "sender VARCHAR(128) NOT NULL, language VARCHAR(10) NOT NULL, status VARCHAR(20) NOT NULL, "
                                   "created_at FLOAT NOT NULL, taken_at FLOAT, closed_at FLOAT, agent VARCHAR(64))"))
        connection.execute(sa.text("INSERT INTO console_handoffs (bot, sender, language, status, created_at) "
                                   "VALUES ('tsw', 'old', 'en', 'waiting', 1000.0)"))
    old.dispose()
    (waiting,) = handoffs.queue(url=url)
    assert (waiting.sender, waiting.urgent, waiting.urgent_at) == ("old", False, None)
    assert {c["name"] for c in sa.inspect(store.engine(url)).get_columns("console_handoffs")} >= {"urgent", "urgent_at"}
    assert handoffs.overdue({"tsw": 120}, 1119.0, url, {"tsw": 60}) == []
    assert [h.sender for h in handoffs.overdue({"tsw": 120}, 1120.0, url, {"tsw": 60})] == ["old"]


def test_agent_texts_follow_the_conversation_language():
    from console.messages import agent_text

    assert "2117 3348" in agent_text("timeout", "en", phone="2117 3348") and "1823" in agent_text("timeout", "yue", phone="1823")
    assert agent_text("joined", "zh-Hans") != agent_text("joined", "zh-Hant")
    assert "职员" in agent_text("joined", "zh-Hans")


def test_a_citizen_nobody_took_after_crisis_lines_is_told_the_lines_again(url):
    """A leftover of the fifteenth session: an urgent request expired like any other ("call 1823"), though the citizen
    had just been given crisis lines and had waited for a person in vain."""
    from console.handoff_desk import timeout_note, timeout_text
    from knowledge.departments import department_of_kb

    plain = handoffs.open_handoff("1823", "calm", "en", [("citizen", "officer please")], url)
    urgent = handoffs.open_handoff("1823", "crisis", "yue", [("citizen", "我唔想再活")], url, urgent=True)
    told = timeout_text(plain, "1823", None)
    assert "1823" in told and "18111" not in told
    told = timeout_text(urgent, "1823", None)
    assert "1823" in told and "18111" in told and "2389 2222" in told and "999" in told and "please" not in told.lower()
    water = department_of_kb("wsd")
    told = timeout_text(urgent, "1823", water)
    assert water.hotline in told and told.index(water.hotline) < told.index("18111")  # the lines last, where the eye ends
    assert "crisis lines again" in timeout_note(1, 120, urgent=True) and "crisis" not in timeout_note(1, 120)
    # The lines again are the lines the crisis reply gave, in every language (a review: written twice, checked once).
    from actions.sentences import SENTENCES

    def numbers(text: str) -> set[str]:
        return {found.replace(" ", "") for found in re.findall(r"\d[\d ]*\d", text) if len(found.replace(" ", "")) >= 3}

    for language, text in SENTENCES["officer_timeout_crisis"].items():
        assert numbers(text) == numbers(SENTENCES["crisis"][language]) == {"999", "18111", "28960000", "23892222"}
    # The transcript shows the lines as the bot gave them; a citizen's own number is still hidden (both were [PHONE]).
    handoffs.add_message(urgent.id, "bot", told, url)
    handoffs.add_message(urgent.id, "citizen", "call me on 9123 4567", url)
    texts = [m.text for m in handoffs.messages(urgent.id, url=url)]
    assert "2389 2222" in texts[-2] and "[PHONE]" not in texts[-2] and texts[-1] == "call me on [PHONE]"


@pytest.mark.parametrize("counts", [
    {"answered": 2, "fallback": 0, "handoff": 0, "other": 1},  # the dashboard once said 67% + 0% and nothing else
    {"answered": 1, "fallback": 1, "handoff": 1, "other": 0},
    {"answered": 7, "fallback": 3, "handoff": 1, "other": 9},
    {"answered": 0, "fallback": 0, "handoff": 0, "other": 0},
])
def test_dashboard_shares_add_up_to_100(counts):
    from console.stats import DayStats

    day = DayStats("dog_licence", "2026-01-01", messages=sum(counts.values()), answered=counts["answered"],
                   fallbacks=counts["fallback"], handoffs=counts["handoff"])
    shares = day.shares()
    assert sum(shares.values()) == (100 if day.messages else 0)
    assert day.other == counts["other"]
    for key, value in counts.items():
        exact = 100 * value / day.messages if day.messages else 0
        assert abs(shares[key] - exact) < 1, (key, shares)


def test_review_pre_selects_a_topic_only_from_the_answer_threshold(url):
    from console import review

    review.add("1823", "s1", "public housing application", "en", "fallback", "dog_licence.documents", 0.41, url)
    review.add("dog_licence", "s2", "dog licence price please", "en", "low_confidence", "dog_licence.fee", 0.58, url)
    groups = {g.text: g for g in review.groups(url=url)}
    weak, strong = groups["public housing application"], groups["dog licence price please"]
    assert weak.scores == (("dog_licence.documents", 0.41),) and weak.suggestion is None
    assert strong.suggestion == "dog_licence.fee" and review.SUGGEST_SCORE <= 0.58

"""Console back end on real SQLite: argon2 users and roles, sessions and CSRF, login slowdown, audit log,
review grouping with redaction, turn capture from a real Rasa tracker, handoff expiry."""
from __future__ import annotations

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


def test_repeated_failures_slow_logins_down_even_with_the_right_password(url):
    auth.add_user("pat", "publisher", "a long password", by="cli", url=url)
    for _ in range(auth.FREE_FAILURES):
        with pytest.raises(auth.AuthError) as error:
            auth.authenticate("pat", "wrong", "10.0.0.1", url)
        assert error.value.retry_after == 0
    with pytest.raises(auth.AuthError) as error:
        auth.authenticate("pat", "a long password", "10.0.0.2", url)
    assert error.value.retry_after > 0 and "wait" in str(error.value)
    with pytest.raises(auth.AuthError):  # the address is slowed down for other names too
        auth.authenticate("someone", "x", "10.0.0.1", url)
    assert auth.retry_after("nobody", "10.0.0.9", url) == 0


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


def test_agent_texts_follow_the_conversation_language():
    from console.messages import agent_text

    assert "2117 3348" in agent_text("timeout", "en", phone="2117 3348") and "1823" in agent_text("timeout", "yue", phone="1823")
    assert agent_text("joined", "zh-Hans") != agent_text("joined", "zh-Hant")
    assert "职员" in agent_text("joined", "zh-Hans")


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

"""The redacting tracker store over a real SQLite SQLTrackerStore: nothing personal reaches the table."""
from __future__ import annotations

import json
import logging
import sqlite3

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.log_filter import RedactingFilter, install_log_redaction
from bots.storage.redacting import RedactingTrackerStore, redacted_tracker, wrap_tracker_store

HKID, PHONE, EMAIL = "A123456(3)", "9123 4567", "chan.tai.man@example.com.hk"
SECRETS = (HKID, "123456", PHONE, "91234567", EMAIL)

DOMAIN = Domain.from_dict(
    {
        "intents": ["greet", "inform"],
        "slots": {
            "contact": {"type": "text", "mappings": [{"type": "custom"}]},
            "language": {"type": "text", "mappings": [{"type": "custom"}]},
        },
    }
)


def user(text: str) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": "inform", "confidence": 0.9},
        entities=[{"entity": "contact", "value": PHONE, "start": 0, "end": 9}],
        parse_data={"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": [], "language": "yue"},
        input_channel="rest",
        metadata={"note": f"typed {EMAIL}"},
    )


def conversation(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        user(f"我身份證{HKID}，電話{PHONE}，電郵{EMAIL}"),
        SlotSet("contact", f"{PHONE} / {EMAIL}"),
        SlotSet("language", "yue"),
        BotUttered(f"收到，我們會致電 {PHONE}。", data={"buttons": [{"title": EMAIL, "payload": "/affirm"}]}, metadata={"kind": "form", "echo": HKID}),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    return tracker


@pytest.fixture()
def sql_store(tmp_path):
    return SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "trackers.sqlite3"))


def stored_rows(store: SQLTrackerStore) -> list[tuple[str, str, str]]:
    path = store.engine.url.database
    with sqlite3.connect(path) as db:
        return db.execute("SELECT sender_id, type_name, data FROM events ORDER BY id").fetchall()


async def test_stored_events_hold_no_personal_data_while_the_live_tracker_does(sql_store):
    store = RedactingTrackerStore(sql_store)
    tracker = conversation("citizen-1")
    await store.save(tracker)

    rows = stored_rows(sql_store)
    assert len(rows) == len(tracker.events)
    dump = "\n".join(data for _, _, data in rows)
    for secret in SECRETS:
        assert secret not in dump
    for mark in ("[HKID]", "[PHONE]", "[EMAIL]"):
        assert mark in dump
    user_row = json.loads(next(data for _, kind, data in rows if kind == "user"))
    assert user_row["text"] == "我身份證[HKID]，電話[PHONE]，電郵[EMAIL]"
    assert user_row["parse_data"]["text"] == user_row["text"]
    assert user_row["parse_data"]["language"] == "yue"  # the rest of the parse data is kept

    # the tracker the dialogue runs on still holds what the citizen typed
    assert tracker.latest_message.text == f"我身份證{HKID}，電話{PHONE}，電郵{EMAIL}"
    assert tracker.get_slot("contact") == f"{PHONE} / {EMAIL}"

    read_back = await store.retrieve("citizen-1")
    assert read_back.get_slot("contact") == "[PHONE] / [EMAIL]"
    assert read_back.get_slot("language") == "yue"
    assert read_back.latest_message.text == user_row["text"]


async def test_next_turn_appends_only_new_events_redacted(sql_store):
    store = RedactingTrackerStore(sql_store)
    await store.save(conversation("citizen-2"))
    tracker = await store.retrieve("citizen-2")
    before = len(stored_rows(sql_store))
    tracker.update(UserUttered("my email is x.y@z.hk", intent={"name": "inform"}))
    tracker.update(BotUttered("ok"))
    await store.save(tracker)
    rows = stored_rows(sql_store)
    assert len(rows) == before + 2
    assert "x.y@z.hk" not in rows[-2][2] and "[EMAIL]" in rows[-2][2]


async def test_only_the_configured_kinds_are_redacted(sql_store):
    store = wrap_tracker_store(sql_store, {"name": "demo", "privacy": {"redact": ["email"]}})
    await store.save(conversation("citizen-3"))
    dump = "\n".join(data for _, _, data in stored_rows(sql_store))
    assert EMAIL not in dump and PHONE in dump


def test_wrap_without_kinds_returns_the_store_itself(sql_store):
    assert wrap_tracker_store(sql_store, {"name": "demo", "privacy": {"redact": []}}) is sql_store
    wrapped = wrap_tracker_store(sql_store, None)
    assert isinstance(wrapped, RedactingTrackerStore)
    assert wrap_tracker_store(wrapped, None) is wrapped


async def test_per_bot_keys_are_kept_under_the_wrapper(sql_store):
    from bots.runtime.agents import BotTrackerStore

    store = wrap_tracker_store(BotTrackerStore("dog_licence", sql_store), None)
    await store.save(conversation("citizen-4"))
    senders = {sender for sender, _, _ in stored_rows(sql_store)}
    assert senders == {"dog_licence:citizen-4"}
    assert list(await store.keys()) == ["citizen-4"]
    assert (await store.retrieve("citizen-4")).sender_id == "citizen-4"


def test_tracker_without_personal_data_is_not_copied():
    tracker = DialogueStateTracker("x", DOMAIN.slots)
    tracker.update(UserUttered("how much is a dog licence?", intent={"name": "faq"}))
    assert redacted_tracker(tracker) is tracker


def test_parse_data_with_token_spans_and_no_personal_data_is_not_copied():
    """Rasa's parse data holds tuples (token spans) and ids with digits: nothing to hide, so no copy."""
    parse = {"intent": {"name": "greet"}, "text": "hello", "message_id": "4f2a9c81d3e24b6f9a0e", "text_tokens": [(0, 5)]}
    tracker = DialogueStateTracker("x", DOMAIN.slots)
    tracker.update(UserUttered("hello", intent={"name": "greet"}, parse_data=parse, message_id=parse["message_id"]))
    assert redacted_tracker(tracker) is tracker


def test_only_events_with_personal_data_are_copied_and_published_contacts_are_kept():
    from privacy.redact import KINDS, identity_of

    keep = frozenset({identity_of("phone", "2150 7777")})  # a department's published number
    tracker = DialogueStateTracker("x", DOMAIN.slots)
    published = UserUttered("is 2150 7777 the right number?", intent={"name": "faq"})
    personal = UserUttered("call me on 9123 4567", intent={"name": "faq"})
    for event in (published, personal):
        tracker.update(event)
    stored = redacted_tracker(tracker, KINDS, keep).events
    assert stored[0] is published
    assert stored[1] is not personal and "9123 4567" not in stored[1].text and "[PHONE]" in stored[1].text
    assert "9123 4567" in personal.text  # the live conversation keeps what was typed


def test_the_bots_own_sentences_publish_exactly_the_crisis_lines():
    """A stored history and an officer's transcript showed the crisis lines as [PHONE] (a leftover of the fifteenth
    session). Exactly those two: a sentence with an example number ("e.g. 9123 4567") would quietly make it public."""
    from actions.sentences import every_text
    from bots.storage.redacting import public_contacts
    from privacy.public import public_values

    assert public_values(every_text()) == {"phone:28960000", "phone:23892222"}
    assert {"phone:28960000", "phone:23892222", "phone:21173348"} <= public_contacts()  # and the bots' own files'


async def test_a_contact_published_in_the_console_is_kept_from_the_next_save_without_a_restart(sql_store, tmp_path, monkeypatch):
    """The published contacts were read from the YAML folder at start-up alone: a hotline an operator published through
    the console's database was stored as [PHONE] until a restart with it in the files (a leftover of the seventeenth
    session). The shared store reads the served answers' contacts as it applies a version; a citizen's own number is
    still redacted."""
    import shutil
    from pathlib import Path

    from knowledge import live
    from knowledge.db_store import KnowledgeDatabase

    folder = tmp_path / "knowledge"
    shutil.copytree(Path(__file__).resolve().parents[2] / "fixtures" / "knowledge" / "good", folder)
    url = f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DB", url)
    live.reset_shared_store()
    try:
        live.shared_store()  # made by the bots' first component at start-up
        store = wrap_tracker_store(sql_store)
        hotline, citizen = "2345 6789", "9123 4567"
        tracker = DialogueStateTracker("published", DOMAIN.slots)
        tracker.update(BotUttered(f"Call the new TSW line on {hotline}."))
        await store.save(tracker)
        assert hotline not in stored_rows(sql_store)[-1][2]  # not published yet: redacted like any number

        database = KnowledgeDatabase(url)
        entry = next(item for item in database.published() if item["id"] == "tsw.password")
        answer = {**entry["answer"], "en": entry["answer"]["en"].replace("Source:", f"Help line: {hotline}. Source:")}
        database.save_draft({**entry, "answer": answer}, author="operator")
        database.publish("operator")
        live.shared_store().reload()
        tracker.update(UserUttered(f"thanks, my number is {citizen}", intent={"name": "faq"}))
        tracker.update(BotUttered(f"Call the new TSW line on {hotline}."))
        await store.save(tracker)
        texts = [json.loads(data).get("text", "") for _sender, _kind, data in stored_rows(sql_store)]
        assert texts[-1] == f"Call the new TSW line on {hotline}." and hotline not in texts[0]  # what was stored stays
        assert texts[-2] == "thanks, my number is [PHONE]"
    finally:
        live.reset_shared_store()


async def test_the_served_contacts_are_read_as_a_version_is_applied_never_on_a_save(sql_store, tmp_path, monkeypatch):
    """The served answers' contacts were read on the first save after each change, behind a lock, on a citizen's turn
    (a leftover of the eighteenth session). The shared store reads them as it applies a version; a save reads nothing,
    and a version whose contacts cannot be read keeps the last version's."""
    import shutil
    from pathlib import Path

    from bots.storage.redacting import public_contacts
    from knowledge import live

    folder = tmp_path / "knowledge"
    shutil.copytree(Path(__file__).resolve().parents[2] / "fixtures" / "knowledge" / "good", folder)
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DB", "files")
    live.reset_shared_store()
    try:
        store = live.shared_store()
        before = public_contacts()
        assert "phone:23456789" not in before and public_contacts() is before  # one object while nothing changes
        path = folder / "dog_licence.yml"
        path.write_text(path.read_text(encoding="utf-8").replace("costs HK$80, paid in cash.", "costs HK$80; enquiries 2345 6789."), encoding="utf-8")
        store.reload()
        assert "phone:23456789" in live.served_contacts() and "phone:23456789" in public_contacts()

        readings = []

        def unreadable(texts):
            readings.append(1)
            raise RuntimeError("unreadable")

        monkeypatch.setattr(live, "public_values", unreadable)
        path.write_text(path.read_text(encoding="utf-8").replace("2345 6789", "2345 6780"), encoding="utf-8")
        store.reload()  # the failure is logged; the last version's contacts hold
        assert "phone:23456789" in live.served_contacts()
        saving = wrap_tracker_store(sql_store)
        tracker = DialogueStateTracker("served", DOMAIN.slots)
        tracker.update(BotUttered("Enquiries: 2345 6789."))
        tracker.update(UserUttered("my number is 9123 4567", intent={"name": "faq"}))
        read = len(readings)
        assert read >= 1  # the reload read it (the watcher may have too)
        await saving.save(tracker)  # reads no knowledge: the unreadable reader is not called
        assert len(readings) == read
        texts = [json.loads(data).get("text", "") for _sender, _kind, data in stored_rows(sql_store)]
        assert texts == ["Enquiries: 2345 6789.", "my number is [PHONE]"]
    finally:
        live.reset_shared_store()


async def test_a_save_never_makes_the_knowledge_store(sql_store, tmp_path, monkeypatch):
    """A process without the shared store (the console before its first knowledge page, a tool) keeps the files'
    contacts: a save must not open the knowledge database (an unreachable one would be retried on every save)."""
    from knowledge import live

    monkeypatch.setenv("HKBOT_KNOWLEDGE_DB", f"sqlite:///{tmp_path / 'knowledge.sqlite3'}")
    live.reset_shared_store()
    try:
        store = wrap_tracker_store(sql_store)
        tracker = DialogueStateTracker("no-store", DOMAIN.slots)
        tracker.update(BotUttered("Call TSW on 2117 3348, or The Samaritans on 2896 0000."))
        tracker.update(UserUttered("my number is 9123 4567", intent={"name": "faq"}))
        await store.save(tracker)
        assert live.current_store() is None and not (tmp_path / "knowledge.sqlite3").exists()
        texts = [json.loads(data).get("text", "") for _sender, _kind, data in stored_rows(sql_store)]
        assert texts == ["Call TSW on 2117 3348, or The Samaritans on 2896 0000.", "my number is [PHONE]"]
    finally:
        live.reset_shared_store()


def test_log_filter_redacts_messages_arguments_and_tracebacks():
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    logger = logging.getLogger("hkbot.test.privacy")
    logger.propagate = False
    handler = Keep()
    logger.addHandler(handler)
    install_log_redaction(logger)
    install_log_redaction(logger)  # idempotent
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    try:
        logger.warning("citizen said %s", f"HKID {HKID} phone {PHONE}")
        try:
            raise ValueError(f"bad contact {EMAIL}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert records[0] == "citizen said HKID [HKID] phone [PHONE]"
    assert EMAIL not in records[1] and "[EMAIL]" in records[1] and "ValueError" in records[1]

"""The per-process tracker cache over real SQLite: same rows and same trackers as Rasa's own store."""
from __future__ import annotations

import sqlite3
import time

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bots.runtime.agents import BotTrackerStore
from bots.storage.sql_resilience import use_write_ahead_log
from bots.storage.tracker_cache import CachedTrackerStore, latest_session

DOMAIN = Domain.from_dict({"intents": ["greet", "faq"], "slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}})


def sql_store(path) -> SQLTrackerStore:
    return use_write_ahead_log(SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path)))


def cached(path) -> CachedTrackerStore:
    return CachedTrackerStore(BotTrackerStore("dog_licence", sql_store(path)))


def plain(path) -> BotTrackerStore:
    return BotTrackerStore("dog_licence", sql_store(path))


def turn(tracker: DialogueStateTracker, text: str, reply: str) -> None:
    """What one citizen message adds to a conversation."""
    for event in (
        UserUttered(text, intent={"name": "faq", "confidence": 0.9}, parse_data={"text": text, "intent": {"name": "faq", "confidence": 0.9}, "language": "yue"}),
        SlotSet("language", "yue"),
        ActionExecuted("action_answer_faq"),
        BotUttered(reply, data={"buttons": []}, metadata={"kind": "answer"}),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)


def start(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    return tracker


async def saved_conversation(store, text: str, reply: str) -> DialogueStateTracker:
    """A new conversation with one turn, saved through `store`."""
    tracker = start("citizen")
    turn(tracker, text, reply)
    await store.save(tracker)
    return tracker


def rows(path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id").fetchall()


def state(tracker: DialogueStateTracker) -> dict:
    return tracker.current_state(EventVerbosity.ALL)


async def test_saves_write_the_same_rows_as_rasas_store(tmp_path):
    ours, theirs = cached(tmp_path / "ours.db"), plain(tmp_path / "theirs.db")
    tracker = start("citizen")
    for text in ("狗牌幾錢", "點樣續牌", "唔該"):
        turn(tracker, text, f"answer to {text}")
        await ours.save(tracker)
        await theirs.save(tracker)
        tracker = await ours.retrieve("citizen")  # the next turn runs on the kept tracker, as the server does
    assert len(rows(tmp_path / "ours.db")) == 3 + 3 * 5
    assert rows(tmp_path / "ours.db") == rows(tmp_path / "theirs.db")


async def test_new_and_continued_conversations_skip_rasas_save_and_read(tmp_path, monkeypatch):
    store = cached(tmp_path / "t.db")
    calls = []
    for name in ("save", "retrieve"):
        original = getattr(SQLTrackerStore, name)

        async def counted(self, *args, _name=name, _original=original):
            calls.append(_name)
            return await _original(self, *args)

        monkeypatch.setattr(SQLTrackerStore, name, counted)
    assert await store.retrieve("citizen") is None  # nothing stored yet: no need to ask Rasa's store
    tracker = start("citizen")
    turn(tracker, "hello", "hi")
    await store.save(tracker)  # a new conversation: appended whole
    tracker = await store.retrieve("citizen")
    turn(tracker, "dog licence fee", "HK$80")
    await store.save(tracker)
    assert calls == []
    fresh = await plain(tmp_path / "t.db").retrieve("citizen")
    assert state(fresh) == state(tracker)


async def test_reads_from_memory_equal_reads_from_the_database(tmp_path):
    store = cached(tmp_path / "t.db")
    tracker = await saved_conversation(store, "狗牌幾錢", "HK$80")
    from_memory = await store.retrieve("citizen")
    from_database = await plain(tmp_path / "t.db").retrieve("citizen")
    assert state(from_memory) == state(from_database)
    assert from_memory is not tracker and from_memory.get_slot("language") == "yue"


async def test_another_replicas_write_is_seen(tmp_path):
    here, there = cached(tmp_path / "t.db"), cached(tmp_path / "t.db")
    tracker = await saved_conversation(here, "hello", "hi")
    elsewhere = await there.retrieve("citizen")
    turn(elsewhere, "dog licence fee", "HK$80")
    await there.save(elsewhere)
    seen = await here.retrieve("citizen")
    assert [e.text for e in seen.events if isinstance(e, UserUttered)] == ["hello", "dog licence fee"]
    # A save from a stale tracker goes through Rasa's store, and is not served from memory afterwards.
    turn(tracker, "thanks", "you're welcome")
    await here.save(tracker)
    assert state(await here.retrieve("citizen")) == state(await plain(tmp_path / "t.db").retrieve("citizen"))


async def test_deleted_conversations_are_not_served_from_memory(tmp_path):
    store = cached(tmp_path / "t.db")
    await saved_conversation(store, "hello", "hi")
    with sqlite3.connect(tmp_path / "t.db") as db:  # what retention and subject requests do
        db.execute("DELETE FROM events WHERE sender_id = 'dog_licence:citizen'")
    assert await store.retrieve("citizen") is None


async def test_a_new_session_is_read_back_as_rasa_reads_it(tmp_path):
    store = cached(tmp_path / "t.db")
    await saved_conversation(store, "hello", "hi")
    tracker = await store.retrieve("citizen")
    time.sleep(0.01)  # the new session starts strictly later, as after an idle hour
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    turn(tracker, "dog licence fee", "HK$80")
    await store.save(tracker)
    from_memory = await store.retrieve("citizen")
    from_database = await plain(tmp_path / "t.db").retrieve("citizen")
    assert state(from_memory) == state(from_database)
    assert [e.text for e in from_memory.events if isinstance(e, UserUttered)] == ["dog licence fee"]


def test_latest_session_keeps_events_from_the_last_session_start():
    tracker = start("citizen")
    turn(tracker, "old", "old")
    later = SessionStarted(timestamp=time.time() + 5)
    events = [*tracker.events, ActionExecuted("action_session_start", timestamp=later.timestamp - 1), later, ActionExecuted("action_listen", timestamp=later.timestamp + 1)]
    assert latest_session(events) == events[-2:]
    assert latest_session(list(tracker.events)[2:]) == list(tracker.events)[2:]  # no session start: everything


def test_sqlite_tracker_stores_use_a_write_ahead_log(tmp_path):
    store = sql_store(tmp_path / "t.db")
    with store.session_scope() as session:
        session.execute(store.SQLEvent.__table__.select()).all()
    with sqlite3.connect(tmp_path / "t.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_cache_forgets_the_least_recent_conversations(tmp_path):
    store = cached(tmp_path / "t.db")
    store.size = 2
    for sender in ("a", "b", "c"):
        store._keep(sender, (1, 1), [])
    assert list(store.kept) == ["b", "c"]


async def test_non_sql_stores_are_passed_through():
    from rasa.core.tracker_store import InMemoryTrackerStore

    store = CachedTrackerStore(BotTrackerStore("tsw", InMemoryTrackerStore(DOMAIN)))
    await saved_conversation(store, "hello", "hi")
    assert store.kept == {}
    assert (await store.retrieve("citizen")).sender_id == "citizen"




async def test_a_cache_size_of_zero_turns_it_off(tmp_path, monkeypatch):
    from bots.storage.tracker_cache import cache_size

    monkeypatch.setenv("HKBOT_TRACKER_CACHE", "0")
    store = CachedTrackerStore(BotTrackerStore("dog_licence", sql_store(tmp_path / "t.db")), cache_size())
    await saved_conversation(store, "hello", "hi")
    assert store.kept == {} and (await store.retrieve("citizen")).sender_id == "citizen"
    monkeypatch.setenv("HKBOT_TRACKER_CACHE", "many")
    assert cache_size() == 500


def event_rows(path):
    from bots.storage.event_rows import EventRows

    store = sql_store(path)
    return EventRows(store.engine, store.SQLEvent.__table__)


def row(key: str, text: str) -> dict:
    return {"sender_id": key, "type_name": "user", "timestamp": time.time(), "intent_name": "faq", "action_name": None,
            "data": f'{{"event": "user", "text": "{text}"}}'}


def test_appends_happen_only_on_the_version_they_were_meant_for(tmp_path):
    rows_of = event_rows(tmp_path / "t.db")
    assert rows_of.version("k") == (0, None)
    first = rows_of.append("k", (0, None), [row("k", "a"), row("k", "b")])
    assert first is not None and first[0] == 2 and rows_of.version("k") == first
    assert rows_of.append("k", (0, None), [row("k", "stale")]) is None  # someone else wrote meanwhile
    assert [r[5] for r in rows(tmp_path / "t.db")] == ['{"event": "user", "text": "a"}', '{"event": "user", "text": "b"}']
    assert rows_of.append("k", first, []) == first


def test_a_failed_append_writes_nothing_and_leaves_the_pool_usable(tmp_path):
    rows_of = event_rows(tmp_path / "t.db")
    broken = row("k", "half")
    del broken["data"]
    with pytest.raises(KeyError):
        rows_of.append("k", (0, None), [row("k", "whole"), broken])
    assert rows_of.version("k") == (0, None) and rows(tmp_path / "t.db") == []
    assert rows_of.append("k", (0, None), [row("k", "again")])[0] == 1


def test_an_append_waits_for_another_writer_instead_of_interleaving(tmp_path):
    rows_of = event_rows(tmp_path / "t.db")
    rows_of.append("k", (0, None), [row("k", "a")])
    other = sqlite3.connect(tmp_path / "t.db", timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("INSERT INTO events (sender_id, type_name, data) VALUES ('k', 'user', '{}')")
    import threading

    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    assert rows_of.append("k", (1, 1), [row("k", "b")]) is None  # saw the other row once it was committed
    assert rows_of.version("k")[0] == 2


async def test_the_tracker_just_saved_is_handed_over_once(tmp_path):
    store = cached(tmp_path / "t.db")
    tracker = await saved_conversation(store, "hello", "hi")
    assert store.take_saved("citizen") is tracker
    assert store.take_saved("citizen") is None  # once; later readers go to the store
    assert [e.as_dict() for e in (await store.retrieve("citizen")).events] == [e.as_dict() for e in latest_session(list(tracker.events))]


async def test_the_console_is_handed_the_turns_tracker_through_rasas_fail_safe_store(trained_models, tmp_path, monkeypatch):
    """A real Agent wraps our stores in Rasa's FailSafeTrackerStore: the console still takes the saved tracker, not a re-read."""
    import sqlalchemy as sa
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import FailSafeTrackerStore

    from bots.runtime import agents as bot_runtime
    from bots.runtime.hooks import Hooks
    from hkbot.bot_config import load_bots
    from console import capture, store

    monkeypatch.setenv("HKBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HKBOT_CONSOLE_DB", raising=False)
    runtime = bot_runtime.load_runtime(load_bots(["dog_licence"])["dog_licence"], trained_models["dog_licence"])
    assert isinstance(runtime.agent.tracker_store, FailSafeTrackerStore)  # what hid `take_saved` from the console
    cache = bot_runtime.find_store(runtime, CachedTrackerStore)
    assert cache is not None and cache.sql is not None
    reads: list[str] = []
    read = cache.retrieve

    async def counted(sender_id):
        reads.append(sender_id)
        return await read(sender_id)

    monkeypatch.setattr(cache, "retrieve", counted)
    recorder = capture.TurnCapture()
    listeners = Hooks("turn listener")
    listeners.add(recorder.on_turn)
    output = CollectingOutputChannel()
    await bot_runtime.handle_message(runtime, UserMessage("狗牌幾錢呀", output, "citizen-9", input_channel="rest"), listeners)
    await recorder.drain()
    assert output.messages  # the citizen was answered
    assert "citizen-9" not in cache.just_saved  # handed over to the console, once
    reads_in_turn = reads.count("citizen-9")
    assert reads_in_turn == 1  # Rasa's own read at the start of the turn; the console read nothing back
    with store.engine().connect() as connection:
        turns = connection.execute(sa.select(store.turns.c.bot, store.turns.c.kind)).all()
    assert turns == [("dog_licence", "answer")]

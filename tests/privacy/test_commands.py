"""`hkbot privacy purge | export | delete` on a real SQLite tracker database written by Rasa's SQLTrackerStore."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bots.runtime.agents import BotTrackerStore, tracker_db_path
from bots.storage.redacting import wrap_tracker_store
from privacy.pseudonym import sender_pseudonym
from privacy.retention import old_session_ids
from privacy.tracker_db import default_tracker_db_url

DAY = 86_400
NOW = time.time()
HKBOT = [str(Path(sys.executable).parent / "hkbot")]

BOT_YML = """name: {name}
display_name: {{en: "Test bot", zh-Hant: "測試"}}
languages: [en, zh-Hant]
default_language: en
knowledge_bases: [{name}]
greeting: {{en: "Hello, I am a virtual assistant.", zh-Hant: "你好，我是虛擬助理。"}}
channels: [rest]
{privacy}
"""


def session(start: float, text: str) -> list:
    """One conversation session as Rasa logs it, starting at `start` (epoch seconds)."""
    return [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 0.001),
        ActionExecuted("action_listen", timestamp=start + 0.002),
        UserUttered(text, intent={"name": "faq"}, timestamp=start + 1),
        BotUttered(f"answer to {text}", timestamp=start + 2),
        ActionExecuted("action_listen", timestamp=start + 3),
    ]


async def store_conversation(store, bot: str, sender: str, *sessions: list) -> None:
    tracker = DialogueStateTracker(sender, [])
    for events in sessions:
        for event in events:
            tracker.update(event)
    await wrap_tracker_store(BotTrackerStore(bot, store), None).save(tracker)


@pytest.fixture()
def data(tmp_path, monkeypatch):
    """A data dir with a real tracker DB, a feedback DB, and bots dog_licence (7 days) and tsw (default)."""
    data_dir, bots_dir = tmp_path / "data", tmp_path / "bots"
    data_dir.mkdir()
    for name, block in (("dog_licence", "privacy: {retention_days: 7}"), ("tsw", "")):
        (bots_dir / name).mkdir(parents=True)
        (bots_dir / name / "bot.yml").write_text(BOT_YML.format(name=name, privacy=block), encoding="utf-8")
    monkeypatch.setenv("HKBOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HKBOT_BOTS_DIR", str(bots_dir))
    monkeypatch.delenv("HKBOT_ENDPOINTS", raising=False)
    monkeypatch.delenv("HKBOT_RETENTION_DAYS", raising=False)
    return data_dir


def hkbot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(HKBOT + list(args), capture_output=True, text=True, timeout=120, env=os.environ.copy())


def keys_in(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id").fetchall())


async def fill(data_dir: Path) -> Path:
    db = data_dir / "trackers.sqlite3"
    store = SQLTrackerStore(dialect="sqlite", db=str(db))
    await store_conversation(store, "dog_licence", "old", session(NOW - 10 * DAY, "fee for 9123 4567?"))
    await store_conversation(store, "dog_licence", "recent", session(NOW - 2 * DAY, "how to renew"))
    await store_conversation(store, "tsw", "old", session(NOW - 10 * DAY, "tsw account"))  # tsw keeps 30 days
    await store_conversation(store, "tsw", "ancient", session(NOW - 40 * DAY, "tsw fee"))
    # a returning citizen: an old session, then a new one in use
    await store_conversation(store, "dog_licence", "returning", session(NOW - 20 * DAY, "first visit"), session(NOW - 1 * DAY, "second visit"))
    await store_conversation(store, "tsw", "citizen-x", session(NOW - 1 * DAY, "my email a@b.hk"))
    await store_conversation(store, "dog_licence", "citizen-x", session(NOW - 1 * DAY, "dog fee"))
    await store_conversation(store, "dog_licence", "other-citizen", session(NOW - 1 * DAY, "dog fee"))
    return db


def test_the_default_database_is_the_one_the_server_writes(data):
    assert default_tracker_db_url() == f"sqlite:///{tracker_db_path()}"


async def test_purge_follows_each_bots_retention_and_keeps_live_sessions(data):
    db = await fill(data)
    before = keys_in(db)

    dry = hkbot("privacy", "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dog_licence: would delete" in dry.stdout
    assert keys_in(db) == before

    result = hkbot("privacy", "purge")
    assert result.returncode == 0, result.stderr
    after = keys_in(db)
    assert "dog_licence:old" not in after  # 10 days > 7
    assert "tsw:ancient" not in after  # 40 days > 30
    assert after["tsw:old"] == before["tsw:old"]  # 10 days < 30
    assert after["dog_licence:recent"] == before["dog_licence:recent"]
    assert after["dog_licence:returning"] == before["dog_licence:returning"] // 2  # old session gone, new kept
    with sqlite3.connect(db) as connection:
        texts = [json.loads(row[0]).get("text") for row in connection.execute("SELECT data FROM events WHERE sender_id = 'dog_licence:returning'")]
    assert "second visit" in texts and "first visit" not in texts
    assert "dog_licence: deleted" in result.stdout and "tsw: deleted" in result.stdout

    # the server's store still reads the kept session
    store = BotTrackerStore("dog_licence", SQLTrackerStore(dialect="sqlite", db=str(db)))
    tracker = await store.retrieve("returning")
    assert tracker.latest_message.text == "second visit"


async def test_purge_days_overrides_every_bot(data):
    db = await fill(data)
    result = hkbot("privacy", "purge", "--days", "5", "--bot", "tsw")
    assert result.returncode == 0, result.stderr
    after = keys_in(db)
    assert "tsw:old" not in after and "tsw:ancient" not in after
    assert "dog_licence:old" in after  # --bot tsw leaves other bots alone
    assert hkbot("privacy", "purge", "--days", "0").returncode == 2


async def test_export_prints_the_senders_stored_conversations(data):
    await fill(data)
    result = hkbot("privacy", "export", "citizen-x")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["sender"] == "citizen-x"
    assert sorted(c["bot"] for c in record["conversations"]) == ["dog_licence", "tsw"]
    texts = [e.get("text") for c in record["conversations"] for e in c["events"] if e["event"] == "user"]
    assert sorted(texts) == ["dog fee", "my email [EMAIL]"]  # stored redacted

    one = json.loads(hkbot("privacy", "export", "citizen-x", "--bot", "tsw").stdout)
    assert [c["key"] for c in one["conversations"]] == ["tsw:citizen-x"]

    nobody = hkbot("privacy", "export", "nobody")
    assert json.loads(nobody.stdout)["conversations"] == [] and "nothing stored" in nobody.stderr


async def test_delete_erases_the_sender_and_their_feedback_only(data):
    from actions.feedback_store import FeedbackStore

    db = await fill(data)
    feedback = FeedbackStore()  # data_dir()/feedback.sqlite3
    feedback.record("dog_licence", "dog_licence.fee", True, "citizen-x")
    feedback.record("tsw", "tsw.fee", False, "citizen-x")
    feedback.record("dog_licence", "dog_licence.fee", True, "other-citizen")

    exported = json.loads(hkbot("privacy", "export", "citizen-x").stdout)
    assert len(exported["other_records"]["feedback"]) == 2

    result = hkbot("privacy", "delete", "citizen-x", "--bot", "tsw")
    assert result.returncode == 0, result.stderr
    assert "tsw:citizen-x" not in keys_in(db) and "dog_licence:citizen-x" in keys_in(db)
    assert len(feedback.all()) == 2

    result = hkbot("privacy", "delete", "citizen-x")
    assert result.returncode == 0, result.stderr
    assert "deleted conversation dog_licence:citizen-x" in result.stdout
    after = keys_in(db)
    assert not any(key.endswith(":citizen-x") for key in after)
    assert "dog_licence:other-citizen" in after
    assert [f.sender_hash for f in feedback.all()] == [sender_pseudonym("dog_licence", "other-citizen", feedback.key)]
    assert "nothing stored" in hkbot("privacy", "delete", "citizen-x").stdout


async def test_delete_erases_rows_of_the_real_feedback_store(data):
    from actions.feedback_store import FeedbackStore

    await fill(data)
    store = FeedbackStore()  # data_dir()/feedback.sqlite3, with its own random hash key
    store.record("dog_licence", "dog_licence.fee", True, "citizen-x")
    store.record("tsw", "tsw.fee", False, "citizen-x")
    store.record("dog_licence", "dog_licence.fee", True, "other-citizen")
    exported = json.loads(hkbot("privacy", "export", "citizen-x").stdout)
    assert len(exported["other_records"]["feedback"]) == 2
    result = hkbot("privacy", "delete", "citizen-x", "--bot", "dog_licence")
    assert result.returncode == 0 and "deleted 1 rows from feedback" in result.stdout
    assert sorted((f.bot, f.sender_hash == sender_pseudonym(f.bot, "citizen-x", store.key)) for f in store.all()) == [("dog_licence", False), ("tsw", True)]


def test_missing_database_and_non_sql_stores_are_clear_errors(data, tmp_path, monkeypatch):
    result = hkbot("privacy", "export", "someone")
    assert result.returncode == 2 and "no conversations database" in result.stderr
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n  url: localhost\n", encoding="utf-8")
    monkeypatch.setenv("HKBOT_ENDPOINTS", str(endpoints))
    result = hkbot("privacy", "purge")
    assert result.returncode == 2 and "record_exp" in result.stderr and "Traceback" not in result.stderr


def test_endpoints_sql_url_is_built_like_rasas(tmp_path, monkeypatch):
    from privacy.tracker_db import tracker_db_url

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: db.internal\n  port: 5432\n  db: hkbot\n  username: bot\n  password: ${HKBOT_TEST_PW}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HKBOT_TEST_PW", "s3cret")
    assert tracker_db_url(str(endpoints)) == "postgresql://bot:s3cret@db.internal:5432/hkbot"
    assert SQLTrackerStore.get_db_url("postgresql", "db.internal", 5432, "hkbot", "bot", "s3cret").render_as_string(hide_password=False) == tracker_db_url(str(endpoints))


def test_session_boundaries():
    rows = [
        (1, "action", "action_session_start", 0.0),
        (2, "session_started", None, 0.1),
        (3, "user", None, 1.0),
        (4, "action", "action_session_start", 50.0),
        (5, "session_started", None, 50.1),
        (6, "user", None, 51.0),
        (7, "session_started", None, 90.0),  # a session start without the action (older Rasa)
        (8, "user", None, 91.0),
    ]
    assert old_session_ids(rows, cutoff=10) == [1, 2, 3]
    assert old_session_ids(rows, cutoff=60) == [1, 2, 3, 4, 5, 6]
    assert old_session_ids(rows, cutoff=1000) == [1, 2, 3, 4, 5, 6]  # the newest session is handled whole elsewhere
    assert old_session_ids(rows, cutoff=0) == []

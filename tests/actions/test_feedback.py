"""Feedback buttons are stored in a real SQLite file under HKBOT_DATA_DIR, with a hash instead of the sender id."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from actions.feedback_store import FeedbackStore
from privacy.pseudonym import sender_pseudonym
from tests.actions.support import only_response, run, user_message


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HKBOT_DATA_DIR", str(tmp_path))
    return tmp_path


def pressed(topic: str, helpful: str) -> dict:
    return user_message(f'/feedback{{"topic": "{topic}", "helpful": "{helpful}"}}', "feedback", None,
                        entities={"topic": topic, "helpful": helpful})


async def test_feedback_is_stored_with_a_sender_hash(data_dir: Path) -> None:
    sender = "citizen-5f1c@example.org"
    question = user_message("狗牌幾多錢", "faq", "yue")
    yes = only_response(await run("action_record_feedback", "dog_licence", question, pressed("dog_licence.fee", "yes"), sender=sender))
    no = only_response(await run("action_record_feedback", "dog_licence", question, pressed("dog_licence.documents", "no"), sender=sender))
    assert yes["kind"] == "feedback" and yes["language"] == "yue" and "意見" in yes["text"]
    assert [b["payload"] for b in no["buttons"]] == ["/ask_human"]

    database = data_dir / "feedback.sqlite3"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT bot, topic, helpful, created_at, sender_hash FROM feedback ORDER BY id").fetchall()
    assert [(bot, topic, helpful) for bot, topic, helpful, _, _ in rows] == [
        ("dog_licence", "dog_licence.fee", 1), ("dog_licence", "dog_licence.documents", 0),
    ]
    hashes = {row[4] for row in rows}
    assert len(hashes) == 1 and sender not in hashes.pop()
    assert all(row[3] > 1.7e9 for row in rows)
    assert sender.encode() not in database.read_bytes()
    assert FeedbackStore(database).summary() == {
        ("dog_licence", "dog_licence.fee"): (1, 0), ("dog_licence", "dog_licence.documents"): (0, 1),
    }


async def test_forged_or_foreign_feedback_is_not_stored(data_dir: Path) -> None:
    await run("action_record_feedback", "tsw", pressed("dog_licence.fee", "yes"))  # not a tsw topic
    await run("action_record_feedback", "tsw", pressed("tsw.fees", "maybe"))  # not a verdict
    await run("action_record_feedback", "tsw", pressed("<script>alert(1)</script>", "yes"))
    assert FeedbackStore(data_dir / "feedback.sqlite3").all() == []


def test_different_senders_get_different_hashes(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    a, b = store.record("tsw", "tsw.fees", True, "a"), store.record("tsw", "tsw.fees", False, "b")
    assert a.sender_hash != b.sender_hash
    # The key lives in the database: a reopened store hashes the same sender the same way.
    assert sender_pseudonym("tsw", "a", FeedbackStore(tmp_path / "f.sqlite3").key) == a.sender_hash

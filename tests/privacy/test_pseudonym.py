"""Sender pseudonyms are one keyed HMAC: not reversible from a phone number, shared by replicas, older unkeyed rows upgraded."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

import privacy
from console import review, stats, store
from privacy.pseudonym import KEY_ENV, LEGACY_CHARS, pseudonym, stored_key
from privacy.subject_requests import subject_request
from tests.scaleout_services import services  # noqa: F401
from tests.privacy.test_commands import data, hkbot  # noqa: F401
from tests.privacy.test_stores import dbs, named, retention, rows  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
PHONE = "91234567"  # a sender id that is a phone number (e.g. a messaging channel)


def every_phone_hash(bot: str) -> set[str]:
    """What anyone holding a table of pseudonyms could compute without a key (here: a sample of numbers)."""
    numbers = [f"9123{n:04d}" for n in range(4500, 4600)] + [PHONE]
    return {hashlib.sha256(value.encode()).hexdigest()[:length] for number in numbers
            for value in (number, f"{bot}:{number}") for length in (10, 16, 32, 64)}


def test_console_rows_cannot_be_reversed_by_hashing_phone_numbers(dbs):
    stats.record_turn("dog_licence", PHONE, "en", "fallback", None, url=dbs.console)
    review.add("dog_licence", PHONE, "what does a dog licence cost", "en", "fallback", url=dbs.console)
    stored = {r["sender_hash"] for r in rows(dbs.console, store.turns)} | {r["sender_hash"] for r in rows(dbs.console, store.review_items)}
    assert len(stored) == 1  # one citizen, one pseudonym across the console's tables
    assert not stored & every_phone_hash("dog_licence")
    # it is the keyed hash, with the key this database keeps (no HKBOT_SENDER_KEY in this test)
    assert stored == {pseudonym(f"dog_licence:{PHONE}", stored_key(store.engine(dbs.console)))}
    # and the erasure request still finds the citizen by their number
    assert len(named(dbs, "turns").export(subject_request(PHONE))) == 1


def test_one_sender_hash_function_with_the_configured_key(data, monkeypatch, tmp_path):  # noqa: F811
    from actions.feedback_store import FeedbackStore
    from bots.runtime.agents import _sender_tag

    assert not hasattr(privacy, "sender_hash")  # the unkeyed SHA-256 helper is gone
    key = "k" * 40
    monkeypatch.setenv(KEY_ENV, key)
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    stats.record_turn("tsw", PHONE, "en", "answer", "tsw.fees", url=url)
    [turn] = rows(url, store.turns)
    feedback = FeedbackStore(tmp_path / "feedback.sqlite3").record("tsw", "tsw.fees", True, PHONE)
    assert turn["sender_hash"] == pseudonym(f"tsw:{PHONE}", key.encode())
    assert feedback.sender_hash == turn["sender_hash"]  # one citizen of one bot: one pseudonym in every store
    assert stored_key(store.engine(url)) is None  # a configured key is never written into the database
    assert _sender_tag("tsw", PHONE) == turn["sender_hash"][:10]  # and in the log lines
    assert _sender_tag("tsw", PHONE) not in every_phone_hash("tsw")


def test_feedback_rows_hashed_the_old_way_are_still_found_and_erased(tmp_path):
    """Feedback rows written before the one function hashed the bare sender id: export and delete still reach them."""
    import sqlite3

    from actions.feedback_store import FeedbackRows, FeedbackStore

    path = tmp_path / "feedback.sqlite3"
    feedback = FeedbackStore(path)
    with sqlite3.connect(path) as connection:  # a row as the feedback store wrote it before
        connection.execute("INSERT INTO feedback (bot, topic, helpful, created_at, sender_hash) VALUES (?, ?, ?, ?, ?)",
                           ("tsw", "tsw.fees", 1, time.time(), pseudonym(PHONE, feedback.key)))
    feedback.record("tsw", "tsw.register", False, PHONE)
    feedback.record("tsw", "tsw.register", True, "someone-else")
    request = subject_request(PHONE, bots=["tsw"])
    assert sorted(row["topic"] for row in FeedbackRows(path).export(request)) == ["tsw.fees", "tsw.register"]
    assert FeedbackRows(path).delete(request) == 2
    assert [f.topic for f in feedback.all()] == ["tsw.register"]


def test_no_module_hashes_a_sender_but_the_one_function():
    """Every stored or logged sender pseudonym comes from privacy.pseudonym.sender_pseudonym (a scan of the packages)."""
    import ast

    found = []
    for package in ("actions", "bots", "connectors", "console", "knowledge", "nlu", "privacy"):
        for path in sorted((REPO / package).rglob("*.py")):
            if path.relative_to(REPO).as_posix() == "privacy/pseudonym.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name in ("pseudonym", "legacy_hash", "sender_hash", "_sender_hash"):  # the primitives, or a second function
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} {name}")
    assert not found, f"sender hashing outside privacy.pseudonym.sender_pseudonym: {found}"


def test_a_short_configured_key_is_refused_clearly(data, monkeypatch):  # noqa: F811
    (data / "console.sqlite3").touch()
    (data / "trackers.sqlite3").touch()
    monkeypatch.setenv(KEY_ENV, "secret")
    result = hkbot("privacy", "export", "someone")
    assert result.returncode == 2 and KEY_ENV in result.stderr and "Traceback" not in result.stderr


WRITER = """
import sys
from console import stats, store
url = sys.argv[1]
stats.record_turn("dog_licence", sys.argv[2], "en", "answer", None, url=url)
"""


def test_replicas_sharing_a_database_share_its_key(dbs):
    """Two processes writing at once to one console database, no key configured: the same citizen, the same pseudonym."""
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    env["PYTHONPATH"] = str(REPO)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, dbs.console, PHONE], env=env, cwd=REPO) for _ in range(2)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    hashes = [r["sender_hash"] for r in rows(dbs.console, store.turns)]
    assert len(hashes) == 2 and hashes[0] == hashes[1]
    assert len(named(dbs, "turns").export(subject_request(PHONE))) == 2


def test_older_unkeyed_rows_are_found_then_rekeyed_by_purge(dbs):
    """Rows written before this change hold SHA-256 of `<bot>:<sender>`: erasure finds them, purge re-keys them."""
    engine = store.engine(dbs.console)
    now = time.time()
    legacy = hashlib.sha256(f"dog_licence:{PHONE}".encode()).hexdigest()
    with engine.begin() as connection:
        connection.execute(store.turns.insert().values(at=now, day="2026-12-04", bot="dog_licence", language="en", kind="answer", topic=None, sender_hash=legacy))
        connection.execute(store.review_items.insert().values(at=now, bot="dog_licence", group_key="fee", text="fee", language="en", reason="fallback", sender_hash=legacy, status="open"))
    turns, queue = named(dbs, "turns"), named(dbs, "review queue")
    assert len(turns.export(subject_request(PHONE))) == 1 and len(queue.export(subject_request(PHONE))) == 1

    assert turns.purge(retention(), dry_run=True).rekeyed == 1 and rows(dbs.console, store.turns)[0]["sender_hash"] == legacy
    assert turns.purge(retention()).rekeyed == 1 and queue.purge(retention()).rekeyed == 1
    stored = {r["sender_hash"] for r in rows(dbs.console, store.turns) + rows(dbs.console, store.review_items)}
    assert len(stored) == 1 and len(stored.pop()) < LEGACY_CHARS and legacy not in str(rows(dbs.console, store.turns))
    assert not {r["sender_hash"] for r in rows(dbs.console, store.turns)} & every_phone_hash("dog_licence")

    assert turns.delete(subject_request(PHONE)) == 1 and queue.delete(subject_request(PHONE)) == 1
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(store.turns)).scalar() == 0

"""Every store that keeps citizen data is covered by retention, export and erasure, on real SQLite and real PostgreSQL.

One test per registered store (review queue, handoffs with their transcripts, turns, audit
quotes, feedback, conversations), each run on both backends; `hkbot privacy` end to end on
both; and a guard that fails when a table in the code is neither registered nor declared
free of citizen data.
"""
from __future__ import annotations

import ast
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from console import audit, handoffs, review, stats, store
from console.citizen_data import REMOVED
from privacy.citizen_data import NOT_CITIZEN_DATA, Retention, Where, citizen_stores, registered_tables
from privacy.retention import cutoff_function, strictest_cutoff
from privacy.subject_requests import subject_request
from tests.scaleout_services import services  # noqa: F401  (the PostgreSQL fixture)
from tests.privacy.test_commands import DAY, data, hkbot, session, store_conversation  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("actions", "bots", "connectors", "console", "knowledge", "nlu", "privacy")


@dataclass
class Databases:
    backend: str
    tracker: str
    console: str

    def where(self) -> Where:
        return Where(tracker_url=self.tracker, console_url=self.console)

    def tracker_store(self) -> SQLTrackerStore:
        url = sa.engine.make_url(self.tracker)
        if self.backend == "sqlite":
            return SQLTrackerStore(dialect="sqlite", db=url.database)
        return SQLTrackerStore(dialect="postgresql", host=url.host, port=url.port, db=url.database, username=url.username)


@pytest.fixture(params=["sqlite", "postgresql"])
def dbs(request, data, monkeypatch) -> Databases:  # noqa: F811
    """The conversations and console databases: SQLite files in the data dir, or one fresh PostgreSQL database."""
    if request.param == "sqlite":
        found = Databases("sqlite", f"sqlite:///{data / 'trackers.sqlite3'}", f"sqlite:///{data / 'console.sqlite3'}")
    else:
        url = request.getfixturevalue("services").new_database("hkbot_privacy")
        found = Databases("postgresql", url, url)
    monkeypatch.setenv("HKBOT_CONSOLE_DB", found.console)
    monkeypatch.delenv("HKBOT_SENDER_KEY", raising=False)
    return found


def named(dbs: Databases, name: str):
    return next(s for s in citizen_stores(dbs.where()) if s.name == name)


def retention(bots=None) -> Retention:
    """Each bot's retention as configured by the `data` fixture: dog_licence 7 days, tsw 30."""
    cutoff = cutoff_function()
    return Retention(cutoff_of=cutoff, strictest=strictest_cutoff(cutoff), only=bots)


def backdate(url: str, table: sa.Table, condition, **columns) -> None:
    with store.engine(url).begin() as connection:
        connection.execute(table.update().where(condition).values(**columns))


def rows(url: str, table: sa.Table, condition=None) -> list[dict]:
    condition = sa.true() if condition is None else condition
    with store.engine(url).connect() as connection:
        return [dict(r) for r in connection.execute(sa.select(table).where(condition).order_by(table.c.id)).mappings()]


# --------------------------------------------------------------------------- one test per store


def test_review_queue(dbs):
    url = dbs.console
    review.add("dog_licence", "citizen-x", "lost my dog licence, call 9123 4567", "en", "fallback", url=url)
    review.add("tsw", "citizen-x", "where is my tsw payment", "en", "clarify", url=url)
    review.add("dog_licence", "other-citizen", "dog licence for a puppy", "en", "fallback", url=url)
    queue = named(dbs, "review queue")

    exported = queue.export(subject_request("citizen-x"))
    assert sorted(item["text"] for item in exported) == ["lost my dog licence, call [PHONE]", "where is my tsw payment"]
    assert [item["bot"] for item in queue.export(subject_request("citizen-x", ["tsw"]))] == ["tsw"]

    assert queue.delete(subject_request("citizen-x", ["tsw"])) == 1
    assert queue.delete(subject_request("citizen-x")) == 1
    assert [r["text"] for r in rows(url, store.review_items)] == ["dog licence for a puppy"]

    # retention: dog_licence keeps 7 days, tsw 30 (bot.yml); open or resolved alike
    review.add("tsw", "other-citizen", "tsw appeal form", "en", "fallback", url=url)
    backdate(url, store.review_items, sa.true(), at=time.time() - 10 * DAY)
    review.add("dog_licence", "new-citizen", "dog licence today", "en", "fallback", url=url)
    assert queue.purge(retention(), dry_run=True).deleted == 1 and len(rows(url, store.review_items)) == 3
    assert queue.purge(retention()).deleted == 1
    assert sorted(r["text"] for r in rows(url, store.review_items)) == ["dog licence today", "tsw appeal form"]


def test_handoffs_and_their_transcripts(dbs):
    url = dbs.console
    mine = handoffs.open_handoff("dog_licence", "citizen-x", "en", [("citizen", "my HKID is A123456(3)"), ("bot", "an officer will help")], url)
    handoffs.add_message(mine.id, "agent", "Hello, I am an officer", url)
    handoffs.add_message(mine.id, "citizen", "thanks, my e-mail is x@example.org", url)
    theirs = handoffs.open_handoff("tsw", "other-citizen", "en", [("citizen", "tsw help")], url)
    desk = named(dbs, "handoffs")

    [exported] = desk.export(subject_request("citizen-x"))
    assert exported["bot"] == "dog_licence" and len(exported["messages"]) == 4
    assert "A123456" not in json.dumps(exported) and "x@example.org" not in json.dumps(exported)
    assert desk.export(subject_request("citizen-x", ["tsw"])) == []

    assert desk.delete(subject_request("citizen-x")) == 5  # the handoff and its 4 messages
    assert rows(url, store.handoff_messages, store.handoff_messages.c.handoff_id == mine.id) == []
    assert [h["id"] for h in rows(url, store.handoffs)] == [theirs.id]

    # retention: a handoff goes with its transcript once its last activity is older than its bot's retention
    handoffs.set_status(theirs.id, "closed", url=url)
    old = time.time() - 40 * DAY
    backdate(url, store.handoffs, store.handoffs.c.id == theirs.id, created_at=old, closed_at=old + 60)
    backdate(url, store.handoff_messages, store.handoff_messages.c.handoff_id == theirs.id, at=old)
    recent = handoffs.open_handoff("tsw", "waiting-citizen", "en", [("citizen", "still waiting")], url)
    backdate(url, store.handoffs, store.handoffs.c.id == recent.id, created_at=old)  # an old start, but a message today
    assert desk.purge(retention()).deleted == 2
    assert [h["id"] for h in rows(url, store.handoffs)] == [recent.id]
    assert [m["handoff_id"] for m in rows(url, store.handoff_messages)] == [recent.id]


def test_turns(dbs):
    url = dbs.console
    stats.record_turn("dog_licence", "citizen-x", "en", "answer", "dog_licence.fee", url=url)
    stats.record_turn("tsw", "citizen-x", "zh-Hant", "fallback", None, url=url)
    stats.record_turn("tsw", "other-citizen", "en", "answer", "tsw.fees", url=url)
    turns = named(dbs, "turns")

    assert sorted(t["bot"] for t in turns.export(subject_request("citizen-x"))) == ["dog_licence", "tsw"]
    assert turns.delete(subject_request("citizen-x", ["dog_licence"])) == 1
    assert turns.delete(subject_request("citizen-x")) == 1
    assert [t["topic"] for t in rows(url, store.turns)] == ["tsw.fees"]

    # retention: an old turn keeps counting on the dashboard, but no longer links to its citizen
    backdate(url, store.turns, sa.true(), at=time.time() - 40 * DAY)
    stats.record_turn("tsw", "other-citizen", "en", "answer", "tsw.fees", url=url)
    assert turns.purge(retention()).anonymised == 1
    assert [t["sender_hash"] == "" for t in rows(url, store.turns)] == [True, False]
    assert len(turns.export(subject_request("other-citizen"))) == 1


def test_audit_quotes(dbs):
    url = dbs.console
    review.add("dog_licence", "citizen-x", "can my dog wear two tags", "en", "fallback", url=url)
    review.add("dog_licence", "other-citizen", "licence for a cat", "en", "fallback", url=url)
    [mine] = [g for g in review.groups(url=url) if "tags" in g.text]
    [theirs] = [g for g in review.groups(url=url) if "cat" in g.text]
    audit.record("officer", "review.attach", "dog_licence.tags", f"en: {mine.text}", url)
    audit.record("officer", "review.dismiss", mine.key[:200], "1 message(s)", url)
    audit.record("officer", "review.attach", "dog_licence.fee", f"en: {theirs.text}", url)
    audit.record("officer", "publish", "version 2", "all drafts", url)
    quotes = named(dbs, "audit quotes")

    assert [line["action"] for line in quotes.export(subject_request("citizen-x"))] == ["review.attach", "review.dismiss"]
    assert quotes.delete(subject_request("citizen-x")) == 2
    lines = rows(url, store.audit)
    assert len(lines) == 4  # who did what, when: kept
    assert [(line["target"], line["detail"]) for line in lines[:2]] == [("dog_licence.tags", REMOVED), (REMOVED, "1 message(s)")]
    assert lines[2]["detail"] == f"en: {theirs.text}" and "two tags" not in json.dumps(lines)

    # retention: quotes older than the shortest retention (dog_licence, 7 days) are removed
    backdate(url, store.audit, store.audit.c.id == lines[2]["id"], at=time.time() - 8 * DAY)
    audit.record("officer", "review.attach", "dog_licence.fee", f"en: {theirs.text}", url)
    assert quotes.purge(retention()).anonymised == 1
    assert [line["detail"] for line in rows(url, store.audit)][2:] == [REMOVED, "all drafts", f"en: {theirs.text}"]


def test_feedback(data):  # noqa: F811  (always SQLite: data_dir()/feedback.sqlite3)
    from actions.feedback_store import FeedbackStore

    feedback = FeedbackStore()
    feedback.record("dog_licence", "dog_licence.fee", True, "citizen-x", at=time.time() - 8 * DAY)
    feedback.record("tsw", "tsw.fees", False, "citizen-x", at=time.time() - 8 * DAY)
    feedback.record("tsw", "tsw.fees", True, "other-citizen")
    rows_ = named(Databases("sqlite", "", ""), "feedback")
    assert len(rows_.export(subject_request("citizen-x"))) == 2
    # retention: the dog_licence verdict (7 days) loses its sender link; tsw (30 days) and the counts stay
    assert rows_.purge(retention()).anonymised == 1
    assert [f.sender_hash == "" for f in feedback.all()] == [True, False, False]
    assert feedback.summary()[("dog_licence", "dog_licence.fee")] == (1, 0)
    assert len(rows_.export(subject_request("citizen-x"))) == 1
    assert rows_.delete(subject_request("citizen-x")) == 1 and len(feedback.all()) == 2


async def test_conversations(dbs):
    tracker = dbs.tracker_store()
    now = time.time()
    await store_conversation(tracker, "dog_licence", "citizen-x", session(now - DAY, "dog fee"))
    await store_conversation(tracker, "tsw", "citizen-x", session(now - DAY, "tsw fee"))
    await store_conversation(tracker, "dog_licence", "old-citizen", session(now - 10 * DAY, "old question"))
    conversations = named(dbs, "conversations")
    assert sorted(c["key"] for c in conversations.export(subject_request("citizen-x"))) == ["dog_licence:citizen-x", "tsw:citizen-x"]
    assert conversations.purge(retention()).deleted == 6  # old-citizen's one session (dog_licence keeps 7 days)
    assert conversations.delete(subject_request("citizen-x", ["tsw"])) == 6
    assert [c["key"] for c in conversations.export(subject_request("citizen-x"))] == ["dog_licence:citizen-x"]


# --------------------------------------------------------------------------- the command, end to end


async def test_hkbot_privacy_covers_every_store(dbs):
    from actions.feedback_store import FeedbackStore

    await store_conversation(dbs.tracker_store(), "dog_licence", "citizen-x", session(time.time() - DAY, "dog fee"))
    await store_conversation(dbs.tracker_store(), "dog_licence", "other-citizen", session(time.time() - DAY, "dog fee"))
    for sender in ("citizen-x", "other-citizen"):
        review.add("dog_licence", sender, f"question of {sender}", "en", "fallback", url=dbs.console)
        stats.record_turn("dog_licence", sender, "en", "fallback", None, url=dbs.console)
        handoffs.open_handoff("dog_licence", sender, "en", [("citizen", f"help {sender}")], dbs.console)
        FeedbackStore().record("dog_licence", "dog_licence.fee", True, sender)
    audit.record("officer", "review.attach", "dog_licence.fee", "en: question of citizen-x", dbs.console)
    where = ["--db", dbs.tracker, "--console-db", dbs.console]

    exported = json.loads(hkbot("privacy", "export", "citizen-x", *where).stdout)
    assert [c["key"] for c in exported["conversations"]] == ["dog_licence:citizen-x"]
    assert sorted(exported["other_records"]) == ["audit quotes", "feedback", "handoffs", "review queue", "turns"]
    assert all(len(found) == 1 for found in exported["other_records"].values())
    assert "other-citizen" not in json.dumps(exported)

    result = hkbot("privacy", "delete", "citizen-x", *where)
    assert result.returncode == 0, result.stderr
    for name in ("audit quotes", "feedback", "handoffs", "review queue", "turns"):
        assert f" from {name}" in result.stdout
    after = json.loads(hkbot("privacy", "export", "citizen-x", *where).stdout)
    assert after["conversations"] == [] and after["other_records"] == {}
    assert len(json.loads(hkbot("privacy", "export", "other-citizen", *where).stdout)["other_records"]) == 4

    purge = hkbot("privacy", "purge", "--dry-run", *where)
    assert purge.returncode == 0, purge.stderr
    assert "dog_licence: would delete 0 events" in purge.stdout
    for name in ("feedback", "handoffs", "review queue", "turns", "audit quotes"):
        assert f"{name}: nothing older than retention" in purge.stdout


def test_an_unreachable_console_database_is_one_clear_line(data):  # noqa: F811
    (data / "trackers.sqlite3").touch()
    result = hkbot("privacy", "export", "someone", "--console-db", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 2 and "console database" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- no store can be forgotten


def tables_in_code() -> dict[str, str]:
    """Every table the code defines (SQLAlchemy `Table("name", ...)` or SQL `CREATE TABLE name`): name -> file."""
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "Table" \
                        and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found[node.args[0].value] = str(path.relative_to(REPO))
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for name in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?\"?(\w+)", node.value, flags=re.I):
                        found[name] = str(path.relative_to(REPO))
    return found


def test_every_table_is_a_registered_store_or_declared_free_of_citizen_data():
    tables = tables_in_code()
    assert {"events", "console_review_items", "console_handoff_messages", "feedback"} <= set(tables) | {"events"}
    registered = registered_tables(Where())
    forgotten = {name: path for name, path in tables.items() if name not in registered and name not in NOT_CITIZEN_DATA}
    assert forgotten == {}, f"tables that may hold citizen data but no store in privacy.citizen_data covers: {forgotten}"
    assert registered >= {"events", "feedback", "console_review_items", "console_handoffs", "console_handoff_messages", "console_turns", "console_audit"}
    stale = (registered - {"events"}) - set(tables)  # `events` is Rasa's own table
    assert stale == set()


def test_the_guard_notices_a_new_unregistered_table(tmp_path, monkeypatch):
    """The scan above really finds tables: a new module with one would fail it."""
    package = tmp_path / "console"
    package.mkdir()
    (package / "chat_log.py").write_text('import sqlalchemy as sa\nlog = sa.Table(\n    "console_chat_log", sa.MetaData())\n')
    monkeypatch.setattr(__import__(__name__, fromlist=["REPO"]), "REPO", tmp_path)
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGES"]), "PACKAGES", ("console",))
    assert tables_in_code() == {"console_chat_log": "console/chat_log.py"}
    assert "console_chat_log" not in registered_tables(Where()) | set(NOT_CITIZEN_DATA)

"""PostgreSQL or Redis restarts under two replicas, and invalid knowledge changes: nothing is lost, the old keeps serving."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import sqlalchemy as sa

from actions.sources import without_source
from knowledge.db_store import KnowledgeDatabase, PublishError, versions_table
from tests.scaleout_services import BOT, Conversation, replicas, services, stored_user_texts, wait_until  # noqa: F401

FEE = "dog_licence.fee"
FEE_QUESTION = "How much is a dog licence?"


def fee_answer(server) -> str:
    answer = Conversation().reply(server, FEE_QUESTION)
    assert answer["label"] == FEE, answer
    return answer["text"]


def test_postgresql_restart_mid_conversation_loses_nothing(replicas):
    chat = Conversation()
    assert chat.reply(replicas.a, "/request_checklist")["slot"] == "dog_application"
    replicas.services.restart("postgres")  # every pooled connection of both replicas dies here
    assert chat.reply(replicas.b, '/choose{"dog_application": "renewal"}')["slot"] == "dog_applicant"
    checklist = chat.reply(replicas.a, "叫屋企人幫我去")
    assert checklist["kind"] == "checklist" and "舊犬隻牌照" in checklist["text"]
    assert stored_user_texts(replicas.database_url, BOT, chat.sender) == [
        "/request_checklist", '/choose{"dog_application": "renewal"}', "叫屋企人幫我去",
    ]
    assert fee_answer(replicas.b)  # the knowledge store's own connections came back too


def test_a_message_sent_while_postgresql_starts_waits_for_it(replicas):
    """The SQL store retries connecting, so a turn during a short outage is answered, not lost."""
    import threading

    chat = Conversation()
    assert chat.reply(replicas.a, "English please")["language"] == "en"
    replicas.services.stop("postgres")
    restart = threading.Timer(2.0, replicas.services.start, args=("postgres",))
    restart.start()
    try:
        answer = chat.reply(replicas.b, "狗牌幾多錢？")  # arrives while PostgreSQL is down
    finally:
        restart.join()
    assert (answer["label"], answer["language"]) == (FEE, "en")
    assert stored_user_texts(replicas.database_url, BOT, chat.sender) == ["English please", "狗牌幾多錢？"]


def test_redis_restart_mid_conversation_loses_nothing(replicas, monkeypatch):
    chat = Conversation()
    assert chat.reply(replicas.a, "English please")["language"] == "en"
    replicas.services.restart("redis")  # locks and notice subscriptions are gone
    for server in (replicas.b, replicas.a):
        answer = chat.reply(server, "狗牌幾多錢？")
        assert (answer["label"], answer["language"]) == (FEE, "en")
    assert stored_user_texts(replicas.database_url, BOT, chat.sender) == ["English please", "狗牌幾多錢？", "狗牌幾多錢？"]

    # Knowledge changes still reach both replicas after the restart (within 5 s: a generous bound, as a
    # loaded 2-core CI machine is slow; propagation speed itself is `hkbot bench load`'s job).
    monkeypatch.setenv("HKBOT_NOTICES_URL", replicas.services.redis_url)
    database = KnowledgeDatabase(replicas.database_url)
    entry = next(dict(e) for e in database.published() if e["id"] == FEE)
    entry["answer"] = {**entry["answer"], "en": f"(after redis restart {uuid.uuid4().hex[:6]}) {entry['answer']['en']}"}
    database.save_draft(entry, author="faults-test")
    database.publish("faults-test", [FEE])
    for server in (replicas.b, replicas.a):
        served, _ = wait_until(lambda: fee_answer(server) == without_source(entry["answer"]["en"], entry["source"]), timeout=5)
        assert served


def test_an_invalid_knowledge_change_is_refused_and_the_old_keeps_serving(replicas):
    database = KnowledgeDatabase(replicas.database_url)
    before = {server.url: fee_answer(server) for server in replicas.both()}
    latest = database.latest_number()
    entry = next(dict(e) for e in database.published() if e["id"] == FEE)
    entry["answer"] = {**entry["answer"], "en": "Free now!"}
    entry["related"] = ["dog_licence.no_such_topic"]
    database.save_draft(entry, author="faults-test")
    with pytest.raises(PublishError) as refused:
        database.publish("faults-test", [FEE])
    assert refused.value.problems and any(FEE in p.message for p in refused.value.problems)
    database.discard_draft(FEE)
    assert database.latest_number() == latest
    time.sleep(1.5)  # longer than the replicas' polling interval
    assert {server.url: fee_answer(server) for server in replicas.both()} == before


def test_a_broken_version_written_behind_the_console_s_back_is_not_served(replicas):
    """A version that never passed validation (written by hand in the database): both replicas keep the last good one."""
    database = KnowledgeDatabase(replicas.database_url)
    before = {server.url: fee_answer(server) for server in replicas.both()}
    broken = [dict(e) for e in database.published()]
    for item in broken:
        if item["id"] == FEE:
            item.pop("answer")  # no answer at all
    number = database.latest_number() + 1
    with database.engine.begin() as connection:
        connection.execute(versions_table.insert().values(
            number=number, created_at=time.time(), author="by-hand", message="broken", entries=json.dumps(broken, ensure_ascii=False), fingerprint="",
        ))
    try:
        time.sleep(2.0)
        assert {server.url: fee_answer(server) for server in replicas.both()} == before
        for server in replicas.both():
            assert "Knowledge change refused" in server.log_path.read_text()
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.delete(versions_table).where(versions_table.c.number == number))

"""Change notices over real Redis, and the database-polling fallback, on a real PostgreSQL knowledge database."""
from __future__ import annotations

import uuid

import pytest

from knowledge import notices
from knowledge.db_store import DatabaseSource, KnowledgeDatabase
from knowledge.store import KnowledgeStore
from tests.conftest import free_port
from tests.scaleout_services import services, wait_until  # noqa: F401

FEE = "dog_licence.fee"


@pytest.fixture()
def database(services) -> KnowledgeDatabase:
    """A fresh PostgreSQL knowledge database holding the seed."""
    from hkbot.settings import knowledge_dir

    db = KnowledgeDatabase(services.new_database())
    assert db.seed_from(knowledge_dir()) == 1
    return db


def change_fee(database: KnowledgeDatabase) -> str:
    entry = next(dict(e) for e in database.published() if e["id"] == FEE)
    marker = f"notice {uuid.uuid4().hex[:6]}"
    entry["answer"] = {**entry["answer"], "en": f"({marker}) {entry['answer']['en']}"}
    database.save_draft(entry, author="notices-test")
    database.publish("notices-test", [FEE])
    return entry["answer"]["en"]


def test_a_notice_reloads_a_replica_that_does_not_poll(database, services, monkeypatch):
    monkeypatch.setenv(notices.NOTICES_ENV, services.redis_url)
    monkeypatch.setenv(notices.CHANNEL_ENV, f"hkbot:test:{uuid.uuid4().hex[:8]}")
    replica = KnowledgeStore(DatabaseSource(KnowledgeDatabase(database.url)))  # no watcher: only notices reach it
    listener = notices.listen_for_changes(replica)
    try:
        assert listener is not None and listener.wait_connected(5)
        expected = change_fee(database)
        reloaded, seconds = wait_until(lambda: replica.entry(FEE).answer["en"] == expected, timeout=2)
        assert reloaded, "the notice did not reach the replica within 2 s"
    finally:
        notices.stop_listening(replica)
    assert replica.version == 2


def test_without_redis_polling_the_version_number_still_delivers_within_two_seconds(database, monkeypatch):
    monkeypatch.setenv(notices.NOTICES_ENV, "off")
    replica = KnowledgeStore(DatabaseSource(KnowledgeDatabase(database.url)))
    assert notices.listen_for_changes(replica) is None
    replica.start_watching()
    try:
        expected = change_fee(database)
        reloaded, _ = wait_until(lambda: replica.entry(FEE).answer["en"] == expected, timeout=2)
        assert reloaded
    finally:
        replica.stop_watching()


def test_a_publish_while_redis_is_unreachable_still_succeeds(database, monkeypatch):
    monkeypatch.setenv(notices.NOTICES_ENV, f"redis://127.0.0.1:{free_port()}/0")
    expected = change_fee(database)  # announce() fails quietly; the version is committed
    assert database.version().by_id()[FEE]["answer"]["en"] == expected
    assert notices.announce(database.latest_number()) is False


def test_the_lock_store_redis_of_endpoints_yml_carries_the_notices(tmp_path, monkeypatch):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("lock_store:\n  type: redis\n  url: 10.0.0.5\n  port: 6380\n  db: 2\n  password: s3cret\n")
    monkeypatch.delenv(notices.NOTICES_ENV, raising=False)
    monkeypatch.setenv("HKBOT_ENDPOINTS", str(endpoints))
    assert notices.notices_url() == "redis://:s3cret@10.0.0.5:6380/2"
    monkeypatch.setenv(notices.NOTICES_ENV, "off")
    assert notices.notices_url() is None


def test_yaml_folders_get_no_listener(tmp_path, services, monkeypatch):
    monkeypatch.setenv(notices.NOTICES_ENV, services.redis_url)
    from hkbot.settings import knowledge_dir

    assert notices.listen_for_changes(KnowledgeStore(knowledge_dir())) is None

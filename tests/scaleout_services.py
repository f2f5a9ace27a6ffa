"""Fixtures for the scale-out and fault tests: real PostgreSQL and Redis, replicas sharing them.

`make test` starts both with `scripts/services.sh` before pytest; run alone, the
`services` fixture starts them itself (and stops them afterwards). Tests are skipped,
saying why, only when PostgreSQL or Redis is not installed at all.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx
import pytest

from bots.bench.services import LocalServices, ServicesUnavailable

#: One bot is enough to prove sharing, and starts in a fraction of the time of three.
BOT = "dog_licence"


@pytest.fixture(scope="session")
def services():
    """PostgreSQL and Redis on loopback: the ones `make test` started, or started here and stopped after."""
    try:
        found = LocalServices.ensure()
    except ServicesUnavailable as error:
        pytest.skip(f"PostgreSQL or Redis is not installed ({error}); `make test` installs them")
    yield found
    found.close()


@dataclass
class Replicas:
    """Two `hkbot serve` processes sharing one PostgreSQL database and one Redis."""

    a: object
    b: object
    database_url: str
    services: LocalServices

    def both(self) -> tuple[object, object]:
        return self.a, self.b


@pytest.fixture(scope="session")
def replicas(services, trained_models, tmp_path_factory):
    """Two replicas of dog_licence on two localhost ports over the same PostgreSQL + Redis (started side by side)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import ServerProcess

    database_url = services.new_database()
    env = {**services.replica_env(tmp_path_factory.mktemp("replicas"), database_url), "HKBOT_DB_RETRY_SECONDS": "15"}
    from knowledge.db_store import KnowledgeDatabase

    KnowledgeDatabase(database_url)  # create the knowledge tables once, before two processes race to
    processes = [ServerProcess(tmp_path_factory.mktemp("replica"), env=env, bots=[BOT]) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda process: process.start(), processes))
        yield Replicas(processes[0], processes[1], database_url, services)
    finally:
        for process in processes:
            process.stop()


class Conversation:
    """One citizen's conversation over the REST channel, each message to whichever server is given."""

    def __init__(self, bot: str = BOT) -> None:
        self.bot = bot
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, server, text: str, timeout: float = 60) -> list[dict]:
        response = httpx.post(f"{server.url}/bots/{self.bot}/webhooks/rest/webhook",
                              json={"sender": self.sender, "message": text}, timeout=timeout)
        assert response.status_code == 200, response.text
        messages = response.json()
        assert all(m["recipient_id"] == self.sender for m in messages), messages
        return messages

    def reply(self, server, text: str) -> dict:
        """The one labelled bot message answering `text`, its metadata flattened in."""
        labelled = [m for m in self.say(server, text) if (m.get("metadata") or {}).get("label")]
        assert len(labelled) == 1, labelled
        return {**labelled[0], **labelled[0]["metadata"]}


def stored_user_texts(database_url: str, bot: str, sender: str) -> list[str]:
    """The user messages of `<bot>:<sender>` in Rasa's `events` table, in order (as stored: redacted)."""
    import json

    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :key AND type_name = 'user' ORDER BY id"),
                {"key": f"{bot}:{sender}"},
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row[0]).get("text") for row in rows]


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Poll `predicate()` until it returns a true value; (value, seconds taken), or (None, timeout)."""
    started = time.monotonic()
    while True:
        value = predicate()
        elapsed = time.monotonic() - started
        if value or elapsed >= timeout:
            return value, elapsed
        time.sleep(interval)

"""Fixtures for the scale-out and fault tests: real PostgreSQL and Redis, replicas sharing them.

`make test` starts both with `scripts/services.sh` before pytest; run alone, the
`services` fixture starts them itself (and stops them afterwards). Tests are skipped,
saying why, only when PostgreSQL or Redis is not installed at all.
"""
from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
SERVICES_SCRIPT = REPO / "scripts" / "services.sh"
#: One bot is enough to prove sharing, and starts in a fraction of the time of three.
BOT = "dog_licence"


def _script(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SERVICES_SCRIPT), *args], capture_output=True, text=True, timeout=180, check=check)


@dataclass
class Services:
    """The running PostgreSQL (`pg_url`, a superuser URL) and Redis (`redis_url`)."""

    pg_url: str
    redis_url: str
    databases: list[str] = field(default_factory=list)

    @property
    def pg_host_port(self) -> tuple[str, int]:
        from sqlalchemy.engine import make_url

        url = make_url(self.pg_url)
        return url.host, int(url.port)

    @property
    def redis_port(self) -> int:
        return int(self.redis_url.rsplit(":", 1)[1].split("/", 1)[0])

    def new_database(self) -> str:
        """A fresh, empty PostgreSQL database; its SQLAlchemy URL (dropped at the end of the session)."""
        import psycopg2

        name = f"hkbot_test_{uuid.uuid4().hex[:10]}"
        connection = psycopg2.connect(self.pg_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        self.databases.append(name)
        return self.pg_url.rsplit("/", 1)[0] + "/" + name

    def drop_databases(self) -> None:
        import psycopg2

        try:
            connection = psycopg2.connect(self.pg_url)
        except psycopg2.Error:
            return
        connection.autocommit = True
        with connection.cursor() as cursor:
            for name in self.databases:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()

    def restart(self, service: str) -> None:
        """Stop and start `postgres` or `redis` (the fault tests' outage)."""
        _script("restart", service)

    def stop(self, service: str) -> None:
        _script("stop", service)

    def start(self, service: str) -> None:
        _script("start", service)

    def write_endpoints(self, directory: Path, database_url: str) -> Path:
        """A Rasa endpoints.yml: SQL tracker store on PostgreSQL, Redis lock store (as in the README)."""
        from sqlalchemy.engine import make_url

        url = make_url(database_url)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "endpoints.yml"
        path.write_text(
            "tracker_store:\n"
            "  type: SQL\n  dialect: postgresql\n"
            f"  url: {url.host}\n  port: {url.port}\n  db: {url.database}\n  username: {url.username}\n"
            "lock_store:\n"
            f"  type: redis\n  url: 127.0.0.1\n  port: {self.redis_port}\n  db: 0\n"
        )
        return path


@pytest.fixture(scope="session")
def services():
    """PostgreSQL and Redis on loopback: the ones `make test` started, or started here and stopped after."""
    started_here = _script("status", check=False).returncode != 0
    if started_here:
        result = _script("start", check=False)
        if result.returncode == 3:
            pytest.skip(f"PostgreSQL or Redis is not installed ({result.stderr.strip()}); `make test` installs them")
        assert result.returncode == 0, result.stdout + result.stderr
    values = dict(line.split("=", 1) for line in _script("env").stdout.split())
    found = Services(values["HKBOT_TEST_PG_URL"], values["HKBOT_TEST_REDIS_URL"])
    yield found
    if _script("status", check=False).returncode == 0:
        found.drop_databases()
    if started_here:
        _script("stop", check=False)


@dataclass
class Replicas:
    """Two `hkbot serve` processes sharing one PostgreSQL database and one Redis."""

    a: object
    b: object
    database_url: str
    services: Services

    def both(self) -> tuple[object, object]:
        return self.a, self.b


def replica_env(services: Services, directory: Path, database_url: str) -> dict[str, str]:
    """What each replica is given: the endpoints.yml and the knowledge database URL."""
    return {
        "HKBOT_ENDPOINTS": str(services.write_endpoints(directory, database_url)),
        "HKBOT_KNOWLEDGE_DB": database_url,  # the knowledge store on the same PostgreSQL
        "HKBOT_DB_RETRY_SECONDS": "15",
    }


@pytest.fixture(scope="session")
def replicas(services, trained_models, tmp_path_factory):
    """Two replicas of dog_licence on two localhost ports over the same PostgreSQL + Redis (started side by side)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import ServerProcess

    database_url = services.new_database()
    env = replica_env(services, tmp_path_factory.mktemp("replicas"), database_url)
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

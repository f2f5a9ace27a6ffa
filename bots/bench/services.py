"""Throwaway PostgreSQL and Redis on loopback (`scripts/services.sh`), for the scale-out tests and `hkbot bench load`.

Never for production: the script's PostgreSQL trusts every local connection.
"""
from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from hkbot.settings import PROJECT_ROOT

SERVICES_SCRIPT = PROJECT_ROOT / "scripts" / "services.sh"
#: `scripts/services.sh start` exits with this when PostgreSQL or Redis is not installed.
NOT_INSTALLED = 3


class ServicesUnavailable(RuntimeError):
    """PostgreSQL or Redis is not installed (`scripts/services.sh install` installs them)."""


def run_script(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SERVICES_SCRIPT), *args], capture_output=True, text=True, timeout=180, check=check)


@dataclass
class LocalServices:
    """The running PostgreSQL (`pg_url`, a superuser URL) and Redis (`redis_url`) of `scripts/services.sh`."""

    pg_url: str
    redis_url: str
    started_here: bool = False
    databases: list[str] = field(default_factory=list)

    @classmethod
    def ensure(cls) -> "LocalServices":
        """Use the running services, or start them (`started_here` says so); ServicesUnavailable when not installed."""
        started_here = run_script("status", check=False).returncode != 0
        if started_here:
            result = run_script("start", check=False)
            if result.returncode == NOT_INSTALLED:
                raise ServicesUnavailable(result.stderr.strip() or "PostgreSQL or Redis is not installed")
            if result.returncode != 0:
                raise RuntimeError(f"scripts/services.sh start failed:\n{result.stdout}{result.stderr}")
        values = dict(line.split("=", 1) for line in run_script("env").stdout.split())
        return cls(values["HKBOT_TEST_PG_URL"], values["HKBOT_TEST_REDIS_URL"], started_here)

    @property
    def redis_port(self) -> int:
        return int(self.redis_url.rsplit(":", 1)[1].split("/", 1)[0])

    def new_database(self, prefix: str = "hkbot_test") -> str:
        """A fresh, empty PostgreSQL database; its SQLAlchemy URL (dropped by `close()`)."""
        import psycopg2

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
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
        self.databases.clear()

    def close(self) -> None:
        """Drop our databases; stop the services if we started them."""
        if run_script("status", check=False).returncode == 0:
            self.drop_databases()
        if self.started_here:
            run_script("stop", check=False)

    def restart(self, service: str) -> None:
        """Stop and start `postgres` or `redis` (the fault tests' outage)."""
        run_script("restart", service)

    def stop(self, service: str) -> None:
        run_script("stop", service)

    def start(self, service: str) -> None:
        run_script("start", service)

    def write_endpoints(self, directory: Path, database_url: str) -> Path:
        """A Rasa endpoints.yml: SQL tracker store on PostgreSQL, Redis lock store (as docs/scale-out.md shows)."""
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

    def replica_env(self, directory: Path, database_url: str) -> dict[str, str]:
        """What each replica is given: the endpoints.yml and the knowledge database URL."""
        return {
            "HKBOT_ENDPOINTS": str(self.write_endpoints(directory, database_url)),
            "HKBOT_KNOWLEDGE_DB": database_url,  # the knowledge store on the same PostgreSQL
        }

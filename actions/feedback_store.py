"""Feedback on answers (helpful or not) in SQLite at `hkbot.settings.data_dir()/feedback.sqlite3`.

Stores the bot, topic, verdict, time and the sender's pseudonym (`privacy.pseudonym.sender_pseudonym`),
never the sender id itself (PDPO: feedback must not identify a citizen). The key is
`HKBOT_SENDER_KEY` when set, else random per database, so hashes cannot be matched
against other systems. Registered as a citizen-data store: `hkbot privacy export/delete`
find a sender's rows, and `purge` removes the pseudonym from rows older than retention.
"""
from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from hkbot.settings import data_dir
from privacy.citizen_data import PurgeResult, Retention, SubjectRequest, Where
from privacy.pseudonym import candidates, configured_key, known_keys, sender_pseudonym

FILE_NAME = "feedback.sqlite3"
MAX_FIELD_CHARS = 200

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bot TEXT NOT NULL,
    topic TEXT NOT NULL,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    created_at REAL NOT NULL,
    sender_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_topic ON feedback (bot, topic);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Feedback:
    """One recorded verdict on an answer."""

    bot: str
    topic: str
    helpful: bool
    created_at: float
    sender_hash: str


def default_path() -> Path:
    return data_dir() / FILE_NAME


class FeedbackStore:
    """A small SQLite table of feedback; each call uses its own short connection (safe across threads)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.executescript(SCHEMA)
            connection.execute(
                "INSERT OR IGNORE INTO settings (name, value) VALUES ('sender_key', ?)", (secrets.token_hex(32),)
            )
            self._stored_key = bytes.fromhex(
                connection.execute("SELECT value FROM settings WHERE name = 'sender_key'").fetchone()[0]
            )
        #: The key new rows are written with (`privacy.pseudonym.sender_pseudonym`).
        self.key = configured_key() or self._stored_key

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(self, bot: str, topic: str, helpful: bool, sender_id: str, at: float | None = None) -> Feedback:
        """Store one verdict and return it."""
        feedback = Feedback(
            bot=bot[:MAX_FIELD_CHARS], topic=topic[:MAX_FIELD_CHARS], helpful=bool(helpful),
            created_at=time.time() if at is None else at, sender_hash=sender_pseudonym(bot, sender_id, self.key),
        )
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO feedback (bot, topic, helpful, created_at, sender_hash) VALUES (?, ?, ?, ?, ?)",
                (feedback.bot, feedback.topic, int(feedback.helpful), feedback.created_at, feedback.sender_hash),
            )
        return feedback

    def all(self) -> list[Feedback]:
        """Every verdict, oldest first."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT bot, topic, helpful, created_at, sender_hash FROM feedback ORDER BY id"
            ).fetchall()
        return [Feedback(bot, topic, bool(helpful), created_at, sender_hash) for bot, topic, helpful, created_at, sender_hash in rows]

    def summary(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(bot, topic) -> (helpful count, not helpful count): what operators look at."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT bot, topic, SUM(helpful), SUM(1 - helpful) FROM feedback GROUP BY bot, topic"
            ).fetchall()
        return {(bot, topic): (int(yes), int(no)) for bot, topic, yes, no in rows}


class FeedbackRows:
    """The feedback table as a citizen-data store (no text; a verdict linked to a sender pseudonym)."""

    name = "feedback"
    tables = ("feedback",)
    retention = "rows older than the bot's retention_days lose their sender pseudonym; the verdict counts stay"

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_path()

    def _where(self, request: SubjectRequest) -> tuple[str, list]:
        store = FeedbackStore(self.path)
        hashes = candidates(request.identities, known_keys(store._stored_key), legacy=False)
        where = f"sender_hash IN ({', '.join('?' for _ in hashes)})"
        params: list = list(hashes)
        if request.bots is not None:
            where += f" AND bot IN ({', '.join('?' for _ in request.bots)})"
            params.extend(request.bots)
        return where, params

    def export(self, request: SubjectRequest) -> list[dict]:
        if not self.path.is_file():
            return []
        where, params = self._where(request)
        with sqlite3.connect(self.path, timeout=30) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(f"SELECT * FROM feedback WHERE {where} ORDER BY id", params)]

    def delete(self, request: SubjectRequest) -> int:
        if not self.path.is_file():
            return 0
        where, params = self._where(request)
        with sqlite3.connect(self.path, timeout=30) as connection:
            return connection.execute(f"DELETE FROM feedback WHERE {where}", params).rowcount

    def purge(self, retention: Retention, dry_run: bool = False) -> PurgeResult:
        result = PurgeResult()
        if not self.path.is_file():
            return result
        FeedbackStore(self.path)  # an older file gets its tables
        with sqlite3.connect(self.path, timeout=30) as connection:
            bots = [row[0] for row in connection.execute("SELECT DISTINCT bot FROM feedback WHERE sender_hash != ''")]
            for bot in bots:
                if not retention.covers(bot):
                    continue
                where, params = "bot = ? AND created_at < ? AND sender_hash != ''", [bot, retention.cutoff(bot)]
                if dry_run:
                    result.anonymised += connection.execute(f"SELECT COUNT(*) FROM feedback WHERE {where}", params).fetchone()[0]
                else:
                    result.anonymised += connection.execute(f"UPDATE feedback SET sender_hash = '' WHERE {where}", params).rowcount
        return result


def citizen_stores(where: Where) -> list[FeedbackRows]:
    return [FeedbackRows()]

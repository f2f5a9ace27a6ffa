"""Feedback on answers (helpful or not) in SQLite at `bots.settings.data_dir()/feedback.sqlite3`.

Stores the bot, topic, verdict, time and a keyed hash of the sender, never the
sender id itself (PDPO: feedback must not identify a citizen). The hash key is
random per database, so hashes cannot be matched against other systems.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bots.settings import data_dir

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
            self._key = bytes.fromhex(
                connection.execute("SELECT value FROM settings WHERE name = 'sender_key'").fetchone()[0]
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def sender_hash(self, sender_id: str) -> str:
        """A keyed hash that links one sender's feedback without storing who they are."""
        return hmac.new(self._key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def record(self, bot: str, topic: str, helpful: bool, sender_id: str, at: float | None = None) -> Feedback:
        """Store one verdict and return it."""
        feedback = Feedback(
            bot=bot[:MAX_FIELD_CHARS], topic=topic[:MAX_FIELD_CHARS], helpful=bool(helpful),
            created_at=time.time() if at is None else at, sender_hash=self.sender_hash(sender_id),
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

"""The handoff queue: conversations waiting for an officer, their redacted transcript, and the live chat.

A conversation enters when `action_handoff` sets `handoff_active` (seen by `console.capture`);
an agent takes it, messages go to the citizen through the channel they wrote from (`connectors.gate.deliver`),
and handing back sets `handoff_active` false so the bot answers again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from bots.storage.redacting import public_contacts
from console import store
from privacy import redact

OPEN = ("waiting", "active")


@dataclass(frozen=True)
class Handoff:
    id: int
    bot: str
    sender: str
    language: str
    status: str
    created_at: float
    taken_at: float | None
    closed_at: float | None
    agent: str | None
    urgent: bool = False  # crisis lines were given in the conversation: first in the queue
    urgent_at: float | None = None  # when they were (the creation time for a request made urgent)

    @property
    def waited(self) -> float:
        return (self.taken_at or self.closed_at or time.time()) - self.created_at

    def deadline(self, wait_seconds: float, urgent_wait_seconds: float) -> float:
        """When the citizen is told to call if nobody has taken it: `wait_seconds` after it was made, and for an urgent
        request `urgent_wait_seconds` after it became urgent, if that is sooner (never sooner for being marked late)."""
        deadline = self.created_at + wait_seconds
        if self.urgent:
            deadline = min(deadline, (self.urgent_at or self.created_at) + urgent_wait_seconds)
        return deadline


@dataclass(frozen=True)
class Message:
    id: int
    at: float
    author: str
    text: str

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.at, "author": self.author, "text": self.text}


def _handoff(row) -> Handoff:
    return Handoff(row["id"], row["bot"], row["sender"], row["language"], row["status"], row["created_at"],
                   row["taken_at"], row["closed_at"], row["agent"], bool(row.get("urgent")), row.get("urgent_at"))


def open_handoff(bot: str, sender: str, language: str, transcript: list[tuple[str, str]], url: str | None = None,
                 urgent: bool = False) -> Handoff | None:
    """Queue a conversation (or return the one already open) with its transcript so far; `urgent` (the bot gave
    crisis lines in it) puts it first in the queue.

    None only if the new handoff was erased before it could be read back (a subject erasure at that moment).
    """
    current = find_open(bot, sender, url)
    if current is not None:
        if urgent and not current.urgent:
            mark_urgent(current.id, url)
            return get(current.id, url)
        return current
    now = time.time()
    with store.engine(url).begin() as connection:
        handoff_id = connection.execute(store.handoffs.insert().values(
            bot=bot, sender=sender, language=language or "zh-Hant", status="waiting", created_at=now, urgent=urgent,
            urgent_at=now if urgent else None,
        )).inserted_primary_key[0]
        for author, text in transcript:
            connection.execute(store.handoff_messages.insert().values(handoff_id=handoff_id, at=now, author=author, text=redact(text, keep=public_contacts())[:4000]))
    return get(handoff_id, url)


def mark_urgent(handoff_id: int, url: str | None = None) -> None:
    """Crisis lines were given after the citizen asked for an officer: the handoff moves to the front of the queue."""
    with store.engine(url).begin() as connection:
        connection.execute(store.handoffs.update().where((store.handoffs.c.id == handoff_id) & ~store.handoffs.c.urgent.is_(True))
                           .values(urgent=True, urgent_at=time.time()))


def find_open(bot: str, sender: str, url: str | None = None) -> Handoff | None:
    query = sa.select(store.handoffs).where((store.handoffs.c.bot == bot) & (store.handoffs.c.sender == sender)
                                             & store.handoffs.c.status.in_(OPEN)).order_by(store.handoffs.c.id.desc())
    with store.engine(url).connect() as connection:
        row = connection.execute(query).mappings().first()
    return _handoff(row) if row else None


def get(handoff_id: int, url: str | None = None) -> Handoff | None:
    with store.engine(url).connect() as connection:
        row = connection.execute(sa.select(store.handoffs).where(store.handoffs.c.id == handoff_id)).mappings().first()
    return _handoff(row) if row else None


def queue(statuses: tuple[str, ...] = OPEN, url: str | None = None, limit: int = 200) -> list[Handoff]:
    """Handoffs in the given states, urgent ones first (crisis lines were given), then oldest first (who has waited
    longest comes first)."""
    urgent_first = sa.case((store.handoffs.c.urgent.is_(True), 0), else_=1)
    query = (sa.select(store.handoffs).where(store.handoffs.c.status.in_(statuses))
             .order_by(urgent_first, store.handoffs.c.id).limit(limit))
    with store.engine(url).connect() as connection:
        return [_handoff(r) for r in connection.execute(query).mappings().all()]


def add_message(handoff_id: int, author: str, text: str, url: str | None = None) -> Message:
    """Append a message (redacted) to a handoff's transcript."""
    clean, now = redact(str(text), keep=public_contacts())[:4000], time.time()
    with store.engine(url).begin() as connection:
        message_id = connection.execute(store.handoff_messages.insert().values(
            handoff_id=handoff_id, at=now, author=author, text=clean)).inserted_primary_key[0]
    return Message(message_id, now, author, clean)


def messages(handoff_id: int, after: int = 0, url: str | None = None) -> list[Message]:
    query = sa.select(store.handoff_messages).where((store.handoff_messages.c.handoff_id == handoff_id)
                                                     & (store.handoff_messages.c.id > after)).order_by(store.handoff_messages.c.id)
    with store.engine(url).connect() as connection:
        return [Message(r["id"], r["at"], r["author"], r["text"]) for r in connection.execute(query).mappings().all()]


def set_status(handoff_id: int, status: str, agent: str | None = None, expected: tuple[str, ...] = OPEN,
               url: str | None = None) -> bool:
    """Move a handoff to a new state if it is in one of `expected`; False when someone else moved it first."""
    values: dict = {"status": status}
    if status == "active":
        values.update(taken_at=time.time(), agent=agent)
    elif status in ("closed", "expired"):
        values["closed_at"] = time.time()
    with store.engine(url).begin() as connection:
        return connection.execute(store.handoffs.update().where(
            (store.handoffs.c.id == handoff_id) & store.handoffs.c.status.in_(expected)).values(**values)).rowcount == 1


#: A bot's `handoff.wait_seconds` when its configuration gives none.
DEFAULT_WAIT_SECONDS = 120


def due_at(handoff: Handoff, wait_seconds: dict[str, int], urgent_wait_seconds: dict[str, int] | None = None) -> float:
    """When a request's citizen is told to call, from per-bot waits (a bot's urgent wait defaults to its plain one)."""
    wait = wait_seconds.get(handoff.bot, DEFAULT_WAIT_SECONDS)
    return handoff.deadline(wait, (urgent_wait_seconds or {}).get(handoff.bot, wait))


def overdue(wait_seconds: dict[str, int], now: float | None = None, url: str | None = None,
            urgent_wait_seconds: dict[str, int] | None = None) -> list[Handoff]:
    """Waiting handoffs nobody took within their bot's `handoff.wait_seconds` (`urgent_wait_seconds` for urgent ones)."""
    now = time.time() if now is None else now
    return [handoff for handoff in queue(("waiting",), url) if now >= due_at(handoff, wait_seconds, urgent_wait_seconds)]

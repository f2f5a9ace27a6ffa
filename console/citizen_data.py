"""The console's citizen-data stores (review queue, handoffs and transcripts, turns, audit quotes) for `privacy.citizen_data`.

Each finds a sender's rows (by `sender` or by keyed pseudonym, see `privacy.pseudonym`),
exports and erases them, and ages them out after the bot's retention, on SQLite or
PostgreSQL alike (`HKBOT_CONSOLE_DB`, or `hkbot privacy --console-db`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa

from console import store
from privacy.citizen_data import PurgeResult, Retention, SubjectRequest, Where
from privacy.pseudonym import candidates, known_keys, stored_key, upgrade_legacy

#: Audit actions that quote a citizen's (redacted) message, and the column holding the quote.
QUOTING_ACTIONS = {"review.attach": "detail", "review.drafted": "target", "review.dismiss": "target"}
REMOVED = "[citizen text removed]"


def _engine(url: Optional[str]) -> Optional[sa.engine.Engine]:
    """The console database, or None when it is an SQLite file that does not exist (nothing stored)."""
    url = url or store.default_url()
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" and not Path(parsed.database).is_file():
        return None
    return store.engine(url)


def _rows(engine: sa.engine.Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings().all()]


def _hashes(engine: sa.engine.Engine, request: SubjectRequest) -> list[str]:
    return candidates(request.identities, known_keys(stored_key(engine)))


def _bots(table: sa.Table, request: SubjectRequest) -> Any:
    return sa.true() if request.bots is None else table.c.bot.in_(request.bots)


class _ConsoleStore:
    def __init__(self, url: Optional[str]) -> None:
        self.url = url
        self._engine: Any = False

    @property
    def engine(self) -> Optional[sa.engine.Engine]:
        if self._engine is False:
            self._engine = _engine(self.url)
        return self._engine

    def _existing_engine(self) -> sa.engine.Engine:
        """`engine`, for the helpers of methods that have already returned when there is none."""
        if self.engine is None:  # cannot be: every caller checks `engine` first
            raise RuntimeError("the console database does not exist")
        return self.engine


class _PseudonymRows(_ConsoleStore):
    """Rows keyed by `sender_hash`, with `bot` and `at` columns."""

    table: sa.Table

    def _match(self, request: SubjectRequest) -> Any:
        return self.table.c.sender_hash.in_(_hashes(self.engine, request)) & _bots(self.table, request)

    def export(self, request: SubjectRequest) -> list[dict[str, Any]]:
        if self.engine is None:
            return []
        return _rows(self.engine, sa.select(self.table).where(self._match(request)).order_by(self.table.c.id))

    def delete(self, request: SubjectRequest) -> int:
        if self.engine is None:
            return 0
        with self.engine.begin() as connection:
            return connection.execute(self.table.delete().where(self._match(request))).rowcount

    def _old(self, retention: Retention) -> list[tuple[str, Any]]:
        """(bot, condition on rows of that bot older than its cut-off)."""
        with self._existing_engine().connect() as connection:
            bots = [row[0] for row in connection.execute(sa.select(self.table.c.bot).distinct())]
        return [(bot, (self.table.c.bot == bot) & (self.table.c.at < retention.cutoff(bot))) for bot in bots if retention.covers(bot)]

    def _age_out(self, retention: Retention, dry_run: bool, statement: Any, still_keyed: bool = False) -> tuple[int, int]:
        """Re-key legacy rows, then run `statement(condition)` on each bot's rows past its retention.

        Returns (rows re-keyed, rows the statement touched, or would touch when `dry_run`);
        `still_keyed` limits it to rows that still carry a pseudonym.
        """
        if self.engine is None:
            return 0, 0
        rekeyed, touched = upgrade_legacy(self.engine, self.table, dry_run=dry_run), 0
        for _, condition in self._old(retention):
            if still_keyed:
                condition = condition & (self.table.c.sender_hash != "")
            if dry_run:
                touched += self._count(condition)
            else:
                with self.engine.begin() as connection:
                    touched += connection.execute(statement(condition)).rowcount
        return rekeyed, touched

    def _count(self, condition: Any) -> int:
        with self._existing_engine().connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(self.table).where(condition)).scalar() or 0)


class ReviewItems(_PseudonymRows):
    """Messages the bot missed, queued for officers: the citizen's (redacted) text."""

    name = "review queue"
    tables = ("console_review_items",)
    retention = "items older than the bot's retention_days are deleted, whatever their status"
    table = store.review_items

    def purge(self, retention: Retention, dry_run: bool = False) -> PurgeResult:
        rekeyed, deleted = self._age_out(retention, dry_run, lambda condition: self.table.delete().where(condition))
        return PurgeResult(deleted=deleted, rekeyed=rekeyed)


class Turns(_PseudonymRows):
    """One row per citizen message for the dashboard: no text, but a sender pseudonym."""

    name = "turns"
    tables = ("console_turns",)
    retention = "rows older than the bot's retention_days lose their sender pseudonym; the daily counts stay"
    table = store.turns

    def purge(self, retention: Retention, dry_run: bool = False) -> PurgeResult:
        rekeyed, anonymised = self._age_out(retention, dry_run, still_keyed=True,
                                            statement=lambda condition: self.table.update().where(condition).values(sender_hash=""))
        return PurgeResult(anonymised=anonymised, rekeyed=rekeyed)


class Handoffs(_ConsoleStore):
    """Conversations handed to an officer (by sender) and their transcripts (by handoff id)."""

    name = "handoffs"
    tables = ("console_handoffs", "console_handoff_messages")
    retention = "a handoff and its transcript are deleted once their last activity is older than the bot's retention_days"

    def _ids(self, request: SubjectRequest) -> list[int]:
        table = store.handoffs
        query = sa.select(table.c.id).where(table.c.sender.in_(request.identities) & _bots(table, request))
        with self._existing_engine().connect() as connection:
            return [row[0] for row in connection.execute(query)]

    def export(self, request: SubjectRequest) -> list[dict[str, Any]]:
        if self.engine is None:
            return []
        ids = self._ids(request)
        if not ids:
            return []
        found = _rows(self.engine, sa.select(store.handoffs).where(store.handoffs.c.id.in_(ids)).order_by(store.handoffs.c.id))
        messages = _rows(self.engine, sa.select(store.handoff_messages).where(store.handoff_messages.c.handoff_id.in_(ids)).order_by(store.handoff_messages.c.id))
        for handoff in found:
            handoff["messages"] = [m for m in messages if m["handoff_id"] == handoff["id"]]
        return found

    def _delete_ids(self, ids: list[int]) -> int:
        deleted = 0
        with self._existing_engine().begin() as connection:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                deleted += connection.execute(store.handoff_messages.delete().where(store.handoff_messages.c.handoff_id.in_(chunk))).rowcount
                deleted += connection.execute(store.handoffs.delete().where(store.handoffs.c.id.in_(chunk))).rowcount
        return deleted

    def delete(self, request: SubjectRequest) -> int:
        if self.engine is None:
            return 0
        return self._delete_ids(self._ids(request))

    def purge(self, retention: Retention, dry_run: bool = False) -> PurgeResult:
        result = PurgeResult()
        if self.engine is None:
            return result
        table, messages = store.handoffs, store.handoff_messages
        last_message = sa.select(messages.c.handoff_id, sa.func.max(messages.c.at).label("last")).group_by(messages.c.handoff_id).subquery()
        query = sa.select(table.c.id, table.c.bot, table.c.created_at, table.c.taken_at, table.c.closed_at, last_message.c.last).select_from(
            table.outerjoin(last_message, last_message.c.handoff_id == table.c.id))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        old = [row.id for row in rows if retention.covers(row.bot)
               and max(t for t in (row.created_at, row.taken_at, row.closed_at, row.last) if t is not None) < retention.cutoff(row.bot)]
        if dry_run:
            with self.engine.connect() as connection:
                count = connection.execute(sa.select(sa.func.count()).select_from(messages).where(messages.c.handoff_id.in_(old))).scalar() if old else 0
            result.deleted = len(old) + int(count or 0)
        else:
            result.deleted = self._delete_ids(old)
        return result


class AuditQuotes(_ConsoleStore):
    """Audit lines that quote a citizen's message (attaching, drafting from or dismissing a review group).

    The line itself (who did what, when) is kept; only the quote is replaced by `REMOVED`.
    Runs before `ReviewItems` in erasure: it finds the quotes by the sender's review texts.
    """

    name = "audit quotes"
    tables = ("console_audit",)
    retention = "quotes of citizen text in audit lines older than the shortest retention_days are removed; the line stays"

    def _quoting(self, before: Optional[float] = None) -> list[dict[str, Any]]:
        """Audit lines whose quote is still there (older than `before` when given)."""
        table = store.audit
        still = sa.or_(*[(table.c.action == action) & (table.c[column] != REMOVED) for action, column in QUOTING_ACTIONS.items()])
        query = sa.select(table).where(still).order_by(table.c.id)
        if before is not None:
            query = query.where(table.c.at < before)
        return _rows(self.engine, query)

    def _matches(self, request: SubjectRequest) -> list[dict[str, Any]]:
        items = ReviewItems(self.url)
        items._engine = self.engine
        texts, keys = set(), set()
        for item in items.export(request):
            texts.add(item["text"])
            keys.add(item["group_key"][:200])
        found = []
        for line in self._quoting():
            quote = line[QUOTING_ACTIONS[line["action"]]]
            if quote in keys or any(quote.endswith(": " + text) for text in texts):
                found.append(line)
        return found

    def export(self, request: SubjectRequest) -> list[dict[str, Any]]:
        return [] if self.engine is None else self._matches(request)

    def _remove(self, lines: list[dict[str, Any]]) -> int:
        with self._existing_engine().begin() as connection:
            for line in lines:
                column = QUOTING_ACTIONS[line["action"]]
                connection.execute(store.audit.update().where(store.audit.c.id == line["id"]).values({column: REMOVED}))
        return len(lines)

    def delete(self, request: SubjectRequest) -> int:
        return 0 if self.engine is None else self._remove(self._matches(request))

    def purge(self, retention: Retention, dry_run: bool = False) -> PurgeResult:
        if self.engine is None or retention.only is not None:  # quotes belong to no one bot
            return PurgeResult()
        old = self._quoting(before=retention.strictest)
        return PurgeResult(anonymised=len(old) if dry_run else self._remove(old))


def citizen_stores(where: Where) -> list[Any]:
    """The console's stores, the audit quotes first (erasing them needs the review texts)."""
    return [AuditQuotes(where.console_url), ReviewItems(where.console_url), Handoffs(where.console_url), Turns(where.console_url)]

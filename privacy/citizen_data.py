"""The registry of every store that keeps citizen data, each saying how to find, export, erase and age out its rows.

`hkbot privacy purge | export | delete` walk `citizen_stores()`: nothing is found by
scanning for column names, so a store that is not registered here is not covered, and
`tests/test_privacy_registry.py` fails when any table in the code is neither registered
nor listed in `NOT_CITIZEN_DATA` with the reason.

Each area registers its own stores (as `bots.cli.main` registers commands): a module named in
`STORE_MODULES` defines `citizen_stores(where: Where) -> list[CitizenStore]`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol

#: Modules that define `citizen_stores(where)`: the conversations, the feedback, the console.
STORE_MODULES = ("privacy.conversations", "actions.feedback_store", "console.citizen_data")

#: Tables in the code that hold no citizen data, and why (the registry test reads this).
NOT_CITIZEN_DATA = {
    "console_users": "officers' accounts",
    "console_sessions": "officers' login sessions",
    "console_login_failures": "failed officer logins per name or address",
    "knowledge_versions": "published knowledge, written or approved by officers",
    "knowledge_drafts": "knowledge drafts, written or approved by officers",
    "knowledge_meta": "knowledge store settings",
    "hkbot_privacy_settings": "the pseudonym key",
    "settings": "the feedback store's pseudonym key",
}


@dataclass(frozen=True)
class Where:
    """Where the stores are: the conversations database and the console database (None: the server's default)."""

    tracker_url: Optional[str] = None
    console_url: Optional[str] = None


@dataclass(frozen=True)
class SubjectRequest:
    """One citizen's request: their sender id, the bots it is limited to (None: all) and every key they are stored under."""

    sender: str
    bots: Optional[tuple[str, ...]]
    identities: tuple[str, ...]  # the sender id and its `<bot>:<sender>` keys

    def covers(self, bot: Optional[str]) -> bool:
        return self.bots is None or bot in self.bots


@dataclass(frozen=True)
class Retention:
    """The cut-off (epoch seconds) before which each bot's rows are old; `strictest` for rows of no one bot."""

    cutoff_of: Callable[[Optional[str]], float]
    strictest: float
    only: Optional[tuple[str, ...]] = None  # purge only these bots' rows

    def cutoff(self, bot: Optional[str]) -> float:
        return self.cutoff_of(bot)

    def covers(self, bot: Optional[str]) -> bool:
        return self.only is None or bot in self.only


@dataclass
class PurgeResult:
    """What one store's purge did: rows deleted, rows made anonymous (pseudonym removed), pseudonyms re-keyed."""

    deleted: int = 0
    anonymised: int = 0
    rekeyed: int = 0
    notes: list[str] = field(default_factory=list)


class CitizenStore(Protocol):
    """A store of citizen data: its name, its tables, and the three operations on them."""

    name: str
    tables: tuple[str, ...]
    #: How old rows are handled, in one line for the docs and the purge output.
    retention: str

    def export(self, request: SubjectRequest) -> list[dict[str, Any]]:
        """Every row about the requester (of the bots asked for), JSON-ready."""

    def delete(self, request: SubjectRequest) -> int:
        """Erase those rows; returns how many."""

    def purge(self, retention: Retention, dry_run: bool = False) -> PurgeResult:
        """Delete or anonymise rows older than their bot's retention."""


def citizen_stores(where: Where = Where()) -> list[CitizenStore]:
    """Every registered store, in the order erasure visits them."""
    stores: list[CitizenStore] = []
    for name in STORE_MODULES:
        stores.extend(importlib.import_module(name).citizen_stores(where))
    return stores


def registered_tables(where: Where = Where()) -> set[str]:
    return {table for store in citizen_stores(where) for table in store.tables}

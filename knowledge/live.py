"""The process-wide knowledge store, watching `hkbot.settings.knowledge_dir()` for live changes."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from hkbot.settings import knowledge_dir
from knowledge.db_store import DatabaseSource, KnowledgeDatabase, database_source
from knowledge.notices import listen_for_changes, stop_listening
from knowledge.store import KnowledgeSource, KnowledgeStore, Snapshot
from privacy.public import public_values

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_store: KnowledgeStore | None = None
#: The contacts in the titles and answers `_store` serves: replaced as a whole on each accepted change.
_contacts: frozenset[str] = frozenset()


def knowledge_folder() -> Path:
    """The YAML knowledge folder: served directly, or the seed the console's database imports."""
    return knowledge_dir()


def knowledge_source() -> KnowledgeSource | Path:
    """The YAML folder when HKBOT_KNOWLEDGE_DIR is set (or HKBOT_KNOWLEDGE_DB=files), else the console's database."""
    return database_source() or knowledge_dir()


def shared_store() -> KnowledgeStore:
    """The one store every component and action of this process reads (created and watched on first use)."""
    global _store
    with _lock:
        if _store is None:
            _store = KnowledgeStore(knowledge_source())
            # Build each new version's index and contacts in the thread that applies it, not on a citizen's message.
            _store.subscribe(lambda snapshot, change: _store.index())
            _store.subscribe(lambda snapshot, change: _read_contacts(snapshot))
            _read_contacts(_store.snapshot)
            _store.start_watching()
            listen_for_changes(_store)  # replicas: reload on another's publish at once
        return _store


def current_store() -> KnowledgeStore | None:
    """The shared store if this process has made it, else None (never creates it: no database is opened)."""
    with _lock:
        return _store


def served_contacts() -> frozenset[str]:
    """The contacts (privacy.public) in the titles and answers the shared store now serves; none before it is made.

    The redacting tracker store and the console keep them: a hotline an operator publishes is not personal data."""
    return _contacts


def _read_contacts(snapshot: Snapshot) -> None:
    """Read one version's contacts, unless a newer version is served by then; a failure keeps the last version's (a
    save then only redacts a newly published number)."""
    global _contacts
    try:
        found = public_values(text for entry in snapshot.entries.values() for text in (*entry.title.values(), *entry.answer.values()))
    except Exception:
        logger.exception("Reading the served knowledge's contacts failed; keeping the last version's")
        return
    store = _store
    if store is not None and store.snapshot is not snapshot:
        return  # a newer version was applied meanwhile (reloads run in several threads): its own reading counts
    if found != _contacts:
        _contacts = found  # equal contacts keep their object: events checked before need no second look


def shared_database() -> KnowledgeDatabase | None:
    """The database behind `shared_store()`, or None when it serves YAML files."""
    source = shared_store().source
    return source.database if isinstance(source, DatabaseSource) else None


def reset_shared_store() -> None:
    """Stop and forget the shared store (tests, or after HKBOT_KNOWLEDGE_DIR changed)."""
    global _store, _contacts
    with _lock:
        if _store is not None:
            stop_listening(_store)
            _store.stop_watching()
        _store = None
        _contacts = frozenset()

"""The process-wide knowledge store, watching `hkbot.settings.knowledge_dir()` for live changes."""
from __future__ import annotations

import threading
from pathlib import Path

from hkbot.settings import knowledge_dir
from knowledge.db_store import DatabaseSource, KnowledgeDatabase, database_source
from knowledge.notices import listen_for_changes, stop_listening
from knowledge.store import KnowledgeSource, KnowledgeStore

_lock = threading.Lock()
_store: KnowledgeStore | None = None


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
            # Build each new version's index in the watcher thread, not on a citizen's message.
            _store.subscribe(lambda snapshot, change: _store.index())
            _store.start_watching()
            listen_for_changes(_store)  # replicas: reload on another's publish at once
        return _store


def current_store() -> KnowledgeStore | None:
    """The shared store if this process has made it, else None (never creates it: no database is opened)."""
    with _lock:
        return _store


def shared_database() -> KnowledgeDatabase | None:
    """The database behind `shared_store()`, or None when it serves YAML files."""
    source = shared_store().source
    return source.database if isinstance(source, DatabaseSource) else None


def reset_shared_store() -> None:
    """Stop and forget the shared store (tests, or after HKBOT_KNOWLEDGE_DIR changed)."""
    global _store
    with _lock:
        if _store is not None:
            stop_listening(_store)
            _store.stop_watching()
        _store = None

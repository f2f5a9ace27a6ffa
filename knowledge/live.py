"""The process-wide knowledge store, watching `bots.settings.knowledge_dir()` for live changes."""
from __future__ import annotations

import threading
from pathlib import Path

from bots.settings import knowledge_dir
from knowledge.store import KnowledgeStore

_lock = threading.Lock()
_store: KnowledgeStore | None = None


def knowledge_folder() -> Path:
    """The YAML knowledge folder: served directly, or the seed the console's database imports."""
    return knowledge_dir()


def knowledge_source():
    """The YAML folder when HKBOT_KNOWLEDGE_DIR is set (or HKBOT_KNOWLEDGE_DB=files), else the console's database."""
    from knowledge.db_store import database_source  # the operator console's store (SQLite by default)

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
            from knowledge.notices import listen_for_changes  # replicas: reload on another's publish at once

            listen_for_changes(_store)
        return _store


def reset_shared_store() -> None:
    """Stop and forget the shared store (tests, or after HKBOT_KNOWLEDGE_DIR changed)."""
    global _store
    with _lock:
        if _store is not None:
            from knowledge.notices import stop_listening

            stop_listening(_store)
            _store.stop_watching()
        _store = None

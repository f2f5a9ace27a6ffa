"""Which department answers for a knowledge base or an entry: the `department:` blocks of the knowledge files.

Departments are deployment configuration, not operator content: they are read from the
knowledge folder's YAML files (`knowledge.live.knowledge_folder()`, the folder the console's
database is seeded from), whether the entries are served from those files or from the
database, and re-read when a file changes. A file whose department block is broken is
refused as a whole by validation; its department keeps the last good version read here.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

from knowledge.live import knowledge_folder
from knowledge.schema import Department, Entry
from knowledge.store import DirectorySource

logger = logging.getLogger(__name__)


class DepartmentDirectory:
    """The departments of one knowledge folder, re-read when its files change (a cheap stat per call)."""

    def __init__(self, directory: Path | str) -> None:
        self.source = DirectorySource(directory)
        self._signature: str | None = None
        self._departments: dict[str, Department] = {}
        self._lock = threading.Lock()

    def all(self) -> dict[str, Department]:
        """Every knowledge base's department, by knowledge base name."""
        signature = self.source.signature()
        with self._lock:
            if signature != self._signature:
                try:
                    loaded = self.source.load()
                    fresh = dict(loaded.usable().departments)
                    for kb in loaded.refused:  # a broken file keeps its last good department
                        if kb in self._departments:
                            fresh[kb] = self._departments[kb]
                    self._departments = fresh
                except Exception:  # never let a reading bug break a reply: keep the last good ones
                    logger.exception("Reading departments from %s failed", self.source)
                self._signature = signature
            return self._departments

    def of_kb(self, kb: str) -> Department | None:
        """The department of a knowledge base, None when its file names none."""
        return self.all().get(str(kb))

    def of_entry(self, entry: Entry) -> Department | None:
        """The department that answers for an entry (its knowledge base's)."""
        return self.of_kb(entry.kb)

    def publishing(self, url: str, prefer_kb: str | None = None) -> Department | None:
        """The department whose `sites` include the URL's host; the preferred knowledge base's first."""
        host = (urlsplit(url).hostname or "").lower()
        if not host:
            return None
        departments = self.all()
        preferred = departments.get(prefer_kb) if prefer_kb else None
        if preferred and preferred.publishes(host):
            return preferred
        return next((d for d in departments.values() if d.publishes(host)), None)


_directories: dict[str, DepartmentDirectory] = {}
_guard = threading.Lock()


def departments() -> DepartmentDirectory:
    """The departments of the configured knowledge folder (one reader per folder, per process)."""
    key = str(knowledge_folder())
    with _guard:
        if key not in _directories:
            _directories[key] = DepartmentDirectory(key)
        return _directories[key]


def department_of_kb(kb: str) -> Department | None:
    """The department of a knowledge base (see `DepartmentDirectory.of_kb`)."""
    return departments().of_kb(kb)


def department_of_entry(entry: Entry) -> Department | None:
    """The department that answers for an entry."""
    return departments().of_entry(entry)

"""The knowledge store: the last good set of entries, reloaded live when its source changes.

A store reads from a `KnowledgeSource` (today a directory of YAML files; later a
database behind the operator console). A change is validated as a whole and
either replaces the snapshot atomically or is refused with the reasons, leaving
the last good snapshot serving. Subscribers (the index cache, the server) are
told about every accepted change.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol

from knowledge.schema import Entry, Problem, Vocabulary
from knowledge.validation import Loaded, knowledge_files, load_directory

logger = logging.getLogger(__name__)

#: How often the watcher looks at the source, in seconds (changes go live within 2 s).
POLL_SECONDS = 0.5


class KnowledgeSource(Protocol):
    """Where entries come from. A database-backed source implements the same two methods."""

    def signature(self) -> str:
        """A cheap token that changes whenever the content may have changed (mtimes, a revision number)."""

    def load(self) -> Loaded:
        """Read and validate all entries and vocabularies; problems mean the content must not be used."""


class DirectorySource:
    """Knowledge base YAML files in one directory (`<kb>.yml`)."""

    #: Files are local to each machine: no other replica changes them, so no change notices (knowledge.notices).
    shared = False

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def signature(self) -> str:
        parts = []
        for path in knowledge_files(self.directory):
            try:
                stat = path.stat()
            except OSError:
                continue
            parts.append(f"{path.name}:{stat.st_mtime_ns}:{stat.st_size}")
        return "|".join(parts)

    def load(self) -> Loaded:
        return load_directory(self.directory)

    def __repr__(self) -> str:
        return f"DirectorySource({str(self.directory)!r})"


@dataclass(frozen=True)
class Snapshot:
    """One consistent version of the knowledge: never mutated, replaced as a whole."""

    version: int
    entries: dict[str, Entry] = field(default_factory=dict)
    fingerprint: str = ""
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)  # per knowledge base, when it has one

    def knowledge_bases(self) -> list[str]:
        return sorted({e.kb for e in self.entries.values()})


@dataclass(frozen=True)
class Change:
    """What an accepted reload changed, by entry id."""

    version: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    vocabularies: tuple[str, ...] = ()  # knowledge bases whose vocabulary changed

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.vocabularies)

    def describe(self) -> str:
        parts = [f"{label} {', '.join(ids)}" for label, ids in
                 (("added", self.added), ("changed", self.changed), ("removed", self.removed),
                  ("vocabulary of", self.vocabularies)) if ids]
        return "; ".join(parts) or "no entry changed"


def fingerprint(entries: Iterable[Entry], vocabularies: dict[str, Vocabulary] | None = None) -> str:
    """A content hash of entries and vocabularies, independent of where they were read from."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(repr(entry.to_dict()).encode("utf-8"))
    vocabularies = vocabularies or {}
    for kb in sorted(vocabularies):
        digest.update(repr((kb, vocabularies[kb].to_dict())).encode("utf-8"))
    return digest.hexdigest()[:16]


#: The name a refusal of the whole knowledge (not of one knowledge base) goes by.
ALL_KNOWLEDGE = "(all)"


@dataclass(frozen=True)
class Refusal:
    """A knowledge base whose new content was refused: why, and whether an earlier good version still serves."""

    knowledge_base: str
    problems: tuple[Problem, ...]
    serving: bool  # False: the knowledge base is absent, no bot answers from it

    def describe(self, state: str = "") -> str:
        """One line for a terminal or a log: what was refused, where, and how to fix it."""
        state = state or ("its last good version still serves" if self.serving else "absent until fixed")
        first = self.problems[0] if self.problems else None
        more = f" (+{len(self.problems) - 1} more problem(s): hkbot knowledge validate lists them)" if len(self.problems) > 1 else ""
        what = "all knowledge" if self.knowledge_base == ALL_KNOWLEDGE else f"knowledge base '{self.knowledge_base}'"
        return f"{what} refused, {state}: {first}{more}"


def refusal_line(refusals: Iterable[Refusal], state: str = "") -> str:
    """The last line a command prints when knowledge was refused: each refused file with its line and fix."""
    return "Knowledge refused: " + " | ".join(refusal.describe(state) for refusal in refusals)


Subscriber = Callable[[Snapshot, Change], None]


class KnowledgeStore:
    """Serves the last good snapshot of a knowledge source and reloads it when the source changes."""

    def __init__(self, source: KnowledgeSource | Path | str) -> None:
        self.source: KnowledgeSource = DirectorySource(source) if isinstance(source, (Path, str)) else source
        self._snapshot = Snapshot(version=0)
        self._index = None  # the last index built for this store
        self._problems: list[Problem] = []
        self._refused: dict[str, list[Problem]] = {}
        self._signature: str | None = None
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.reload()

    # -- reading -------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def version(self) -> int:
        return self._snapshot.version

    @property
    def problems(self) -> list[Problem]:
        """The problems of the last change read (empty when the source is valid)."""
        return list(self._problems)

    def entry(self, entry_id: str) -> Entry | None:
        return self._snapshot.entries.get(entry_id)

    def entries(self, knowledge_bases: Iterable[str] | None = None) -> list[Entry]:
        """Entries in file order, only those of the given knowledge bases when given."""
        values = list(self._snapshot.entries.values())
        if knowledge_bases is None:
            return values
        wanted = set(knowledge_bases)
        return [e for e in values if e.kb in wanted]

    def knowledge_bases(self) -> list[str]:
        return self._snapshot.knowledge_bases()

    def index(self):
        """The retrieval index of the current snapshot (built once per version; the previous one while it builds)."""
        from knowledge.index import index_for  # start-up: numpy and the NLU layer (~0.4 s), not needed to list or validate

        index = index_for(self._snapshot, previous=self._index)
        if index.version == self._snapshot.version:
            self._index = index
        return index

    # -- changing ------------------------------------------------------------

    def reload(self) -> list[Problem]:
        """Re-read the source; apply each valid knowledge base, keep the last good version of a broken one.

        Returns every problem found. A broken knowledge base keeps the version this store (or the
        source) last had of it, else it is absent; the others go live. Problems that belong to no
        knowledge base (no files, a source that cannot be read) refuse the whole change.
        """
        with self._lock:
            self._signature = self.source.signature()
            vocabularies: dict[str, Vocabulary] = {}
            refused: dict[str, list[Problem]] = {}
            try:
                loaded = self.source.load()
                entries, problems = loaded
                vocabularies = dict(getattr(loaded, "vocabularies", {}))
                refused = {kb: list(found) for kb, found in (getattr(loaded, "refused", None) or {}).items()}
            except Exception as error:  # a source bug must never take down the serving snapshot
                logger.exception("Reading knowledge from %s failed", self.source)
                problems, entries = [Problem(str(self.source), 0, f"Reading failed: {error}.", "See the log.")], []
            if problems and not refused:
                self._problems = problems
                logger.error(
                    "Knowledge change refused, still serving version %d (%d entries). %d problem(s):\n  %s",
                    self._snapshot.version, len(self._snapshot.entries), len(problems),
                    "\n  ".join(str(p) for p in problems[:50]),
                )
                return problems
            self._problems = list(problems)
            self._refused = refused
            if refused:
                entries, vocabularies = self._keep_last_good(loaded.usable(), refused)
            new_entries = {e.id: e for e in entries}
            new_fingerprint = fingerprint(entries, vocabularies)
            if new_fingerprint == self._snapshot.fingerprint:
                return list(problems)
            old, old_vocabularies = self._snapshot.entries, self._snapshot.vocabularies
            change = Change(
                version=self._snapshot.version + 1,
                added=tuple(i for i in new_entries if i not in old),
                changed=tuple(i for i in new_entries if i in old and old[i] != new_entries[i]),
                removed=tuple(i for i in old if i not in new_entries),
                vocabularies=tuple(sorted(kb for kb in {*vocabularies, *old_vocabularies}
                                          if vocabularies.get(kb) != old_vocabularies.get(kb))),
            )
            self._snapshot = Snapshot(version=change.version, entries=new_entries, fingerprint=new_fingerprint,
                                      vocabularies=vocabularies)
            logger.info("Knowledge version %d loaded from %s: %d entries in %s; %s.",
                        change.version, self.source, len(new_entries),
                        ", ".join(self._snapshot.knowledge_bases()) or "no knowledge base", change.describe())
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(self._snapshot, change)
            except Exception:  # one broken subscriber must not stop the others
                logger.exception("A knowledge subscriber failed on version %d", change.version)
        return list(problems)

    def _keep_last_good(self, usable: Loaded, refused: dict[str, list[Problem]]) -> tuple[list[Entry], dict[str, Vocabulary]]:
        """The valid knowledge bases plus, for each refused one, the version this store already serves."""
        entries, vocabularies = list(usable.entries), dict(usable.vocabularies)
        for kb, problems in sorted(refused.items()):
            kept = [e for e in self._snapshot.entries.values() if e.kb == kb]
            entries.extend(kept)
            if kb in self._snapshot.vocabularies:
                vocabularies[kb] = self._snapshot.vocabularies[kb]
            logger.error(
                "Knowledge base %s refused, %s. %d problem(s):\n  %s", kb,
                f"still serving its last good version ({len(kept)} entries)" if kept else "absent: no bot answers from it until it is fixed",
                len(problems), "\n  ".join(str(p) for p in problems[:50]),
            )
        return entries, vocabularies

    def refusals(self) -> list[Refusal]:
        """The knowledge bases whose latest content was refused (here or by the source), and what serves instead."""
        with self._lock:
            refused = {**(getattr(self.source, "refused", None) or {}), **self._refused}
            serving = set(self._snapshot.knowledge_bases()) | set(self._snapshot.vocabularies)
            refusals = [Refusal(kb, tuple(problems), kb in serving) for kb, problems in sorted(refused.items())]
            if self._problems and not self._refused:  # the whole change was refused (no files, an unreadable source)
                refusals.append(Refusal(ALL_KNOWLEDGE, tuple(self._problems), bool(self._snapshot.entries)))
            return refusals

    def check(self) -> list[Problem] | None:
        """Reload if the source's signature moved; None when nothing changed."""
        if self.source.signature() == self._signature:
            return None
        return self.reload()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(snapshot, change)` after every accepted change; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    # -- watching ------------------------------------------------------------

    def start_watching(self, interval: float = POLL_SECONDS) -> None:
        """Poll the source in a daemon thread so edits go live without a restart."""
        with self._lock:
            if self._watcher is not None and self._watcher.is_alive():
                return
            self._stop.clear()
            self._watcher = threading.Thread(
                target=self._watch, args=(interval,), name="knowledge-watcher", daemon=True
            )
            self._watcher.start()

    def stop_watching(self) -> None:
        self._stop.set()
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.join(timeout=5)

    @property
    def watching(self) -> bool:
        return self._watcher is not None and self._watcher.is_alive()

    def _watch(self, interval: float) -> None:
        logger.info("Watching %s for knowledge changes every %.1f s", self.source, interval)
        while not self._stop.wait(interval):
            try:
                self.check()
            except Exception:  # keep watching whatever happens
                logger.exception("Knowledge watcher check failed")

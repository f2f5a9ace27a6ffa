"""Which department answers for a knowledge base or an entry: the `department:` blocks of the knowledge files.

Departments are deployment configuration, not operator content: they are read from the
knowledge folder's YAML files (`knowledge.live.knowledge_folder()`, the folder the console's
database is seeded from), whether the entries are served from those files or from the
database, and re-read when a file changes. A file whose department block is broken is
refused as a whole by validation; its department keeps the last good version read here.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from knowledge.live import knowledge_folder
from knowledge.schema import Department, Entry
from knowledge.store import DirectorySource
from nlu.clauses import clauses
from nlu.script import to_traditional

logger = logging.getLogger(__name__)

#: How far past its clause a department's name may run (the longest names are about 50 characters).
NAME_REACH = 100


class DepartmentDirectory:
    """The departments of one knowledge folder, re-read when its files change (a cheap stat per call)."""

    def __init__(self, directory: Path | str) -> None:
        self.source = DirectorySource(directory)
        self._signature: str | None = None
        self._departments: dict[str, Department] = {}
        self._patterns: dict[frozenset[str], dict[str, tuple[re.Pattern[str], ...]]] = {}
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
                    self._patterns = {}
                except Exception:  # never let a reading bug break a reply: keep the last good ones
                    logger.exception("Reading departments from %s failed", self.source)
                self._signature = signature
            return self._departments

    def name_patterns(self, knowledge_bases: Iterable[str]) -> dict[str, tuple[re.Pattern[str], ...]]:
        """Per knowledge base (of those given, with a department), the patterns that name it (`names_of`), cached.

        A hotline several departments share (AFCD and EMSD take enquiries through 1823) names none of them;
        it still names the department whose name it is (the 1823 knowledge base)."""
        departments_ = self.all()
        key = frozenset(map(str, knowledge_bases))
        with self._lock:
            patterns = self._patterns.get(key)
        if patterns is None:
            hotlines = Counter(hotline_digits(d.hotline) for d in departments_.values())
            patterns = {kb: names_of(departments_[kb], hotline=hotlines[hotline_digits(departments_[kb].hotline)] == 1)
                        for kb in sorted(key) if kb in departments_}
            with self._lock:
                self._patterns[key] = patterns
        return patterns

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


def hotline_digits(hotline: str) -> str:
    """A hotline's digits alone ("2824 5000" -> "28245000")."""
    return re.sub(r"\D", "", hotline)


def names_of(department: Department, hotline: bool = True) -> tuple[re.Pattern[str], ...]:
    """How a message names a department: its names and short names (whole words in English), its hotline's digits."""
    patterns = []
    for name in {*department.name.values(), *department.short_name.values()}:
        name = to_traditional(name.strip().lower())
        if name.isdigit():  # "1823", not "$1823", "1823.5" or "18230"
            patterns.append(re.compile(rf"(?<![\d$]){name}(?!\.?\d)"))
        elif name.isascii():
            patterns.append(re.compile(rf"\b{re.escape(name)}\b"))
        elif name:
            patterns.append(re.compile(re.escape(name)))
    digits = hotline_digits(department.hotline)
    if hotline and digits:  # "2824 5000" as written or run together; never inside a longer number
        patterns.append(re.compile(r"(?<!\d)" + r"\s?".join(digits) + r"(?!\d)"))
    return tuple(patterns)


def _named(text: str, patterns: dict[str, tuple[re.Pattern[str], ...]], within: int | None = None) -> frozenset[str]:
    """The knowledge bases whose names occur in the (Traditional, lower-cased) text, starting in its first `within` characters."""
    return frozenset(kb for kb, names in patterns.items()
                     if any(within is None or match.start() < within for name in names for match in name.finditer(text)))


def named_in(text: str, knowledge_bases: Iterable[str], directory: DepartmentDirectory | None = None) -> frozenset[str]:
    """The knowledge bases (of those given) whose department the text names: by name, short name or unshared hotline."""
    return _named(to_traditional(text).lower(), (directory or departments()).name_patterns(knowledge_bases))


def without_names(text: str, knowledge_bases: Iterable[str], directory: DepartmentDirectory | None = None) -> tuple[str, frozenset[str]]:
    """The text (Traditional, lower-cased) with the names of the given knowledge bases' departments blanked, and the
    knowledge bases it names: "Labour Department hotline number" -> ("  hotline number", {"ld"})."""
    read = to_traditional(text).lower()
    named: set[str] = set()
    for kb, names in (directory or departments()).name_patterns(knowledge_bases).items():
        for name in names:
            read, count = name.subn(lambda match: " " * len(match.group()), read)
            if count:
                named.add(kb)
    return read, frozenset(named)


def turned_to(text: str, knowledge_bases: Iterable[str],
              directory: DepartmentDirectory | None = None) -> tuple[str, frozenset[str]] | None:
    """The rest of a message from the last clause that names one of the given knowledge bases' departments, and
    the ones that clause names; None when no clause does, or only the first one.

    "my pipe burst at 3am, will anyone at 1823 pick up?" -> ("will anyone at 1823 pick up?", {"1823"}): a caller
    who tells a situation first and then turns to a department asks that department. A message that names it
    only in its first clause ("1823, how do I pay my water bill?") addresses the bot, and is left alone."""
    parts = clauses(text)
    if len(parts) < 2:
        return None
    patterns = (directory or departments()).name_patterns(knowledge_bases)
    read = [to_traditional(part).lower() for part in parts]
    following = ""  # the start of what follows the clause: a name in it may run on past a comma
    for position in range(len(parts) - 1, 0, -1):  # ("Agriculture, Fisheries and Conservation Department")
        named = _named(read[position] + following, patterns, within=len(read[position]))
        following = (read[position] + following)[:NAME_REACH]
        if named:
            return "".join(parts[position:]).strip(), named
    return None


def department_of_kb(kb: str) -> Department | None:
    """The department of a knowledge base (see `DepartmentDirectory.of_kb`)."""
    return departments().of_kb(kb)


def department_of_entry(entry: Entry) -> Department | None:
    """The department that answers for an entry."""
    return departments().of_entry(entry)

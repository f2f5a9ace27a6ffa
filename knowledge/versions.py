"""Readable differences between two versions of the knowledge, field by field and line by line.

Operators read "answer (en): - old line / + new line", not a JSON or YAML dump.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Iterable

from knowledge.schema import TEXT_LANGUAGES, Concept

#: Field groups of an entry, in the order an operator reads them.
_TEXT_FIELDS = ("title", "answer", "questions")
_PLAIN_FIELDS = ("source", "updated", "tags", "related")


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its label, and the lines removed (-), added (+) and kept (space)."""

    field: str
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EntryChange:
    """What happened to one entry between two versions."""

    entry_id: str
    kind: str  # added, removed, changed
    fields: tuple[FieldChange, ...] = field(default_factory=tuple)


def flatten(entry: dict[str, Any]) -> dict[str, str]:
    """An entry as labelled texts: `answer (en)`, `questions (yue)` (one question per line), `source`..."""
    flat: dict[str, str] = {}
    for group in _TEXT_FIELDS:
        values = entry.get(group) or {}
        for lang in [*TEXT_LANGUAGES, *sorted(set(values) - set(TEXT_LANGUAGES))]:
            if lang in values:
                value = values[lang]
                flat[f"{group} ({lang})"] = "\n".join(value) if isinstance(value, (list, tuple)) else str(value)
    for name in _PLAIN_FIELDS:
        value = entry.get(name)
        if value:
            flat[name] = ", ".join(value) if isinstance(value, (list, tuple)) else str(value)
    for concept_id, value in (entry.get("vocabulary") or {}).items():  # a knowledge base's vocabulary item
        concept = Concept.from_data(concept_id, value)
        flat[f"vocabulary: {concept.id}"] = "\n".join([*(f"(includes {i})" for i in concept.implies), *concept.terms])
    return flat


def field_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> tuple[FieldChange, ...]:
    """The fields that differ between two versions of one entry, with line-level marks."""
    before, after = flatten(old or {}), flatten(new or {})
    changes = []
    for name in list(dict.fromkeys([*before, *after])):
        a, b = before.get(name, ""), after.get(name, "")
        if a == b:
            continue
        lines = []
        for line in difflib.ndiff(a.splitlines(), b.splitlines()):
            mark, text = line[:1], line[2:]
            if mark in ("-", "+", " "):
                lines.append((mark, text))
        changes.append(FieldChange(name, tuple(lines)))
    return tuple(changes)


def diff_entries(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> list[EntryChange]:
    """Entries added, removed or changed from `old` to `new` (lists of stored entry dicts)."""
    before = {e["id"]: e for e in old}
    after = {e["id"]: e for e in new}
    changes = []
    for entry_id in list(dict.fromkeys([*before, *after])):
        a, b = before.get(entry_id), after.get(entry_id)
        if a == b:
            continue
        kind = "added" if a is None else "removed" if b is None else "changed"
        changes.append(EntryChange(entry_id, kind, field_changes(a, b)))
    return changes

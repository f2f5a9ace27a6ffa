"""Knowledge as CSV that Excel opens correctly, and as YAML files, both ways.

CSV: UTF-8 with a byte-order mark (Excel's signal for UTF-8, so Chinese shows right),
CRLF rows, every cell quoted when needed; one row per entry, question variants one per
line inside their cell. Importing validates with the YAML rules (`knowledge.validation`).
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable

import yaml

from knowledge.db_store import entry_data, loaded_data, validate_entries
from knowledge.schema import TEXT_LANGUAGES, Problem, is_vocabulary
from knowledge.validation import parse_text

BOM = "\ufeff"
#: Column order of the CSV; `questions <lang>` cells hold one question per line.
COLUMNS: tuple[str, ...] = (
    "id", "kb",
    *(f"title {lang}" for lang in TEXT_LANGUAGES),
    *(f"answer {lang}" for lang in TEXT_LANGUAGES),
    *(f"questions {lang}" for lang in TEXT_LANGUAGES),
    "source", "updated", "tags", "related",
)
#: Most rows an import reads (a knowledge base has tens of entries, not thousands).
MAX_ROWS = 5000


def to_csv(items: Iterable[dict[str, Any]]) -> bytes:
    """Stored entry dicts as Excel-ready CSV bytes (UTF-8 with BOM, CRLF); vocabularies are not rows (YAML has them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in items:
        if is_vocabulary(item):
            continue
        row = [item.get("id", ""), item.get("kb") or str(item.get("id", "")).split(".", 1)[0]]
        row += [(item.get("title") or {}).get(lang, "") for lang in TEXT_LANGUAGES]
        row += [(item.get("answer") or {}).get(lang, "") for lang in TEXT_LANGUAGES]
        row += ["\n".join((item.get("questions") or {}).get(lang, ())) for lang in TEXT_LANGUAGES]
        row += [item.get("source", ""), str(item.get("updated", "")), ", ".join(item.get("tags") or ()),
                ", ".join(item.get("related") or ())]
        writer.writerow([_safe_cell(str(value)) for value in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


#: A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets (CSV injection);
#: tab and carriage return are stripped by some of them before they look, so they count too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The quote mark that neutralises a cell; a cell that already starts with it followed by a
#: formula character (or another quote) gets one more, so import gives back exactly what was exported.
QUOTE = "'"


def _safe_cell(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula: every cell starting with = + - @ TAB CR gets a leading quote."""
    if value[:1] in FORMULA_STARTS or (value[:1] == QUOTE and value[1:2] in (*FORMULA_STARTS, QUOTE)):
        return QUOTE + value
    return value


def _unsafe_cell(value: str) -> str:
    """The exported text back: the one quote `_safe_cell` added is removed (a quote before other text is the operator's)."""
    return value[1:] if value[:1] == QUOTE and value[1:2] in (*FORMULA_STARTS, QUOTE) else value


def from_csv(data: bytes | str, name: str = "upload.csv") -> tuple[list[dict[str, Any]], list[Problem]]:
    """Read CSV (with or without BOM) into stored entry dicts, validated; problems name the row."""
    if isinstance(data, bytes):
        if b"\x00" in data:
            return [], [Problem(name, 0, "This is a binary file, not CSV text.", "Save it from Excel as 'CSV UTF-8'.")]
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [Problem(name, 0, "The file is not UTF-8 text.", "In Excel choose 'Save as' > 'CSV UTF-8 (comma delimited)'.")]
    else:
        text = data.lstrip(BOM)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in ("id", "source", "updated") if c not in (reader.fieldnames or [])]
    if missing:
        return [], [Problem(name, 1, f"Missing column(s): {', '.join(missing)}.", f"The first row must name the columns: {', '.join(COLUMNS)}.")]
    items: list[dict[str, Any]] = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS:
            return [], [Problem(name, number, f"More than {MAX_ROWS} rows.", "Split the file.")]
        row = {k: _unsafe_cell((v or "").strip()).strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        item: dict[str, Any] = {"id": row.get("id", ""), "kb": row.get("kb") or row.get("id", "").split(".", 1)[0]}
        for group in ("title", "answer"):
            item[group] = {lang: row[f"{group} {lang}"] for lang in TEXT_LANGUAGES if row.get(f"{group} {lang}")}
        item["questions"] = {
            lang: [q.strip() for q in row[f"questions {lang}"].splitlines() if q.strip()]
            for lang in TEXT_LANGUAGES if row.get(f"questions {lang}")
        }
        item["source"] = row.get("source", "")
        item["updated"] = row.get("updated", "")
        for key in ("tags", "related"):
            values = [v.strip() for v in row.get(key, "").replace("\n", ",").split(",") if v.strip()]
            if values:
                item[key] = values
        items.append(item)
    return _validated(items, name)


def _validated(items: list[dict[str, Any]], name: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    entries, problems = validate_entries(items, name=name)
    return [entry_data(e) for e in entries], problems


def to_yaml(items: Iterable[dict[str, Any]], kb: str) -> str:
    """One knowledge base as a YAML file in the seed schema (`knowledge_base:`, `vocabulary:`, `entries:`)."""
    mine = [item for item in items if item.get("kb") == kb]
    vocabulary = next((i.get("vocabulary") for i in mine if is_vocabulary(i)), None)
    entries = [{k: v for k, v in item.items() if k != "kb"} for item in mine if not is_vocabulary(item)]
    document = {"knowledge_base": kb, **({"vocabulary": vocabulary} if vocabulary else {}), "entries": entries}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def from_yaml(data: bytes | str, name: str = "upload.yml") -> tuple[list[dict[str, Any]], list[Problem]]:
    """One knowledge base YAML file into stored entry dicts, with the seed files' validation and line numbers."""
    loaded = parse_text(data, name)
    return loaded_data(loaded), loaded.problems


def merge(published: list[dict[str, Any]], imported: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Imported entries replace published ones with the same id; new ones are added at the end."""
    by_id = {item["id"]: item for item in imported}
    merged = [by_id.pop(item["id"], item) for item in published]
    return merged + list(by_id.values())


"""CSV for Excel (UTF-8 BOM, CRLF, multi-line cells, Chinese) and YAML import/export round trips."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from knowledge.csv_io import COLUMNS, from_csv, from_yaml, merge, to_csv, to_yaml
from knowledge.db_store import entry_data
from knowledge.validation import load_directory

SEED = Path(__file__).resolve().parents[2] / "knowledge" / "seed"


def seed_items() -> list[dict]:
    entries, problems = load_directory(SEED)
    assert not problems
    return [entry_data(e) for e in entries]


def test_csv_starts_with_a_bom_and_round_trips_every_entry():
    items = seed_items()
    data = to_csv(items)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    back, problems = from_csv(data)
    assert problems == [] and back == items


def test_multi_line_and_chinese_cells_survive_an_excel_style_reader():
    items = seed_items()
    item = items[0]
    item["answer"]["zh-Hant"] = "第一行：「引號」, 逗號\n第二行 \"雙引號\" 資料來源：" + item["source"]
    data = to_csv(items)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1][COLUMNS.index("answer zh-Hant")] == item["answer"]["zh-Hant"]
    assert rows[1][COLUMNS.index("questions yue")].split("\n") == list(item["questions"]["yue"])
    back, problems = from_csv(data)
    assert problems == [] and back[0]["answer"]["zh-Hant"] == item["answer"]["zh-Hant"]


def test_csv_without_bom_and_with_bad_rows_reports_rows():
    items = seed_items()
    text = to_csv(items).decode("utf-8-sig")
    back, problems = from_csv(text.encode("utf-8"))
    assert not problems and len(back) == len(items)
    broken = text.replace(items[0]["source"], "not a url", 1)
    _, problems = from_csv(broken.encode("utf-8"))
    assert problems and any("source" in p.message.lower() or "url" in p.message.lower() for p in problems)
    assert from_csv(b"\x00\x01binary")[1][0].message.startswith("This is a binary file")
    assert "Missing column" in from_csv("a,b\n1,2\n".encode())[1][0].message
    assert "not UTF-8" in from_csv("id,source,updated\n狗".encode("big5"))[1][0].message


def test_formula_cells_are_neutralised_and_restored():
    items = seed_items()
    items[0]["questions"]["en"] = ["=HYPERLINK(\"http://evil\")", *items[0]["questions"]["en"]]
    data = to_csv(items).decode("utf-8-sig")
    assert "'=HYPERLINK" in data
    back, problems = from_csv(data.encode("utf-8"))
    assert back[0]["questions"]["en"][0] == "=HYPERLINK(\"http://evil\")"


FORMULAS = [
    "=1+HYPERLINK(\"http://evil\",\"click\")",  # second character a digit: was let through
    "-1+cmd|' /C calc'!A0",
    "+852 1823 hotline",
    "@SUM(A1:A2)",
    "\t=1+1",  # spreadsheets skip a leading tab or carriage return before they look for a formula
    "\r=1+1",
    "-",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_every_cell_a_spreadsheet_could_run_gets_a_quote_mark(text):
    items = seed_items()
    source = items[0]["source"]
    items[0]["answer"]["en"] = f"{text} Source: {source}"
    items[0]["title"]["en"] = text
    rows = list(csv.reader(io.StringIO(to_csv(items).decode("utf-8-sig"), newline="")))
    assert rows[1][COLUMNS.index("title en")] == "'" + text
    assert rows[1][COLUMNS.index("answer en")] == f"'{text} Source: {source}"
    back, problems = from_csv(to_csv(items))
    # import gives the operator's text back (cells are stripped of surrounding spaces on import, as before)
    assert problems == [] and back[0]["id"] == items[0]["id"]
    assert back[0]["title"]["en"] == text.strip() and back[0]["answer"]["en"] == f"{text} Source: {source}".strip()


@pytest.mark.parametrize("text", ["'=already quoted by the operator", "''", "'Tis the season", "'", "plain 1823", "3 + 4 = 7"])
def test_text_starting_with_a_quote_or_safe_text_comes_back_exactly(text):
    items = seed_items()
    items[0]["title"]["en"] = text
    back, problems = from_csv(to_csv(items))
    assert problems == [] and back[0]["title"]["en"] == text
    rows = list(csv.reader(io.StringIO(to_csv(items).decode("utf-8-sig"), newline="")))
    cell = rows[1][COLUMNS.index("title en")]
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_yaml_export_reimports_identically_and_merge_replaces_by_id():
    items = seed_items()
    for kb in {i["kb"] for i in items}:
        back, problems = from_yaml(to_yaml(items, kb).encode("utf-8"), f"{kb}.yml")
        assert problems == [] and back == [i for i in items if i["kb"] == kb]
    changed = {**items[0], "tags": ["changed"]}
    merged = merge(items, [changed])
    assert merged[0]["tags"] == ["changed"] and len(merged) == len(items)

"""A knowledge base's `department:` block: validated like the rest of the file, read by the actions from one API."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from knowledge.db_store import DatabaseSource, KnowledgeDatabase
from knowledge.departments import DepartmentDirectory, named_in, turned_to
from knowledge.validation import load_directory, parse_text

SEED = Path(__file__).resolve().parents[2] / "knowledge" / "seed"
SEED_KBS = {"1823", "dog_licence", "tsw", "wsd", "immd", "ird", "hd", "rvd", "fehd", "epd", "swd", "ld", "bd", "emsd"}

ENTRY = """entries:
  - id: {kb}.fee
    title: {{en: "Fee", zh-Hant: "費用"}}
    answer:
      en: "It costs HK$80. Source: https://www.wsd.gov.hk/en/fee.html"
      zh-Hant: "費用為80元。資料來源：https://www.wsd.gov.hk/en/fee.html"
    questions:
      en: ["how much is it", "what is the fee", "fee please"]
      zh-Hant: ["費用多少"]
      yue: ["幾多錢", "要幾錢"]
    source: "https://www.wsd.gov.hk/en/fee.html"
    updated: 2026-01-01
"""
GOOD_DEPARTMENT = """department:
  name: {en: "Water Supplies Department", zh-Hant: "水務署"}
  hotline: "2824 5000"
  privacy: {en: "https://www.wsd.gov.hk/en/privacy.html", zh-Hant: "https://www.wsd.gov.hk/tc/privacy.html"}
  sites: [wsd.gov.hk]
"""


def kb_file(kb: str, department: str = GOOD_DEPARTMENT) -> str:
    return f"knowledge_base: {kb}\n{department}{ENTRY.format(kb=kb)}"


def test_every_seed_knowledge_base_names_its_department_hotline_and_sites() -> None:
    loaded = load_directory(SEED)
    assert not loaded.problems
    assert set(loaded.departments) == SEED_KBS
    for kb, department in loaded.departments.items():
        assert department.name["en"] and department.name["zh-Hant"], kb
        assert department.hotline.replace(" ", "").isdigit(), kb
        assert department.sites, kb
        entries = [e for e in loaded.entries if e.kb == kb]
        assert any(department.publishes((e.source.split("/")[2])) for e in entries), kb
    assert loaded.departments["wsd"].hotline == "2824 5000"
    assert loaded.departments["hd"].privacy_in("zh-Hant").startswith("https://www.housingauthority.gov.hk/")


def test_a_good_block_is_read_and_one_privacy_url_serves_every_language() -> None:
    one_url = GOOD_DEPARTMENT.replace(
        '{en: "https://www.wsd.gov.hk/en/privacy.html", zh-Hant: "https://www.wsd.gov.hk/tc/privacy.html"}',
        '"https://www.wsd.gov.hk/en/privacy.html"')
    loaded = parse_text(kb_file("wsd", one_url), "wsd.yml")
    assert not loaded.problems
    department = loaded.departments["wsd"]
    assert department.name_in("yue") == "水務署" and department.hotline == "2824 5000"
    assert department.privacy_in("zh-Hant") == department.privacy_in("en") == "https://www.wsd.gov.hk/en/privacy.html"
    assert department.publishes("www.esd.wsd.gov.hk") and not department.publishes("notwsd.gov.hk")


@pytest.mark.parametrize("bad, line, words", [
    (GOOD_DEPARTMENT.replace('"2824 5000"', '"call us"'), 4, "not a phone number"),
    (GOOD_DEPARTMENT.replace('"2824 5000"', '"<script>alert(1)</script>"'), 4, "not a phone number"),
    (GOOD_DEPARTMENT.replace("https://www.wsd.gov.hk/tc/privacy.html", "javascript:alert(1)"), 5, "not a valid URL"),
    (GOOD_DEPARTMENT.replace("[wsd.gov.hk]", "[https://wsd.gov.hk/x]"), 6, "not a host name"),
    (GOOD_DEPARTMENT.replace('  name: {en: "Water Supplies Department", zh-Hant: "水務署"}\n', ""), 2, "missing 'name'"),
    (GOOD_DEPARTMENT.replace('zh-Hant: "水務署"', 'fr: "Eaux"'), 3, "unknown language"),
    (GOOD_DEPARTMENT + "  email: x@y.hk\n", 7, "Unknown key 'email'"),
    ("department: just a name\n", 2, "must be a mapping"),
])
def test_a_broken_department_block_refuses_its_own_file_only(tmp_path: Path, bad: str, line: int, words: str) -> None:
    (tmp_path / "wsd.yml").write_text(kb_file("wsd", bad), encoding="utf-8")
    (tmp_path / "ird.yml").write_text(kb_file("ird"), encoding="utf-8")
    loaded = load_directory(tmp_path)
    assert set(loaded.refused) == {"wsd"}
    problem = loaded.refused["wsd"][0]
    assert words in problem.message and problem.line == line and problem.fix, problem
    usable = loaded.usable()
    assert {e.kb for e in usable.entries} == {"ird"} and set(usable.departments) == {"ird"}


def test_the_api_follows_file_edits_and_keeps_the_last_good_department(tmp_path: Path) -> None:
    path = tmp_path / "wsd.yml"
    path.write_text(kb_file("wsd"), encoding="utf-8")
    directory = DepartmentDirectory(tmp_path)
    assert directory.of_kb("wsd").hotline == "2824 5000"
    assert directory.of_kb("nope") is None
    path.write_text(kb_file("wsd", GOOD_DEPARTMENT.replace("2824 5000", "2824 5117")), encoding="utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert directory.of_kb("wsd").hotline == "2824 5117"
    path.write_text(kb_file("wsd", GOOD_DEPARTMENT.replace('"2824 5000"', '"call us"')), encoding="utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert directory.of_kb("wsd").hotline == "2824 5117"  # the broken edit is refused, the last good one stays
    assert directory.publishing("https://www.wsd.gov.hk/en/a.html").kb == "wsd"


def test_departments_reach_entries_served_from_the_console_database(tmp_path: Path) -> None:
    """The database versions entries; departments stay deployment config read from the seed folder it imports."""
    seed = tmp_path / "seed"
    seed.mkdir()
    for name in ("wsd.yml", "ird.yml"):
        shutil.copyfile(SEED / name, seed / name)
    database = KnowledgeDatabase(f"sqlite:///{tmp_path / 'knowledge.sqlite3'}")
    database.seed_from(seed)
    loaded = DatabaseSource(database).load()
    assert not loaded.problems and loaded.entries
    directory = DepartmentDirectory(seed)
    names = {directory.of_entry(entry).name["en"] for entry in loaded.entries}
    assert names == {"Water Supplies Department", "Inland Revenue Department"}


def test_source_labels_name_the_department_from_the_knowledge_not_a_code_map(tmp_path: Path, monkeypatch) -> None:
    from actions.sources import source_label

    renamed = GOOD_DEPARTMENT.replace('"Water Supplies Department"', '"Water Authority"').replace('"水務署"', '"水務局"')
    (tmp_path / "wsd.yml").write_text(kb_file("wsd", renamed), encoding="utf-8")
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DIR", str(tmp_path))
    assert source_label("https://www.wsd.gov.hk/en/fee.html", "en", "wsd") == "Source: Water Authority website"
    assert source_label("https://www.wsd.gov.hk/en/fee.html", "zh-Hans") == "资料来源：水务局网页"
    assert source_label("https://www.info.gov.hk/gia/x.htm", "en") == "Source: Information Services Department website"


@pytest.mark.parametrize(("text", "named"), [
    ("1823幾點收工", {"1823"}),  # AFCD and EMSD take enquiries through 1823 too: a shared hotline names neither
    ("does 1823 handle Water Supplies Department questions", {"1823", "wsd"}),
    ("水务署电话几号", {"wsd"}),  # Simplified reads as the Traditional name
    ("call 2824 5000 tomorrow", {"wsd"}),
    ("call 28245000 tomorrow", {"wsd"}),  # a hotline run together
    ("order number 282450001", set()),  # never inside a longer number
    ("tell AFCD my new address", {"dog_licence"}),  # a short name
    ("which housing departments are there", set()),  # whole words in English
    ("how much is the dog licence fee", set()),
])
def test_a_message_names_a_department_by_name_short_name_or_hotline(text: str, named: set[str]) -> None:
    assert named_in(text, SEED_KBS, DepartmentDirectory(SEED)) == named


@pytest.mark.parametrize(("text", "turn"), [
    ("my water pipe burst at 3am, will anyone pick up if i ring 1823 at that hour",
     ("will anyone pick up if i ring 1823 at that hour", {"1823"})),
    ("我屋企個外傭唔識廣東話，1823啲職員識唔識講英文㗎？", ("1823啲職員識唔識講英文㗎？", {"1823"})),
    ("my friend told me to call 1823. what is 1823 anyway?", ("what is 1823 anyway?", {"1823"})),  # the last one
    ("1823, how do I pay my water bill?", None),  # addressing the bot by name
    ("dear 1823 when is the tax return deadline", None),
    ("I read it on 1823.gov.hk yesterday", None),  # a dot inside a word cuts no clause
    ("my water bill is too high, what should I do?", None),
    ("my dog moved with me, do I tell the Agriculture, Fisheries and Conservation Department?",
     ("do I tell the Agriculture, Fisheries and Conservation Department?", {"dog_licence"})),  # a name with a comma
    ("the bill was $1823, is that right?", None),  # a price is no hotline
    ("how do I pay my water bill? thanks 1823", ("thanks 1823", {"1823"})),  # found here; FaqRetriever weighs it
])
def test_a_message_turns_to_a_department_named_after_its_first_clause(text: str, turn) -> None:
    found = turned_to(text, SEED_KBS, DepartmentDirectory(SEED))
    assert (found if found is None else (found[0], set(found[1]))) == turn

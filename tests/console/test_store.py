"""The database knowledge store on real SQLite: seed import, drafts, validated publish, versions, rollback, diff, live reload."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from knowledge.db_store import DatabaseSource, KnowledgeDatabase, PublishError, validate_entries
from knowledge.store import KnowledgeStore
from knowledge.validation import load_directory
from knowledge.versions import diff_entries

SEED = Path(__file__).resolve().parents[2] / "knowledge" / "seed"


@pytest.fixture
def database(tmp_path) -> KnowledgeDatabase:
    database = KnowledgeDatabase(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    assert database.seed_from(SEED) == 1
    return database


def edited(item: dict, text: str) -> dict:
    return {**item, "answer": {**item["answer"], "en": f"{text} Source: {item['source']}"}}


def test_seed_import_equals_the_yaml_files(database):
    yaml_entries, problems = load_directory(SEED)
    assert not problems
    entries, problems = DatabaseSource(database).load()
    assert not problems
    assert {e.id: e for e in entries} == {e.id: e for e in yaml_entries}
    assert database.seed_from(SEED) is None  # unchanged seed: not imported twice


def test_changed_seed_is_reimported_until_an_operator_publishes(tmp_path, database):
    seed = tmp_path / "seed"
    seed.mkdir()
    for path in SEED.glob("*.yml"):
        (seed / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert database.seed_from(seed) is None  # same content
    text = (seed / "tsw.yml").read_text(encoding="utf-8")
    (seed / "tsw.yml").write_text(text.replace("updated: 2026", "updated: 2025", 1), encoding="utf-8")
    assert database.seed_from(seed) == 2
    item = database.published()[0]
    database.save_draft(edited(item, "Operator text."), "alice")
    database.publish("alice")
    (seed / "tsw.yml").write_text(text, encoding="utf-8")
    assert database.seed_from(seed) is None  # operators own the database now
    assert database.published()[0]["answer"]["en"].startswith("Operator text.")


def test_publish_refuses_invalid_drafts_whole_and_keeps_them(database):
    item = database.published()[0]
    bad = {**item, "answer": {"en": "No source link <b>bold</b>"}}
    database.save_draft(bad, "alice")
    problems = database.check()
    assert any("zh-Hant" in p.message for p in problems) and any("HTML" in p.message for p in problems)
    with pytest.raises(PublishError) as refused:
        database.publish("bob")
    assert refused.value.problems
    assert database.latest_number() == 1 and database.draft(item["id"]) is not None


def test_publish_versions_diff_and_rollback(database):
    item = database.published()[0]
    database.save_draft(edited(item, "First change."), "alice")
    assert database.publish("bob") == 2 and not database.drafts()
    changes = diff_entries(database.version(1).entries, database.version(2).entries)
    assert [(c.entry_id, c.kind) for c in changes] == [(item["id"], "changed")]
    (field,) = changes[0].fields
    assert field.field == "answer (en)"
    assert ("+", f"First change. Source: {item['source']}") in field.lines
    assert any(mark == "-" for mark, _ in field.lines)
    assert database.rollback(1, "carol") == 3
    assert database.version(3).entries == database.version(1).entries
    assert database.version(3).message == "Rollback to version 1" and database.version(3).author == "carol"
    with pytest.raises(PublishError):
        database.rollback(99, "carol")


def test_drafts_can_add_and_delete_entries(database):
    first, second = database.published()[:2]
    new = {**first, "id": f"{first['kb']}.brand_new", "questions": {
        "en": ["brand new question one", "brand new question two"],
        "zh-Hant": ["全新問題一", "全新問題二"], "yue": ["全新問題一呀", "全新問題二呀"]}}
    new.pop("related", None)
    database.save_draft(new, "alice")
    database.save_draft(None, "alice", entry_id=second["id"], kb=second["kb"])
    ids = [e["id"] for e in database.proposed()]
    assert new["id"] in ids and second["id"] not in ids
    problems = database.check()
    referencing = [e["id"] for e in database.published() if second["id"] in (e.get("related") or ())]
    if referencing:  # deleting a related topic is a problem validation must report
        assert any(second["id"] in p.message for p in problems)
    else:
        assert not problems
        database.publish("bob")
        assert new["id"] in {e["id"] for e in database.published()}


def test_store_over_the_database_goes_live_without_restart(database):
    store = KnowledgeStore(DatabaseSource(database))
    item = database.published()[0]
    assert store.entry(item["id"]).answer["en"] == item["answer"]["en"]
    store.start_watching(interval=0.2)
    try:
        questions = {**item["questions"], "en": [*item["questions"]["en"], "zebra crossing marmalade"]}
        database.save_draft({**edited(item, "Live change."), "questions": questions}, "alice")
        database.publish("bob")
        deadline = time.monotonic() + 2
        while not store.entry(item["id"]).answer["en"].startswith("Live change."):
            assert time.monotonic() < deadline, "the published change was not live within 2 s"
            time.sleep(0.05)
        assert store.index().search("zebra crossing marmalade", [item["kb"]])[0].id == item["id"]  # the index follows
    finally:
        store.stop_watching()


def test_validate_entries_uses_the_yaml_rules(database):
    items = database.published()
    assert validate_entries(items)[1] == []
    duplicate = {**items[1], "questions": {**items[1]["questions"], "en": [*items[1]["questions"]["en"], items[0]["questions"]["en"][0]]}}
    problems = validate_entries([items[0], duplicate, *items[2:]])[1]
    assert any("also a question of" in p.message for p in problems)


def test_words_the_seed_vocabulary_gains_reach_a_database_operators_publish_in_once(tmp_path, database):
    """Words moved from the code's general lexicon to a seed vocabulary (TSW's "tomorrow" for a draft, nineteenth
    session) never reached a database whose operators had published: the seed is not re-imported there, so the words
    silently dropped out (a review). They are added once, as a version by the seed; a word an operator removed stays
    removed; a database older than the record takes every seed word it lacks, once."""
    import json

    from knowledge.db_store import SEED_VOCABULARY, is_vocabulary

    def vocabulary(kb: str) -> dict:
        return next(i for i in database.published() if is_vocabulary(i) and i["kb"] == kb)["vocabulary"]

    items = [dict(i) for i in database.published()]
    tsw = next(i for i in items if is_vocabulary(i) and i["kb"] == "tsw")
    tsw["vocabulary"] = {**tsw["vocabulary"], "draft": [t for t in tsw["vocabulary"]["draft"] if t != "tomorrow"]}
    database.publish_entries(items, "operator", "tomorrow is no draft word for us")  # an operator's edit
    seed = tmp_path / "seed"
    seed.mkdir()
    for path in SEED.glob("*.yml"):
        (seed / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    text = (seed / "tsw.yml").read_text(encoding="utf-8")
    (seed / "tsw.yml").write_text(text.replace('  draft: ["擷取",', '  draft: ["稍後再交", "擷取",', 1), encoding="utf-8")
    number = database.seed_from(seed)
    assert number == 3 and database.version(3).author == "seed" and "tsw (1)" in database.version(3).message
    assert "稍後再交" in vocabulary("tsw")["draft"] and "tomorrow" not in vocabulary("tsw")["draft"]
    assert [i for i in database.published() if not is_vocabulary(i)] == [i for i in items if not is_vocabulary(i)]
    assert database.seed_from(seed) is None  # once
    with database.engine.begin() as connection:  # a database from before the record
        database._set(connection, SEED_VOCABULARY, json.dumps({}))
    assert database.seed_from(seed) == 4 and "tomorrow" in vocabulary("tsw")["draft"]
    assert database.seed_from(seed) is None


def test_an_upgraded_database_gets_the_seeds_vocabularies_once(tmp_path):
    """Published before knowledge bases carried vocabularies: the seed's are added, nothing else changes."""
    from knowledge.db_store import is_vocabulary

    seed = Path(__file__).resolve().parents[2] / "knowledge" / "seed"
    database = KnowledgeDatabase(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    assert database.seed_from(seed) == 1
    entries = [i for i in database.published() if not is_vocabulary(i)]
    database.publish_entries(entries, "operator", "an edit made before vocabularies existed")  # marks it edited
    assert not any(is_vocabulary(i) for i in database.published())
    number = database.seed_from(seed)
    assert number == 3
    published = database.published()
    with_vocabulary = {path.stem for path in seed.glob("*.yml") if "vocabulary" in yaml.safe_load(path.read_text(encoding="utf-8"))}
    assert {"1823", "dog_licence", "tsw"} <= with_vocabulary
    assert {i["kb"] for i in published if is_vocabulary(i)} == with_vocabulary
    assert [i for i in published if not is_vocabulary(i)] == entries
    assert database.seed_from(seed) is None  # once

"""The knowledge store: atomic refusal of bad changes and live reload by a real watcher thread on real files."""
from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import pytest

from knowledge.store import KnowledgeStore

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "knowledge" / "good"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "knowledge"
    shutil.copytree(GOOD, directory)
    return directory


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_loads_a_directory(kb_dir):
    store = KnowledgeStore(kb_dir)
    assert store.problems == [] and store.version == 1
    assert store.knowledge_bases() == ["dog_licence", "tsw"]
    assert [e.id for e in store.entries(["tsw"])] == ["tsw.register", "tsw.password"]
    assert store.entry("dog_licence.fee").answer["en"].startswith("A dog licence costs HK$80")
    assert store.entry("dog_licence.nothing") is None


def test_a_broken_knowledge_base_keeps_its_last_good_version_and_the_others_go_live(kb_dir, caplog):
    store = KnowledgeStore(kb_dir)
    # One good edit in one file and one broken edit in another: the good one goes live, the broken
    # knowledge base keeps serving the version that was good.
    edit(kb_dir / "tsw.yml", "at least 10 characters", "at least 12 characters")
    edit(kb_dir / "dog_licence.yml", "    updated: 2025-01-15\n    tags: [fee]", "    updated: someday\n    tags: [fee]")
    with caplog.at_level(logging.ERROR, logger="knowledge.store"):
        problems = store.reload()
    assert len(problems) == 1 and problems[0].file.endswith("dog_licence.yml") and problems[0].line == 33
    assert store.version == 2 and "at least 12 characters" in store.entry("tsw.password").answer["en"]
    assert store.entry("dog_licence.fee").updated.isoformat() == "2025-01-15"
    assert len(store.entries(["dog_licence"])) == 3 and "dog_licence" in store.snapshot.vocabularies
    assert store.problems == problems
    [refusal] = store.refusals()
    assert refusal.knowledge_base == "dog_licence" and refusal.serving and refusal.problems == tuple(problems)
    assert "Knowledge base dog_licence refused, still serving its last good version (3 entries)" in caplog.text
    assert "dog_licence.yml:33" in caplog.text
    # Fixing the broken file applies it.
    edit(kb_dir / "dog_licence.yml", "updated: someday", "updated: 2025-02-01")
    assert store.reload() == [] and store.refusals() == []
    assert store.version == 3 and store.entry("dog_licence.fee").updated.isoformat() == "2025-02-01"


@pytest.mark.parametrize("breakage", [
    pytest.param(lambda text: text.replace("Source: https://www.example.gov.hk/tsw\"\n", "\"\n", 1), id="answer-without-source"),
    pytest.param(lambda text: text.replace("  - id: tsw.password", "  - id: [tsw.password"), id="yaml-syntax-error"),
    pytest.param(lambda text: text.encode("big5", errors="replace"), id="not-utf8"),
])
def test_a_broken_file_at_start_leaves_only_its_knowledge_base_absent(kb_dir, breakage, caplog):
    broken = breakage((kb_dir / "tsw.yml").read_text(encoding="utf-8"))
    assert broken != (kb_dir / "tsw.yml").read_text(encoding="utf-8")
    if isinstance(broken, bytes):
        (kb_dir / "tsw.yml").write_bytes(broken)
    else:
        (kb_dir / "tsw.yml").write_text(broken, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="knowledge.store"):
        store = KnowledgeStore(kb_dir)
    assert store.knowledge_bases() == ["dog_licence"] and len(store.entries()) == 3
    [refusal] = store.refusals()
    assert refusal.knowledge_base == "tsw" and not refusal.serving
    first = refusal.problems[0]
    assert first.file.endswith("tsw.yml") and first.line > 0 and first.fix
    assert "Knowledge base tsw refused, absent" in caplog.text
    line = refusal.describe()
    assert f"tsw.yml:{first.line}" in line and "Fix:" in line and "absent" in line


def test_removing_every_file_is_refused(kb_dir):
    store = KnowledgeStore(kb_dir)
    for path in kb_dir.iterdir():
        path.unlink()
    assert store.reload() and len(store.entries()) == 5
    [refusal] = store.refusals()  # said as a refusal too: commands and /health report it
    assert refusal.serving and "No knowledge base files" in refusal.describe() and refusal.describe().startswith("all knowledge refused")


def test_subscribers_hear_what_changed(kb_dir, caplog):
    store = KnowledgeStore(kb_dir)
    heard = []
    unsubscribe = store.subscribe(lambda snapshot, change: heard.append((snapshot.version, change)))
    edit(kb_dir / "tsw.yml", "Passwords need at least 10", "Passwords need at least ten")
    (kb_dir / "dog_licence.yml").unlink()
    with caplog.at_level(logging.INFO, logger="knowledge.store"):
        assert store.reload() == []
    version, change = heard[-1]
    assert version == 2 and change.changed == ("tsw.password",) and change.added == ()
    assert set(change.removed) == {"dog_licence.fee", "dog_licence.where_apply", "dog_licence.lost_licence"}
    assert "changed tsw.password" in caplog.text and "removed dog_licence.fee" in caplog.text
    unsubscribe()
    edit(kb_dir / "tsw.yml", "at least ten", "at least 10")
    store.reload()
    assert len(heard) == 1


def test_a_running_watcher_picks_up_a_change_within_two_seconds(kb_dir):
    store = KnowledgeStore(kb_dir)
    changed = threading.Event()
    store.subscribe(lambda snapshot, change: changed.set())
    store.start_watching(interval=0.5)
    try:
        assert store.watching
        new_entry = (GOOD / "tsw.yml").read_text(encoding="utf-8").split("entries:\n")[1].split("  - id: tsw.password")[0]
        new_entry = (new_entry.replace("tsw.register", "tsw.hotline")
                     .replace("Register an account, then subscribe to the service.", "Call the TSW hotline 2117 3348.")
                     .replace("How do I register for the Trade Single Window?", "What is the TSW hotline number?")
                     .replace("How to open a TSW account?", "Who do I call about TSW?")
                     .replace("如何登記貿易單一窗口帳戶？", "貿易單一窗口的查詢熱線是甚麼？")
                     .replace("怎樣開設單一窗口帳戶？", "如何聯絡單一窗口？")
                     .replace("點樣開單一窗口戶口？", "單一窗口熱線幾號？")
                     .replace("單一窗口點登記呀？", "搵單一窗口打邊個電話？"))
        started = time.monotonic()
        with open(kb_dir / "tsw.yml", "a", encoding="utf-8") as handle:
            handle.write(new_entry)
        assert changed.wait(timeout=2.0), "the watcher did not pick the change up within 2 s"
        elapsed = time.monotonic() - started
        assert store.entry("tsw.hotline").answer["en"].startswith("Call the TSW hotline")
        assert elapsed < 2.0
        # A broken save is refused by the watcher too, and the good version stays.
        changed.clear()
        (kb_dir / "tsw.yml").write_text("knowledge_base: tsw\nentries:\n  - id: [broken\n", encoding="utf-8")
        deadline = time.monotonic() + 2.0
        while not store.problems and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.problems and "Invalid YAML" in store.problems[0].message
        assert store.entry("tsw.hotline") is not None and not changed.is_set()
    finally:
        store.stop_watching()
    assert not store.watching


def test_shared_store_watches_the_configured_directory(kb_dir, monkeypatch):
    from knowledge import live

    monkeypatch.setenv("HKBOT_KNOWLEDGE_DIR", str(kb_dir))
    live.reset_shared_store()
    try:
        store = live.shared_store()
        assert store is live.shared_store() and store.watching
        assert len(store.entries()) == 5
    finally:
        live.reset_shared_store()


def test_a_broken_seed_file_refuses_only_its_knowledge_base_in_the_database(kb_dir, tmp_path):
    from knowledge.db_store import DatabaseSource, KnowledgeDatabase

    good_tsw = (kb_dir / "tsw.yml").read_text(encoding="utf-8")
    (kb_dir / "tsw.yml").write_text(good_tsw.replace("  - id: tsw.password", "  - id: [tsw.password"), encoding="utf-8")
    database = KnowledgeDatabase(f"sqlite:///{tmp_path / 'knowledge.sqlite3'}")
    # A fresh database: the valid knowledge base is imported, the broken one is absent and said so.
    assert database.seed_from(kb_dir) == 1
    assert {item["kb"] for item in database.published()} == {"dog_licence"}
    store = KnowledgeStore(DatabaseSource(database))
    assert store.knowledge_bases() == ["dog_licence"]
    [refusal] = store.refusals()
    assert refusal.knowledge_base == "tsw" and not refusal.serving and "Invalid YAML" in refusal.problems[0].message
    # Fixed, it is imported; broken again, it keeps that last good version.
    (kb_dir / "tsw.yml").write_text(good_tsw, encoding="utf-8")
    assert database.seed_from(kb_dir) == 2 and database.seed_refusals == {}
    (kb_dir / "tsw.yml").write_text(good_tsw.replace("Source: https://www.example.gov.hk/tsw\"\n", "\"\n", 1), encoding="utf-8")
    database.seed_from(kb_dir)
    store = KnowledgeStore(DatabaseSource(database))
    assert store.knowledge_bases() == ["dog_licence", "tsw"] and len(store.entries(["tsw"])) == 2
    [refusal] = store.refusals()
    assert refusal.knowledge_base == "tsw" and refusal.serving and "does not end with its source URL" in refusal.problems[0].message

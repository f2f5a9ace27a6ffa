"""`hkbot knowledge ...` and `hkbot bench faq`, run as a user would: real subprocesses."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HKBOT = REPO / ".venv" / "bin" / "hkbot"
GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "knowledge" / "good"


def hkbot(*args: str, knowledge: Path | None = None, bots: Path | None = None, timeout: float = 180):
    env = {**os.environ}
    if knowledge is not None:
        env["HKBOT_KNOWLEDGE_DIR"] = str(knowledge)
    if bots is not None:
        env["HKBOT_BOTS_DIR"] = str(bots)
    return subprocess.run([str(HKBOT), *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


@pytest.fixture
def kb_dir(tmp_path) -> Path:
    directory = tmp_path / "knowledge"
    shutil.copytree(GOOD, directory)
    return directory


def test_validate_ok_and_problems_with_file_line_and_fix(kb_dir):
    ok = hkbot("knowledge", "validate", str(kb_dir))
    assert ok.returncode == 0 and "5 valid entries: OK" in ok.stdout
    text = (kb_dir / "tsw.yml").read_text(encoding="utf-8")
    (kb_dir / "tsw.yml").write_text(text.replace("source: https://www.example.gov.hk/tsw\n    updated: 2024-06-01\n  - id: tsw.password",
                                                 "source: not a url\n    updated: 2024-06-01\n  - id: tsw.password"),
                                    encoding="utf-8")
    bad = hkbot("knowledge", "validate", str(kb_dir))
    assert bad.returncode == 1
    assert "tsw.yml:29: Entry 'tsw.register' source 'not a url' is not a valid URL. Fix: " in bad.stdout
    as_json = json.loads(hkbot("knowledge", "validate", str(kb_dir), "--json").stdout)
    assert as_json["problems"][0]["line"] == 29 and as_json["problems"][0]["fix"]


def test_validate_the_shipped_seed():
    result = hkbot("knowledge", "validate")
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_a_binary_file_is_a_problem_not_a_traceback(tmp_path):
    junk = tmp_path / "junk.yml"
    junk.write_bytes(os.urandom(2000) + b"\x00")
    result = hkbot("knowledge", "validate", str(junk), str(tmp_path / "missing.yml"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "binary file" in result.stdout and "No such file or folder" in result.stdout


def test_list_by_kb_and_by_bot(kb_dir, tmp_path):
    listed = hkbot("knowledge", "list", "--kb", "tsw", knowledge=kb_dir)
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["tsw.register", "tsw.password"]
    bots = tmp_path / "bots"
    (bots / "pets").mkdir(parents=True)
    (bots / "pets" / "bot.yml").write_text("name: pets\nknowledge_bases: [dog_licence]\n", encoding="utf-8")
    entries = json.loads(hkbot("knowledge", "list", "--bot", "pets", "--json", knowledge=kb_dir, bots=bots).stdout)
    assert {e["kb"] for e in entries} == {"dog_licence"} and len(entries) == 3


def test_search_json_follows_the_parse_data_contract(kb_dir, tmp_path):
    bots = tmp_path / "bots"
    bots.mkdir()
    # No bot.yml: a bot named like a knowledge base answers from it.
    result = hkbot("knowledge", "search", "tsw", "單一窗口個戶口鎖咗點算？", "--json", knowledge=kb_dir, bots=bots)
    faq = json.loads(result.stdout)
    assert set(faq) == {"matches", "threshold", "top", "ambiguous"}
    assert faq["top"] == "tsw.password" and faq["matches"][0]["kb"] == "tsw"
    human = hkbot("knowledge", "search", "tsw", "what are the rules for a TSW password", "--top", "2", knowledge=kb_dir, bots=bots)
    assert human.returncode == 0 and "* " in human.stdout and "tsw.password" in human.stdout
    assert len([line for line in human.stdout.splitlines() if line.startswith(("  ", " *", " ~"))]) <= 2
    nothing = hkbot("knowledge", "search", "tsw", "貓牌幾錢", knowledge=kb_dir, bots=bots)
    assert "out_of_scope" in nothing.stdout
    unknown = hkbot("knowledge", "search", "nobot", "hello", knowledge=kb_dir, bots=bots)
    assert unknown.returncode == 2 and "no knowledge base nobot" in unknown.stderr


def test_bench_faq_prints_build_time_and_latency():
    result = hkbot("bench", "faq", "--entries", "200", "--queries", "200", "--dense-questions", "60")
    assert result.returncode == 0, result.stderr
    assert "index: 200 entries, 1800 variants" in result.stdout and "built in" in result.stdout
    assert "p50" in result.stdout and "p95" in result.stdout
    # The dense part: the honest per-question cost, how many questions ran the encoder, and the verdict.
    dense = result.stdout[result.stdout.index("query with the dense signal"):]
    assert "(60 distinct case-file questions" in dense and "CPU p50" in dense
    ran = re.search(r"the encoder ran for (\d+) of 60 questions", dense)
    assert ran and 0 < int(ran.group(1)) <= 60, dense
    assert re.search(r"goal \(dense query p95 < 15 ms, wall clock, one core\): (met|NOT met on this run)", dense), dense

"""`hkbot eval CASES.yml --json` on a small case file, through the real bots."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]

CASES = [
    {"bot": "dog_licence", "text": "hello", "expect": "greet", "lang": "en"},
    {"bot": "dog_licence", "text": "How much does a dog licence cost?", "expect": "dog_licence.fee", "lang": "en"},
    {"bot": "dog_licence", "text": "狗牌幾錢呀", "expect": "dog_licence.fee", "lang": "yue"},
    {"bot": "tsw", "text": "hello", "expect": "greet", "lang": "en"},
    # A deliberately wrong expectation: it must show up as a failure with what the bot did.
    {"bot": "tsw", "text": "hello", "expect": "thanks", "lang": "en"},
]


def test_eval_json_reports_accuracy_groups_and_failures(tmp_path, trained_models):
    cases = tmp_path / "cases.yml"
    cases.write_text(yaml.safe_dump(CASES, allow_unicode=True))
    run = subprocess.run(
        [str(REPO / ".venv/bin/hkbot"), "eval", str(cases), "--json"],
        capture_output=True, text=True, timeout=600, cwd=REPO, env={**__import__("os").environ, "HKBOT_DATA_DIR": str(tmp_path / "data")},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["total"] == 5
    assert 0 <= report["correct"] <= 4
    assert abs(report["accuracy"] - report["correct"] / 5) < 1e-3
    assert set(report["by_lang"]) == {"en", "yue"}
    assert set(report["by_bot"]) == {"dog_licence", "tsw"}
    assert set(report["by_expect"]) == {"greet", "dog_licence.fee", "thanks"}
    assert report["by_expect"]["thanks"] == 0.0
    wrong = [f for f in report["failures"] if f["expect"] == "thanks"]
    assert wrong == [{"bot": "tsw", "text": "hello", "lang": "en", "expect": "thanks", "got": "greet"}]
    assert len(report["failures"]) == 5 - report["correct"]
    assert "accuracy" in run.stdout and "by language:" in run.stdout and "failures (" in run.stdout


def test_eval_refuses_a_bad_case_file_with_its_number(tmp_path, trained_models):
    cases = tmp_path / "cases.yml"
    cases.write_text(yaml.safe_dump(CASES + [{"bot": "tsw", "text": "x"}], allow_unicode=True))
    run = subprocess.run([str(REPO / ".venv/bin/hkbot"), "eval", str(cases), "--json"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.returncode == 1
    assert "case 6 needs a non-empty 'expect'" in run.stderr

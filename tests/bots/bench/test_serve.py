"""`hkbot bench serve`'s cache key for plain Rasa models: content counts, comments do not."""
from __future__ import annotations

from pathlib import Path

from bots.bench.serve import plain_fingerprint


def _project(tmp_path: Path, domain: str) -> tuple[Path, Path]:
    (tmp_path / "domain").mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "domain" / "domain.yml").write_text(domain, encoding="utf-8")
    (tmp_path / "data" / "nlu.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n', encoding="utf-8")
    return tmp_path / "domain", tmp_path / "data"


def test_a_comment_does_not_change_the_plain_model_but_content_does(tmp_path):
    base = plain_fingerprint(*_project(tmp_path, 'version: "3.1"\nintents:\n  - greet\n'))
    commented = plain_fingerprint(*_project(tmp_path, 'version: "3.1"\n# a note for readers\nintents:\n  - greet  # ok\n'))
    changed = plain_fingerprint(*_project(tmp_path, 'version: "3.1"\nintents:\n  - greet\n  - goodbye\n'))
    assert commented == base
    assert changed != base


def test_speed_targets_are_judged_only_when_every_message_was_answered():
    from bots.bench.serve import LoadResult, verdict

    fast = LoadResult(latencies_ms=[20.0] * 100, seconds=0.2)
    slow = LoadResult(latencies_ms=[300.0] * 100, seconds=2.0)
    assert verdict(1000, 4000, fast, slow) == "targets: memory ≤ 0.5× plain: met; msgs/s ≥ 5× plain: met; p95 < 300 ms: met"
    refused = LoadResult(latencies_ms=[5.0] * 100, errors=20, seconds=0.1)  # 429s are answered fast
    line = verdict(1000, 4000, refused, slow)
    assert "msgs/s ≥ 5× plain: NOT met" in line and "p95 < 300 ms: NOT met" in line and "errors" in line
    assert "memory ≤ 0.5× plain: NOT met" in verdict(3000, 4000, fast, slow)

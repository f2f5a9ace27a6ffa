"""Honest failures and a health endpoint a load balancer can use, on a real `hkbot serve` and real commands.

One broken knowledge file (an answer that does not end with its source URL) must refuse its own
knowledge base only, be named with file, line and fix on the last line of `hkbot serve`, `hkbot eval`
and `hkbot train`, make `hkbot eval` exit non-zero, and show in `/health`: 503 when a bot misses a
knowledge base, 200 while the last good version still serves.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "knowledge" / "seed"
TSW_SOURCE = " Source: https://www6.tradesinglewindow.hk/portal/en/faq/general.html\""
TSW_QUESTION = "What is the Trade Single Window?"
FEE_QUESTION = "How much does a dog licence cost?"


def broken_seed(folder: Path) -> tuple[Path, int]:
    """A copy of the seed where one tsw answer no longer ends with its source URL; returns (folder, line)."""
    shutil.copytree(SEED, folder)
    path = folder / "tsw.yml"
    text = path.read_text(encoding="utf-8")
    assert TSW_SOURCE in text
    before, _, _ = text.partition(TSW_SOURCE)
    path.write_text(text.replace(TSW_SOURCE, "\"", 1), encoding="utf-8")
    return folder, before.count("\n") + 1


def label_of(server, bot: str, text: str) -> str:
    reply = httpx.post(f"{server.url}/bots/{bot}/webhooks/rest/webhook",
                       json={"sender": f"health-{uuid.uuid4().hex[:10]}", "message": text}, timeout=60)
    assert reply.status_code == 200, reply.text
    return next((m["metadata"]["label"] for m in reply.json() if (m.get("metadata") or {}).get("label")), "")


def last_log_line(server, wanted: str, timeout: float = 20) -> str:
    """The server log's last line once `wanted` is in the log (the start-up's last words come just after it binds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = server.log_path.read_text(errors="replace")
        if wanted in text:
            return text.strip().splitlines()[-1]
        time.sleep(0.2)
    raise AssertionError(f"{wanted!r} never appeared in the log:\n{server.log_tail()}")


def hkbot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run an `hkbot` command with stderr after stdout in one stream, as a terminal shows it."""
    return subprocess.run([str(REPO / ".venv" / "bin" / "hkbot"), *args], cwd=REPO, env={**os.environ, **env},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)


# --------------------------------------------------------------------------- a healthy server


def test_health_is_ready_with_versions_and_no_file_names(server, trained_models):
    answer = httpx.get(f"{server.url}/health", timeout=30)
    assert answer.status_code == 200
    health = answer.json()
    assert health["ready"] is True and health["status"] == "ok" and health["missing"] == []
    assert health["version"] and health["version"] != "unknown"
    knowledge = health["knowledge"]
    assert knowledge["version"] >= 1 and len(knowledge["fingerprint"]) == 16 and knowledge["refused"] == []
    for bot in health["bots"]:
        assert bot["ready"] and bot["model"] == "loaded" and len(bot["fingerprint"]) == 16
        assert bot["knowledge_bases"] and all(count > 0 for count in bot["knowledge_bases"].values())
    # Versions, not file names: nothing of the model files, the knowledge files or the paths.
    for model in trained_models.values():
        assert model.name not in answer.text and model.stem.split(".")[0] not in answer.text
    for marker in (".tar.gz", ".yml", ".sqlite3", str(REPO), "var/"):
        assert marker not in answer.text


PAGES = ["/health", "/widget.js", "/hkbot-static/widget.css", "/demo/dog_licence", "/kiosk/dog_licence",
         "/demo/no_such_bot", "/console", "/console/login", "/console/knowledge", "/bots/dog_licence/webhooks/rest/"]


@pytest.mark.parametrize("path", PAGES)
def test_head_answers_as_get_without_a_body(server, path):
    get = httpx.get(server.url + path, timeout=30, follow_redirects=False)
    head = httpx.head(server.url + path, timeout=30, follow_redirects=False)
    assert head.status_code == get.status_code and head.status_code != 405, f"HEAD {path}: {head.status_code}"
    assert head.content == b""
    assert head.headers.get("content-type") == get.headers.get("content-type")


def test_head_is_still_refused_where_get_is(server):
    assert httpx.head(server.url + "/bots/dog_licence/webhooks/rest/webhook", timeout=30).status_code == 405


# --------------------------------------------------------------------------- one broken knowledge file


def test_serve_with_a_broken_file_and_no_last_good_version(server_factory, tmp_path):
    knowledge, line = broken_seed(tmp_path / "knowledge")
    server = server_factory(env={"HKBOT_KNOWLEDGE_DIR": str(knowledge)}, bots=["dog_licence", "tsw"], ready=False)
    # The last line of the start-up names the file, the line and the fix.
    last = last_log_line(server, "Knowledge refused")
    assert f"knowledge/tsw.yml:{line}: Entry 'tsw.about' answer (en) does not end with its source URL." in last
    assert "Fix: End it with the source link" in last and "absent until fixed" in last
    # Not ready: a load balancer must not send the tsw bot's citizens here; the body says what is missing.
    answer = httpx.get(f"{server.url}/health", timeout=30)
    assert answer.status_code == 503
    health = answer.json()
    assert health["ready"] is False and health["status"] == "unavailable"
    assert health["missing"] == ["bot tsw: knowledge base tsw is not loaded (its file was refused; "
                                 "the server log says where and how to fix it)"]
    [refused] = health["knowledge"]["refused"]  # the answer, and the entries that relate to its topic
    assert refused["knowledge_base"] == "tsw" and refused["problems"] >= 1 and refused["serving"] == "nothing: absent until fixed"
    ready = {bot["name"]: bot["ready"] for bot in health["bots"]}
    assert ready == {"dog_licence": True, "tsw": False}
    assert "tsw.yml" not in answer.text
    assert httpx.head(f"{server.url}/health", timeout=30).status_code == 503
    # The other knowledge base still answers.
    assert label_of(server, "dog_licence", FEE_QUESTION) == "dog_licence.fee"


def test_serve_with_a_broken_file_keeps_the_last_good_version(server_factory, tmp_path):
    from knowledge.db_store import KnowledgeDatabase

    url = f"sqlite:///{tmp_path / 'knowledge.sqlite3'}"
    assert KnowledgeDatabase(url).seed_from(SEED) == 1  # what an earlier start imported
    knowledge, line = broken_seed(tmp_path / "knowledge")
    server = server_factory(env={"HKBOT_KNOWLEDGE_DIR": str(knowledge), "HKBOT_KNOWLEDGE_DB": url}, bots=["tsw"])
    last = last_log_line(server, "Knowledge refused")
    assert f"knowledge/tsw.yml:{line}:" in last and "Fix:" in last and "its last good version still serves" in last
    health = httpx.get(f"{server.url}/health", timeout=30).json()
    assert health["ready"] is True and health["status"] == "degraded"
    [refused] = health["knowledge"]["refused"]
    assert refused["knowledge_base"] == "tsw" and refused["problems"] >= 1 and refused["serving"] == "its last good version"
    assert label_of(server, "tsw", TSW_QUESTION) == "tsw.about"


def test_eval_with_a_broken_file_scores_the_rest_and_exits_non_zero(tmp_path, trained_models):
    knowledge, line = broken_seed(tmp_path / "knowledge")
    cases = tmp_path / "cases.yml"  # cases that do not need the broken knowledge base
    cases.write_text(yaml.safe_dump([
        {"bot": "dog_licence", "text": FEE_QUESTION, "expect": "dog_licence.fee", "lang": "en"},
        {"bot": "dog_licence", "text": "狗牌幾錢呀", "expect": "dog_licence.fee", "lang": "yue"},
    ], allow_unicode=True))
    run = hkbot("eval", str(cases), env={"HKBOT_KNOWLEDGE_DIR": str(knowledge), "HKBOT_DATA_DIR": str(tmp_path / "data")})
    assert run.returncode == 2, run.stdout[-3000:]
    assert "accuracy 100.0%  (2/2)" in run.stdout  # the valid knowledge bases loaded
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("hkbot eval: Knowledge refused: knowledge base 'tsw' refused")
    assert f"knowledge/tsw.yml:{line}: Entry 'tsw.about' answer (en) does not end with its source URL." in last
    assert "Fix: End it with the source link" in last


def test_train_with_a_broken_file_says_so_last(tmp_path, trained_models):
    knowledge, line = broken_seed(tmp_path / "knowledge")
    run = hkbot("train", "dog_licence", env={"HKBOT_KNOWLEDGE_DIR": str(knowledge)})
    assert run.returncode == 0, run.stdout[-3000:]
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("hkbot train: Knowledge refused: knowledge base 'tsw' refused, its questions were left out of training")
    assert f"knowledge/tsw.yml:{line}:" in last and "Fix:" in last

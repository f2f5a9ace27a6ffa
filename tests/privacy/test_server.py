"""Privacy on the real server: what a citizen types is answered, but stored redacted; export and erasure work on it;
every bot's greeting links its privacy notice."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from hkbot.bot_config import load_bots

HKBOT = str(Path(sys.executable).parent / "hkbot")
SECRETS = ("A123456(3)", "9123 4567", "chan.tai.man@example.com")
MESSAGE = "我想續狗牌，我電話係9123 4567，身份證A123456(3)，電郵chan.tai.man@example.com"


def hkbot(server, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HKBOT_DATA_DIR": str(server.data_dir)}
    env.pop("HKBOT_ENDPOINTS", None)
    return subprocess.run([HKBOT, *args], capture_output=True, text=True, timeout=120, env=env)


def stored(server, key: str) -> list[dict]:
    with sqlite3.connect(server.data_dir / "trackers.sqlite3", timeout=30) as db:
        return [json.loads(row[0]) for row in db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (key,))]


def test_the_citizen_is_answered_but_nothing_personal_is_stored_or_logged(server):
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    response = httpx.post(f"{server.url}/bots/dog_licence/webhooks/rest/webhook", json={"sender": sender, "message": MESSAGE}, timeout=120)
    assert response.status_code == 200
    replies = response.json()
    assert replies and all(reply["recipient_id"] == sender for reply in replies) and any(reply.get("text") for reply in replies)

    events = stored(server, f"dog_licence:{sender}")
    dump = json.dumps(events, ensure_ascii=False)
    assert events, "the conversation was stored"
    for secret in SECRETS:
        assert secret not in dump
    user = [event for event in events if event["event"] == "user"]
    assert user[-1]["text"] == "我想續狗牌，我電話係[PHONE]，身份證[HKID]，電郵[EMAIL]"
    assert user[-1]["parse_data"]["text"] == user[-1]["text"]
    assert "[PHONE]" not in json.dumps(replies, ensure_ascii=False)  # the reply was made from the live, unredacted turn

    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    for secret in SECRETS:
        assert secret not in log


def test_export_and_delete_on_the_servers_own_database(server):
    sender = f"dsr-{uuid.uuid4().hex[:8]}"
    url = f"{server.url}/bots/tsw/webhooks/rest/webhook"
    assert httpx.post(url, json={"sender": sender, "message": "my email is dsr@example.com, how do I register?"}, timeout=120).status_code == 200

    exported = hkbot(server, "privacy", "export", sender)
    assert exported.returncode == 0, exported.stderr
    record = json.loads(exported.stdout)
    assert [c["key"] for c in record["conversations"]] == [f"tsw:{sender}"]
    assert "dsr@example.com" not in exported.stdout and "[EMAIL]" in exported.stdout

    deleted = hkbot(server, "privacy", "delete", sender, "--bot", "tsw")
    assert deleted.returncode == 0 and f"tsw:{sender}" in deleted.stdout
    assert stored(server, f"tsw:{sender}") == []
    # the server carries on with the same sender as a new conversation
    again = httpx.post(url, json={"sender": sender, "message": "hello"}, timeout=120)
    assert again.status_code == 200 and again.json()


@pytest.mark.parametrize("bot", sorted(load_bots()))
def test_every_greeting_links_the_privacy_notice(bot):
    config = load_bots([bot])[bot]
    assert {"en", "zh-Hant"} <= set(config.privacy_notice), f"{bot}: bot.yml needs privacy_notice en and zh-Hant"
    for language in ("en", "zh-Hant"):
        url = config.privacy_notice[language]
        assert url.startswith("https://")
        # The link goes under the greeting (its metadata: tests/actions/test_conversation.py), not as a raw URL in it.
        assert "http" not in config.greeting[language], f"{bot}: the {language} greeting shows a raw URL"

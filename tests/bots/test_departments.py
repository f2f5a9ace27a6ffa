"""Fallbacks and handoffs name the department a question was clearly about, through the real trained 1823 bot."""
from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
import yaml

from tests.bots.test_content_conversations import Chat

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def hotline(server) -> Chat:
    return Chat(server, "1823")


@pytest.mark.parametrize("text, language, name, phone", [
    ("water meter reading wrong", "en", "Water Supplies Department", "2824 5000"),
    ("is tap water safe to drink in Tai Po today", "en", "Water Supplies Department", "2824 5000"),
    ("公屋可唔可以養貓", "yue", "房屋署", "2712 2712"),
    ("公屋单位可以养猫吗", "zh-Hans", "房屋署", "2712 2712"),
])
def test_a_question_clearly_about_one_department_is_refused_with_its_hotline(
        hotline: Chat, text: str, language: str, name: str, phone: str) -> None:
    reply = hotline.reply(text)
    assert (reply["label"], reply["kind"], reply["language"]) == ("out_of_scope", "fallback", language), reply
    assert name in reply["text"] and phone in reply["text"], reply["text"]
    assert reply["text"].startswith(("Sorry", "抱歉")), "it still refuses first"
    assert "1823" in reply["text"] and reply["buttons"], "the 1823 hotline and the officer button stay"


@pytest.mark.parametrize("text", [
    "what's the weather tomorrow",
    "how do I get a fishing licence",
    "I want to book a table at a restaurant",
    "明天天氣點樣",
])
def test_a_question_about_nothing_the_bot_knows_keeps_the_generic_refusal(hotline: Chat, text: str) -> None:
    reply = hotline.reply(text)
    assert reply["label"] == "out_of_scope" and reply["kind"] == "fallback", reply
    assert not reply.get("department") and "hotline on" not in reply["text"] and "熱線" not in reply["text"].split("1823")[-1]


def test_a_handoff_after_a_water_answer_gives_the_water_hotline(hotline: Chat) -> None:
    answer = hotline.reply("How can I pay my water bill?")
    assert answer["kind"] == "answer" and answer["kb"] == "wsd", answer
    handoff = hotline.reply("I want to talk to a real person")
    assert handoff["kind"] == "handoff" and handoff["department"] == "wsd", handoff
    assert "Water Supplies Department" in handoff["text"] and "2824 5000" in handoff["text"]


def test_a_handoff_in_chinese_after_an_unanswered_housing_question_names_housing(hotline: Chat) -> None:
    refused = hotline.reply("公屋可唔可以養貓")
    assert refused["department"] == "hd", refused
    handoff = hotline.reply("我想搵真人")
    assert handoff["kind"] == "handoff" and "房屋署" in handoff["text"] and "2712 2712" in handoff["text"], handoff


def test_a_handoff_with_no_department_in_the_conversation_is_unchanged(hotline: Chat) -> None:
    handoff = hotline.reply("我想搵真人")
    assert handoff["kind"] == "handoff" and not handoff.get("department") and "熱線" not in handoff["text"], handoff


#: The 1823 bot gives up on a handoff after a few seconds in the timeout test's server.
WAIT_SECONDS = 3


def test_a_handoff_nobody_takes_tells_the_citizen_the_departments_hotline(server_factory, tmp_path_factory) -> None:
    """No officer free in time: the console's timeout message gives 1823 and the water department's own line."""
    root = tmp_path_factory.mktemp("dept-timeout")
    bots_dir = root / "bots"
    shutil.copytree(REPO / "bots", bots_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    bot_yml = bots_dir / "1823" / "bot.yml"
    config = yaml.safe_load(bot_yml.read_text(encoding="utf-8"))
    config["handoff"]["wait_seconds"] = WAIT_SECONDS
    bot_yml.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    server = server_factory(env={"HKBOT_BOTS_DIR": str(bots_dir)}, bots=["1823"])
    chat = Chat(server, "1823")
    assert chat.reply("How can I pay my water bill?")["kb"] == "wsd"
    assert chat.reply("I want to talk to a real person")["department"] == "wsd"
    # A citizen given crisis lines who then waited for a person in vain is told the lines again.
    crisis = Chat(server, "1823")
    assert crisis.reply("I want to kill myself")["kind"] == "crisis"
    assert crisis.reply("/ask_human")["kind"] == "handoff"  # the officer button under the crisis lines
    text = timeout_message(server, chat.sender)
    assert "no officer" in text and "1823" in text, text
    assert "Water Supplies Department" in text and "2824 5000" in text, text
    assert "18111" not in text, text
    text = timeout_message(server, crisis.sender)
    assert "no officer" in text and "18111" in text and "2389 2222" in text, text


def timeout_message(server, sender: str) -> str:
    """The text of the timeout message the console's handoff timer put in a conversation (waits for it)."""
    told = []
    deadline = time.monotonic() + WAIT_SECONDS + 30
    while not told and time.monotonic() < deadline:
        time.sleep(1)
        with sqlite3.connect(server.data_dir / "trackers.sqlite3", timeout=30) as db:
            rows = db.execute("select data from events where sender_id = ? and type_name = 'bot'", (f"1823:{sender}",))
            told = [json.loads(data) for (data,) in rows if '"handoff_timeout"' in data]
    assert told, server.log_tail()
    return told[-1]["text"]


def test_the_clear_department_signal_needs_a_score_and_a_majority() -> None:
    from actions.department_hint import _known, clear_kb

    def faq(*pairs):
        return {"matches": [{"id": f"{kb}.t{n}", "kb": kb, "score": score} for n, (kb, score) in enumerate(pairs)]}

    assert clear_kb(faq(("wsd", 0.40), ("wsd", 0.2), ("wsd", 0.2), ("wsd", 0.1), ("ird", 0.1))) == "wsd"
    assert clear_kb(faq(("wsd", 0.29), ("wsd", 0.2), ("wsd", 0.2), ("wsd", 0.1), ("wsd", 0.1))) is None  # too weak
    assert clear_kb(faq(("emsd", 0.44), ("immd", 0.25), ("bd", 0.24), ("emsd", 0.2), ("emsd", 0.2))) is None  # 3 of 5
    assert clear_kb(faq(("wsd", 0.9), ("wsd", 0.5), ("wsd", 0.4))) is None  # too few candidates to call a majority
    assert clear_kb({"matches": "junk"}) is None and clear_kb(None) is None and clear_kb({"matches": [{"kb": 1}]}) is None
    assert _known(("1823", "wsd"), "wsd").hotline == "2824 5000"
    assert _known(("wsd",), "wsd") is None  # a one-department bot already gives its own line
    assert _known(("1823", "ird"), "wsd") is None  # never a department the bot does not answer for

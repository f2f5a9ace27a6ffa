"""The multi-bot server over real HTTP: Rasa's REST wire format per bot, /health, isolation, bad requests."""
from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest

BOTS = ("1823", "dog_licence", "tsw", "wsd")  # wsd: the bot made from bot.yml alone


def webhook(server, bot: str) -> str:
    return f"{server.url}/bots/{bot}/webhooks/rest/webhook"


def say(server, bot: str, sender: str, text: str) -> list[dict]:
    reply = httpx.post(webhook(server, bot), json={"sender": sender, "message": text}, timeout=60)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    return reply.json()


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_health_lists_every_bot_with_its_model(server, trained_models):
    health = httpx.get(f"{server.url}/health", timeout=10).json()
    assert health["status"] == "ok"
    listed = {bot["name"]: bot for bot in health["bots"]}
    assert set(listed) == set(BOTS)
    models = next(iter(trained_models.values())).parent
    for name in BOTS:
        # The model the server runs, by fingerprint (no file name in a public answer): cached under that
        # fingerprint (a newer one if the code changed since the fixture trained).
        assert listed[name]["model"] == "loaded"
        assert (models / f"{name}-{listed[name]['fingerprint']}.tar.gz").is_file()
        assert "rest" in listed[name]["channels"]


@pytest.mark.parametrize("bot", BOTS)
def test_rest_round_trip_keeps_rasas_wire_format(server, bot):
    sender = new_sender()
    messages = say(server, bot, sender, "hello")
    assert messages, "a greeting gets an answer"
    for message in messages:
        assert message["recipient_id"] == sender
        assert set(message) <= {"recipient_id", "text", "buttons", "image", "attachment", "custom", "elements", "metadata"}
        for button in message.get("buttons", []):
            assert {"title", "payload"} <= set(button)
    first = messages[0]
    assert isinstance(first["text"], str) and first["text"].strip()
    assert first["metadata"]["label"] == "greet"
    assert first["metadata"]["language"] == "en"


def test_a_topic_answer_comes_whole_with_its_source(server):
    messages = say(server, "dog_licence", new_sender(), "How much does a dog licence cost?")
    answer = messages[0]
    assert answer["metadata"]["label"] == "dog_licence.fee"
    assert answer["metadata"]["kind"] == "answer"
    assert "http" not in answer["text"]  # no raw URL in the text: the link rides in the same item's metadata
    assert answer["metadata"]["source"].startswith("https://") and answer["metadata"]["source_label"]


def test_two_questions_in_one_message_get_two_answers(server):
    messages = say(server, "1823", new_sender(), "is 1823 open 24 hours, and how do I pay my water bill?")
    kinds = [(m["metadata"]["kind"], m["metadata"]["label"]) for m in messages]
    # Both answered, whichever the whole message finds first (the two score close); the second after its line.
    assert [kind for kind, _ in kinds] == ["answer", "also", "answer"], kinds
    assert {kinds[0][1], kinds[2][1]} == {"1823.hours", "wsd.pay_bill"} and kinds[1][1] == kinds[2][1], kinds
    named = "water" if kinds[2][1] == "wsd.pay_bill" else "hours"
    assert named in messages[1]["text"].lower()  # the line before the second answer names its topic


def test_a_question_without_a_subject_follows_the_conversation(server):
    sender = new_sender()
    assert say(server, "1823", sender, "狗牌點續期？")[0]["metadata"]["label"] == "dog_licence.validity_renewal"
    follow = say(server, "1823", sender, "幾錢？")[0]["metadata"]
    assert (follow["kind"], follow["label"]) == ("answer", "dog_licence.fee"), follow  # not the water tariff
    browsing = new_sender()
    say(server, "1823", browsing, '/browse{"area": "housing"}')
    follow = say(server, "1823", browsing, "How do I apply?")[0]["metadata"]
    assert follow["kind"] == "answer" and follow["label"].startswith("hd."), follow  # not CSSA
    # With nothing before it, the citizen is asked which topic they mean.
    alone = say(server, "1823", new_sender(), "幾錢？")[0]["metadata"]
    assert alone["kind"] == "clarify", alone


def test_a_question_without_a_subject_follows_the_answer_in_a_bot_of_one_knowledge_base(server):
    sender = new_sender()
    assert say(server, "tsw", sender, "How do I register for a TSW account?")[0]["metadata"]["label"] == "tsw.register"
    follow = say(server, "tsw", sender, "how long does it take?")[0]["metadata"]
    assert (follow["kind"], follow["label"]) == ("answer", "tsw.approval_time"), follow
    # With nothing before it, it is refused as before.
    alone = say(server, "tsw", new_sender(), "how long does it take?")[0]["metadata"]
    assert alone["kind"] == "fallback", alone
    # "要錢嗎" right after the lost-licence answer is about that answer: a replacement licence is free (a citizen
    # review got the HK$80 licence fee, the department's cost topic).
    lost = new_sender()
    assert say(server, "dog_licence", lost, "唔見咗個狗牌點算")[0]["metadata"]["label"] == "dog_licence.lost_licence"
    assert say(server, "dog_licence", lost, "要錢嗎")[0]["metadata"]["label"] == "dog_licence.lost_licence"


def test_chinese_without_a_script_of_its_own_is_answered_in_the_chats_simplified(server):
    body = {"sender": new_sender(), "message": "我想找真人客服", "metadata": {"language": "zh-Hans"}}
    reply = httpx.post(webhook(server, "tsw"), json=body, timeout=60)
    assert reply.status_code == 200
    assert {m["metadata"]["language"] for m in reply.json()} == {"zh-Hans"}, reply.json()


def test_the_same_sender_on_two_bots_are_two_conversations(server):
    sender = new_sender()
    assert say(server, "dog_licence", sender, "我想搵真人")[0]["metadata"]["kind"] == "handoff"
    assert [m["metadata"]["kind"] for m in say(server, "dog_licence", sender, "hello")] == ["handoff_waiting"]  # handed off: no answer, REST's note
    other = say(server, "tsw", sender, "hello")  # same sender id, other bot: untouched
    assert other and other[0]["metadata"]["label"] == "greet"
    assert other[0]["recipient_id"] == sender


def test_two_senders_on_one_bot_are_two_conversations(server):
    alice, bob = new_sender(), new_sender()
    say(server, "1823", alice, "我想搵真人")
    assert [m["metadata"]["kind"] for m in say(server, "1823", alice, "hello")] == ["handoff_waiting"]
    replies = say(server, "1823", bob, "hello")
    assert replies and replies[0]["recipient_id"] == bob


def test_conversations_are_stored_per_bot_under_the_citizens_own_id(server):
    sender = new_sender()
    say(server, "dog_licence", sender, "hello")
    say(server, "tsw", sender, "hello")
    with sqlite3.connect(server.data_dir / "trackers.sqlite3") as db:
        keys = {row[0] for row in db.execute("select distinct sender_id from events where sender_id like ?", (f"%{sender}",))}
    assert keys == {f"dog_licence:{sender}", f"tsw:{sender}"}


BAD_BODIES = {
    "empty": b"",
    "not json": b"hello there",
    "binary": bytes(range(256)) * 4,
    "json array": b'["hello"]',
    "no sender": b'{"message": "hello"}',
    "no message": b'{"sender": "x"}',
    "empty message": b'{"sender": "x", "message": "   "}',
    "message not text": b'{"sender": "x", "message": {"a": 1}}',
    "sender not text": b'{"sender": 5, "message": "hi"}',
    "metadata not object": b'{"sender": "x", "message": "hi", "metadata": [1]}',
    "lone surrogate": b'{"sender": "x", "message": "\\ud800"}',
    "huge": b'{"sender": "x", "message": "' + b"a" * 200_000 + b'"}',
    "too big for the server": b"x" * (2 * 1024 * 1024),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_requests_get_a_clear_4xx(server, name):
    reply = httpx.post(webhook(server, "dog_licence"), content=BAD_BODIES[name], headers={"content-type": "application/json"}, timeout=30)
    # Too large is 413 (the hardening middleware's choice, correct HTTP); every other bad request is 400.
    expected = 413 if name in ("huge", "too big for the server") else 400
    assert reply.status_code == expected, reply.text[:300]
    error = reply.json()["error"]
    assert isinstance(error, str) and error and "Traceback" not in error


def test_unknown_paths_and_bots_are_json_404(server):
    for path in ("/nope", "/bots/nobody/webhooks/rest/webhook"):
        reply = httpx.post(f"{server.url}{path}", json={"sender": "x", "message": "hi"}, timeout=10)
        assert reply.status_code == 404
        assert "error" in reply.json()
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200  # still serving


def test_browsing_by_service_area_over_rest(server):
    """A REST client taps through the 1823 bot: greeting's areas, an area's topics, more, back, an answer."""
    sender = new_sender()
    greeting = say(server, "1823", sender, "hello")[0]
    areas = greeting["buttons"]
    assert len(areas) == 10 and areas[0] == {"title": "Water supply and bills", "payload": '/browse{"area": "water"}'}
    water = say(server, "1823", sender, areas[0]["payload"])[0]
    assert water["metadata"]["label"] == "browse:water" and water["metadata"]["language"] == "en"
    titles = [b["title"] for b in water["buttons"]]
    assert titles[-2:] == ["More questions", "All service areas"] and titles[0] == "Ways to pay a water bill"
    more = say(server, "1823", sender, water["buttons"][-2]["payload"])[0]
    assert more["metadata"]["page"] == 2 and more["metadata"]["label"] == "browse:water"
    back = say(server, "1823", sender, more["buttons"][-1]["payload"])[0]
    assert [b["payload"] for b in back["buttons"]] == [b["payload"] for b in areas]
    answer = say(server, "1823", sender, water["buttons"][0]["payload"])[0]
    assert answer["metadata"]["label"] == "wsd.pay_bill" and answer["metadata"]["kind"] == "answer"


@pytest.mark.parametrize(("bot", "text", "language"), [
    ("1823", "so what can you actually do?", "en"),
    ("1823", "你究竟可以幫我做啲乜", "yue"),
    ("tsw", "有什么菜单", "zh-Hans"),
])
def test_asking_what_the_bot_can_do_lists_what_it_answers(server, bot: str, text: str, language: str):
    """'What can you do?' gets the service areas (or a one-department bot's top topics), not a reply to 'yes'."""
    reply = say(server, bot, new_sender(), text)[0]
    assert reply["metadata"]["label"] == "browse" and reply["metadata"]["language"] == language
    payloads = [b["payload"] for b in reply["buttons"]]
    if bot == "1823":
        assert len(payloads) == 10 and all(p.startswith('/browse{"area": ') for p in payloads)
    else:
        assert payloads and all(p.startswith('/faq{"topic": "tsw.') for p in payloads)


def test_a_question_about_1823s_own_services_is_still_its_topic(server):
    reply = say(server, "1823", new_sender(), "1823提供甚麼服務？")[0]
    assert reply["metadata"]["label"] == "1823.about"


def test_a_phone_number_alone_is_told_the_bot_cannot_call_back(server):
    """A citizen review: "call me 91234567" got "Goodbye!"."""
    reply = say(server, "1823", new_sender(), "call me 91234567")[0]
    assert reply["metadata"]["kind"] == "fallback" and "can't call you back" in reply["text"]


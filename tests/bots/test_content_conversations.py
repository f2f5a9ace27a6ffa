"""Whole conversations with the real trained bots on the real multi-bot server (REST channel)."""
from __future__ import annotations

import uuid

import httpx
import pytest

from knowledge.live import shared_store


class Chat:
    """One citizen's conversation with one bot over `POST /bots/<bot>/webhooks/rest/webhook`."""

    def __init__(self, server, bot: str) -> None:
        self.url = f"{server.url}/bots/{bot}/webhooks/rest/webhook"
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> list[dict]:
        response = httpx.post(self.url, json={"sender": self.sender, "message": text}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def reply(self, text: str) -> dict:
        """The one bot message with a label that answers `text` (its metadata flattened in)."""
        labelled = [m for m in self.say(text) if (m.get("metadata") or {}).get("label")]
        assert len(labelled) == 1, labelled
        return {**labelled[0], **labelled[0]["metadata"]}


@pytest.fixture()
def dog(server) -> Chat:
    return Chat(server, "dog_licence")


def test_greeting_then_a_cantonese_question_gets_the_answer_with_its_source(dog: Chat) -> None:
    greeting = dog.reply("你好")
    assert greeting["kind"] == "greeting" and "虛擬助理" in greeting["text"] and "privacy" in greeting["privacy_notice"]
    assert greeting["buttons"], "the greeting offers the top topics"
    # "隻狗攞牌要幾多錢呀？" asked this before the eight new departments (docs/departments.md): it now gets a
    # clarifying question (fee vs which dogs need one), part of the seed drop that page reports.
    answer = dog.reply("攞狗牌要俾幾多錢呀？")
    entry = shared_store().entry("dog_licence.fee")
    assert (answer["label"], answer["kind"], answer["language"]) == ("dog_licence.fee", "answer", "yue")
    assert entry.answer["zh-Hant"].startswith(answer["text"]) and answer["source"] == entry.source
    assert "http" not in answer["text"]


def test_the_chosen_language_sticks(dog: Chat) -> None:
    switched = dog.reply("English please")
    assert switched["label"] == "switch_language" and switched["language"] == "en"
    answer = dog.reply("狗牌幾多錢？")
    assert answer["language"] == "en" and shared_store().entry("dog_licence.fee").answer["en"].startswith(answer["text"])
    fallback = dog.reply("點樣攞貓牌？")
    assert fallback["label"] == "out_of_scope" and fallback["text"].startswith("Sorry") and "1823" in fallback["text"]


def test_after_asking_for_a_human_the_bot_stays_silent(server) -> None:
    chat = Chat(server, "tsw")
    handoff = chat.reply("我想搵真人")
    assert handoff["kind"] == "handoff" and "2117 3348" in handoff["text"]
    # The bot answers nothing; over REST (nothing reaches it between turns) a note says the officer has it.
    assert [m["metadata"]["kind"] for m in chat.say("喂？")] == ["handoff_waiting"]
    assert [m["metadata"]["kind"] for m in chat.say("How much does registration cost?")] == ["handoff_waiting"]


def test_the_dog_licence_checklist_form(dog: Chat) -> None:
    first = dog.reply("/request_checklist")
    assert first["kind"] == "form" and [b["payload"] for b in first["buttons"]] == [
        '/choose{"dog_application": "new"}', '/choose{"dog_application": "renewal"}',
    ]
    second = dog.reply('/choose{"dog_application": "renewal"}')
    assert second["slot"] == "dog_applicant"
    checklist = dog.reply("叫屋企人幫我去")
    assert checklist["kind"] == "checklist" and checklist["label"] == "dog_licence.representative"
    for item in ("狗主的授權書", "由狗主簽署的申請表格", "代表本人的身份證明文件", "舊犬隻牌照", "現金港幣80元"):
        assert item in checklist["text"], item


def test_the_tsw_checklist_form_in_english(server) -> None:
    chat = Chat(server, "tsw")
    question = chat.reply("make me a checklist")
    assert question["kind"] == "form" and question["slot"] == "tsw_applicant"
    checklist = chat.reply("we are a company")
    assert checklist["label"] == "tsw.register" and checklist["language"] == "en"
    assert "Company (Administrator)" in checklist["text"] and "Business Registration certificate" in checklist["text"]


def test_the_checklist_can_be_interrupted_and_stopped(dog: Chat) -> None:
    assert dog.reply("/request_checklist")["slot"] == "dog_application"
    messages = dog.say("你係咪機械人？")
    kinds = [m["metadata"]["kind"] for m in messages]
    assert kinds == ["identity", "form"], messages  # the answer, then the same question again
    assert "虛擬助理" in messages[0]["text"]
    assert dog.reply("續牌")["slot"] == "dog_applicant"
    stopped = dog.reply("唔使喇")
    assert stopped["kind"] == "form" and stopped["label"] == "deny"
    assert dog.reply("我想搵真人")["kind"] == "handoff"  # the form is gone: nothing asks again


def test_a_question_the_checklist_cannot_take_is_replied_to(dog: Chat) -> None:
    """A citizen review: during the checklist, "do cats need a licence?" and "what can you do?" each got
    "not understood, press a button or type 取消" until the citizen typed 取消."""
    assert dog.reply("/request_checklist")["slot"] == "dog_application"
    messages = dog.say("我隻貓又要唔要牌")
    assert [m["metadata"]["kind"] for m in messages] == ["fallback", "form"], messages  # can't answer, then go on
    messages = dog.say("你可以做啲咩")
    assert [m["metadata"]["kind"] for m in messages] == ["browse"], messages  # what it answers; the form is left
    assert dog.reply("我想搵真人")["kind"] == "handoff"  # nothing asks the form's question again


@pytest.mark.parametrize(("bot", "text", "phrase"), [
    # A citizen review: "我不想活了" got "明白。如有其他問題…", the others the generic "I can't answer that".
    ("1823", "我不想活了", "18111"),
    ("1823", "I want to kill myself", "The Samaritans"),
    ("tsw", "我想自杀", "撒玛利亚会"),
])
def test_a_citizen_who_may_end_their_life_gets_crisis_lines_and_an_officer(server, bot: str, text: str, phrase: str) -> None:
    reply = Chat(server, bot).reply(text)
    assert reply["kind"] == "crisis" and phrase in reply["text"] and "999" in reply["text"], reply
    assert [b["payload"] for b in reply["buttons"]] == ["/ask_human"]


@pytest.mark.parametrize("text", ["我唔想生存落去", "I want to kill myself"])
def test_a_crisis_message_stops_the_checklist(dog: Chat, text: str) -> None:
    """A review: at "in person or by a representative?", "I want to kill myself" was read as "myself": in person."""
    assert dog.reply("/request_checklist")["slot"] == "dog_application"
    assert dog.reply("續牌")["slot"] == "dog_applicant"
    messages = dog.say(text)
    assert [m["metadata"]["kind"] for m in messages] == ["crisis"], messages  # no checklist question after it
    assert dog.reply("/request_checklist")["slot"] == "dog_application"  # its answers are forgotten


def test_a_crisis_message_while_waiting_for_an_officer_gets_the_crisis_lines(dog: Chat) -> None:
    assert dog.reply("我想搵真人")["kind"] == "handoff"
    waiting = dog.say("喂？有冇人？")  # the officer has the conversation: no answer, REST's note only
    assert [m["metadata"]["kind"] for m in waiting] == ["handoff_waiting"]
    messages = dog.say("我唔想生存落去")
    assert [m["metadata"]["kind"] for m in messages] == ["crisis"], messages  # first, and no waiting note


def test_a_crisis_phrase_in_a_question_a_topic_answers_loses_no_answer(server) -> None:
    messages = Chat(server, "1823").say("我唔想活了，狗牌幾多錢？")
    assert [m["metadata"]["kind"] for m in messages if m.get("metadata")] [:2] == ["crisis", "answer"], messages


def test_hyperbole_is_no_crisis(server) -> None:
    reply = Chat(server, "1823").reply("熱到想死，1823幾點開")
    assert reply["kind"] == "answer" and reply["label"] == "1823.hours", reply


def test_what_to_bring_after_a_passport_answer_is_no_dog_licence_checklist(server) -> None:
    """A citizen review: the 1823 bot started the dog licence checklist, which then followed every reply."""
    chat = Chat(server, "1823")
    assert chat.reply("I want to renew my passport")["label"] == "immd.passport_renewal"
    follow = chat.reply("what do I need to bring?")
    assert follow["kind"] == "answer" and follow["label"].startswith("immd."), follow
    assert chat.reply("我想搵真人")["kind"] == "handoff"  # no form asks anything in between


@pytest.mark.parametrize(("text", "phone"), [("Labour Department hotline number", "2717 1771"), ("勞工處電話幾多號", "2717 1771")])
def test_how_to_reach_a_named_department_gets_its_hotline(server, text: str, phone: str) -> None:
    reply = Chat(server, "1823").reply(text)
    assert (reply["kind"], reply["department"]) == ("contact", "ld") and phone in reply["text"], reply

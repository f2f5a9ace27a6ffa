"""Two real `hkbot serve` replicas sharing PostgreSQL (trackers, knowledge) and Redis (locks, change notices)."""
from __future__ import annotations

import time
import uuid

import httpx
import pytest

from actions.sources import without_source
from knowledge.db_store import KnowledgeDatabase
from tests.scaleout_services import BOT, Conversation, replicas, services, stored_user_texts, wait_until  # noqa: F401

FEE = "dog_licence.fee"
FEE_QUESTION = "How much is a dog licence?"


def test_both_replicas_serve_the_same_bot(replicas):
    for server in replicas.both():
        health = httpx.get(f"{server.url}/health", timeout=10).json()
        assert [bot["name"] for bot in health["bots"]] == [BOT]
    assert replicas.a.url != replicas.b.url


def test_a_checklist_form_started_on_one_replica_continues_on_the_other(replicas):
    chat = Conversation()
    first = chat.reply(replicas.a, "/request_checklist")
    assert first["kind"] == "form" and first["slot"] == "dog_application"
    second = chat.reply(replicas.b, '/choose{"dog_application": "renewal"}')
    assert second["kind"] == "form" and second["slot"] == "dog_applicant"  # B knows what A asked
    checklist = chat.reply(replicas.a, "叫屋企人幫我去")
    assert checklist["kind"] == "checklist" and checklist["label"] == "dog_licence.representative"
    assert "舊犬隻牌照" in checklist["text"]  # the renewal chosen on B is in the list A writes
    assert stored_user_texts(replicas.database_url, BOT, chat.sender) == [
        "/request_checklist", '/choose{"dog_application": "renewal"}', "叫屋企人幫我去",
    ]


def test_the_language_chosen_on_one_replica_sticks_on_the_other(replicas):
    chat = Conversation()
    switched = chat.reply(replicas.a, "English please")
    assert switched["label"] == "switch_language" and switched["language"] == "en"
    for server in (replicas.b, replicas.a, replicas.b):
        answer = chat.reply(server, "狗牌幾多錢？")  # Cantonese question, English conversation
        assert (answer["label"], answer["language"]) == (FEE, "en")
        assert answer["text"].isascii()


def test_concurrent_conversations_alternating_replicas_never_mix(replicas):
    """Eight citizens at once, each message to the other replica; each gets answers to its own questions."""
    import asyncio

    questions = {
        "en": (FEE_QUESTION, FEE, "en"),
        "yue": ("隻狗攞牌要幾多錢呀？", FEE, "yue"),
    }

    async def citizen(client: httpx.AsyncClient, index: int) -> list[tuple[str, str, str]]:
        sender = f"test-mix-{index}-{uuid.uuid4().hex[:8]}"
        text, label, language = questions["en" if index % 2 else "yue"]
        seen = []
        for turn in range(4):
            server = (replicas.a, replicas.b)[(index + turn) % 2]
            reply = await client.post(f"{server.url}/bots/{BOT}/webhooks/rest/webhook", json={"sender": sender, "message": text})
            assert reply.status_code == 200, reply.text
            for message in reply.json():
                assert message["recipient_id"] == sender
                meta = message.get("metadata") or {}
                if meta.get("label"):
                    seen.append((meta["label"], meta["language"], sender))
        assert seen == [(label, language, sender)] * 4, seen
        return seen

    async def run() -> None:
        async with httpx.AsyncClient(timeout=120) as client:
            await asyncio.gather(*(citizen(client, i) for i in range(8)))

    asyncio.run(run())


@pytest.fixture()
def publisher(replicas, monkeypatch):
    """The knowledge database the replicas serve, with change notices on their Redis (as the console has)."""
    monkeypatch.setenv("HKBOT_NOTICES_URL", replicas.services.redis_url)
    return KnowledgeDatabase(replicas.database_url)


def publish_fee_answer(database: KnowledgeDatabase, marker: str) -> tuple[int, str]:
    """Publish a changed English answer for the fee topic through the store's draft/publish API; returns the
    version and the text the bot now says (the answer without its trailing source URL, which is its link)."""
    entry = next(dict(e) for e in database.published() if e["id"] == FEE)
    entry["answer"] = {**entry["answer"], "en": f"({marker}) {entry['answer']['en']}"}
    database.save_draft(entry, author="scaleout-test")
    return database.publish("scaleout-test", [FEE], f"test {marker}"), without_source(entry["answer"]["en"], entry["source"])


def fee_answer(server) -> str:
    return Conversation().reply(server, FEE_QUESTION)["text"]


def test_a_knowledge_change_is_served_by_every_replica_within_two_seconds(replicas, publisher):
    before = fee_answer(replicas.b)
    marker = f"updated {uuid.uuid4().hex[:6]}"
    _number, expected = publish_fee_answer(publisher, marker)
    published_at = time.monotonic()  # the change is live from its commit; validating it comes before
    for server in (replicas.b, replicas.a):
        answer, _ = wait_until(lambda: fee_answer(server) == expected, timeout=5)
        assert answer, f"{server.url} still answers {fee_answer(server)!r}"
    elapsed = time.monotonic() - published_at
    assert elapsed < 2.0, f"the change took {elapsed:.2f} s to reach both replicas"
    assert before != expected

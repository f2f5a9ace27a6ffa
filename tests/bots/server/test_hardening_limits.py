"""Rate limits, message length and body size: token buckets, and a real server refusing politely (429/413, JSON)."""
from __future__ import annotations

import json

import httpx
import pytest

from bots.server.limits import Limits, MessageLimits, Refusal, TokenBucketLimiter

REST = "/bots/dog_licence/webhooks/rest/webhook"
LIMITED_ENV = {
    "HKBOT_SENDER_RATE": "6",  # one token every 10 s: none come back during the test
    "HKBOT_SENDER_BURST": "3",
    "HKBOT_ADDRESS_RATE": "6",
    "HKBOT_ADDRESS_BURST": "25",
    "HKBOT_MAX_MESSAGE_CHARS": "500",
}


# ----------------------------------------------------------------------------- units


def test_bucket_allows_a_burst_then_refills_at_the_rate():
    bucket = TokenBucketLimiter(per_minute=60, burst=3)
    assert [bucket.take("a", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a", now=100.0) == pytest.approx(1.0)
    assert bucket.take("b", now=100.0) == 0.0  # keys are independent
    assert bucket.take("a", now=101.5) == 0.0  # 1.5 tokens came back
    assert bucket.take("a", now=101.5) == pytest.approx(0.5)


def test_bucket_forgets_the_least_recent_keys_beyond_its_bound():
    bucket = TokenBucketLimiter(per_minute=60, burst=1, max_keys=100)
    for n in range(1000):
        bucket.take(f"sender-{n}", now=0.0)
    assert len(bucket) == 100


def test_rate_zero_means_no_limit():
    bucket = TokenBucketLimiter(per_minute=0, burst=1)
    assert all(bucket.take("a", now=0.0) == 0.0 for _ in range(100))


def test_limits_from_env(monkeypatch):
    assert Limits.from_env() == Limits()
    monkeypatch.setenv("HKBOT_SENDER_RATE", "10")
    monkeypatch.setenv("HKBOT_RATE_LIMITS", "off")
    limits = Limits.from_env()
    assert limits.sender_rate == 10 and not limits.enabled
    assert MessageLimits(limits).check_message("b", "s", "1.2.3.4", "hi") is None
    monkeypatch.setenv("HKBOT_SENDER_BURST", "lots")
    with pytest.raises(ValueError, match="HKBOT_SENDER_BURST"):
        Limits.from_env()


def test_refusals_speak_the_citizens_language():
    refusal = Refusal(429, "rate_limited", retry_after=7)
    assert refusal.text("en") == "You are sending messages too quickly. Please wait a moment (7 s) and try again."  # no "1 seconds"
    assert "7 秒" in refusal.text("yue") and "請" in refusal.text("zh-Hant")
    assert "请" in refusal.text("zh-Hans")
    body = Refusal(413, "message_too_long", limit=2000).body("yue")
    assert body["language"] == "zh-Hant" and "2000" in body["error"] and "2,000" in body["messages"]["en"]
    assert set(body["messages"]) == {"en", "zh-Hant", "zh-Hans"}


def test_oversized_message_is_refused_before_the_buckets():
    limits = MessageLimits(Limits(max_message_chars=10, sender_burst=1, sender_rate=1))
    assert limits.check_message("b", "s", "a", "x" * 11).status == 413
    assert limits.check_message("b", "s", "a", "ok") is None
    assert limits.check_message("b", "s", "a", "ok").status == 429


# ----------------------------------------------------------------------------- a real server


@pytest.fixture(scope="module")
def limited_server(server_factory):
    """A real `hkbot serve` of the dog licence bot with tight limits."""
    return server_factory(env=LIMITED_ENV, bots=["dog_licence"])


def client(address: str = "127.0.0.1") -> httpx.Client:
    """An HTTP client whose requests come from `address` (any 127.x.y.z is this machine)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def test_a_sender_over_the_limit_gets_429_in_their_language(limited_server):
    with client("127.0.0.11") as http:
        url = limited_server.url + REST
        statuses = [http.post(url, json={"sender": "fast-citizen", "message": "狗牌幾錢？"}).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = http.post(url, json={"sender": "fast-citizen", "message": "狗牌幾錢？"})
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "rate_limited" and body["language"] in ("yue", "zh-Hant")
        assert "請等候" in body["error"] and int(refused.headers["retry-after"]) >= 1
        english = http.post(url, json={"sender": "fast-citizen", "message": "how much is a dog licence?"})
        assert english.status_code == 429 and english.json()["error"].startswith("You are sending messages too quickly")
        # another citizen from the same address is still answered
        other = http.post(url, json={"sender": "calm-citizen", "message": "how much is a dog licence?"})
        assert other.status_code == 200 and isinstance(other.json(), list) and other.json()


def test_an_address_over_the_limit_gets_429_and_other_addresses_do_not(limited_server):
    url = limited_server.url + REST
    with client("127.0.0.12") as http:
        statuses = [http.post(url, content=b"not json").status_code for _ in range(25)]
        assert set(statuses) == {400}  # the channel's own answer to a bad request, within the budget
        refused = http.post(url, json={"sender": "someone-new", "message": "hello"}, headers={"accept-language": "zh-HK"})
        assert refused.status_code == 429 and refused.headers["content-type"].startswith("application/json")
    with client("127.0.0.13") as http:
        assert http.post(url, json={"sender": "someone-new", "message": "hello"}).status_code == 200


def test_a_message_over_the_length_limit_gets_413(limited_server):
    with client("127.0.0.14") as http:
        response = http.post(limited_server.url + REST, json={"sender": "long-writer", "message": "please help " * 50})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "message_too_long" and body["limit"] == 500 and "500 characters" in body["error"]


@pytest.mark.parametrize("size", [70 * 1024, 2 * 1024 * 1024])
def test_a_body_over_the_size_limit_gets_413(limited_server, size):
    payload = json.dumps({"sender": "big", "message": "x", "metadata": {"pad": "y" * size}}).encode()
    with client("127.0.0.15") as http:
        response = http.post(limited_server.url + REST, content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "large" in response.json()["error"]
    with client("127.0.0.15") as http:
        assert http.get(limited_server.url + "/health").status_code == 200


async def test_the_widget_socket_has_the_same_sender_limit(limited_server):
    import asyncio

    import websockets

    url = limited_server.url.replace("http://", "ws://") + "/bots/dog_licence/websocket"
    async with websockets.connect(url, local_addr=("127.0.0.16", 0)) as ws:

        async def next_frame(*kinds: str) -> dict:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if frame["type"] in kinds:
                    return frame

        await ws.send(json.dumps({"type": "hello", "language": "en"}))
        await next_frame("session")
        answers = []
        for _ in range(4):  # burst 3, then refused
            await ws.send(json.dumps({"type": "message", "text": "how much is a dog licence?"}))
            frame = await next_frame("message", "error")
            answers.append(frame)
            if frame["type"] == "message":  # read up to the end of the typing indicator
                while (await next_frame("typing"))["on"]:
                    pass
        assert [frame["type"] for frame in answers[:3]] == ["message"] * 3
        assert answers[3]["type"] == "error" and answers[3]["code"] == "rate_limited"
        assert answers[3]["text"].startswith("You are sending messages too quickly")


def test_the_message_length_limit_may_be_lowered_but_not_raised_past_the_nlus(monkeypatch):
    from nlu.sanitise import MAX_MESSAGE_CHARS

    assert Limits.from_env().max_message_chars == MAX_MESSAGE_CHARS
    monkeypatch.setenv("HKBOT_MAX_MESSAGE_CHARS", "300")
    assert Limits.from_env().max_message_chars == 300
    monkeypatch.setenv("HKBOT_MAX_MESSAGE_CHARS", str(MAX_MESSAGE_CHARS * 5))  # the NLU would cut the rest unseen
    with pytest.raises(ValueError, match=f"HKBOT_MAX_MESSAGE_CHARS.*at most {MAX_MESSAGE_CHARS}"):
        Limits.from_env()


def test_one_setting_is_the_limit_of_the_nlu_and_of_every_channel(monkeypatch):
    """HKBOT_MAX_MESSAGE_CHARS is read in one place (nlu.sanitise.message_limit): the NLU cuts where the channels refuse."""
    from nlu.sanitise import MAX_MESSAGE_CHARS, message_limit, sanitise

    assert message_limit() == MAX_MESSAGE_CHARS == Limits().max_message_chars
    monkeypatch.setenv("HKBOT_MAX_MESSAGE_CHARS", "300")
    assert message_limit() == 300 == Limits.from_env().max_message_chars
    cut = sanitise("x" * 301)
    assert cut.truncated and len(cut.text) == 300 and not sanitise("x" * 300).truncated
    limits = MessageLimits(Limits.from_env())  # what REST, the widget socket and the messenger gate ask
    assert limits.check_message("b", "s", "1.2.3.4", "x" * 301).code == "message_too_long"
    assert limits.check_message("b", "s", "1.2.3.4", "x" * 300) is None
    for wrong in ("0", "-5", "lots"):
        monkeypatch.setenv("HKBOT_MAX_MESSAGE_CHARS", wrong)
        with pytest.raises(ValueError, match="HKBOT_MAX_MESSAGE_CHARS"):
            message_limit()


async def test_one_message_length_limit_on_rest_and_the_widget_socket(server):
    """The same text one character over the limit: the same refusal, code and limit on both channels."""
    import asyncio

    import websockets

    from nlu.sanitise import MAX_MESSAGE_CHARS

    text = "how much is a dog licence? " * (MAX_MESSAGE_CHARS // 27 + 1)
    text = text[:MAX_MESSAGE_CHARS + 1]
    with client("127.0.0.17") as http:
        response = http.post(server.url + REST, json={"sender": "long-rest-writer", "message": text})
        assert response.status_code == 413
        body = response.json()
        assert body["code"] == "message_too_long" and body["limit"] == MAX_MESSAGE_CHARS
        assert http.post(server.url + REST, json={"sender": "long-rest-writer", "message": text[:MAX_MESSAGE_CHARS]}).status_code == 200
    url = server.url.replace("http://", "ws://") + "/bots/dog_licence/websocket"
    async with websockets.connect(url, local_addr=("127.0.0.17", 0)) as ws:

        async def next_frame(*kinds: str) -> dict:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if frame["type"] in kinds:
                    return frame

        await ws.send(json.dumps({"type": "hello", "language": "en"}))
        await next_frame("session")
        await ws.send(json.dumps({"type": "message", "text": text}))
        error = await next_frame("message", "error")
        assert error["type"] == "error" and error["code"] == body["code"]
        assert error["text"] == body["messages"]["en"] and f"{MAX_MESSAGE_CHARS:,}" in error["text"]
        await ws.send(json.dumps({"type": "message", "text": text[:MAX_MESSAGE_CHARS]}))
        assert (await next_frame("message", "error"))["type"] == "message"

"""Property-based tests: random Unicode, huge and malformed JSON to the REST channel and the NLU layer never crash."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nlu
from nlu.sanitise import MAX_MESSAGE_CHARS

REST = "/bots/{bot}/webhooks/rest/webhook"
BOTS = ["1823", "dog_licence", "tsw"]
OK_STATUSES = {200, 400, 413, 429}
LANGUAGES = {"en", "yue", "zh-Hant", "zh-Hans", "und"}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text a citizen, a broken client or an attacker might send.
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()), max_size=120),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "'; DROP TABLE events; --",
            "{{7*7}} ${jndi:ldap://x}",
            "/restart",
            "/greet{\"language\": \"en\"}",
            "/faq{\"topic\": \"../../etc/passwd\"}",
            "\x00\x01\x02",
            "\u202e\u200b\ufeff",
            "狗牌" * 1000,
            "我想renew個dog licence，call我91234567",
            "A123456(3)",
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


def post(server, bot: str, content: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.post(server.url + REST.format(bot=bot), content=content, headers={"content-type": content_type}, timeout=120)


def assert_polite(response: httpx.Response) -> None:
    """Never a server error; always JSON; a list of bot messages on success, an error sentence otherwise."""
    assert response.status_code in OK_STATUSES, f"HTTP {response.status_code}: {response.text[:300]}"
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body, list)
        for message in body:
            assert isinstance(message, dict) and "recipient_id" in message
    else:
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]
        assert "Traceback" not in body["error"]


@pytest.fixture(autouse=True, scope="module")
def still_healthy_after(server):
    yield
    health = httpx.get(server.url + "/health", timeout=30)
    assert health.status_code == 200 and [bot["name"] for bot in health.json()["bots"]]


@FUZZ
@given(bot=st.sampled_from(BOTS), text=hostile_text)
def test_random_text_gets_a_reply_or_a_polite_refusal(server, bot, text):
    body = json.dumps({"sender": f"fuzz-{uuid.uuid4().hex}", "message": text}).encode("utf-8")
    assert_polite(post(server, bot, body))


@FUZZ
@given(bot=st.sampled_from(BOTS), value=json_values)
def test_any_json_value_is_handled(server, bot, value):
    assert_polite(post(server, bot, json.dumps(value).encode("utf-8")))


@FUZZ
@given(
    bot=st.sampled_from(BOTS),
    sender=json_values,
    message=json_values,
    metadata=json_values,
)
def test_wrongly_typed_fields_are_handled(server, bot, sender, message, metadata):
    assert_polite(post(server, bot, json.dumps({"sender": sender, "message": message, "metadata": metadata}).encode()))


@FUZZ
@given(bot=st.sampled_from(BOTS), raw=st.binary(max_size=2000))
def test_random_bytes_are_handled(server, bot, raw):
    assert_polite(post(server, bot, raw))


MALFORMED = [
    b"",
    b"{",
    b'{"sender": "a", "message": "unterminated',
    b"[" * 60_000,  # deeper than Python's JSON decoder can go
    b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    b'{"sender": "a", "message": "\\ud800 lone surrogate"}',
    b'{"sender": "\\u0000", "message": "hi"}',
    b'{"sender": "a", "message": "hi", "sender": "b"}',
    b'{"sender": "a", "message": 1e999}',
    b'{"sender": "a", "message": NaN}',
    b"\xff\xfe{\x00}\x00",
    "{\"sender\": \"a\", \"message\": \"" .encode() + "字".encode("utf-16") + b'"}',
    json.dumps({"sender": "a" * 10_000, "message": "hi"}).encode(),
    json.dumps({"sender": "huge", "message": "x" * (MAX_MESSAGE_CHARS * 20)}).encode(),
    json.dumps({"sender": "many-keys", "message": "hi", "metadata": {str(n): n for n in range(5000)}}).encode(),
]


@pytest.mark.parametrize("content", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_and_huge_bodies_are_refused_politely(server, content):
    assert_polite(post(server, "dog_licence", content))


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""])
def test_other_content_types_are_handled(server, content_type):
    assert_polite(post(server, "tsw", b'{"sender": "ct", "message": "hello"}', content_type))


# ----------------------------------------------------------------------------- the NLU layer


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=500), st.binary(max_size=200), json_values, hostile_text))
def test_analyse_never_raises_and_keeps_offsets_inside_the_text(text):
    analysis = nlu.analyse(text)
    assert analysis.language in LANGUAGES
    assert len(analysis.original) <= MAX_MESSAGE_CHARS
    for token in analysis.tokens:
        assert 0 <= token.start <= token.end <= len(analysis.original)


@pytest.mark.parametrize("size", [MAX_MESSAGE_CHARS + 1, 100_000, 1_000_000])
def test_analyse_cuts_huge_input(size):
    analysis = nlu.analyse("狗牌 dog licence " * (size // 14 + 1))
    assert analysis.truncated and len(analysis.original) == MAX_MESSAGE_CHARS

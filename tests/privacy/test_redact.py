"""Redaction: each kind of personal data found and marked, look-alikes left alone."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.config import PrivacyConfigError, parse_privacy, privacy_config
from privacy.redact import KINDS, find_personal_data, hkid_check_digit, luhn_valid, redact, redact_value


def valid_hkid(prefix: str, digits: str) -> str:
    return f"{prefix}{digits}({hkid_check_digit(prefix, digits)})"


def wrong_hkid(prefix: str, digits: str) -> str:
    right = hkid_check_digit(prefix, digits)
    wrong = "5" if right != "5" else "6"
    return f"{prefix}{digits}({wrong})"


# ----------------------------------------------------------------------------- HKID


def test_hkid_check_digit_matches_the_published_algorithm():
    # A123456: 36*9 + 10*8 + 1*7 + 2*6 + 3*5 + 4*4 + 5*3 + 6*2 = 481; 11 - 481 % 11 = 3
    assert hkid_check_digit("A", "123456") == "3"
    assert hkid_check_digit("AB", "987654") == "3"
    # a remainder of 1 gives check value 10, written "A"
    assert any(hkid_check_digit("C", f"{n:06d}") == "A" for n in range(200))


@pytest.mark.parametrize(
    "text",
    [
        "我嘅身份證係A123456(3)",
        "HKID: A123456 (3) thanks",
        "A1234563",
        "a123456(3)",
        "AB987654(3)",
        "AB9876543",
        "身分證號碼Ａ１２３４５６（３）",
        "A 123456(3)",
    ],
)
def test_hkid_with_right_check_digit_is_redacted(text):
    result = redact(text)
    assert "[HKID]" in result
    assert "123456" not in result and "987654" not in result and "１２３" not in result


@pytest.mark.parametrize("prefix,digits", [("A", "123456"), ("Z", "683365"), ("XY", "555555"), ("K", "000001")])
def test_hkid_with_a_wrong_check_digit_is_still_redacted(prefix, digits):
    # a citizen's typo in the check digit is still their identity number
    assert redact(f"ID {wrong_hkid(prefix, digits)}") == "ID [HKID]"
    assert redact(f"ID {valid_hkid(prefix, digits)}") == "ID [HKID]"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("A123456", "[HKID]"),  # no check digit at all
        ("A123456(4)", "[HKID]"),  # wrong check digit
        ("A123 456(3)", "[HKID]"),
        ("A-123456-3", "[HKID]"),
        ("my HKID is a-123456-3, thanks", "my HKID is [HKID], thanks"),
        ("我身份證係A123456，冇括號嗰個", "我身份證係[HKID]，冇括號嗰個"),
        ("身份證號碼：Ａ１２３ ４５６（４）。", "身份證號碼：[HKID]。"),
        ("身份证号码 A123456(4)", "身份证号码 [HKID]"),
        ("HKID XA123456(3) please", "HKID [HKID] please"),
    ],
)
def test_hkid_written_other_ways_is_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["order XYA123456(3)", "A123456(3)9", "ref A12345(3)", "A1234567890", "AB12345", "ABC-123456-7",
     "call the IRD on 187 8022", "打 187 8022 查詢", "flight CX 123456 booked"],
)
def test_hkid_inside_a_longer_code_is_not_an_hkid(text):
    assert "[HKID]" not in redact(text)


def test_a_mainland_passport_is_not_taken_for_an_hkid_with_a_wrong_check_digit():
    assert redact("EA1234567") == "[PASSPORT]"
    right = f"EA123456{hkid_check_digit('EA', '123456')}"
    assert redact(right) == "[HKID]"  # with an HKID's right check digit it is an HKID


# ----------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "text",
    [
        "call me at 91234567",
        "電話：2345 6789。",
        "+852 9123 4567",
        "852-6123-4567",
        "(852) 5123 4567",
        "+85231234567",
        "我手機係９１２３４５６７",
        "tel 3123-4567 please",
        "8123 4567",
        "7123 4567",
        "91 23 45 67",
        "我手機 91-23-45-67 呀",
        "9123.4567",
        "我的电话是 9123.4567",
        "41234567",  # 4 has been a mobile prefix since 2023
        "新手機 4123 4567",
        "電話20241123",  # looks like a date, but someone said phone
        "call me on 31122023",
        "20241123係我電話",
        "whatsapp +852 4123 4567",
    ],
)
def test_hong_kong_phone_numbers_are_redacted(text):
    result = redact(text)
    assert "[PHONE]" in result
    assert "4567" not in result and "４５６７" not in result


@pytest.mark.parametrize(
    "text",
    [
        "call 1823 for help",
        "打1823啦",
        "the fee is HK$80",
        "HK$23456789 in total",
        "$98765432",
        "on 20241123 I applied",
        "I recall 20241123 was the day",  # "call" inside another word is no phone word
        "born 23112024",
        "date 2024-11-23",
        "我喺20240501申請",
        "申请日期 2024-05-01",
        "12345678",
        "fee HK$2345.6789",
        "費用 2345.6789 元",
        "費用 $100",
        "FAQ 3.2.1 and topic 12",
        "pi is 3.14159265",
        "price 2345.6789",
        "123456789012",
        "room 1234 5678 9",
    ],
)
def test_non_phone_numbers_are_kept(text):
    assert "[PHONE]" not in redact(text)


def test_hotline_is_kept_next_to_a_phone_number():
    assert redact("call 1823 or 2345 6789") == "call 1823 or [PHONE]"


# ----------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    "text,expected",
    [
        ("write to chan.tai.man@example.com.hk", "write to [EMAIL]"),
        ("電郵：peter_wong+dog@gmail.com。", "電郵：[EMAIL]。"),
        ("ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ", "[EMAIL]"),
    ],
)
def test_email_addresses_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("name at domain dot com", "[EMAIL]"),
        ("write to chan.tai.man at abc dot com dot hk", "write to [EMAIL]"),
        ("name[at]domain.com", "[EMAIL]"),
        ("name (at) domain (dot) com", "[EMAIL]"),
        ("peter{at}gmail{dot}com ok", "[EMAIL] ok"),
        ("chan at gmail.com", "[EMAIL]"),
        ("ctm123 at abc.com.hk", "[EMAIL]"),
        ("chan@gmail dot com", "[EMAIL]"),
        ("我email係chantaiman at gmail dot com", "我email係[EMAIL]"),
        ("邮箱 wang小老鼠163.com", "邮箱 [EMAIL]"),
        ("chan艾特qq点com", "[EMAIL]"),
        ("電郵 chan [at] netvigator 點 com", "電郵 [EMAIL]"),
    ],
)
def test_written_out_email_addresses_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "email me @ home", "a@b", "user@localhost", "price@$80",
        "look at www.gov.hk", "apply online at gov.hk", "more at www.afcd.gov.hk/english/", "available at afcd.gov.hk",
        "see you at 3 dot 30", "meet at the office", "I'm at home dot", "arrive at 10.30", "at 點樣申請",
    ],
)
def test_non_emails_are_kept(text):
    assert redact(text) == text


# ----------------------------------------------------------------------------- bank account


@pytest.mark.parametrize(
    "text,expected",
    [
        ("please refund to 004-123-456789-838", "please refund to [BANK_ACCOUNT]"),
        ("HSBC 123-456789-838", "HSBC [BANK_ACCOUNT]"),
        ("中銀 012-875-1-234567-8", "中銀 [BANK_ACCOUNT]"),
        ("我嘅戶口號碼係 123456789012", "我嘅戶口號碼係 [BANK_ACCOUNT]"),
        ("银行账户：004123456789838", "银行账户：[BANK_ACCOUNT]"),
        ("account no. 123-456-789", "account no. [BANK_ACCOUNT]"),
        ("a/c 024 123 456789 001", "a/c [BANK_ACCOUNT]"),
    ],
)
def test_bank_account_numbers_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["order 123-456", "the 100-200-300 range", "date 2024-05-01", "fee $1,000,000", "1 000 000 people", "call 1823",
     "bank holiday on 2024-05-01", "銀行假期 5月1日", "123456789012"],
)
def test_other_numbers_are_not_bank_accounts(text):
    assert "[BANK_ACCOUNT]" not in redact(text)


def test_a_phone_number_with_852_is_a_phone_not_an_account():
    assert redact("852-9123-4567") == "[PHONE]"
    assert redact("+852 9123 4567") == "[PHONE]"


# ----------------------------------------------------------------------------- passport


@pytest.mark.parametrize(
    "text",
    ["passport K12345678", "我嘅護照係H87654321", "E12345678", "EA1234567 (mainland)", "passport no. 123456789", "護照號碼：P1234567A", "my passport number is 533380006"],
)
def test_passport_numbers_are_redacted(text):
    assert "[PASSPORT]" in redact(text)


@pytest.mark.parametrize("text", ["123456789", "A1234567", "order P1234567A", "K1234567", "K123456789"])
def test_passport_like_codes_without_context_are_kept(text):
    assert "[PASSPORT]" not in redact(text)


# ----------------------------------------------------------------------------- card


@pytest.mark.parametrize("number", ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "6011000990139424", "４１１１１１１１１１１１１１１１"])
def test_card_numbers_passing_luhn_are_redacted(number):
    result = redact(f"my card is {number} ok")
    assert result == "my card is [CARD] ok"


@pytest.mark.parametrize("number", ["4111 1111 1111 1112", "1234567890123", "12345678901234567890123"])
def test_numbers_failing_luhn_are_not_cards(number):
    assert "[CARD]" not in redact(number)


def test_luhn():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


# ----------------------------------------------------------------------------- API


def test_find_personal_data_gives_spans_into_the_original_text():
    text = "身份證Ａ１２３４５６（３），電話 9123 4567，email a.b@c.hk"
    found = find_personal_data(text)
    assert [item.kind for item in found] == ["hkid", "phone", "email"]
    for item in found:
        assert text[item.start : item.end] == item.text
    assert found[0].text == "Ａ１２３４５６（３）"


def test_kinds_can_be_chosen():
    text = "A123456(3) 91234567 a@b.hk"
    assert redact(text, ["phone"]) == "A123456(3) [PHONE] a@b.hk"
    assert redact(text, []) == text
    with pytest.raises(ValueError):
        redact(text, ["shoe_size"])


def test_redact_value_copies_nested_structures():
    value = {"text": "91234567", "entities": [{"value": "a@b.hk", "start": 0}], "n": 3}
    assert redact_value(value) == {"text": "[PHONE]", "entities": [{"value": "[EMAIL]", "start": 0}], "n": 3}
    assert value["text"] == "91234567"


def test_non_strings_and_empty_text_pass_through():
    assert redact("") == ""
    assert redact(None) is None  # type: ignore[arg-type]
    assert find_personal_data(None) == []  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_redact_never_raises_and_keeps_text_without_personal_data(text):
    result = redact(text)
    if not find_personal_data(text):
        assert result == text
    else:
        assert any(mark in result for mark in ("[HKID]", "[PHONE]", "[EMAIL]", "[PASSPORT]", "[CARD]", "[BANK_ACCOUNT]"))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789 -+()@.AKHabc", max_size=400))
def test_redact_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize(
    "text",
    ["91234567 20241123", "004-123-456789-838 123456789", "call 9123 4567 or 6123 4567, mail me at chan at gmail dot com",
     "A123456 91 23 45 67 ctm[at]abc.com 004-123-456789-838", "91234567 61234567"],
)
def test_redacting_twice_changes_nothing_more(text):
    once = redact(text)
    assert redact(once) == once and not any(ch.isdigit() for ch in once.replace("20241123", "").replace("123456789", ""))


def test_long_input_is_handled_quickly():
    import time

    text = ("9" * 10_000) + ("a" * 10_000) + ("1 " * 5_000) + "x@" * 3000
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < 2.0  # catastrophic backtracking would take minutes


# ----------------------------------------------------------------------------- config


def test_privacy_config_defaults_and_overrides(monkeypatch):
    assert privacy_config(None).redact == KINDS
    assert privacy_config(None).retention_days == 30
    assert parse_privacy({"redact": ["email", "hkid"], "retention_days": 7}).redact == ("hkid", "email")
    assert privacy_config({"name": "x", "privacy": {"retention_days": 7}}).retention_days == 7
    monkeypatch.setenv("HKBOT_RETENTION_DAYS", "90")
    assert privacy_config(None).retention_days == 90


@pytest.mark.parametrize(
    "block,key",
    [({"redact": ["hkid", "dna"]}, "privacy.redact"), ({"retention_days": 0}, "privacy.retention_days"), ({"keep": 1}, "privacy.keep"), ("all", "'privacy'")],
)
def test_bad_privacy_config_names_the_key(block, key):
    with pytest.raises(PrivacyConfigError, match=key.replace(".", r"\.")):
        parse_privacy(block, "bots/x/bot.yml")


def test_published_contacts_are_public_not_personal():
    from privacy.public import published_contacts, public_values

    keep = public_values(["TSW hotline: 2117 3348, enquiries tellme@1823.gov.hk"])
    text = "call 2117-3348 or +852 2117 3348, mail TellMe@1823.gov.hk; mine is 9123 4567, me@x.hk"
    assert redact(text, keep=keep) == "call 2117-3348 or +852 2117 3348, mail TellMe@1823.gov.hk; mine is [PHONE], [EMAIL]"
    # the real bots publish at least the TSW hotline (bots/tsw/bot.yml handoff.phone)
    assert "phone:21173348" in published_contacts()
    # ... and the texts a caller passes (the bots' own sentences: tests/bots/storage/test_redacting.py)
    assert "phone:28960000" in published_contacts(["The Samaritans 2896 0000"])


def test_redact_value_copies_containers_and_keeps_their_types():
    value = {"spans": [(0, 5), (6, 14)], "text": "call 9123 4567", "n": 1}
    cleaned = redact_value(value)
    assert cleaned["spans"] == [(0, 5), (6, 14)] and isinstance(cleaned["spans"][0], tuple)
    assert "9123 4567" not in cleaned["text"] and value["text"] == "call 9123 4567"

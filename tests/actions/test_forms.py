"""The checklist forms: questions with buttons, typed answers understood, and exactly what to bring per branch."""
from __future__ import annotations

import json
import re

import pytest

from tests.actions.support import domain, executor, only_response, run, slot_events, tracker, user_message

DOG = ("dog_application", "dog_applicant")


@pytest.mark.parametrize("bot, slot, values", [
    ("dog_licence", "dog_application", ["new", "renewal"]),
    ("1823", "dog_applicant", ["in_person", "representative"]),
    ("tsw", "tsw_applicant", ["individual", "company"]),
])
async def test_questions_have_a_button_per_choice(bot: str, slot: str, values: list[str]) -> None:
    reply = only_response(await run(f"action_ask_{slot}", bot, user_message("checklist", "request_checklist", "en")))
    assert reply["kind"] == "form"
    assert [json.loads(b["payload"][len("/choose"):]) for b in reply["buttons"]] == [{slot: v} for v in values]
    chinese = only_response(await run(f"action_ask_{slot}", bot, user_message("清單", "request_checklist", "zh-Hant")))
    assert [b["payload"] for b in chinese["buttons"]] == [b["payload"] for b in reply["buttons"]]  # same in every language


async def _validate(bot: str, slot: str, text: str, intent: str = "affirm") -> dict:
    """Run the form's validation as Rasa does after action_extract_slots filled `slot` from the text (the intent:
    one that does not interrupt the form, unless given)."""
    state = tracker(bot, user_message(text, intent, "yue"), slots={slot: text, "requested_slot": slot}, active_loop="checklist_form")
    state["events"] += [
        {"event": "slot", "name": slot, "value": text},  # action_extract_slots (from_text)
        {"event": "slot", "name": "requested_slot", "value": slot},  # the form's temporary tracker:
        {"event": "action", "name": "checklist_form"},  # its run, then the slot candidates
        {"event": "slot", "name": slot, "value": text},
    ]
    return await executor().run({"next_action": "validate_checklist_form", "tracker": state, "domain": domain(bot)})


@pytest.mark.parametrize("slot, text, value", [
    ("dog_application", "續牌", "renewal"),
    ("dog_application", "I want to renew", "renewal"),
    ("dog_application", "第一次攞", "new"),
    ("dog_applicant", "叫工人姐姐幫我去", "representative"),
    ("dog_applicant", "我自己去", "in_person"),
    ("tsw_applicant", "我哋公司", "company"),
    ("tsw_applicant", "individual", "individual"),
    # A sole proprietorship registers as a business (TSW's registration page): a citizen review got the individual list.
    ("tsw_applicant", "I'm a sole proprietor", "company"), ("tsw_applicant", "我係獨資經營嘅", "company"),
    ("tsw_applicant", "just me, on my own", "individual"),
    ("tsw_applicant", "今日天氣好好", None),
])
async def test_validation_turns_typed_answers_into_choices(slot: str, text: str, value: str | None) -> None:
    result = await _validate("tsw" if slot.startswith("tsw") else "dog_licence", slot, text)
    assert slot_events(result) == {slot: value}
    if value is None:  # an unclear answer is said so, then the form asks again
        assert "按鈕" in only_response(result)["text"]
    else:
        assert result["responses"] == []


@pytest.mark.parametrize("text, intent, rejected", [
    ("I want to talk to a human", "ask_human", True),
    ("唔使喇", "deny", True),
    ("are you a bot?", "bot_identity", True),
    ("how much is the fee", "faq", True),
    ("we are a company", "bot_identity", False),  # a misread intent does not lose a clear answer
    ("公司", "deny", False),
    ("do cats need a licence?", "out_of_scope", True),  # "I can't answer that", then the question again
    ("company", "out_of_scope", False),  # an answer the classifier refused is still an answer
    ("what can you do?", "browse", True),
])
async def test_interrupting_intents_reject_the_form_only_when_the_text_is_no_answer(text: str, intent: str, rejected: bool) -> None:
    result = await _validate("tsw", "tsw_applicant", text, intent)
    events = [e["event"] for e in result["events"]]
    assert ("action_execution_rejected" in events) == rejected
    if rejected:
        assert slot_events(result) == {"tsw_applicant": None} and result["responses"] == []


async def test_resuming_after_an_interruption_asks_again_without_rejecting() -> None:
    state = tracker("tsw", user_message("are you a bot?", "bot_identity", "en"), slots={"requested_slot": "tsw_applicant"}, active_loop="checklist_form")
    state["events"] += [
        {"event": "slot", "name": "tsw_applicant", "value": None},
        {"event": "action_execution_rejected", "name": "checklist_form"},
        {"event": "action", "name": "action_bot_identity"},
        {"event": "bot", "text": "This is the Trade Single Window Assistant."},
        {"event": "slot", "name": "requested_slot", "value": "tsw_applicant"},
        {"event": "action", "name": "checklist_form"},
    ]
    result = await executor().run({"next_action": "validate_checklist_form", "tracker": state, "domain": domain("tsw")})
    assert "action_execution_rejected" not in [e["event"] for e in result["events"]]
    assert result["responses"] == []


def _items(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("• ")]


@pytest.mark.parametrize("application, applicant, expected", [
    ("new", "in_person", ["your dog", "your HKID card (or other identity document)", "HK$80 in cash"]),
    ("renewal", "in_person", ["your dog", "your HKID card (or other identity document)", "HK$80 in cash", "the old dog licence"]),
    ("new", "representative", ["the dog", "HK$80 in cash", "the owner's authorisation letter", "a copy of the owner's identity document",
                               "the application form, signed by the owner", "the representative's own identity document"]),
    ("renewal", "representative", ["the dog", "HK$80 in cash", "the owner's authorisation letter", "a copy of the owner's identity document",
                                   "the application form, signed by the owner", "the representative's own identity document", "the old dog licence"]),
])
@pytest.mark.parametrize("bot", ["dog_licence", "1823"])
async def test_dog_licence_checklist_per_branch(bot: str, application: str, applicant: str, expected: list[str]) -> None:
    result = await run("action_give_checklist", bot, user_message("x", "choose", "en"),
                       slots={"dog_application": application, "dog_applicant": applicant})
    reply = only_response(result)
    assert [item.split(" (covers")[0] for item in _items(reply["text"])] == expected
    assert reply["kind"] == "checklist" and reply["source"].startswith(("http://", "https://"))
    assert "http" not in reply["text"] and re.fullmatch(r"Source: \S.* website", reply["source_label"])
    assert reply["label"] == ("dog_licence.representative" if applicant == "representative" else "dog_licence.documents")
    assert ("Animal Management Centres" in reply["text"]) == (application == "renewal")
    assert slot_events(result) == {"dog_application": None, "dog_applicant": None}  # ready for another checklist


@pytest.mark.parametrize("applicant, account, documents", [
    ("individual", "個人", ["你的香港身份證或旅行證件"]),
    ("company", "公司（管理員）", ["管理員的香港身份證或旅行證件", "公司或商號的有效商業登記證（或其他登記文件）", "由東主、合夥人或董事會發出，委任管理員的授權書"]),
])
async def test_tsw_checklist_gives_account_type_and_documents(applicant: str, account: str, documents: list[str]) -> None:
    reply = only_response(await run("action_give_checklist", "tsw", user_message("公司", "choose", "zh-Hant"), slots={"tsw_applicant": applicant}))
    assert f"帳戶類別：{account}。" in reply["text"]
    assert _items(reply["text"]) == documents
    assert reply["label"] == "tsw.register" and "免費" in reply["text"]


async def test_tsw_company_checklist_in_english() -> None:
    reply = only_response(await run("action_give_checklist", "tsw", user_message("company", "choose", "en"), slots={"tsw_applicant": "company"}))
    assert "Account type: Company (Administrator)" in reply["text"] and "Business Registration certificate" in " ".join(_items(reply["text"]))


async def test_stopping_the_checklist_ends_the_form() -> None:
    result = await run("action_stop_checklist", "dog_licence", user_message("唔使喇", "deny", "yue"),
                       slots={"dog_application": "new", "requested_slot": "dog_applicant"}, active_loop="checklist_form")
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in result["events"]]
    assert slot_events(result)["dog_application"] is None

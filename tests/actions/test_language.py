"""Reply language and script: en / yue / zh-Hant / zh-Hans (really converted), and a sticky language switch."""
from __future__ import annotations

import pytest

from actions.sources import without_source
from actions.switch_language import requested_language
from knowledge.live import shared_store
from nlu.script import to_simplified
from tests.actions.support import only_response, run, slot_events, user_message

FEE = {"top": "dog_licence.fee", "ambiguous": [], "matches": [{"id": "dog_licence.fee", "kb": "dog_licence", "score": 0.9}], "threshold": 0.5}


@pytest.mark.parametrize(
    "language, text",
    [("en", "how much is a dog licence"), ("yue", "狗牌幾多錢"), ("zh-Hant", "犬隻牌照費用是多少"), ("zh-Hans", "狗牌多少钱")],
)
async def test_answer_is_in_the_citizens_language_and_script(language: str, text: str) -> None:
    entry = shared_store().entry("dog_licence.fee")
    reply = only_response(await run("action_answer_faq", "dog_licence", user_message(text, "faq", language, faq=FEE)))
    expected = {
        "en": entry.answer["en"],
        "yue": entry.answer["zh-Hant"],
        "zh-Hant": entry.answer["zh-Hant"],
        "zh-Hans": to_simplified(entry.answer["zh-Hant"]),
    }[language]
    assert reply["text"] == without_source(expected, entry.source)
    assert reply["language"] == language
    assert reply["source"] == entry.source and entry.source not in reply["text"]


async def test_simplified_is_really_converted() -> None:
    traditional = only_response(await run("action_answer_faq", "dog_licence", user_message("費用", "faq", "zh-Hant", faq=FEE)))
    simplified = only_response(await run("action_answer_faq", "dog_licence", user_message("费用", "faq", "zh-Hans", faq=FEE)))
    assert "費" in traditional["text"] and "费" not in traditional["text"]
    assert "费" in simplified["text"] and "費" not in simplified["text"]
    greeting = only_response(await run("action_greet", "1823", user_message("你好啊", "greet", "zh-Hans")))
    assert "虚拟助理" in greeting["text"] and "虛擬" not in greeting["text"]


async def test_undetermined_language_uses_the_bots_default() -> None:
    reply = only_response(await run("action_fallback", "dog_licence", user_message("???", "out_of_scope", "und")))
    assert reply["language"] == "zh-Hant"
    assert "1823" in reply["text"] and "抱歉" in reply["text"]


async def test_a_button_press_keeps_the_language_of_the_citizens_last_message() -> None:
    typed = user_message("how much is it", "faq", "en", faq=FEE)
    pressed = user_message('/faq{"topic": "dog_licence.fee"}', "faq", None, entities={"topic": "dog_licence.fee"})
    reply = only_response(await run("action_answer_faq", "dog_licence", typed, pressed))
    assert reply["language"] == "en"
    assert shared_store().entry("dog_licence.fee").answer["en"].startswith(reply["text"])


async def test_chinese_that_shows_no_script_keeps_the_simplified_of_the_chat() -> None:
    # The page declares Simplified (the widget's 简): "公屋" is written the same in both scripts.
    neutral = user_message("公屋", "faq", "zh-Hant", faq=FEE)
    neutral["metadata"] = {"language": "zh-Hans"}
    assert only_response(await run("action_answer_faq", "dog_licence", neutral))["language"] == "zh-Hans"
    # No declaration: the citizen's earlier Simplified message sets the script.
    earlier = user_message("狗证多少钱", "faq", "zh-Hans", faq=FEE)
    plain = user_message("你好", "faq", "zh-Hant", faq=FEE)
    assert only_response(await run("action_answer_faq", "dog_licence", earlier, plain))["language"] == "zh-Hans"
    # Traditional-only characters are Traditional whatever the page says.
    traditional = user_message("狗牌幾錢", "faq", "yue", faq=FEE)
    traditional["metadata"] = {"language": "zh-Hans"}
    assert only_response(await run("action_answer_faq", "dog_licence", traditional))["language"] == "yue"


async def test_a_word_or_two_in_latin_letters_keeps_the_chinese_of_the_chat() -> None:
    """A citizen's browser check: "byebye" at the end of a Cantonese chat switched the reply and the widget to English."""
    earlier = user_message("狗牌幾錢", "faq", "yue", faq=FEE)
    for text in ("byebye", "ok thx"):
        reply = only_response(await run("action_goodbye", "dog_licence", earlier, user_message(text, "goodbye", "en")))
        assert reply["language"] == "yue", (text, reply)
    # Three words or more are a switch to English; so is a short English message with no Chinese before it.
    question = user_message("how much is it", "faq", "en", faq=FEE)
    assert only_response(await run("action_answer_faq", "dog_licence", earlier, question))["language"] == "en"
    assert only_response(await run("action_goodbye", "dog_licence", user_message("byebye", "goodbye", "en")))["language"] == "en"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("English please", "en"),
        ("講廣東話得唔得", "yue"),
        ("可以用中文嗎", "zh-Hant"),
        ("简体中文", "zh-Hans"),
        ("可以用中文吗", "zh-Hans"),
        ("我唔識英文，講中文得唔得", "zh-Hant"),
        ("能说普通话吗", "zh-Hans"),
        ("用繁體字啦唔該", "zh-Hant"),
        ("change language", None),
        ("engineer", None),
    ],
)
def test_requested_language_from_the_message(text: str, expected: str | None) -> None:
    assert requested_language(text) == expected


async def test_switch_language_sets_the_slot_and_confirms_in_the_new_language() -> None:
    result = await run("action_switch_language", "tsw", user_message("English please", "switch_language", "en"))
    assert slot_events(result) == {"language": "en"}
    reply = only_response(result)
    assert reply["language"] == "en" and "English" in reply["text"]

    result = await run("action_switch_language", "tsw", user_message("简体中文", "switch_language", "zh-Hans"))
    assert slot_events(result) == {"language": "zh-Hans"}
    assert only_response(result)["text"] == to_simplified(only_response(result)["text"])


async def test_switch_language_button_and_unclear_request() -> None:
    pressed = user_message('/switch_language{"lang": "yue"}', "switch_language", None, entities={"lang": "yue"})
    assert slot_events(await run("action_switch_language", "dog_licence", pressed)) == {"language": "yue"}

    unclear = await run("action_switch_language", "dog_licence", user_message("change language", "switch_language", "en"))
    assert slot_events(unclear) == {}
    payloads = [b["payload"] for b in only_response(unclear)["buttons"]]
    assert payloads == [f'/switch_language{{"lang": "{tag}"}}' for tag in ("en", "yue", "zh-Hant", "zh-Hans")]


async def test_the_chosen_language_sticks_whatever_the_citizen_writes_next() -> None:
    # After "English please" the slot holds `en`: a Cantonese question still gets English.
    switched = await run("action_switch_language", "dog_licence", user_message("English please", "switch_language", "en"))
    sticky = slot_events(switched)
    question = user_message("狗牌幾多錢", "faq", "yue", faq=FEE)
    reply = only_response(await run("action_answer_faq", "dog_licence", question, slots=sticky))
    assert reply["language"] == "en"
    assert shared_store().entry("dog_licence.fee").answer["en"].startswith(reply["text"])
    fallback = only_response(await run("action_fallback", "dog_licence", user_message("貓牌", "out_of_scope", "yue"), slots=sticky))
    assert fallback["language"] == "en" and fallback["text"].startswith("Sorry")


#: Words that only colloquial Cantonese writes; formal written Chinese never does.
CANTONESE_ONLY = ("唔", "冇", "嘅", "咩", "係", "嚟", "㩒", "喇", "搵", "呢個", "佢")


@pytest.mark.parametrize("action, intent", [
    ("action_fallback", "out_of_scope"), ("action_goodbye", "goodbye"), ("action_thanks", "thanks"),
    ("action_affirm", "affirm"), ("action_deny", "deny"),
])
async def test_a_cantonese_message_gets_formal_written_chinese_like_the_answers(action: str, intent: str) -> None:
    reply = only_response(await run(action, "dog_licence", user_message("唔該晒", intent, "yue")))
    assert reply["text"] and not [word for word in CANTONESE_ONLY if word in reply["text"]], reply["text"]

"""action_answer_faq: answers with source and metadata, asks when topics are close, never answers what it is not sure of."""
from __future__ import annotations

import json

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from actions.sources import department, without_source
from knowledge.live import shared_store
from tests.actions.support import bot_message, domain, only_response, run, user_message


def faq(top: str | None, *ambiguous: str) -> dict:
    matches = [{"id": topic, "kb": topic.split(".")[0], "score": 0.8} for topic in ([top] if top else []) + list(ambiguous)]
    return {"top": top, "ambiguous": list(ambiguous), "matches": matches, "threshold": 0.5}


async def test_answer_carries_topic_kb_source_and_feedback_buttons() -> None:
    entry = shared_store().entry("dog_licence.where_apply")
    reply = only_response(await run("action_answer_faq", "dog_licence", user_message("where to apply", "faq", "en", faq=faq(entry.id))))
    assert entry.answer["en"].startswith(reply["text"]) and reply["text"]  # the answer without its trailing URL
    assert (reply["label"], reply["kind"], reply["topic"], reply["kb"], reply["source"]) == (
        entry.id, "answer", entry.id, "dog_licence", entry.source,
    )
    assert "http" not in reply["text"]  # the source is one labelled link, not a raw URL in the text
    assert reply["source_label"] == f"Source: {department(entry.source, 'en')} website"
    feedback = [json.loads(b["payload"][len("/feedback"):]) for b in reply["buttons"] if b["payload"].startswith("/feedback")]
    assert feedback == [{"topic": entry.id, "helpful": "yes"}, {"topic": entry.id, "helpful": "no"}]


async def test_close_topics_get_a_question_with_buttons_not_a_guess() -> None:
    question = user_message("狗牌要幾多錢同帶咩", "faq", "yue", faq=faq("dog_licence.fee", "dog_licence.documents"))
    reply = only_response(await run("action_answer_faq", "dog_licence", question))
    assert reply["kind"] == "clarify" and reply["label"] == "dog_licence.fee"
    assert reply["options"] == ["dog_licence.fee", "dog_licence.documents"]
    store = shared_store()
    titles = [b["title"] for b in reply["buttons"]]
    assert titles[:2] == [store.entry("dog_licence.fee").title["zh-Hant"], store.entry("dog_licence.documents").title["zh-Hant"]]
    assert [b["payload"] for b in reply["buttons"]] == [
        '/faq{"topic": "dog_licence.fee"}', '/faq{"topic": "dog_licence.documents"}', "/out_of_scope",
    ]
    # Nothing of either answer is given before the citizen chooses.
    assert store.entry("dog_licence.fee").source not in reply["text"]


async def test_ambiguous_without_a_top_topic_still_asks() -> None:
    reply = only_response(await run("action_answer_faq", "tsw", user_message("account", "faq", "en", faq=faq(None, "tsw.register", "tsw.password"))))
    assert reply["kind"] == "clarify" and reply["label"] == "tsw.register"


async def test_a_chosen_topic_is_answered() -> None:
    pressed = user_message('/faq{"topic": "dog_licence.documents"}', "faq", None, entities={"topic": "dog_licence.documents"})
    reply = only_response(await run("action_answer_faq", "1823", user_message("狗牌", "faq", "yue"), pressed))
    entry = shared_store().entry("dog_licence.documents")
    assert reply["label"] == entry.id and reply["text"] == without_source(entry.answer["zh-Hant"], entry.source)
    # The documents answer offers the checklist form in bots that have one.
    assert {"title": "幫我列出清單", "payload": "/request_checklist"} in reply["buttons"]


async def test_topics_outside_the_bots_knowledge_bases_fall_back() -> None:
    forged = user_message('/faq{"topic": "tsw.fees"}', "faq", "en", entities={"topic": "tsw.fees"})
    reply = only_response(await run("action_answer_faq", "dog_licence", forged))
    assert reply["label"] == "out_of_scope" and reply["kind"] == "fallback"
    unknown = only_response(await run("action_answer_faq", "tsw", user_message("x", "faq", "en", faq=faq("tsw.no_such_topic"))))
    assert unknown["label"] == "out_of_scope"
    nothing = only_response(await run("action_answer_faq", "tsw", user_message("x", "faq", "en", faq=faq(None))))
    assert nothing["label"] == "out_of_scope"


async def test_the_1823_bot_answers_dog_licence_topics() -> None:
    reply = only_response(await run("action_answer_faq", "1823", user_message("dog licence fee", "faq", "en", faq=faq("dog_licence.fee"))))
    assert reply["label"] == "dog_licence.fee" and reply["kb"] == "dog_licence"


def test_rasa_parses_our_button_payloads_into_intent_and_entities() -> None:
    bot_domain = Domain.from_dict(domain("dog_licence"))
    for payload, intent, entities in [
        ('/faq{"topic": "dog_licence.fee"}', "faq", {"topic": "dog_licence.fee"}),
        ('/feedback{"topic": "dog_licence.fee", "helpful": "no"}', "feedback", {"topic": "dog_licence.fee", "helpful": "no"}),
        ('/choose{"dog_application": "renewal"}', "choose", {"dog_application": "renewal"}),
        ('/switch_language{"lang": "zh-Hans"}', "switch_language", {"lang": "zh-Hans"}),
        ("/ask_human", "ask_human", {}),
        ("/request_checklist", "request_checklist", {}),
    ]:
        parsed = YAMLStoryReader.unpack_regex_message(Message(data={"text": payload}), bot_domain)
        assert parsed.get("intent")["name"] == intent, payload
        assert {e["entity"]: e["value"] for e in parsed.get("entities")} == entities, payload


async def test_bad_input_gets_a_polite_reply_not_an_error() -> None:
    for entities in ({"topic": 5}, {"topic": ""}, {"topic": "<script>alert(1)</script>"}, {"topic": "x" * 100_000}):
        reply = only_response(await run("action_answer_faq", "dog_licence", user_message("/faq", "faq", "en", entities=entities)))
        assert reply["label"] == "out_of_scope" and "1823" in reply["text"]
    garbage = user_message("\x00\ufffd<b>" * 1000, "faq", "und", faq={"top": None, "ambiguous": "not a list", "matches": []})
    assert only_response(await run("action_answer_faq", "tsw", garbage))["label"] == "out_of_scope"
    empty = {"text": None, "intent": {"name": "switch_language"}, "entities": [], "metadata": {}}
    assert only_response(await run("action_switch_language", "tsw", empty))["kind"] == "language"


async def test_a_clarifying_question_in_the_1823_bot_names_each_options_department() -> None:
    """Close topics of different departments ("lost card": HKID vs dog licence) say whose each one is."""
    store = shared_store()
    question = user_message("lost", "faq", "en", faq=faq(None, "immd.id_card_lost", "dog_licence.lost_licence", "1823.contact"))
    reply = only_response(await run("action_answer_faq", "1823", question))
    assert reply["kind"] == "clarify"
    assert [b["title"] for b in reply["buttons"][:3]] == [
        f"{store.entry('immd.id_card_lost').title['en']} (Immigration Department)",
        f"{store.entry('dog_licence.lost_licence').title['en']} (AFCD)",
        store.entry("1823.contact").title["en"],  # "How to contact 1823 (1823)" would say nothing more
    ]
    chinese = only_response(await run("action_answer_faq", "1823", user_message("唔見咗", "faq", "yue", faq=faq(None, "immd.id_card_lost", "wsd.burst_main"))))
    assert [b["title"] for b in chinese["buttons"][:2]] == [
        f"{store.entry('immd.id_card_lost').title['zh-Hant']}（入境事務處）",
        f"{store.entry('wsd.burst_main').title['zh-Hant']}（水務署）",
    ]
    simplified = only_response(await run("action_answer_faq", "1823", user_message("丢失", "faq", "zh-Hans", faq=faq(None, "immd.id_card_lost", "wsd.burst_main"))))
    assert simplified["buttons"][1]["title"].endswith("（水务署）")
    # The payloads still name only the topic: the citizen's tap is answered exactly as before.
    assert [b["payload"] for b in chinese["buttons"]] == ['/faq{"topic": "immd.id_card_lost"}', '/faq{"topic": "wsd.burst_main"}', "/out_of_scope"]


async def test_a_second_question_gets_its_own_answer_after_the_first() -> None:
    store = shared_store()
    question = user_message("is 1823 open 24 hours, and how do I pay my water bill?", "faq", "en", faq=faq("1823.hours"))
    question["faq_also"] = ["wsd.pay_bill", "1823.hours", "wsd.pay_bill", "no.such_topic"]  # repeats and the unknown are left out
    replies = (await run("action_answer_faq", "1823", question))["responses"]
    assert [(r["kind"], r["label"]) for r in replies] == [
        ("answer", "1823.hours"), ("also", "wsd.pay_bill"), ("answer", "wsd.pay_bill"),
    ]
    assert replies[1]["text"] == f"Your other question, {store.entry('wsd.pay_bill').title['en']}:"
    assert replies[2]["text"] == without_source(store.entry("wsd.pay_bill").answer["en"], store.entry("wsd.pay_bill").source)


async def test_another_question_outside_the_bot_is_not_answered() -> None:
    question = user_message("dog licence fee? and how do I pay my water bill?", "faq", "en", faq=faq("dog_licence.fee"))
    question["faq_also"] = ["wsd.pay_bill"]  # the dog licence bot does not answer for WSD
    reply = only_response(await run("action_answer_faq", "dog_licence", question))
    assert (reply["kind"], reply["label"]) == ("answer", "dog_licence.fee")


async def test_close_topics_still_ask_first_and_answer_nothing_else() -> None:
    question = user_message("狗牌要幾多錢同帶咩？另外點交水費？", "faq", "yue", faq=faq("dog_licence.fee", "dog_licence.documents"))
    question["faq_also"] = ["wsd.pay_bill"]
    reply = only_response(await run("action_answer_faq", "1823", question))
    assert reply["kind"] == "clarify"


def no_subject(text: str, language: str, result: dict | None, intent: str = "faq") -> dict:
    """A message FaqRetriever marked as naming no subject ("幾錢？")."""
    message = user_message(text, intent, language, faq=result)
    message["faq_no_subject"] = True
    return message


async def test_a_question_without_a_subject_is_asked_of_the_topic_just_answered() -> None:
    renewal = user_message("狗牌點續期", "faq", "yue", faq=faq("dog_licence.validity_renewal"))
    answered = bot_message("...", kind="answer", label="dog_licence.validity_renewal", kb="dog_licence", topic="dog_licence.validity_renewal")
    how_much = no_subject("幾錢？", "yue", faq("wsd.tariff", "wsd.deposit", "immd.passport_fee"))
    reply = only_response(await run("action_answer_faq", "1823", renewal, answered, how_much))
    assert (reply["kind"], reply["label"]) == ("answer", "dog_licence.fee")


@pytest.mark.parametrize(("topic", "text", "language", "expected"), [
    # The answer just given says a fee is charged: its own topic, not the passport fee of the same department.
    ("immd.id_card_lost", "要幾多錢？", "yue", "immd.id_card_lost"),
    ("dog_licence.lost_licence", "要錢嗎", "zh-Hant", "dog_licence.lost_licence"),  # "a replacement is free"
    # A related topic of the answer (the operator's link) that clearly answers the question.
    ("immd.passport_renewal", "how much?", "en", "immd.passport_fee"),
    ("tsw.register", "how long does it take?", "en", "tsw.approval_time"),
    # Nothing about the subject answers it: the choices, not the passport's processing time for an identity card.
    ("immd.id_card_lost", "how long does it take?", "en", None),
    # In a bot of one service, that service's clear answer (a citizen's check: refused after "What is TSW?").
    ("tsw.about", "how much does it cost?", "en", "tsw.fees"),
])
async def test_a_follow_up_stays_with_the_subject_just_answered(topic: str, text: str, language: str,
                                                                  expected: str | None) -> None:
    """A citizen review (thirteenth session): after a lost identity card, "要幾多錢？" got the passport fee."""
    kb = topic.split(".")[0]
    asked = user_message("...", "faq", language, faq=faq(topic))
    answered = bot_message("...", kind="answer", label=topic, kb=kb, topic=topic)
    follow = no_subject(text, language, faq("immd.passport_processing_time", "immd.passport_fee"))
    bot = "tsw" if kb == "tsw" else "1823"
    reply = only_response(await run("action_answer_faq", bot, asked, answered, follow))
    if expected is None:
        assert reply["kind"] == "clarify", reply
    else:
        assert (reply["kind"], reply["label"]) == ("answer", expected), reply


async def test_a_question_without_a_subject_is_asked_of_the_area_being_browsed() -> None:
    browse = user_message('/browse{"area": "housing"}', "browse", "en", entities={"area": "housing"})
    shown = bot_message("...", kind="browse", label="browse:housing")
    apply = no_subject("How do I apply?", "en", faq("swd.cssa_apply", "swd.oaa_apply"))
    reply = only_response(await run("action_answer_faq", "1823", browse, shown, apply))
    assert reply["kind"] == "answer" and reply["label"].startswith("hd."), reply["label"]


async def test_a_question_without_a_subject_and_no_context_asks_which_topic() -> None:
    reply = only_response(await run("action_answer_faq", "1823", no_subject("幾錢？", "yue", faq("wsd.tariff", "wsd.deposit"))))
    assert reply["kind"] == "clarify" and reply["options"] == ["wsd.tariff", "wsd.deposit"]


async def test_an_old_answer_sets_no_subject() -> None:
    renewal = user_message("狗牌點續期", "faq", "yue", faq=faq("dog_licence.validity_renewal"))
    answered = bot_message("...", kind="answer", label="dog_licence.validity_renewal", kb="dog_licence", topic="dog_licence.validity_renewal")
    later = [user_message(text, "greet", "yue") for text in ("你好", "hello", "hi")]
    how_much = no_subject("幾錢？", "yue", faq("wsd.tariff", "wsd.deposit"))
    reply = only_response(await run("action_answer_faq", "1823", renewal, answered, *later, how_much))
    assert reply["kind"] == "clarify"


async def test_a_refused_follow_up_is_asked_of_the_topic_just_answered() -> None:
    renewal = user_message("how do I renew my dog licence", "faq", "en", faq=faq("dog_licence.validity_renewal"))
    answered = bot_message("...", kind="answer", label="dog_licence.validity_renewal", kb="dog_licence", topic="dog_licence.validity_renewal")
    how_much = no_subject("how much does it cost?", "en", {"top": None, "ambiguous": [], "matches": [], "threshold": 0.55}, "out_of_scope")
    reply = only_response(await run("action_fallback", "1823", renewal, answered, how_much))
    assert (reply["kind"], reply["label"]) == ("answer", "dog_licence.fee")
    # Without the mark (a message with a subject of its own), the refusal stays one.
    how_much.pop("faq_no_subject")
    reply = only_response(await run("action_fallback", "1823", renewal, answered, how_much))
    assert reply["kind"] == "fallback"


@pytest.mark.parametrize(("bot", "language", "words"), [
    ("1823", "en", "ask them directly"), ("1823", "zh-Hant", "請直接向有關方面查詢"), ("tsw", "zh-Hans", "请直接向有关方面查询"),
])
async def test_a_refusal_of_another_places_or_companys_service_says_to_ask_them(bot: str, language: str, words: str) -> None:
    """A citizen review: "深圳社保點買" and "HSBC credit card" got only "for other government enquiries, call 1823"."""
    refused = {"top": None, "ambiguous": [], "matches": [], "threshold": 0.55}
    asked = user_message("深圳社保點買", "out_of_scope", language, faq=refused)
    asked["faq_elsewhere"] = ["shenzhen"]
    reply = only_response(await run("action_fallback", bot, asked))
    assert reply["label"] == "out_of_scope" and words in reply["text"] and "1823" in reply["text"], reply["text"]
    asked.pop("faq_elsewhere")
    assert words not in only_response(await run("action_fallback", bot, asked))["text"]


@pytest.mark.parametrize("language", ["zh-Hant", "zh-Hans", "en"])
async def test_a_refusal_joins_its_sentences_as_its_language_writes_them(language: str) -> None:
    """A citizen review: a Chinese refusal read "…真人職員。 你的問題…", with an English space between sentences."""
    from actions.sentences import joined

    refused = {"top": None, "ambiguous": [], "matches": [], "threshold": 0.55}
    asked = user_message("call me 91234567", "out_of_scope", language, faq=refused)
    asked["personal_details"] = True
    text = only_response(await run("action_fallback", "tsw", asked))["text"]  # three sentences: TSW's hotline is not 1823
    assert (". " in text) is (language == "en") and "。 " not in text, text
    assert joined("zh-Hant", "甲。", " 乙。") == "甲。乙。" and joined("en", "A.", "", "B.") == "A. B."


def asks_contact(text: str, language: str, intent: str = "faq") -> dict:
    """A message FaqRetriever marked as asking only how to reach someone ("who do I call?")."""
    message = user_message(text, intent, language, faq=faq("wsd.burst_main", "1823.contact"))
    message["faq_asks_contact"] = True
    return message


@pytest.mark.parametrize(("bot", "topic", "language", "phone"), [
    ("1823", "wsd.discoloured_water", "en", "2824 5000"),  # a citizen review: it got the burst main's answer
    ("1823", "hd.prh_apply", "yue", "2712 2712"),
    ("tsw", "tsw.register", "zh-Hans", "2117 3348"),
])
async def test_who_to_call_after_an_answer_gets_that_departments_hotline(bot: str, topic: str, language: str,
                                                                         phone: str) -> None:
    kb = topic.split(".")[0]
    asked = user_message("...", "faq", language, faq=faq(topic))
    answered = bot_message("...", kind="answer", label=topic, kb=kb, topic=topic)
    for action, intent in (("action_answer_faq", "faq"), ("action_fallback", "out_of_scope")):
        reply = only_response(await run(action, bot, asked, answered, asks_contact("who do I call?", language, intent)))
        assert (reply["kind"], reply["department"]) == ("contact", kb), reply
        assert phone in reply["text"]
        assert ("hotline" in reply["text"]) is (language == "en")
    # Without an answer before it, it is an ordinary question: the ranker's topic, no department's hotline.
    reply = only_response(await run("action_answer_faq", bot, asks_contact("who do I call?", language)))
    assert reply["kind"] != "contact"


async def test_a_no_is_met_with_sorry_and_the_ways_on() -> None:
    """A citizen review: "that doesn't answer my question" and 唔明 each got "All right. If you have another question..."."""
    for language, text in (("en", "that doesn't answer my question"), ("yue", "唔明")):
        reply = only_response(await run("action_deny", "1823", user_message(text, "deny", language)))
        assert reply["label"] == "deny" and [b["payload"].split("{")[0] for b in reply["buttons"]] == ["/ask_human", "/browse"]
        assert ("Sorry" in reply["text"]) is (language == "en") and "1823" in reply["text"]
    for language, text in (("en", "no thanks"), ("yue", "唔使喇")):  # a plain decline: no apology, no buttons
        reply = only_response(await run("action_deny", "1823", user_message(text, "deny", language)))
        assert reply["label"] == "deny" and not reply["buttons"] and "Sorry" not in reply["text"] and "抱歉" not in reply["text"]


@pytest.mark.parametrize(("text", "intent", "action", "expected"), [
    # A typed reply to "fee or renewal?" picks the option it names ...
    ("no, I meant the renewal", "deny", "action_deny", "dog_licence.validity_renewal"),
    ("the fee", "out_of_scope", "action_fallback", "dog_licence.fee"),
    ("續牌", "out_of_scope", "action_fallback", "dog_licence.validity_renewal"),
    # ... but a question of its own is no pick (the passport is no option's subject), nor is a bare "no".
    ("how much is a passport", "out_of_scope", "action_fallback", None),
    ("no", "deny", "action_deny", None),
])
async def test_a_typed_reply_to_a_clarifying_question_picks_its_option(text: str, intent: str, action: str,
                                                                       expected: str | None) -> None:
    asked = user_message("my dog licence", "faq", "en", faq=faq("dog_licence.fee", "dog_licence.validity_renewal"))
    menu = bot_message("...", kind="clarify", label="dog_licence.fee", options=["dog_licence.fee", "dog_licence.validity_renewal"])
    reply = only_response(await run(action, "dog_licence", asked, menu, user_message(text, intent, "en")))
    if expected is None:
        assert reply["kind"] != "answer", reply
    else:
        assert (reply["kind"], reply["label"]) == ("answer", expected), reply


async def test_a_no_that_names_a_related_topic_after_an_answer_gets_that_topic() -> None:
    asked = user_message("passport fee", "faq", "en", faq=faq("immd.passport_fee"))
    answered = bot_message("...", kind="answer", label="immd.passport_fee", kb="immd", topic="immd.passport_fee")
    reply = only_response(await run("action_deny", "1823", asked, answered, user_message("no, I meant the renewal", "deny", "en")))
    assert (reply["kind"], reply["label"]) == ("answer", "immd.passport_renewal"), reply

"""Every sentence hkbot itself says to a citizen, in one table, and the one rule for picking its language.

Knowledge answers, bot.yml texts and checklists are content and live with their departments;
everything the code says (replies of the actions, apologies, refusals, channel notices, the
officer's arrival) is here, and every module asks `sentence(key, language, **params)`.

The fallback rule (docs/interface.md, "Where the bot's sentences live"):
  en       -> en
  zh-Hant  -> zh-Hant -> en
  yue      -> yue -> zh-Hant -> en           (one register: Cantonese gets formal written Chinese)
  zh-Hans  -> zh-Hans -> zh-Hant -> en       (a written zh-Hans text is used as written; the
                                              Traditional text is converted by OpenCC)
  anything else (None, "und", ...) reads as DEFAULT_LANGUAGE (zh-Hant).
Every key has `en` and `zh-Hant` and the same {placeholders} in each text: checked when this
module is imported, so a missing text fails a test or start-up, never a citizen.
"""
from __future__ import annotations

import re
from typing import Optional

from nlu.script import to_simplified

#: Reply language tags (DESIGN.md): English, written Cantonese, formal Chinese, Simplified.
LANGUAGES: tuple[str, ...] = ("en", "yue", "zh-Hant", "zh-Hans")
#: What a missing or unknown language tag reads as: Hong Kong's formal written Chinese.
DEFAULT_LANGUAGE = "zh-Hant"
#: Which written texts serve a reply language, best first.
FALLBACK_CHAIN: dict[str, tuple[str, ...]] = {
    "en": ("en",),
    "zh-Hant": ("zh-Hant", "en"),
    "yue": ("yue", "zh-Hant", "en"),
    "zh-Hans": ("zh-Hans", "zh-Hant", "en"),
}
#: Every key must have these texts.
REQUIRED: tuple[str, ...] = ("en", "zh-Hant")

SENTENCES: dict[str, dict[str, str]] = {
    # ---- greeting and small talk
    "greet_generic": {
        "en": "Hello! I'm a virtual assistant, a computer program and not a person. How can I help?",
        "zh-Hant": "你好！我是虛擬助理（電腦程式，並非真人）。有甚麼可以幫到你？",
    },
    "greet_topics": {
        "en": "Tap a topic below or type your question.",
        "zh-Hant": "你可以按下面的題目，或直接輸入你的問題。",
    },
    "greet_areas": {
        "en": "Tap a service area below or type your question.",
        "zh-Hant": "你可以按下面的服務範疇，或直接輸入你的問題。",
    },
    "privacy_label": {"en": "Privacy notice", "zh-Hant": "私隱政策"},
    # ---- browsing by service area
    "browse_areas": {
        "en": "Which service area is your question about? Tap one, or type your question.",
        "zh-Hant": "請問你的問題屬於哪個服務範疇？請按其中一項，或直接輸入你的問題。",
    },
    "browse_scope": {
        "en": "I answer common questions about these services, each with its official source. I can't take applications or look up your own case: for that, ask for an officer. Tap an area, or type your question.",
        "zh-Hant": "我可以解答以下服務範疇的常見問題，並附上官方資料來源；但不能代辦申請或查閱你的個案，如有需要可以轉介職員。請按其中一個範疇，或直接輸入你的問題。",
    },
    "browse_scope_topics": {
        "en": "I answer common questions like these, each with its official source. I can't take applications or look up your own case: for that, ask for an officer. Tap a topic, or type your question.",
        "zh-Hant": "我可以解答以下這類常見問題，並附上官方資料來源；但不能代辦申請或查閱你的個案，如有需要可以轉介職員。請按其中一個題目，或直接輸入你的問題。",
    },
    "browse_unknown_area": {
        "en": "Sorry, I don't have that service area. Please choose one of these, or type your question.",
        "zh-Hant": "抱歉，沒有這個服務範疇。請選擇以下其中一項，或直接輸入你的問題。",
    },
    "browse_area_empty": {
        "en": "Sorry, I have no questions in that service area at the moment. Please choose another, or type your question.",
        "zh-Hant": "抱歉，這個服務範疇暫時沒有問題。請選擇其他範疇，或直接輸入你的問題。",
    },
    "browse_area": {
        "en": "{area}: common questions. Tap one, or type your question in your own words.",
        "zh-Hant": "{area}：常見問題。請按其中一項，或用你自己的說法輸入問題。",
    },
    "browse_area_page": {
        "en": "{area}: more questions (page {page} of {pages}). Tap one, or type your question.",
        "zh-Hant": "{area}：更多問題（第{page}頁，共{pages}頁）。請按其中一項，或直接輸入你的問題。",
    },
    "browse_more": {"en": "More questions", "zh-Hant": "更多問題"},
    "browse_back": {"en": "All service areas", "zh-Hant": "所有服務範疇"},
    "identity": {
        "en": (
            "This is the {name}. I'm a virtual assistant: a computer program, not a person. I answer from the "
            "department's official information and give the source with each answer. If you would "
            "like a human officer, tap \"Talk to an officer\" or call {phone}."
        ),
        "zh-Hant": (
            "這是{name}。我是虛擬助理，即是電腦程式，並非真人。我會根據部門的官方資料回答，"
            "並附上資料來源。如需真人職員協助，請按「轉接職員」或致電{phone}。"
        ),
    },
    "goodbye": {
        "en": "Goodbye! If you have another question, ask me here any time, or call 1823.",
        "zh-Hant": "再見！如有其他查詢，歡迎隨時再問我，或致電1823。",
    },
    "thanks": {
        "en": "You're welcome! Is there anything else I can help with?",
        "zh-Hant": "不用客氣！還有其他可以幫到你嗎？",
    },
    "affirm": {
        "en": "Great. What else would you like to ask?",
        "zh-Hant": "好的。請問還有甚麼想查詢？",
    },
    "deny": {
        "en": ("Sorry that was not what you needed. You can ask again in other words, choose a topic, or talk to an "
               "officer; you can also call 1823 (24 hours)."),
        "zh-Hant": "抱歉，未能幫到你。你可以換個說法再問、選擇一個主題，或轉接職員；亦可致電1823（24小時服務）。",
    },
    "browse_topics": {"en": "Choose a topic", "zh-Hant": "選擇主題"},
    "deny_plain": {
        "en": "All right. If you have another question, just type it here, or call 1823 (24 hours).",
        "zh-Hant": "好的。如有其他問題，請直接輸入，或致電1823（24小時服務）。",
    },
    # ---- answers
    "clarify": {
        "en": "I want to be sure I answer the right question. Which of these do you mean?",
        "zh-Hant": "為確保答案準確，請問你想查詢以下哪一項？",
    },
    "none_of_these": {"en": "None of these", "zh-Hant": "都不是"},
    "also_answer": {"en": "Your other question, {title}:", "zh-Hant": "至於你的另一個問題（{title}）："},
    "option_department": {"en": "{title} ({department})", "zh-Hant": "{title}（{department}）"},
    "helpful": {"en": "Helpful", "zh-Hant": "有幫助"},
    "not_helpful": {"en": "Not helpful", "zh-Hant": "沒有幫助"},
    "make_checklist": {"en": "Make me a checklist", "zh-Hant": "幫我列出清單"},
    # ---- fallback and handoff
    "personal_details": {
        "en": "I can't call you back, and it's safer not to send phone numbers or other personal details in this chat.",
        "zh-Hant": "我無法回電給你；為保障私隱，請不要在這裡提供電話號碼或其他個人資料。",
    },
    "fallback": {
        "en": (
            "Sorry, I can't answer that question, and I'd rather not guess. For other government "
            "enquiries, please call the 1823 hotline (phone 1823, 24 hours a day), or I can pass you "
            "to a human officer."
        ),
        "zh-Hant": (
            "抱歉，我未能回答這個問題，亦不想胡亂估答。其他政府查詢，請致電1823熱線"
            "（電話1823，24小時服務），或由我為你轉接真人職員。"
        ),
    },
    "department_hotline": {
        "en": "You can also call the {name} hotline on {phone}.",
        "zh-Hant": "你亦可致電{name}熱線{phone}。",
    },
    # Crisis lines (checked 2026-12-06): 18111, the Government's 24-hour Mental Health Support Hotline
    # (https://news.gov.hk/eng/2023/12/20231227/20231227_162155_701.html, and DH on 2025-10-10:
    # https://www.info.gov.hk/gia/general/202510/10/P2025100900583p.htm); The Samaritans 2896 0000 (24 hours, many
    # languages) and The Samaritan Befrienders Hong Kong 2389 2222 (24 hours), as listed by HKU's Centre for Suicide
    # Research and Prevention (https://csrp.hku.hk/getting-help/); 999 for emergencies. `officer_timeout_crisis` gives them
    # again (tests/console/test_units.py holds the two to the same numbers).
    "crisis": {
        "en": (
            "I'm very sorry you are feeling this way. You don't have to face it alone: please talk to someone now. "
            "If you are in danger, call 999. The Government's 24-hour Mental Health Support Hotline is 18111; "
            "The Samaritans (24 hours, many languages) 2896 0000; The Samaritan Befrienders Hong Kong (24 hours) "
            "2389 2222. I can also pass you to an officer here."
        ),
        "zh-Hant": (
            "很難過你有這樣的感受。你不用獨自面對，請現在就找人傾談。如有危險，請致電999。政府24小時精神健康支援熱線："
            "18111；撒瑪利亞會（24小時，多種語言）：2896 0000；香港撒瑪利亞防止自殺會（24小時）：2389 2222。"
            "我亦可以為你轉接職員。"
        ),
    },
    "department_contact": {
        "en": "The {name} hotline is {phone}.",
        "zh-Hant": "{name}的查詢熱線是{phone}。",
    },
    "follow_up_contact": {
        "en": "For that, you can call the {name} hotline on {phone}.",
        "zh-Hant": "這方面的查詢，你可致電{name}熱線{phone}。",
    },
    "fallback_elsewhere": {
        "en": (
            "Sorry, I can't answer that question, and I'd rather not guess. If it is about a service outside the Hong "
            "Kong Government (in another place, or a company's or another organisation's), please ask them directly. "
            "For Hong Kong government enquiries, please call the 1823 hotline (phone 1823, 24 hours a day), or I can "
            "pass you to a human officer."
        ),
        "zh-Hant": (
            "抱歉，我未能回答這個問題，亦不想胡亂估答。如問題涉及香港特區政府以外的服務（例如其他地方，或公司、機構的服務），"
            "請直接向有關方面查詢。香港政府服務的查詢，請致電1823熱線（電話1823，24小時服務），或由我為你轉接真人職員。"
        ),
    },
    "department_clear": {
        "en": "Your question sounds like one for the {name}: you can call its hotline on {phone}.",
        "zh-Hant": "你的問題似乎屬於{name}的範圍，你可致電其熱線{phone}查詢。",
    },
    "handoff_department": {
        "en": "For questions about the {name}, you can also call its hotline on {phone}.",
        "zh-Hant": "如查詢{name}的事宜，你亦可致電其熱線{phone}。",
    },
    "talk_to_officer": {"en": "Talk to an officer", "zh-Hant": "轉接職員"},
    "handoff": {
        "en": (
            "I've asked an officer ({target}) to take over this conversation. Please stay here: an "
            "officer will reply in this chat, usually within {wait}. Meanwhile you can "
            "also call {phone}."
        ),
        "zh-Hant": (
            "我已請{target}職員接手這個對話。請留在此頁面，職員一般會在{wait}內在這裡回覆你。"
            "期間你亦可致電{phone}。"
        ),
    },
    "phone_24h": {"en": "{phone} (24 hours)", "zh-Hant": "{phone}（24小時服務）"},
    "wait_minute": {"en": "1 minute", "zh-Hant": "1分鐘"},
    "wait_minutes": {"en": "{minutes} minutes", "zh-Hant": "{minutes}分鐘"},
    # ---- language
    "language_set_en": {"en": "Sure, I'll reply in English from now on.", "zh-Hant": "Sure, I'll reply in English from now on."},
    "language_set_yue": {"en": "好的，之後我會以中文回覆你。", "zh-Hant": "好的，之後我會以中文回覆你。"},
    "language_set_zh-Hant": {"en": "好的，之後我會以繁體中文回覆你。", "zh-Hant": "好的，之後我會以繁體中文回覆你。"},
    "language_set_zh-Hans": {"en": "好的，之後我會以簡體中文回覆你。", "zh-Hant": "好的，之後我會以簡體中文回覆你。"},
    "language_ask": {
        "en": "Which language would you like me to reply in?",
        "zh-Hant": "請問你想我用哪種語言回覆？",
    },
    # ---- feedback
    "feedback_helpful": {
        "en": "Thank you for your feedback! Anything else I can help with?",
        "zh-Hant": "謝謝你的意見！還有其他可以幫到你嗎？",
    },
    "feedback_not_helpful": {
        "en": (
            "Thank you for telling us. Sorry that didn't help: you can ask in other words, call 1823 "
            "(24 hours), or talk to an officer."
        ),
        "zh-Hant": "謝謝你的意見，抱歉未能幫上忙。你可以換個方式再問、致電1823（24小時服務），或轉接真人職員。",
    },
    # ---- checklist form
    "ask_dog_application": {
        "en": "Let's make your checklist. Is this a new dog licence or a renewal?",
        "zh-Hant": "我們來準備清單。請問是新申請犬隻牌照，還是續牌？",
    },
    "dog_new": {"en": "New licence", "zh-Hant": "新申請"},
    "dog_renewal": {"en": "Renewal", "zh-Hant": "續牌"},
    "ask_dog_applicant": {
        "en": "Will you (the owner) go in person, or will a representative go for you?",
        "zh-Hant": "請問由你（狗主）親身辦理，還是由代表代為辦理？",
    },
    "dog_in_person": {"en": "I'll go in person", "zh-Hant": "本人親身辦理"},
    "dog_representative": {"en": "A representative goes for me", "zh-Hant": "由代表辦理"},
    "ask_tsw_applicant": {
        "en": "Let's make your checklist. Are you registering as an individual, or for a company or other business (a sole proprietorship too)?",
        "zh-Hant": "我們來準備清單。請問你以個人身份，還是代表公司或商號（包括獨資經營）登記？",
    },
    "tsw_individual": {"en": "Individual", "zh-Hant": "個人"},
    "tsw_company": {"en": "Company", "zh-Hant": "公司"},
    "form_not_understood": {
        "en": "Sorry, I didn't catch that. Please tap one of the buttons, or say \"stop\" to leave the checklist.",
        "zh-Hant": "抱歉，我未能理解。請按下面其中一個按鈕，或輸入「取消」離開清單。",
    },
    "checklist_stopped": {
        "en": "OK, I've stopped the checklist. What else can I help with?",
        "zh-Hant": "好的，已停止準備清單。還有其他可以幫到你嗎？",
    },
    "checklist_unavailable": {
        "en": "Sorry, I don't have a checklist for this service. Please ask your question, or call 1823.",
        "zh-Hant": "抱歉，這項服務沒有清單。請直接提出你的問題，或致電1823。",
    },
    # ---- an answer's source link (actions/sources.py)
    "source_label": {"en": "Source: {name} website", "zh-Hant": "資料來源：{name}網頁"},
    # ---- when an action or the whole turn fails (bots/runtime/agents.py)
    "action_error": {
        "en": "Sorry, I cannot answer right now because of a technical problem. Please try again later, or call 1823 for help.",
        "zh-Hant": "對不起，系統暫時出現技術問題，未能回答。請稍後再試，或致電 1823 查詢。",
        "zh-Hans": "对不起，系统暂时出现技术问题，未能回答。请稍后再试，或致电 1823 查询。",
    },
    # ---- the officer's side of a handoff (console/live_pages.py)
    "officer_joined": {
        "en": "An officer (a person) has joined the conversation and will reply here.",
        "zh-Hant": "職員（真人）已加入對話，會在這裏回覆你。",
    },
    "officer_released": {
        "en": "The officer has left the conversation. The virtual assistant will answer your questions again.",
        "zh-Hant": "職員已離開對話，虛擬助理會繼續回答你的問題。",
    },
    "officer_waiting": {
        "en": "Your message is with the officer. Their replies come here with your next message.",
        "zh-Hant": "你的訊息已交給職員。職員的回覆會在你下次傳送訊息時一併顯示。",
    },
    "officer_timeout": {
        "en": "Sorry, no officer was free to take your request in time. Please call {phone}, or keep asking me here.",
        "zh-Hant": "對不起，未有職員及時接手你的查詢。請致電{phone}，或繼續在這裏問我。",
    },
    "officer_timeout_crisis": {
        "en": (
            "Please don't stay alone with this while you wait: the 24-hour Mental Health Support Hotline 18111, "
            "The Samaritans 2896 0000 and The Samaritan Befrienders Hong Kong 2389 2222 can talk with you now. "
            "If you are in danger, call 999."
        ),
        "zh-Hant": (
            "請不要獨自承受：政府24小時精神健康支援熱線18111、撒瑪利亞會2896 0000、香港撒瑪利亞防止自殺會2389 2222"
            "現在都可以和你傾談。如有危險，請致電999。"
        ),
    },
    "officer_timeout_department": {
        "en": "For your question about the {name}, you can also call its hotline on {phone}.",
        "zh-Hant": "有關{name}的查詢，你亦可致電其熱線{phone}。",
    },
    # ---- refusals of the server's limits (bots/server/limits.py; keys are the refusal codes)
    "rate_limited": {
        "en": "You are sending messages too quickly. Please wait a moment ({seconds} s) and try again.",
        "zh-Hant": "你傳送訊息太快了，請等候 {seconds} 秒後再試。",
        "zh-Hans": "你发送信息太快了，请等候 {seconds} 秒后再试。",
    },
    "message_too_long": {
        "en": "Your message is too long. Please keep it under {limit} characters and send it again.",
        "zh-Hant": "你的訊息太長了，請縮短至 {limit} 字以內再傳送。",
        "zh-Hans": "你的信息太长了，请缩短至 {limit} 字以内再发送。",
    },
    "request_too_large": {
        "en": "Your message is too large to send. Please send a shorter message.",
        "zh-Hant": "你的訊息太大，無法傳送，請傳送較短的訊息。",
        "zh-Hans": "你的信息太大，无法发送，请发送较短的信息。",
    },
    # ---- the chat socket's errors (connectors/websocket.py; key "socket_" + the error code)
    "socket_too_long": {
        "en": "Sorry, that message is too long. Please send a shorter question.",
        "zh-Hant": "對不起，訊息太長了，請把問題寫短一點再傳送。",
        "zh-Hans": "对不起，信息太长了，请把问题写短一点再发送。",
    },
    "socket_bad_frame": {
        "en": "Sorry, I could not read that message. Please type your question again.",
        "zh-Hant": "對不起，未能讀取這則訊息，請重新輸入你的問題。",
        "zh-Hans": "对不起，未能读取这则信息，请重新输入你的问题。",
    },
    "socket_unavailable": {
        "en": "Sorry, the service is busy right now. Please try again shortly or call 1823.",
        "zh-Hant": "對不起，服務暫時繁忙，請稍後再試或致電 1823。",
        "zh-Hans": "对不起，服务暂时繁忙，请稍后再试或致电 1823。",
    },
    "socket_origin": {
        "en": "This page is not allowed to use this chat service.",
        "zh-Hant": "此網頁未獲准使用這個聊天服務。",
        "zh-Hans": "此网页未获准使用这个聊天服务。",
    },
    # ---- messenger channels (connectors/gate.py)
    "choice_hint": {
        "en": "Reply with the number of your choice.",
        "zh-Hant": "請回覆選項的號碼。",
        "zh-Hans": "请回复选项的号码。",
    },
    "text_only": {
        "en": "Sorry, I can only read text messages. Please type your question.",
        "zh-Hant": "對不起，我只能閱讀文字訊息，請輸入你的問題。",
        "zh-Hans": "对不起，我只能阅读文字信息，请输入你的问题。",
    },
}

_PLACEHOLDER = re.compile(r"{(\w*)")


def _check(table: dict[str, dict[str, str]]) -> None:
    """Refuse a table a citizen could trip over: a missing en/zh-Hant text, an unknown language, mismatched placeholders."""
    for key, texts in table.items():
        missing = [language for language in REQUIRED if not texts.get(language)]
        unknown = sorted(set(texts) - set(LANGUAGES))
        if missing or unknown:
            raise ValueError(f"sentence {key!r}: missing {missing}, unknown languages {unknown}")
        names = {language: set(_PLACEHOLDER.findall(text)) for language, text in texts.items()}
        if len({frozenset(found) for found in names.values()}) > 1:
            raise ValueError(f"sentence {key!r}: its texts have different placeholders {names}")


_check(SENTENCES)


def every_text() -> list[str]:
    """Every sentence in every language: the phone numbers they give (the crisis lines) are public, not personal."""
    return [text for texts in SENTENCES.values() for text in texts.values()]


def reply_tag(language: Optional[str]) -> str:
    """The reply language a tag stands for: itself when it is one of LANGUAGES, else DEFAULT_LANGUAGE."""
    return language if language is not None and language in FALLBACK_CHAIN else DEFAULT_LANGUAGE


def written(key: str, language: Optional[str]) -> tuple[str, str]:
    """(the language of the text used, the unformatted text) for `key` in a reply language, by the fallback chain."""
    texts = SENTENCES[key]
    for candidate in FALLBACK_CHAIN[reply_tag(language)]:
        if texts.get(candidate):
            return candidate, texts[candidate]
    raise KeyError(key)  # unreachable: _check insists on en


def joined(language: Optional[str], *parts: str) -> str:
    """Sentences one after another: with a space in English, none in Chinese ("。你的問題", not "。 你的問題": a citizen
    review saw the stray space)."""
    gap = " " if reply_tag(language) == "en" else ""
    return gap.join(part.strip() for part in parts if part and part.strip())


def sentence(key: str, language: Optional[str], **params: object) -> str:
    """The sentence `key` for a reply language, `params` filled in, in Simplified script for zh-Hans."""
    used, text = written(key, language)
    if reply_tag(language) != "zh-Hans":
        return text.format(**params)
    if used == "zh-Hans":  # written Simplified stays as written; only the values are converted
        return text.format(**{name: to_simplified(value) if isinstance(value, str) else value for name, value in params.items()})
    return to_simplified(text.format(**params))

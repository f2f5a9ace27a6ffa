"""Every sentence the actions say, in English and formal written Chinese.

`render(key, language, **params)` picks the text for a reply language: `en`, or the
Traditional text for `yue` and `zh-Hant` (one register: a Cantonese question gets formal
written Chinese, like the knowledge answers), converted with OpenCC for `zh-Hans`.
"""
from __future__ import annotations

from actions.language import in_script, text_key

REPLIES: dict[str, dict[str, str]] = {
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
        "en": "All right. If you have another question, just type it here, or call 1823 (24 hours).",
        "zh-Hant": "明白。如有其他問題，請直接輸入，或致電1823（24小時服務）。",
    },
    # ---- answers
    "clarify": {
        "en": "I want to be sure I answer the right question. Which of these do you mean?",
        "zh-Hant": "為確保答案準確，請問你想查詢以下哪一項？",
    },
    "none_of_these": {"en": "None of these", "zh-Hant": "都不是"},
    "option_department": {"en": "{title} ({department})", "zh-Hant": "{title}（{department}）"},
    "helpful": {"en": "Helpful", "zh-Hant": "有幫助"},
    "not_helpful": {"en": "Not helpful", "zh-Hant": "沒有幫助"},
    "make_checklist": {"en": "Make me a checklist", "zh-Hant": "幫我列出清單"},
    # ---- fallback and handoff
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
            "officer will reply in this chat, usually within {minutes} minutes. Meanwhile you can "
            "also call {phone}."
        ),
        "zh-Hant": (
            "我已請{target}職員接手這個對話。請留在此頁面，職員一般會在{minutes}分鐘內在這裡回覆你。"
            "期間你亦可致電{phone}。"
        ),
    },
    "phone_24h": {"en": "{phone} (24 hours)", "zh-Hant": "{phone}（24小時服務）"},
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
        "en": "Let's make your checklist. Are you registering as an individual or for a company?",
        "zh-Hant": "我們來準備清單。請問你以個人身份，還是代表公司登記？",
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
}


def template(key: str, language: str) -> str:
    """The unformatted text of `key` for a reply language (before script conversion)."""
    return REPLIES[key][text_key(language)]


def render(key: str, language: str, **params: object) -> str:
    """The sentence `key` for a reply language, with `params` filled in and the script converted."""
    return in_script(template(key, language).format(**params), language)

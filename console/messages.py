"""What a citizen reads from the console side of a handoff, in their language (Simplified via OpenCC)."""
from __future__ import annotations

from nlu.script import to_simplified

TEXTS: dict[str, dict[str, str]] = {
    "joined": {
        "en": "An officer (a person) has joined the conversation and will reply here.",
        "zh-Hant": "職員（真人）已加入對話，會在這裏回覆你。",
    },
    "released": {
        "en": "The officer has left the conversation. The virtual assistant will answer your questions again.",
        "zh-Hant": "職員已離開對話，虛擬助理會繼續回答你的問題。",
    },
    "timeout": {
        "en": "Sorry, no officer was free to take your request in time. Please call {phone}, "
              "or keep asking me here.",
        "zh-Hant": "對不起，未有職員及時接手你的查詢。請致電{phone}，或繼續在這裏問我。",
    },
    "timeout_department": {
        "en": "For your question about the {name}, you can also call its hotline on {phone}.",
        "zh-Hant": "有關{name}的查詢，你亦可致電其熱線{phone}。",
    },
}


def agent_text(key: str, language: str | None, **params: str) -> str:
    """A console message in the conversation's language: English, Traditional, or Simplified."""
    texts = TEXTS[key]
    if language == "en":
        return texts["en"].format(**params)
    if language == "zh-Hans":
        return to_simplified(texts["zh-Hant"].format(**params))
    return texts["zh-Hant"].format(**params)

"""What a citizen reads from the console side of a handoff, in their language (Simplified via OpenCC)."""
from __future__ import annotations

from nlu.script import to_simplified

TEXTS: dict[str, dict[str, str]] = {
    "joined": {
        "en": "An officer has joined the conversation and will reply here.",
        "zh-Hant": "職員已加入對話，會在這裏回覆你。",
    },
    "released": {
        "en": "The officer has left the conversation. The virtual assistant will answer your questions again.",
        "zh-Hant": "職員已離開對話，虛擬助理會繼續回答你的問題。",
    },
    "timeout": {
        "en": "Sorry, no officer is free right now. Please call 1823 (24 hours) or visit www.1823.gov.hk. "
              "You can also keep asking me here.",
        "zh-Hant": "對不起，現在沒有職員可以接聽。請致電 1823（24 小時服務）或瀏覽 www.1823.gov.hk。"
                   "你亦可以繼續在這裏問我。",
    },
}


def agent_text(key: str, language: str | None) -> str:
    """A console message in the conversation's language: English, Traditional, or Simplified."""
    texts = TEXTS[key]
    if language == "en":
        return texts["en"]
    if language == "zh-Hans":
        return to_simplified(texts["zh-Hant"])
    return texts["zh-Hant"]

"""Understanding a typed answer to a checklist question ("續牌", "my helper will go", "公司").

Buttons send the value itself; typed answers are matched against keywords in
English, Traditional and Simplified Chinese and Cantonese. The first value of
each slot is checked first where its words contain the other's ("renew" holds "new").
"""
from __future__ import annotations

from actions.checklists import DOG_APPLICANT, DOG_APPLICATION, TSW_APPLICANT

KEYWORDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    DOG_APPLICATION: (
        ("renewal", ("renew", "again", "expire", "續", "续", "再領", "再领", "到期", "過期", "过期")),
        ("new", ("new", "first", "never", "新", "第一次", "首次", "未有", "未領", "未领", "冇牌", "沒有牌", "没有牌")),
    ),
    DOG_APPLICANT: (
        ("representative", (
            "representative", "someone", "somebody", "behalf", "agent", "friend", "family", "helper",
            "relative", "son", "daughter", "wife", "husband", "other person", "not me",
            "代表", "代辦", "代办", "代我", "代為", "代为", "幫我去", "帮我去", "家人", "屋企人", "朋友",
            "工人", "姐姐", "親戚", "亲戚", "別人", "别人", "其他人", "人哋", "老公", "老婆", "仔", "女",
        )),
        ("in_person", (
            "myself", "in person", "i will go", "i'll go", "i go", "owner", "personally", "by me",
            "自己", "本人", "親身", "亲身", "親自", "亲自", "我去", "我會去", "我会去", "狗主",
        )),
    ),
    TSW_APPLICANT: (
        ("company", (
            "company", "business", "firm", "corporat", "ltd", "limited", "enterprise", "employer", "organisation",
            "organization", "公司", "企業", "企业", "商業", "商业", "商號", "商号", "有限", "機構", "机构",
            # A sole proprietorship or a partnership registers as a business: its Business Registration certificate,
            # a letter from the proprietor or a partner (TSW's registration page; a citizen review read "sole" as individual).
            "sole proprietor", "sole trader", "proprietor", "partnership", "獨資", "独资", "合夥", "合伙", "東主", "东主",
        )),
        ("individual", ("individual", "personal", "myself", "just me", "個人", "个人", "自己", "私人", "本人")),
    ),
}


def _contains(text: str, word: str) -> bool:
    """Whole-word match for short ASCII words ("me" is not in "name"), substring for the rest."""
    if word.isascii() and len(word) <= 3:
        padded = f" {''.join(c if c.isalnum() or c == chr(39) else ' ' for c in text)} "
        return f" {word} " in padded
    return word in text


def interpret(slot: str, text: object) -> str | None:
    """The slot value a typed (or button) answer means, or None if it is not clear."""
    if not isinstance(text, str):
        return None
    cleaned = text.strip().lower()
    values = KEYWORDS.get(slot, ())
    if cleaned in {value for value, _ in values}:
        return cleaned
    for value, words in values:
        if any(_contains(cleaned, word) for word in words):
            return value
    return None

"""An answer's source as one labelled link: the department's name in the reply language, no raw URL in the text.

The name comes from the knowledge files' `department:` blocks (`knowledge.departments`): the
department whose `sites` hold the link; a small map names the few publishers no department claims.

Knowledge answers end with their source URL (the validator insists, so a copied answer
keeps it); the chat shows that URL once, as a link whose label names the department.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from actions.language import in_script, text_key
from actions.sentences import sentence
from knowledge.departments import departments

#: Publishers of sites no knowledge base's `department:` block claims (its `sites`), by host name
#: (a sub-domain matches its parent): {en, zh-Hant}. Departments themselves live in the knowledge files.
OTHER_PUBLISHERS: dict[str, dict[str, str]] = {
    "eeb.gov.hk": {"en": "Environment and Ecology Bureau", "zh-Hant": "環境及生態局"},
    "news.gov.hk": {"en": "news.gov.hk", "zh-Hant": "政府新聞網"},
    "info.gov.hk": {"en": "Information Services Department", "zh-Hant": "政府新聞處"},
    "gov.hk": {"en": "GovHK", "zh-Hant": "香港政府一站通"},
}
#: A trailing "Source: <url>" / "資料來源：<url>" (or the bare URL) at the end of an answer.
TRAILING_SOURCE = r"\s*(?:Source\s*:|資料來源\s*[:：]|资料来源\s*[:：])?\s*{url}\s*[.。)）]*\s*$"


def department(url: str, language: str, kb: str | None = None) -> str:
    """The publisher's name for `url` in a reply language: the knowledge department whose sites hold it
    (the entry's own knowledge base first), else the fallback map, else the host name."""
    owner = departments().publishing(url, prefer_kb=kb)
    if owner is not None:
        return in_script(owner.label_in(text_key(language)), language)
    host = (urlsplit(url).hostname or "").lower()
    parts = host.split(".")
    for start in range(len(parts) - 1):
        names = OTHER_PUBLISHERS.get(".".join(parts[start:]))
        if names:
            return in_script(names[text_key(language)], language)
    return host.removeprefix("www.")


def source_label(url: str, language: str, kb: str | None = None) -> str:
    """The link text for an answer's source: 'Source: AFCD website', '資料來源：漁農自然護理署網頁'."""
    return sentence("source_label", language, name=department(url, language, kb))


def without_source(text: str, url: str) -> str:
    """The answer text without its trailing source URL (the link carries it); other text unchanged."""
    if not url:
        return text
    return re.sub(TRAILING_SOURCE.format(url=re.escape(url)), "", text).rstrip()

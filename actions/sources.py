"""An answer's source as one labelled link: the department's name in the reply language, no raw URL in the text.

Knowledge answers end with their source URL (the validator insists, so a copied answer
keeps it); the chat shows that URL once, as a link whose label names the department.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from actions.language import in_script, text_key

#: Who publishes each site, by host name (a sub-domain matches its parent): {en, zh-Hant}.
DEPARTMENTS: dict[str, dict[str, str]] = {
    "afcd.gov.hk": {"en": "AFCD", "zh-Hant": "漁農自然護理署"},
    "pets.gov.hk": {"en": "AFCD", "zh-Hant": "漁農自然護理署"},
    "wsd.gov.hk": {"en": "Water Supplies Department", "zh-Hant": "水務署"},
    "immd.gov.hk": {"en": "Immigration Department", "zh-Hant": "入境事務處"},
    "ird.gov.hk": {"en": "Inland Revenue Department", "zh-Hant": "稅務局"},
    "1823.gov.hk": {"en": "1823", "zh-Hant": "1823"},
    "housingauthority.gov.hk": {"en": "Housing Authority", "zh-Hant": "房屋委員會"},
    "rvd.gov.hk": {"en": "Rating and Valuation Department", "zh-Hant": "差餉物業估價署"},
    "fehd.gov.hk": {"en": "Food and Environmental Hygiene Department", "zh-Hant": "食物環境衞生署"},
    "epd.gov.hk": {"en": "Environmental Protection Department", "zh-Hant": "環境保護署"},
    "wastereduction.gov.hk": {"en": "Environmental Protection Department", "zh-Hant": "環境保護署"},
    "weee.gov.hk": {"en": "Environmental Protection Department", "zh-Hant": "環境保護署"},
    "eeb.gov.hk": {"en": "Environment and Ecology Bureau", "zh-Hant": "環境及生態局"},
    "swd.gov.hk": {"en": "Social Welfare Department", "zh-Hant": "社會福利署"},
    "labour.gov.hk": {"en": "Labour Department", "zh-Hant": "勞工處"},
    "jobs.gov.hk": {"en": "Labour Department", "zh-Hant": "勞工處"},
    "bd.gov.hk": {"en": "Buildings Department", "zh-Hant": "屋宇署"},
    "emsd.gov.hk": {"en": "Electrical and Mechanical Services Department", "zh-Hant": "機電工程署"},
    "tradesinglewindow.hk": {"en": "Trade Single Window", "zh-Hant": "貿易單一窗口"},
    "news.gov.hk": {"en": "news.gov.hk", "zh-Hant": "政府新聞網"},
    "info.gov.hk": {"en": "Information Services Department", "zh-Hant": "政府新聞處"},
    "gov.hk": {"en": "GovHK", "zh-Hant": "香港政府一站通"},
}
LABELS: dict[str, str] = {"en": "Source: {name} website", "zh-Hant": "資料來源：{name}網頁"}
#: A trailing "Source: <url>" / "資料來源：<url>" (or the bare URL) at the end of an answer.
TRAILING_SOURCE = r"\s*(?:Source\s*:|資料來源\s*[:：]|资料来源\s*[:：])?\s*{url}\s*[.。)）]*\s*$"


def department(url: str, language: str) -> str:
    """The publisher's name for `url` in a reply language; the host name when it is not known."""
    host = (urlsplit(url).hostname or "").lower()
    parts = host.split(".")
    for start in range(len(parts) - 1):
        names = DEPARTMENTS.get(".".join(parts[start:]))
        if names:
            return in_script(names[text_key(language)], language)
    return host.removeprefix("www.")


def source_label(url: str, language: str) -> str:
    """The link text for an answer's source: 'Source: AFCD website', '資料來源：漁農自然護理署網頁'."""
    return in_script(LABELS[text_key(language)], language).format(name=department(url, language))


def without_source(text: str, url: str) -> str:
    """The answer text without its trailing source URL (the link carries it); other text unchanged."""
    if not url:
        return text
    return re.sub(TRAILING_SOURCE.format(url=re.escape(url)), "", text).rstrip()

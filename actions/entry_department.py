"""The department an entry belongs to, by name in a reply language (for clarifying questions).

Read from its knowledge base's `department:` block (knowledge.departments); a knowledge base
without one falls back to the publisher most of its entries cite, leaving out the sites that
publish for everyone (many entries cite 1823's or GovHK's page about another department's service).
"""
from __future__ import annotations

from collections import Counter

from actions.language import in_script
from actions.sources import department
from knowledge.departments import department_of_kb
from knowledge.live import shared_store
from knowledge.schema import Entry

#: Sites that publish for every department (English names from actions.sources): never a topic's department
#: while any entry of its knowledge base cites the department's own site.
GENERAL_PUBLISHERS = frozenset({"1823", "GovHK", "news.gov.hk", "Information Services Department"})
_cache: dict[str, tuple[int, str]] = {}  # knowledge base -> (store version, source URL)


def _department_source(kb: str) -> str:
    """A source URL of the knowledge base's own department (most cited, general publishers last); '' if none."""
    store = shared_store()
    cached = _cache.get(kb)
    if cached is None or cached[0] != store.version:
        sources = [entry.source for entry in store.entries([kb]) if entry.source]
        named = Counter(department(url, "en") for url in sources)
        specific = [name for name, _count in named.most_common() if name not in GENERAL_PUBLISHERS]
        best = specific[0] if specific else (named.most_common(1)[0][0] if named else "")
        cached = (store.version, next((url for url in sources if department(url, "en") == best), ""))
        _cache[kb] = cached
    return cached[1]


def entry_department(entry: Entry, language: str) -> str:
    """The entry's department name in the reply language ('Water Supplies Department', '水務署'); '' if unknown."""
    declared = department_of_kb(entry.kb)
    if declared is not None:
        return in_script(declared.label_in(language), language)  # the short name where one is given ("AFCD")
    url = _department_source(entry.kb) or entry.source
    return department(url, language) if url else ""

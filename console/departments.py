"""The department a knowledge base stands for, as operators read it ("Water Supplies Department").

One small helper on purpose: the name comes from the knowledge base's `department:` block
(knowledge.departments); a knowledge base without one is named by the publisher most of its
entries' source links come from (actions.sources.department).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from actions.sources import department
from knowledge.departments import department_of_kb

#: What the review queue calls a message whose retrieval candidates do not agree on one knowledge base.
UNCLEAR = "unclear"


def department_names(items: Iterable[Mapping[str, Any]], language: str = "en") -> dict[str, str]:
    """Knowledge base -> the department most of its entries' sources are published by (the kb id when none)."""
    found: dict[str, Counter] = {}
    for item in items:
        kb = str(item.get("kb") or "")
        if not kb:
            continue
        counter = found.setdefault(kb, Counter())
        source = item.get("source")
        if isinstance(source, str) and source.strip():
            counter[department(source.strip(), language)] += 1
    names = {}
    for kb, counter in found.items():
        declared = department_of_kb(kb)
        names[kb] = declared.label_in(language) if declared else (counter.most_common(1)[0][0] if counter else kb)
    return names


def department_label(kb: str, names: Mapping[str, str]) -> str:
    """"Water Supplies Department (wsd)": the department's name with the knowledge base it is filed under."""
    if kb == UNCLEAR:
        return "Unclear: no single department"
    name = names.get(kb) or kb
    return name if name == kb else f"{name} ({kb})"

"""A message's clauses: where a citizen's own story ends and the question begins.

"my pipe burst at 3am, will anyone at 1823 pick up?" is two clauses; the second asks about 1823.
"""
from __future__ import annotations

import re

#: After a Chinese mark always (not 、, which lists); after a Western one only before a space or the end, so that
#: "1823.gov.hk" and "$2.5" do not cut a clause ("e.g. " does: a rare extra cut only narrows what follows).
CLAUSE_BREAK = re.compile(r"(?<=[。？！；，])|(?<=[.?!;,])(?=\s|$)")


def clauses(text: str) -> list[str]:
    """The text cut after each sentence or clause mark; joined again they give the text back (blank pieces dropped)."""
    return [part for part in CLAUSE_BREAK.split(text) if part.strip()]

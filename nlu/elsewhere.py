"""Names of places and organisations outside Hong Kong's government services (Shenzhen, Macau, Towngas).

A question that names one ("minimum wage in Shenzhen", "close my Towngas account") is usually about
that place's or company's own service, which the nearest Hong Kong topic does not answer. Retrieval
lowers the entries whose texts never mention the name (knowledge/index.py). The names are general
knowledge, in nlu/data/elsewhere.txt (same format as the concept lexicon); plain Python, no Rasa import.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from nlu.concepts import ConceptLexicon, build_lexicon, lexicon_rows

logger = logging.getLogger(__name__)

ELSEWHERE_FILE = Path(__file__).resolve().parent / "data" / "elsewhere.txt"
#: The row of elsewhere.txt whose words say a message is about paying, and the name a means of payment implies.
PAYING = "PAYING"
MEANS_OF_PAYMENT = "means_of_payment"
#: The name a public body of Hong Kong implies (the Department of Health, the Land Registry): no service outside the government.
PUBLIC_BODY = "public_body"
#: A name right after "from" (由, 從) tells where the citizen came from, not whose service they ask about:
#: "I moved here from Shenzhen, how do I open a water account"; so does one after "lived in", 之前喺 ("my mum lived in
#: Macau for some years, can she get the old age allowance": a dev question refused once the factor was 0.5).
_ORIGIN = re.compile(r"(?:\b(?:from|lived in|use to live in|used to live in|grew up in) (?:the )?|[由從]|(?:之前|以前|曾經)住[喺在])$")
#: ... or 之前喺 X 住 (the verb after the name): "之前喺匯豐開咗戶口" is a bank account, no past home.
_PAST_AT = re.compile(r"(?:之前|以前|曾經)[喺在]$")
_LIVED_AFTER = re.compile(r"^.{0,2}住")
#: How far before a name the words above are looked for.
_ORIGIN_REACH = 20


@lru_cache(maxsize=1)
def elsewhere_lexicon() -> ConceptLexicon | None:
    """The names, read once; None (and a warning) when the file cannot be read: nothing is lowered then."""
    try:
        return build_lexicon(lexicon_rows(ELSEWHERE_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        logger.warning("Names of other places and providers unavailable (%s); no entry is lowered for them", error)
        return None


def names_in(view: str, lex: ConceptLexicon | None = None, incidental: bool = True) -> frozenset[str]:
    """The names (`shenzhen`, `towngas`, ...) a matching view mentions.

    `incidental=False` leaves out where the citizen came from ("from X") and, in a message about paying,
    the means of payment ("pay the water bill by credit card").
    """
    lex = lex if lex is not None else elsewhere_lexicon()
    if lex is None or not view:
        return frozenset()
    spans = lex.find(view)
    paying = any(PAYING in names for _start, _end, names in spans)
    found = set()
    for start, end, names in spans:
        before = view[max(0, start - _ORIGIN_REACH):start]
        if not incidental and (_ORIGIN.search(before) or (_PAST_AT.search(before) and _LIVED_AFTER.match(view[end:]))):
            continue
        for name in names - {PAYING}:
            if incidental or not (paying and MEANS_OF_PAYMENT in lex.expand(name)):
                found.add(name)
    return frozenset(found)


def outside_government(names: frozenset[str]) -> frozenset[str]:
    """Those of `names` outside Hong Kong's government (places, companies): not the public bodies (`> public_body`)."""
    lex = elsewhere_lexicon()
    return frozenset(name for name in names if lex is None or PUBLIC_BODY not in lex.expand(name))


@lru_cache(maxsize=256)
def related(name: str) -> frozenset[str]:
    """NAME, the wider places it lies in and the places inside it (Shenzhen: Guangdong, the mainland; the
    mainland: Guangdong, Shenzhen, ...): an entry that mentions any of them is about that part of the world. Being a
    public body is no place: an entry about the Department of Health says nothing about the Land Registry."""
    lex = elsewhere_lexicon()
    if lex is None:
        return frozenset({name})
    names = {n for concepts in lex.surfaces.values() for n in concepts}
    return frozenset((lex.expand(name) | {other for other in names if name in lex.expand(other)}) - {PUBLIC_BODY})

"""Whether a message says its writer may be thinking of ending their life (nlu/data/crisis.txt).

Such a message gets the crisis reply whatever else it asks (nlu.components.crisis, actions/fallback.py). The
phrases are general language in the concepts.txt format, read once; plain Python, no Rasa import.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from nlu.concepts import ConceptLexicon, build_lexicon, lexicon_rows, matching_view
from nlu.normalise import normalise

logger = logging.getLogger(__name__)

CRISIS_FILE = Path(__file__).resolve().parent / "data" / "crisis.txt"


@lru_cache(maxsize=1)
def crisis_lexicon() -> ConceptLexicon | None:
    """The phrases, read once; None (and an error in the log) when the file cannot be read."""
    try:
        return build_lexicon(lexicon_rows(CRISIS_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        logger.error("Crisis phrases unavailable (%s): messages at risk get the ordinary replies", error)
        return None


def in_crisis(text: object) -> bool:
    """Whether the message has one of the crisis phrases (in any language or script of the matching view)."""
    lexicon = crisis_lexicon()
    if lexicon is None:
        return False
    view = matching_view(normalise(text))
    return any(names for _start, _end, names in lexicon.find(view))

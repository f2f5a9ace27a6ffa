"""How common an English word is in general text, so everyday words in a long message weigh less.

A word the bot's knowledge never uses counts against every entry (it lowers the share of the
message an entry covers): that is how "cat licence" or "CLP electricity bill" is refused. In a
long message that describes a situation, most such words are everyday English ("weeks ago",
"my friend", "finally", "pretty sure") and say nothing about the topic, yet they diluted the
score until the question was refused. Their weight is scaled by how common they are in general
English, from `nlu/data/english_frequency.tsv`: unigram log-probabilities of spaCy's lookup
tables (spacy-lookups-data, MIT; table `en_lexeme_prob`, words more common than -11, lower-case
letters only), read in a few milliseconds. Rare words (tennis, trademark, broadband) and words
the table lacks keep their full weight.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

FREQUENCIES = Path(__file__).resolve().parent / "data" / "english_frequency.tsv"
#: Words at least this common (natural log-probability per word) weigh FLOOR.
COMMON_LOGPROB = -7.5
#: Words at most this common weigh fully; between the two the weight rises linearly.
RARE_LOGPROB = -11.0
#: The weight of the most common words: never nothing, a message of only them still counts.
FLOOR = 0.25


@lru_cache(maxsize=1)
def _logprobs() -> dict[str, float]:
    """Log-probabilities of the common English words (about 3,000), read once."""
    table: dict[str, float] = {}
    try:
        for line in FREQUENCIES.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                word, value = line.split("\t")
                table[word] = float(value)
    except (OSError, ValueError) as error:  # without the table every unknown word weighs fully, as before
        logger.warning("English word frequencies unavailable (%s); unknown words keep their full weight", error)
        return {}
    return table


def unknown_word_factor(feature: str) -> float:
    """The share of its weight an English word feature (`w:...`) unknown to the knowledge keeps, in [FLOOR, 1]."""
    if not feature.startswith("w:"):
        return 1.0
    value = _logprobs().get(feature[2:])
    if value is None:
        return 1.0
    share = (COMMON_LOGPROB - value) / (COMMON_LOGPROB - RARE_LOGPROB)
    return min(1.0, max(FLOOR, FLOOR + (1.0 - FLOOR) * share))

"""The retrieval index of a knowledge snapshot: ranks entries of given knowledge bases for a message.

One `Ranker` over every entry of the snapshot (IDF over all of them), filtered to the
bot's knowledge bases at query time, so an entry scores the same in every bot that
answers from it (dog_licence.fee in the dog_licence bot and in the 1823 bot).
Built in memory per knowledge version: a knowledge change never needs `rasa train`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

from knowledge.schema import Entry, Vocabulary
from nlu.concepts import ConceptLexicon, extended_lexicon, features, features_of_view, views_of
from nlu.normalise import normalise
from nlu.retrieval import Item, Match, Ranker
from nlu.types import Analysis

#: Lowest score that answers with a topic; chosen from data (see README, `tune_threshold`).
DEFAULT_THRESHOLD = 0.55
#: Alternatives within this much of the top score are reported as `ambiguous`.
AMBIGUITY_MARGIN = 0.05
#: How many matches the parse data carries.
TOP_MATCHES = 5


def entry_item(entry: Entry, views: dict[str, str] | None = None, lexicon: ConceptLexicon | None = None) -> Item:
    """An entry as a rankable item: each question variant (any language) and the titles."""
    views = views if views is not None else entry_views([entry])
    variants = tuple(features_of_view(views[text], lexicon) for _lang, text in entry.variants())
    extra = frozenset().union(*(features_of_view(views[t], lexicon) for t in entry.title.values()))
    return Item(entry.id, entry.kb, variants, extra)


def entry_views(entries: Sequence[Entry]) -> dict[str, str]:
    """The matching view of every question and title of the entries, normalised in one batch."""
    texts = list(dict.fromkeys(t for e in entries for t in [*(v for _l, v in e.variants()), *e.title.values()]))
    return dict(zip(texts, views_of(texts)))


def query_features(message: Analysis | str, lexicon: ConceptLexicon | None = None) -> frozenset[str]:
    """The features of a message: from its Analysis's normalised view, or from raw text."""
    normalised = message.normalised if isinstance(message, Analysis) else normalise(message)
    return features(normalised, lexicon)


@dataclass(frozen=True)
class FaqResult:
    """What FaqRetriever puts in the parse data under `faq` (the briefing's contract)."""

    matches: tuple[Match, ...]
    threshold: float
    top: str | None
    ambiguous: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "matches": [{"id": m.id, "kb": m.group, "score": m.score} for m in self.matches],
            "threshold": self.threshold,
            "top": self.top,
            "ambiguous": list(self.ambiguous),
        }


class KnowledgeIndex:
    """Ranks the entries of one knowledge snapshot."""

    def __init__(self, entries: Sequence[Entry], version: int = 0,
                 vocabularies: dict[str, Vocabulary] | None = None) -> None:
        self.version = version
        self.entries = {e.id: e for e in entries}
        self.vocabularies = dict(vocabularies or {})
        #: The general lexicon plus every knowledge base's own vocabulary.
        self.lexicon = extended_lexicon(row for kb in sorted(self.vocabularies) for row in self.vocabularies[kb].rows())
        views = entry_views(entries)
        self.ranker = Ranker([entry_item(e, views, self.lexicon) for e in entries])

    def features(self, message: Analysis | str) -> frozenset[str]:
        """A message's retrieval features under this knowledge's lexicon."""
        return query_features(message, self.lexicon)

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               top: int = TOP_MATCHES) -> list[Match]:
        """The best entries for a message, best first (only those of the given knowledge bases)."""
        return self.ranker.rank(self.features(message), knowledge_bases, top)

    def decide(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               threshold: float = DEFAULT_THRESHOLD, margin: float = AMBIGUITY_MARGIN,
               top: int = TOP_MATCHES) -> FaqResult:
        """Matches plus the decision: the top topic if it reaches the threshold, and close alternatives."""
        matches = tuple(self.search(message, knowledge_bases, top))
        if not matches or matches[0].score < threshold:
            return FaqResult(matches, threshold, None, ())
        best = matches[0].score
        ambiguous = tuple(m.id for m in matches[1:] if m.score >= best - margin)
        return FaqResult(matches, threshold, matches[0].id, ambiguous)


_cache_lock = threading.Lock()
_cache: dict[str, KnowledgeIndex] = {}


def index_for(snapshot) -> KnowledgeIndex:
    """The index of a store snapshot, built once per content fingerprint (the latest one is kept)."""
    key = f"{snapshot.version}:{snapshot.fingerprint}"
    with _cache_lock:
        index = _cache.get(key)
        if index is None:
            index = KnowledgeIndex(list(snapshot.entries.values()), snapshot.version,
                                   getattr(snapshot, "vocabularies", None))
            _cache.clear()
            _cache[key] = index
        return index

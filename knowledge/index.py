"""The retrieval index of a knowledge snapshot: ranks entries of given knowledge bases for a message.

One `Ranker` over every entry of the snapshot (IDF over all of them), filtered to the
bot's knowledge bases at query time, so an entry scores the same in every bot that
answers from it (dog_licence.fee in the dog_licence bot and in the 1823 bot).
Built in memory per knowledge version: a knowledge change never needs `rasa train`.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from knowledge.schema import Entry, Vocabulary
from nlu.concepts import ConceptLexicon, extended_lexicon, features, features_of_view, views_of
from nlu.normalise import normalise
from nlu.retrieval import Item, Match, Ranker
from nlu.semantic import Encoder, encoder
from nlu.types import Analysis

logger = logging.getLogger(__name__)

#: Lowest score that answers with a topic; chosen from data (see README, `tune_threshold`).
DEFAULT_THRESHOLD = 0.55
#: Dense fusion: an entry's score = lexical + DENSE_WEIGHT * max(0, cosine - DENSE_FLOOR), where cosine
#: is the message's best e5 similarity to the entry's variants and titles (chosen on the dev files, see
#: the README). e5 cosines of unrelated questions sit around 0.80-0.88, so only what is above the floor counts.
DENSE_WEIGHT = 6.0
DENSE_FLOOR = 0.90
#: The threshold with the dense signal on (fused scores run higher than lexical ones): dev files 2026-12-04.
DENSE_THRESHOLD = 0.60
#: The dense signal is skipped when it cannot change the decision: every lexical score is so low that even
#: a perfect cosine stays under the threshold, or the lexical top is this sure and this far ahead.
SURE_LEXICAL = 0.85
SURE_MARGIN = 0.25
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
                 vocabularies: dict[str, Vocabulary] | None = None, dense: Encoder | None | bool = True) -> None:
        self.version = version
        self.entries = {e.id: e for e in entries}
        self.vocabularies = dict(vocabularies or {})
        #: The general lexicon plus every knowledge base's own vocabulary.
        self.lexicon = extended_lexicon(row for kb in sorted(self.vocabularies) for row in self.vocabularies[kb].rows())
        views = entry_views(entries)
        self.ranker = Ranker([entry_item(e, views, self.lexicon) for e in entries])
        self.encoder: Encoder | None = encoder(_embedding_dir()) if dense is True else (dense or None)
        self._dense_rows, self._dense_starts = self._dense_matrix(entries) if self.encoder else (None, None)

    @property
    def threshold(self) -> float:
        """The lowest score that answers: DENSE_THRESHOLD with the dense signal, DEFAULT_THRESHOLD without."""
        return DENSE_THRESHOLD if self._dense_rows is not None else DEFAULT_THRESHOLD

    def _dense_matrix(self, entries: Sequence[Entry]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Unit vectors of every entry's variants and titles, entry by entry (one contiguous run each)."""
        texts: list[str] = []
        starts: list[int] = []
        for entry in self.ranker.items:
            data = self.entries[entry.id]
            starts.append(len(texts))
            texts.extend(t for _lang, t in data.variants())
            texts.extend(data.title.values())
        if not texts:
            return None, None
        try:
            return self.encoder.embed_many(texts), np.array(starts, dtype=np.int64)
        except Exception:  # the lexical signal alone still answers
            logger.exception("Embedding the knowledge failed; FAQ retrieval uses its lexical signal only")
            self.encoder = None
            return None, None

    def features(self, message: Analysis | str) -> frozenset[str]:
        """A message's retrieval features under this knowledge's lexicon."""
        return query_features(message, self.lexicon)

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               top: int = TOP_MATCHES, threshold: float | None = None) -> list[Match]:
        """The best entries for a message, best first (only those of the given knowledge bases)."""
        scores = self.scores(message, knowledge_bases, self.threshold if threshold is None else threshold)
        return self.ranker.top_matches(scores, top)

    def scores(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               threshold: float | None = None) -> np.ndarray:
        """One fused score per entry: lexical, plus the dense signal where it can change the decision."""
        lexical = self.ranker.scores(self.features(message), knowledge_bases)
        if self._dense_rows is None or not len(lexical):
            return lexical
        threshold = self.threshold if threshold is None else threshold
        best = float(lexical.max())
        if best + DENSE_WEIGHT * (1.0 - DENSE_FLOOR) < threshold:
            return lexical  # nothing can reach the threshold: no need to embed
        if best >= SURE_LEXICAL and best - float(np.partition(lexical, -2)[-2] if len(lexical) > 1 else 0.0) >= SURE_MARGIN:
            return lexical
        text = message.original if isinstance(message, Analysis) else str(message)
        try:
            cosines = self._dense_rows @ self.encoder.embed(text)
        except Exception:
            logger.exception("Embedding a message failed; answering from the lexical signal")
            return lexical
        dense = np.maximum.reduceat(cosines, self._dense_starts)
        fused = lexical + DENSE_WEIGHT * np.maximum(0.0, dense - DENSE_FLOOR)
        return np.where(lexical > 0, fused, 0.0) if knowledge_bases is None else np.where(
            self.ranker.group_mask(knowledge_bases), np.where(lexical > 0, fused, 0.0), 0.0)

    def decide(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               threshold: float | None = None, margin: float = AMBIGUITY_MARGIN,
               top: int = TOP_MATCHES) -> FaqResult:
        """Matches plus the decision: the top topic if it reaches the threshold (default: the index's), and close alternatives."""
        threshold = self.threshold if threshold is None else threshold
        matches = tuple(self.search(message, knowledge_bases, top, threshold))
        if not matches or matches[0].score < threshold:
            return FaqResult(matches, threshold, None, ())
        best = matches[0].score
        ambiguous = tuple(m.id for m in matches[1:] if m.score >= best - margin)
        return FaqResult(matches, threshold, matches[0].id, ambiguous)


def _embedding_dir():
    """Where the disk cache of knowledge embeddings lives (under the project's var/, next to the models)."""
    from pathlib import Path
    import os

    return Path(os.environ.get("HKBOT_EMBEDDING_CACHE") or Path(__file__).resolve().parent.parent / "var" / "embeddings")


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

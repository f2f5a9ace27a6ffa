"""Small talk by meaning: the shared intent whose training example a message is nearest to (e5 cosines).

The intent classifier (`nlu.components.intents`) scores a message's words and character n-grams. On
short small talk that works; on a long polite sentence ("承蒙閣下耐心解答，本人深表謝意") most of its
n-grams are unknown, and the classifier's `faq` class, trained on the knowledge's long question
variants, takes it: the message is refused. A sentence encoder reads such a sentence as a thank-you.
`SmallTalk` finds the nearest training example of each label and says which label a message is,
only when it is near one (`min_similarity`) and clearly nearer to it than to any other label
(`min_lead`): e5 places short Chinese texts close to each other (0.88-0.92 for unrelated ones) and
reads "yes" and "no" alike, so only a clear lead counts. Plain Python, no Rasa import.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nlu.sanitise import without_markup
from nlu.semantic import Encoder

#: The label of examples that are no intent at all (chit-chat the bots offer no service for).
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Nearest:
    """A message's nearest label, its cosine, and how far ahead of the next label it is."""

    label: str
    similarity: float
    lead: float


class SmallTalk:
    """Nearest-example lookup over the shared intents' training examples (unit vectors, one row each)."""

    def __init__(self, encoder: Encoder, texts: Sequence[str], labels: Sequence[str]) -> None:
        if len(texts) != len(labels):
            raise ValueError("one label per example")
        self._encoder = encoder
        self.labels = sorted(set(labels))
        self._label_of = np.array([self.labels.index(label) for label in labels], dtype=np.int64)
        self._vectors = encoder.embed_many(list(texts)) if texts else np.zeros((0, encoder.dim), np.float32)

    def __len__(self) -> int:
        return len(self._label_of)

    def similarities(self, text: str) -> dict[str, float]:
        """Each label's nearest example's cosine to `text` (its HTML tags blanked, as everywhere else)."""
        cosines = self._vectors @ self._encoder.embed(without_markup(text))
        best = np.full(len(self.labels), -1.0)
        np.maximum.at(best, self._label_of, cosines)
        return {label: float(value) for label, value in zip(self.labels, best)}

    def nearest(self, text: str, similarities: dict[str, float] | None = None) -> Nearest | None:
        """The label nearest to `text` (or to the `similarities` already computed for it) with its lead over the
        next label; None without examples of two labels."""
        if len(self.labels) < 2:
            return None
        ranked = sorted((similarities or self.similarities(text)).items(), key=lambda item: -item[1])
        (label, first), (_, second) = ranked[:2]
        return Nearest(label, first, first - second)

    def intent(self, text: str, min_similarity: float, min_lead: float,
               similarities: dict[str, float] | None = None) -> Nearest | None:
        """The shared intent `text` clearly is by meaning, or None (unsure, or nearest to out-of-scope chit-chat)."""
        found = self.nearest(text, similarities)
        if found is None or found.label == OUT_OF_SCOPE:
            return None
        if found.similarity < min_similarity or found.lead < min_lead:
            return None
        return found

"""`CountVectorsCounter`: Rasa's CountVectorsFeaturizer, counting one message's tokens without sklearn's per-call setup.

Rasa transforms each message's token list (one row per token) and its joined sentence with
sklearn's `CountVectorizer.transform`, whose input checks and CSR building cost more than
the counting for one short message (~0.6 ms per featurizer). `count_rows` builds the very
same matrices (same analyzer, vocabulary, counts, dtype, sorted indices); an untrained
vectorizer, and library versions other than the tested ones (`nlu.components.versions`), still
go through Rasa's code. Config keys: Rasa's CountVectorsFeaturizer
keys. Equivalence: tests/nlu/components/test_counts.py.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from scipy.sparse._base import MAXPRINT

from nlu.components.versions import speedups_allowed


def coo_from_parts(data: Any, row: Any, col: Any, shape: Tuple[int, int]) -> Any:
    """A `scipy.sparse.coo_matrix` from arrays already in the form its constructor would leave them.

    Callers pass int32 indices inside `shape` and native-endian data; the constructor's
    checks of exactly that cost ~0.1 ms per matrix, four matrices per message. The tests
    compare the result attribute by attribute with the constructor's.
    """
    matrix = scipy.sparse.coo_matrix.__new__(scipy.sparse.coo_matrix)
    matrix.__dict__.update(_shape=(int(shape[0]), int(shape[1])), maxprint=MAXPRINT, row=row, col=col, data=data, has_canonical_format=False)
    return matrix


def count_rows(vectorizer: Any, documents: List[Text]) -> Any:
    """`vectorizer.transform(documents).tocoo()` with indices sorted, without sklearn's per-call setup.

    Same analyzer, same vocabulary lookups, same counts (or ones when `binary`), same dtype;
    rows in order and, within a row, columns ascending, as Rasa's `sort_indices()` leaves them.
    """
    analyze = getattr(vectorizer, "_hkbot_analyzer", None)
    if analyze is None:
        analyze = vectorizer._hkbot_analyzer = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    rows: List[int] = []
    columns: List[int] = []
    values: List[int] = []
    for row, document in enumerate(documents):
        counts: Dict[int, int] = {}
        for feature in analyze(document):
            column = vocabulary.get(feature)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        for column in sorted(counts):
            rows.append(row)
            columns.append(column)
            values.append(1 if vectorizer.binary else counts[column])
    return coo_from_parts(
        np.asarray(values, dtype=vectorizer.dtype), np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32),
        (len(documents), len(vocabulary)),
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class CountVectorsCounter(CountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer (same config, training and stored model) with `count_rows` for trained vectorizers."""

    def _create_features(self, attribute: Text, all_tokens: List[List[Text]]) -> Tuple[List[Optional[Any]], List[Optional[Any]]]:
        vectorizer = self.vectorizers.get(attribute) if self.vectorizers else None
        if not vectorizer or not hasattr(vectorizer, "vocabulary_") or not speedups_allowed("CountVectorsCounter"):
            return super()._create_features(attribute, all_tokens)
        sequence_features: List[Optional[Any]] = []
        sentence_features: List[Optional[Any]] = []
        for tokens in all_tokens:
            if not tokens:
                sequence_features.append(None)
                sentence_features.append(None)
                continue
            sequence_features.append(count_rows(vectorizer, tokens))
            if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(count_rows(vectorizer, [" ".join(tokens)]))
            else:
                sentence_features.append(None)
        return sequence_features, sentence_features

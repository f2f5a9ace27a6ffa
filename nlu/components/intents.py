"""`SparseIntentClassifier`: Rasa's LogisticRegressionClassifier, scoring a message from its sparse features directly.

Rasa stacks the featurizers' blocks into a CSR matrix and calls sklearn's `predict_proba`,
whose input checks and sparse product cost ~1 ms for one row of a few dozen non-zeros.
Here the scores are computed on those non-zeros with `intent_probabilities` (sklearn's
formulas) and the ranking is built exactly as Rasa 3.6 builds it. Messages with dense
features, an untrained classifier, and library versions other than the tested ones
(`nlu.components.versions`) keep Rasa's code. Config keys: Rasa's
LogisticRegressionClassifier keys. Equivalence: tests/nlu/components/test_intents.py.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.special import expit
from sklearn.utils.extmath import softmax

from nlu.components.versions import speedups_allowed


def sentence_row(message: Message) -> Optional[Tuple[Any, Any]]:
    """(columns, values) of a message's combined sparse sentence features for TEXT, as float64; None if it has dense ones."""
    if message.get_dense_features(attribute=TEXT)[1] is not None:
        return None
    blocks = [f.features for f in message.features if f.attribute == TEXT and f.type == "sentence" and f.is_sparse()]
    if not blocks:
        return None
    columns, values, offset = [], [], 0
    for block in blocks:
        block = block.tocoo()
        columns.append(block.col + offset)
        values.append(block.data)
        offset += block.shape[1]
    return np.concatenate(columns), np.concatenate(values).astype(np.float64)


def intent_probabilities(classifier: Any, columns: Any, values: Any) -> Any:
    """sklearn's `LogisticRegression.predict_proba` for one sparse row, without re-validating the input.

    The same formulas (one-vs-rest with LibLinear's normalisation, or softmax), computed on
    the row's non-zero columns only; equal to sklearn's answer up to floating-point rounding.
    """
    scores = (classifier.coef_[:, columns] @ values + classifier.intercept_).reshape(1, -1)
    ovr = classifier.multi_class in ("ovr", "warn") or (
        classifier.multi_class == "auto" and (classifier.classes_.size <= 2 or classifier.solver == "liblinear")
    )
    if ovr:
        expit(scores, out=scores)
        if scores.shape[1] == 1:
            return np.hstack([1 - scores, scores])[0]
        return (scores / scores.sum(axis=1).reshape((1, -1)))[0]
    if scores.shape[1] == 1:  # multinomial with two classes
        scores = np.hstack([-scores, scores])
    return softmax(scores, copy=False)[0]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SparseIntentClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier (same config, training and stored model), scoring sparse rows directly."""

    def process(self, messages: List[Message]) -> List[Message]:
        """The most likely intent and the ranking, as Rasa's `process` sets them."""
        rows = [sentence_row(message) for message in messages]
        if any(row is None for row in rows) or not hasattr(self.clf, "coef_") or not speedups_allowed("SparseIntentClassifier"):
            return super().process(messages)
        for message, row in zip(messages, rows):
            columns, values = row  # type: ignore[misc]
            probabilities = intent_probabilities(self.clf, columns, values)
            # From here on Rasa 3.6's LogisticRegressionClassifier.process, verbatim.
            intents = self.clf.classes_
            intent_ranking = [{"name": k, "confidence": v} for k, v in zip(intents, probabilities)]
            sorted_ranking = sorted(intent_ranking, key=lambda e: -e["confidence"])
            intent = sorted_ranking[0]
            if self.config[RANKING_LENGTH] > 0:
                sorted_ranking = sorted_ranking[: self.config[RANKING_LENGTH]]
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", sorted_ranking, add_to_output=True)
        return messages

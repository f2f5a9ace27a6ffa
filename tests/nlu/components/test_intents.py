"""SparseIntentClassifier (nlu/components/intents.py): the ranking Rasa's LogisticRegressionClassifier gives, on the trained bot."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from nlu.components import intents
from nlu.components.intents import SparseIntentClassifier, intent_probabilities, sentence_row
from tests.nlu.components.conftest import components, featurized

TEXTS = ("狗牌幾錢", "hello there", "我想renew個dog licence", "你係咪真人", "bye", "zzz", "<script>alert(1)</script>")


def row_matrix(row, width):
    """`sentence_row`'s (columns, values) as a 1 x width CSR matrix."""
    columns, values = row
    return scipy.sparse.csr_matrix((values, (columns * 0, columns)), shape=(1, width))


def test_the_config_names_the_classifier_and_the_graph_runs_it(graph):
    from hkbot.settings import PROJECT_ROOT

    config = (PROJECT_ROOT / "config.yml").read_text()
    assert "- name: LogisticRegressionClassifier" not in config and "nlu.components.intents.SparseIntentClassifier" in config
    assert len(components(graph, SparseIntentClassifier)) == 1


@pytest.mark.parametrize("text", TEXTS)
def test_the_ranking_is_rasas_own_for_the_same_trained_classifier(graph, text):
    classifier = components(graph, SparseIntentClassifier)[0]
    ours = classifier.process([featurized(graph, text)])[0]
    theirs = LogisticRegressionClassifier.process(classifier, [featurized(graph, text)])[0]  # Rasa's own code
    ranking, rasas = ours.get("intent_ranking"), theirs.get("intent_ranking")
    assert [r["name"] for r in ranking] == [r["name"] for r in rasas] and ours.get("intent")["name"] == theirs.get("intent")["name"]
    assert np.allclose([r["confidence"] for r in ranking], [r["confidence"] for r in rasas], rtol=1e-12, atol=1e-15)
    assert all(isinstance(r["confidence"], np.float64) for r in ranking)


def test_the_classifier_sees_the_rows_rasa_builds(graph):
    classifier = components(graph, SparseIntentClassifier)[0]
    for text in ("狗牌幾錢", "hello there"):
        message = featurized(graph, text)
        theirs = classifier._create_X([message])  # Rasa's own, which the fast path no longer calls
        ours = row_matrix(sentence_row(message), theirs.shape[1])
        assert ours.shape == theirs.shape and (ours != theirs).nnz == 0


def test_other_library_versions_score_with_rasas_code(graph, monkeypatch):
    classifier = components(graph, SparseIntentClassifier)[0]
    monkeypatch.setattr(intents, "speedups_allowed", lambda part: False)
    monkeypatch.setattr(intents, "intent_probabilities", lambda *args: pytest.fail("the fast path ran"))
    assert classifier.process([featurized(graph, "狗牌幾錢")])[0].get("intent")["name"]


def test_a_sentence_row_is_the_blocks_side_by_side_as_scipys_hstack():
    left = scipy.sparse.coo_matrix(np.array([[0, 2, 0]], dtype=np.int64))
    right = scipy.sparse.coo_matrix(np.array([[0.5, 3.0]]))
    message = Message({"text": "x"})
    message.features = [Features(left, "sentence", "text", "a"), Features(right, "sentence", "text", "b")]
    expected = scipy.sparse.hstack([left, right])
    ours = row_matrix(sentence_row(message), expected.shape[1])
    assert ours.shape == expected.shape and sentence_row(message)[1].dtype == np.float64
    assert (ours.toarray() == expected.toarray()).all()
    message.features.append(Features(np.ones((1, 4)), "sentence", "text", "dense"))
    assert sentence_row(message) is None  # dense features: Rasa's own path


def test_sentence_rows_leave_the_messages_own_blocks_untouched(graph):
    message = featurized(graph, "我想renew個dog licence")
    blocks = [f for f in message.features if f.attribute == "text" and f.type == "sentence"]
    before = [block.features.toarray().copy() for block in blocks]
    row = sentence_row(message)
    assert len(blocks) == 2 and (row_matrix(row, sum(b.shape[1] for b in before)).toarray() == np.hstack(before)).all()
    row[1][:] = 99
    assert all((block.features.toarray() == kept).all() for block, kept in zip(blocks, before))


@pytest.mark.parametrize("solver, multi_class, classes", [
    ("lbfgs", "auto", 3), ("liblinear", "auto", 3), ("lbfgs", "auto", 2), ("lbfgs", "multinomial", 2), ("lbfgs", "ovr", 3),
])
def test_intent_probabilities_are_sklearns(solver, multi_class, classes):
    from sklearn.linear_model import LogisticRegression

    generator = np.random.default_rng(7)
    X = scipy.sparse.random(60, 40, density=0.2, format="csr", random_state=7)
    y = generator.integers(0, classes, 60)
    classifier = LogisticRegression(solver=solver, multi_class=multi_class, max_iter=500).fit(X, y)
    for row in X[:10]:
        row = row.tocoo()
        ours = intent_probabilities(classifier, row.col, row.data)
        theirs = classifier.predict_proba(row.tocsr())[0]
        assert ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=1e-12, atol=1e-15)

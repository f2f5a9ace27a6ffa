"""CountVectorsCounter (nlu/components/counts.py): the very features Rasa's CountVectorsFeaturizer gives, on the trained bot."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

from nlu.components import counts
from nlu.components.counts import CountVectorsCounter, coo_from_parts, count_rows
from tests.nlu.components.conftest import components

TEXTS = ["狗牌幾錢", "我想renew個dog licence", "how much is a dog licence", "你係咪真人", "zzqx 🐶 <b>'; drop table", "licence licence licence"]


def test_the_config_names_the_counter_and_the_graph_runs_it(graph):
    from hkbot.settings import PROJECT_ROOT

    config = (PROJECT_ROOT / "config.yml").read_text()
    assert "- name: CountVectorsFeaturizer" not in config and config.count("nlu.components.counts.CountVectorsCounter") == 2
    counters = components(graph, CountVectorsCounter)
    assert len(counters) == 2 and {c.vectorizers["text"].analyzer for c in counters} == {"word", "char_wb"}


@pytest.mark.parametrize("text", TEXTS)
def test_features_are_rasas_own_for_the_same_trained_vectorizers(graph, text):
    from rasa.core.channels.channel import UserMessage

    tokenizer_node = next(name for name in graph._graph_schema.nodes if "HongKongTokenizer" in name and name.startswith("run_"))
    message = graph.run({"__message__": [UserMessage(text)], "__tracker__": None}, [tokenizer_node])[tokenizer_node][0]
    for counter in components(graph, CountVectorsCounter):
        tokens = counter._get_processed_message_tokens_by_attribute(message, "text")
        ours = counter._create_features("text", [tokens])
        theirs = CountVectorsFeaturizer._create_features(counter, "text", [tokens])  # Rasa's own code, same trained data
        for mine, rasas in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
            assert type(mine) is type(rasas) and mine.shape == rasas.shape and mine.dtype == rasas.dtype
            assert mine.row.tolist() == rasas.row.tolist() and mine.col.tolist() == rasas.col.tolist()
            assert mine.data.tolist() == rasas.data.tolist()
    assert any(count_rows(c.vectorizers["text"], [text]).nnz for c in components(graph, CountVectorsCounter))


def test_other_library_versions_count_with_rasas_code(graph, monkeypatch):
    counter = components(graph, CountVectorsCounter)[0]
    monkeypatch.setattr(counts, "speedups_allowed", lambda part: False)
    monkeypatch.setattr(counts, "count_rows", lambda *args: pytest.fail("the fast path ran"))
    sequence, sentence = counter._create_features("text", [["狗", "牌"]])
    assert sequence[0].nnz and sentence[0].nnz


@pytest.mark.parametrize("documents", [
    ["狗", "牌", "幾錢", "呀"], ["我", "想", "renew", "個", "dog", "licence"], ["licence licence licence"],
    ["zzqx", "🐶", "<b>", "'; drop table"], ["how much is a dog licence", "", "狗牌"],
])
def test_token_counts_are_the_same_matrices_as_sklearns_transform(graph, documents):
    for counter in components(graph, CountVectorsCounter):
        vectorizer = counter.vectorizers["text"]
        ours = count_rows(vectorizer, documents)
        theirs = vectorizer.transform(documents)
        theirs.sort_indices()
        theirs = theirs.tocoo()
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert ours.row.tolist() == theirs.row.tolist() and ours.col.tolist() == theirs.col.tolist()
        assert ours.data.tolist() == theirs.data.tolist()


@pytest.mark.parametrize("binary", [False, True])
def test_token_counts_follow_the_vectorizers_binary_setting(binary):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(binary=binary, token_pattern=r"\S+").fit(["dog dog licence", "licence fee"])
    documents = ["dog dog dog licence", "fee cat"]
    assert (count_rows(vectorizer, documents).toarray() == vectorizer.transform(documents).toarray()).all()


@pytest.mark.parametrize("shape, entries", [((1, 4689), [(0, 3, 2), (0, 17, 1)]), ((3, 50), [(0, 1, 1), (2, 49, 4)]), ((2, 7), [])])
def test_matrices_from_parts_are_what_scipys_constructor_builds(shape, entries):
    rows = np.asarray([r for r, _, _ in entries], dtype=np.int32)
    cols = np.asarray([c for _, c, _ in entries], dtype=np.int32)
    data = np.asarray([v for _, _, v in entries], dtype=np.int64)
    ours = coo_from_parts(data, rows, cols, shape)
    theirs = scipy.sparse.coo_matrix((data, (rows, cols)), shape=shape)
    assert type(ours) is type(theirs) and set(vars(ours)) == set(vars(theirs))
    for name, value in vars(theirs).items():
        mine = vars(ours)[name]
        if isinstance(value, np.ndarray):
            assert mine.dtype == value.dtype and mine.tolist() == value.tolist(), name
        else:
            assert mine == value and type(mine) is type(value), name
    assert (ours.tocsr() != theirs.tocsr()).nnz == 0 and ours.sum() == theirs.sum()

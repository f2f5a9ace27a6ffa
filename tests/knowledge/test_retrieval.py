"""FAQ retrieval: across languages, near-misses under the threshold, on fixtures and on the real seed."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from knowledge.confusion import confusion_warnings
from knowledge.index import DEFAULT_THRESHOLD, KnowledgeIndex
from knowledge.schema import Entry
from knowledge.scope import served_together
from knowledge.store import KnowledgeStore
from knowledge.tuning import load_near_misses, tune
from nlu import analyse
from nlu.concepts import concepts_of, features, features_of_view, view_of, views_of
from nlu.retrieval import Item, Ranker

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "knowledge" / "good"
SEED = Path(__file__).resolve().parents[2] / "knowledge" / "seed"


def entry(entry_id: str, questions: dict[str, tuple[str, ...]]) -> Entry:
    kb = entry_id.split(".")[0]
    source = "https://www.example.gov.hk/x"
    return Entry(entry_id, kb, {"en": entry_id, "zh-Hant": entry_id}, {"en": f"A. Source: {source}",
                 "zh-Hant": f"答。資料來源：{source}"}, questions, source, date(2025, 1, 1))


#: The seed knowledge bases' own vocabularies (dog, 狗牌, TSW, ...): department words live there, not in nlu/.
SEED_VOCABULARIES = KnowledgeStore(SEED).snapshot.vocabularies


@pytest.fixture(scope="module")
def fixture_index() -> KnowledgeIndex:
    store = KnowledgeStore(GOOD)
    return KnowledgeIndex(store.entries(), vocabularies=store.snapshot.vocabularies)


@pytest.fixture(scope="module")
def seed_store() -> KnowledgeStore:
    store = KnowledgeStore(SEED)
    assert store.problems == [], [str(p) for p in store.problems]
    return store


@pytest.fixture(scope="module")
def seed_lexicon(seed_store):
    return seed_store.index().lexicon


@pytest.mark.parametrize(
    ("surfaces", "concept"),
    [
        (["狗牌", "犬隻牌照", "dog licence", "dog license", "狗证"], "dog_licence"),
        (["晶片", "微型晶片", "microchip", "Microchips"], "microchip"),
        (["打針", "狂犬病疫苗注射", "rabies vaccine", "打狂犬針"], "vaccination"),
        (["漁護署", "漁農自然護理署", "AFCD"], "afcd"),
        (["單一窗口", "貿易單一窗口", "TSW", "Trade Single Window"], "tsw"),
        (["智方便", "iAM Smart"], "iam_smart"),
        (["續牌", "續期", "renew", "renewal", "renewing"], "renew"),
        (["幾多錢", "多少錢", "how much", "fee"], "cost"),
    ],
)
def test_synonyms_in_every_language_share_a_concept(surfaces, concept, seed_lexicon):
    """General words (renew, cost) come from nlu/; department words from the knowledge bases' vocabularies."""
    for surface in surfaces:
        assert concept in concepts_of(surface, seed_lexicon), (surface, concepts_of(surface, seed_lexicon))


def test_department_words_live_in_the_knowledge_not_in_the_code():
    assert "dog_licence" not in concepts_of("狗牌") and "tsw" not in concepts_of("單一窗口")
    assert "renew" in concepts_of("續期") and "cost" in concepts_of("幾多錢")


@pytest.mark.parametrize(("surface", "concept"), [
    # Phrases that name a department, its dogs or its app: moved from nlu/data/concepts.txt to the
    # dog licence and 1823 vocabularies on 2026-12-05 (every dev text's features unchanged).
    ("tell AFCD", "notify"), ("5天內", "notify"), ("狗主", "owner"), ("new puppy", "recent"),
    ("give my dog", "change"), ("tell me@1823", "app"), ("why 1823", "meaning"), ("1823 online", "online_form"),
    # TSW's save-and-finish-later and display words (a draft is "later", "tomorrow"; a browser question sees garbled
    # text): moved to the TSW vocabulary on 2026-12-07 (every dev text's parse unchanged). Its device words (Windows,
    # 電腦) left it in the twentieth session: test_general_words_mean_what_citizens_mean.
    ("finish it tomorrow", "draft"), ("遲啲再填", "draft"), ("continue later", "draft"), ("亂碼", "browser"),
    ("網頁唔兼容", "browser"),
    # ... and more found by a review of the general lexicon the same day: a licence shown on a phone, a typhoon
    # signal asked of 1823's hours, rehoming a dog, a 15-year-old owner (every dev text's parse unchanged).
    ("用手機出示", "electronic"), ("typhoon signal", "hours"), ("rehome my dog", "change"), ("i'm 15", "person_age"),
])
def test_department_phrases_of_general_concepts_come_from_the_knowledge(surface, concept, seed_lexicon):
    assert concept not in concepts_of(surface)
    assert concept in concepts_of(surface, seed_lexicon)


@pytest.mark.parametrize(("text", "concept", "present"), [
    # General words that said too much (tenth session, seed_dev13): 講 / 說 alone are "tell", "say",
    # "explain" (講下, 說明, 同事说) far more often than a language; formal 本人 is "I", not an owner.
    ("唔該你講下1823究竟係做咩", "language", False), ("煩請簡單說明", "language", False),
    ("1823講唔講英文", "language", True), ("本人擬作出投訴", "owner", False),
    # ... and ones that said too little: an app called an application, 24hr, writing instead of phoning.
    ("is there a phone application", "app", True), ("is 1823 24hr", "hours", True),
    ("可否以書面形式查詢", "contact", True), ("寄信俾佢哋", "contact", True), ("收到書面警告", "contact", False),
    ("will anyone actually follow it up", "follow_up", True), ("app入面睇唔睇到處理進度", "case_status", True),
    # Nineteenth session, from a review of the general lexicon: "hk$" matched as "hk", so every "HK" read as a fee; a
    # card is no cost; a waiting list (輪候) is no appointment; a disability allowance or a suspended water supply is no
    # locked account (dev files: 3 more answered, none lost).
    ("I am in HK, how do I renew", "cost", False), ("my card is broken", "cost", False), ("用信用卡俾錢", "cost", True),
    ("公屋輪候時間", "appointment", False), ("disabled person allowance", "locked", False), ("暫停供水", "locked", False),
    ("TSW account disabled, what now", "locked", True), ("戶口被停用", "locked", True),
    # "the lift is not working" is no web page failing to load; 送 alone is "send" (送文件), not giving a dog away; a
    # 住戶 is a household, not an account; "behind on rent" is not who runs something. "I'd" read as an ID, "I'll" as ill.
    ("the lift is not working", "loading", False), ("送文件去稅局", "change", False), ("狗送咗俾朋友", "change", True),
    ("behind on my rent", "run_by", False), ("住戶人數", "account", False), ("I'd need to renew", "hkid", False), ("id like to renew", "hkid", False), ("lost my I'd card", "hkid", True),
    ("I'll renew it next week", "sick", False), ("my dog is ill", "sick", True),
    # A passport is not an identity card: ImmD answers them apart (lost, renewal, first application; dev: 4 more, 1 lost).
    ("lost my passport", "hkid", False), ("lost my passport", "passport", True), ("我唔見咗護照", "passport", True),
    ("lost my ID card", "hkid", True), ("我唔見咗身份證", "passport", False),
    # spaCy's lookup table read "feed" as an inflection of "fee" (nlu.english.KEPT_AS_WRITTEN).
    ("how often should I feed my dog", "cost", False),
    # ... and "goods" as "good" (seventeenth session: "a good name for my new puppy" got the dog licence fee).
    ("what is a good name for my new puppy", "trade", False), ("exporting goods to Japan", "trade", True),
    # Not agreeing is objecting (a citizen review: "I don't agree with my water bill" got how to pay it, and
    # 唔同意 read as 唔同 "differ").
    ("I don't agree with my water bill", "objection", True), ("我唔同意張水費單", "objection", True),
    ("我唔同意張水費單", "differ", False), ("唔同地區有冇分別", "differ", True),
    ("1823假期唔服務㗎", "objection", False), ("yes I do agree to the terms", "objection", False),
    # Fifteenth session: money words in their everyday or mainland form (押金 for 按金, 收入 for 入息), "per month"
    # read as a dog's age in months (每個月 = 個月), and opening an account read as opening hours.
    ("押金可以退吗", "deposit", True), ("水費按金", "deposit", True), ("收入限額呢", "income", True),
    ("公屋入息上限", "income", True), ("長生津每個月有幾多錢", "monthly", True), ("長生津每個月有幾多錢", "age", False),
    ("隻狗三個月大", "age", True), ("how do I open a water account", "register", True),
    ("how do I open a water account", "hours", False), ("is the office open on sunday", "hours", True),
    # Twentieth session: TSW's "expire" made every lapsed licence a password rule, in every bot (dev: a lapsed dog
    # licence got its renewal, not its penalty); a password rule is still one ("too many wrong attempts").
    ("my dog licence expired", "password_rule", False), ("狗牌expired咗半年", "password_rule", False),
    ("too many wrong attempts", "password_rule", True),
    # ... and its device, wrong-word and authenticity words were everyone's: Windows updates answered as TSW's
    # browsers, a letter sent wrongly as a password rule, 真人 as checking a licence (dev: 7 more answered, none lost).
    ("Windows 11點update", "browser", False), ("部電腦好慢", "browser", False), ("which browser works with TSW", "browser", True),
    ("佢哋send錯信俾我", "password_rule", False), ("密碼要幾多位", "password_rule", True),
    ("真人嚟㗎", "check_validity", False), ("點知張許可證係咪真", "check_validity", True),
    # 方法 / 途徑 alone (a way, a method) are no way of contacting: "payment methods" asked how to contact 1823
    # (dev: 1 more answered, none lost). 聯絡方法 still is.
    ("交水費有咩方法", "contact", False), ("有咩途徑申請", "contact", False), ("1823有咩聯絡方法", "contact", True),
    # Something wrong is its own general concept in every language (it had come only from TSW's password rule, so a
    # wrong meter reading lost its water department once that left); "not bad" (唔錯) is not wrong.
    ("water meter reading wrong", "wrong", True), ("覺得水費計錯", "wrong", True), ("呢個服務唔錯", "wrong", False),
])
def test_general_words_mean_what_citizens_mean(text, concept, present, seed_lexicon):
    assert (concept in concepts_of(text, seed_lexicon)) is present, concepts_of(text, seed_lexicon)


def test_a_word_and_its_plural_share_a_lemma_where_the_lookup_table_misread_it() -> None:
    from nlu.english import lemma

    assert lemma("number") == lemma("numbers") == "number" and lemma("rent") == lemma("rents") == "rent"


def test_whether_is_a_filler_like_if() -> None:
    # "may I ask whether anyone will pick up at 3am": an unknown "whether" diluted a long English question.
    assert features("whether", None) == features("if", None) == frozenset()


@pytest.mark.parametrize(("text", "expected"), [
    # Eighteenth session: a function character left alone counted as a topic word ("renew嗰陣" = when renewing,
    # "粒chip" = the chip, "可否於" = may one at, 透過 = through, 返嚟 = back, 有否 = whether), "total" diluted a fee question, and "公司名" (a company name) left
    # 義 of 名義 (in the name of) on its own, so "以公司名義" lost its owner.
    ("renew嗰陣", {"c:renew", "c:licence"}), ("粒chip", {"c:microchip"}), ("total要幾錢", {"c:cost"}),
    ("以公司名義", {"c:company", "c:owner"}), ("可否於診所辦理", {"c:apply", "c:vet"}),
    ("透過單一窗口遞交", {"c:submit", "c:tsw"}), ("copy返嚟改", {"c:change", "c:copy"}), ("何人可以申請", {"c:apply", "c:who"}),
    ("是否須繳費，有否分別", {"c:cost", "c:differ"}), ("由1823代為處理", {"c:n1823", "c:representative"}),
    ("未續牌", {"c:licence", "c:renew", "u:未"}),  # "not yet" is kept: an expired licence not yet renewed is a penalty question
])
def test_function_characters_and_fillers_carry_no_topic(text, expected, seed_lexicon):
    assert features_of_view(view_of(text), seed_lexicon) == expected


def test_cat_licence_is_not_a_dog_licence(seed_lexicon):
    assert "dog_licence" not in concepts_of("貓牌", seed_lexicon) and "cat" in concepts_of("貓牌", seed_lexicon)


def test_batch_views_equal_single_views_on_every_seed_text(seed_store):
    texts = [t for e in seed_store.entries() for _l, t in e.variants()] + ["ＴＳＷ　帳戶", "点样申请狗牌", "Dog\u200bLicence"]
    assert views_of(texts) == [view_of(t) for t in texts]


def test_english_question_finds_an_entry_with_only_chinese_variants():
    index = KnowledgeIndex([
        entry("dog_licence.fee", {"zh-Hant": ("犬隻牌照費用是多少？", "申請犬隻牌照要多少錢？"),
                                  "yue": ("狗牌幾多錢呀？", "攞狗牌要俾幾錢？")}),
        entry("dog_licence.microchip", {"zh-Hant": ("狗隻為何需要植入微型晶片？",), "yue": ("隻狗要唔要植晶片？",)}),
    ], vocabularies=SEED_VOCABULARIES)
    assert index.search("How much is a dog licence?")[0].id == "dog_licence.fee"
    assert index.search("Does my dog need a microchip?")[0].id == "dog_licence.microchip"
    assert index.decide("How much is a dog licence?").top == "dog_licence.fee"


def test_chinese_question_finds_an_entry_with_only_english_variants():
    index = KnowledgeIndex([
        entry("tsw.password", {"en": ("What are the password rules for TSW?", "My TSW account is locked")}),
        entry("tsw.browsers", {"en": ("Which browsers does TSW support?", "Can I use Safari for TSW?")}),
    ], vocabularies=SEED_VOCABULARIES)
    assert index.decide("單一窗口個密碼有咩要求？").top == "tsw.password"
    assert index.decide("单一窗口支持哪些浏览器？").top == "tsw.browsers"  # Simplified Chinese too


def test_english_and_chinese_variants_count_together():
    # No single variant has both "microchip" and "renew"; the entry's two languages together do.
    index = KnowledgeIndex([
        entry("dog_licence.microchip", {"en": ("Does my dog need a microchip?",), "yue": ("續牌要唔要換晶片？",)}),
        entry("dog_licence.validity_renewal", {"en": ("How do I renew my dog licence?",), "yue": ("點樣續狗牌？",)}),
    ], vocabularies=SEED_VOCABULARIES)
    assert index.search("is the microchip replaced at renewal")[0].id == "dog_licence.microchip"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How much is a dog licence?", "dog_licence.fee"),
        ("狗牌要幾錢", "dog_licence.fee"),
        ("我想知dog licence幾多錢", "dog_licence.fee"),
        ("where do I apply for a dog licence", "dog_licence.where_apply"),
        ("喺邊度領狗牌", "dog_licence.where_apply"),
        ("狗牌唔見咗", "dog_licence.lost_licence"),
        ("TSW account locked", "tsw.password"),
        ("單一窗口點樣開戶口", "tsw.register"),
    ],
)
def test_fixture_questions_reach_their_topic(fixture_index, question, expected):
    result = fixture_index.decide(question)
    assert result.top == expected, result.to_dict()


@pytest.mark.parametrize("question", ["貓牌幾錢？", "dog grooming prices", "狗隻美容幾錢", "What's the weather tomorrow?",
                                      "", "🐶🐶🐶", "<script>alert(1)</script>", "'; DROP TABLE entries; --"])
def test_near_misses_and_junk_fall_under_the_threshold(fixture_index, question):
    result = fixture_index.decide(question)
    assert result.top is None, result.to_dict()
    assert all(m.score < DEFAULT_THRESHOLD for m in result.matches)


def test_knowledge_bases_filter_and_analysis_input(fixture_index):
    assert fixture_index.decide("TSW account locked", ["dog_licence"]).top is None
    assert all(m.group == "dog_licence" for m in fixture_index.search("dog licence", ["dog_licence"]))
    assert fixture_index.decide(analyse("點樣開單一窗口戶口？"), ["tsw"]).top == "tsw.register"


def test_close_runner_up_is_reported_ambiguous():
    # Two entries asked the same way (a duplicated topic): the citizen must be asked which one.
    index = KnowledgeIndex([
        entry("dog_licence.fee", {"en": ("How much is a dog licence?",), "yue": ("狗牌幾多錢？",)}),
        entry("dog_licence.price", {"en": ("What is the price of a dog licence?",), "yue": ("狗牌收費幾多？",)}),
        entry("dog_licence.microchip", {"en": ("Does my dog need a microchip?",), "yue": ("隻狗要唔要植晶片？",)}),
    ], vocabularies=SEED_VOCABULARIES)
    result = index.decide("dog licence cost")
    assert result.top in {"dog_licence.fee", "dog_licence.price"}
    assert set([result.top, *result.ambiguous]) == {"dog_licence.fee", "dog_licence.price"}
    assert index.decide("Does my dog need a microchip?").ambiguous == ()


def test_ranker_scores_are_bounded_and_deterministic():
    ranker = Ranker([Item("a.x", "a", (frozenset({"c:dog", "c:cost"}),)), Item("a.y", "a", (frozenset({"c:tsw"}),)),
                     Item("b.z", "b", ())])
    scores = ranker.scores({"c:dog", "c:cost"})
    assert scores[0] == pytest.approx(1.0) and scores[1] == 0.0 and scores[2] == 0.0
    assert ranker.rank({"c:dog", "w:grooming"})[0].score < 1.0
    assert ranker.rank(set()) == [] and ranker.rank({"w:unknown"}) == []
    assert Ranker([]).rank({"c:dog"}) == []


# -- the real seed ---------------------------------------------------------------------------

#: The knowledge bases tuned topic by topic before the new departments came (their figures must hold).
TUNED_SEED = ("dog_licence", "1823", "tsw")


def test_seed_variants_retrieve_their_own_entry_and_every_miss_is_warned_about(seed_store):
    index = seed_store.index()
    failures, total = [], 0
    for e in seed_store.entries(TUNED_SEED):
        for _lang, text in e.variants():
            total += 1
            result = index.decide(text, [e.kb])
            if result.top != e.id:
                failures.append((e.id, text))
    assert len(failures) <= 0.01 * total, failures
    warned = {(w.entry_id, w.message.split("'")[1]) for w in confusion_warnings(index, TUNED_SEED) if w.message.startswith("Question")}
    assert set(failures) <= warned


def test_confusion_warnings_name_the_variant_the_overlap_and_the_language_gap():
    index = KnowledgeIndex([
        entry("wsd.pay_bill", {"en": ("How do I pay my water bill?", "How much is my water bill?", "pay water bill online"),
                               "zh-Hant": ("如何繳交水費？", "水費是多少錢？"), "yue": ("水費點樣交？",)}),
        entry("wsd.bill_fee", {"en": ("How much is the water bill?", "pay water bill at the post office", "pay water bill by cheque"),
                               "zh-Hant": ("水費是多少？", "水費單收費如何計算？"), "yue": ("水費幾錢？", "水費貴唔貴？")}),
    ], vocabularies={})
    warnings = [str(w) for w in confusion_warnings(index)]
    assert any("Only 1 question variant(s) in 'yue'" in w and w.startswith("wsd.pay_bill") for w in warnings), warnings
    # Two questions filed under pay_bill ask what the bill costs: the topics overlap, and bill_fee's own land on pay_bill.
    assert any("finds 'wsd.pay_bill' before its own topic" in w and w.startswith("wsd.bill_fee") for w in warnings), warnings
    assert any("the two topics overlap" in w and w.startswith("wsd.bill_fee") for w in warnings), warnings
    assert all("Fix:" in w for w in warnings)


@pytest.mark.parametrize(("kb", "served"), [("fehd", True), ("fehd", False)])
def test_a_question_put_under_the_wrong_topic_is_warned_about(seed_store, kb: str, served: bool):
    """An operator review: "How much does a dog licence cost?" added to the restaurant complaint topic passed the
    check (its own copy made it find itself) and took the question from the dog licence fee."""
    wrong = "How much does a dog licence cost?"
    entries = [replace(e, questions={**e.questions, "en": (*e.questions["en"], wrong)}) if e.id == "fehd.food_complaint" else e
               for e in seed_store.entries()]
    index = KnowledgeIndex(entries, vocabularies=seed_store.snapshot.vocabularies, dense=False)
    together = served_together() if served else None
    warnings = [w for w in confusion_warnings(index, [kb], served_with=together) if "reads like" in w.message]
    if served:  # the 1823 bot answers both departments: the question is compared with the dog licence topics too
        assert [(w.entry_id, wrong in w.message, "'dog_licence.fee'" in w.message) for w in warnings] == [("fehd.food_complaint", True, True)]
        assert "Move it to 'dog_licence.fee'" in warnings[0].fix
    else:  # compared with its own knowledge base only, it reads like no other topic
        assert warnings == []
    # The seed as it is has no such question.
    clean = seed_store.index()
    assert [w for w in confusion_warnings(clean, served_with=together) if "reads like" in w.message] == []


def test_answers_that_give_different_phone_numbers_are_warned_about(seed_store):
    """An operator review: the English answer's hotline changed, the Chinese one not, and Check said "No problems"."""
    fee = next(e for e in seed_store.entries() if e.id == "wsd.pay_bill")
    assert "2824 5000" in fee.answer["en"] and "2824 5000" in fee.answer["zh-Hant"]
    changed = replace(fee, answer={**fee.answer, "en": fee.answer["en"].replace("2824 5000", "3142 9999")})
    index = KnowledgeIndex([changed], vocabularies={}, dense=False)
    warned = [w for w in confusion_warnings(index) if "different phone numbers" in w.message]
    assert len(warned) == 1 and "31429999" in warned[0].message and "28245000" in warned[0].message
    assert [w for w in confusion_warnings(KnowledgeIndex([fee], vocabularies={}, dense=False)) if "phone" in w.message] == []


def test_seed_leave_one_out_and_near_misses_choose_the_threshold_in_use(seed_store):
    report = tune(seed_store.entries(TUNED_SEED), vocabularies=seed_store.snapshot.vocabularies)
    assert report.loo_accuracy >= 0.9, report.describe()
    # The threshold in use still separates the data: most held-out variants answered, near-misses refused.
    report.threshold = DEFAULT_THRESHOLD
    assert report.answered_share() >= 0.85, report.describe()
    assert report.rejected_share() >= 0.95, report.describe()
    assert len(report.unanswerable) == len(load_near_misses())


@pytest.mark.parametrize(
    ("kbs", "question"),
    [(["dog_licence"], "貓牌點攞？"), (["dog_licence"], "How much does dog grooming cost?"),
     (["dog_licence"], "I lost my dog"), (["dog_licence"], "我隻狗唔見咗點算？"), (["tsw"], "如何成立有限公司？"),
     (["1823", "dog_licence"], "What is the weather tomorrow?")],
)
def test_seed_near_misses_fall_under_the_threshold(seed_store, kbs, question):
    result = seed_store.index().decide(question, kbs)
    assert result.top is None, result.to_dict()


def test_features_of_an_analysis_match_raw_text():
    assert features(analyse("點樣申請狗牌呀？").normalised) == features(analyse("点样申请狗牌呀").normalised)

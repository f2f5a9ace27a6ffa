"""A question that names another place or provider (Shenzhen, Macau, Towngas) is refused unless an entry mentions it.

Examples from tests/data/oos_dev.yml and the department dev files (DEV files: tuned on).
"""
from __future__ import annotations

import pytest

from knowledge import index as index_module
from knowledge.scope import bot_knowledge_bases

BOT_1823 = [str(kb) for kb in bot_knowledge_bases("1823")]


@pytest.mark.parametrize("question", [
    "towngas bill too high how to check",
    "澳門勞工假一年有幾多日",
    "請問新加坡小販中心的攤位如何申請租用？",
    "手機月費帳單多收咗錢，點投訴",
    "how to renew home return permit",
])
def test_another_places_or_providers_service_is_refused(dense_index, monkeypatch, question):
    assert dense_index.decide(question, BOT_1823).top is None
    monkeypatch.setattr(index_module, "ELSEWHERE_FACTOR", None)
    assert dense_index.decide(question, BOT_1823).top is not None  # the names, not something else, refuse it


@pytest.mark.parametrize(("question", "topic"), [
    ("new immigrant from mainland apply public flat 7 years", "hd.new_arrivals_residence"),  # where they came from
    ("返大陸住仲攞唔攞到生果金", "swd.gd_fj_scheme"),  # the entry names Guangdong, a part of the mainland
    ("公屋租點樣交 可唔可以用網上銀行", "hd.rent_payment"),  # paying: the bank is how, not whose service
    ("水费可以用信用卡付吗", "wsd.pay_bill"),  # the entry never names credit cards
])
def test_a_name_the_right_entry_covers_or_an_origin_keeps_the_answer(dense_index, question, topic):
    assert dense_index.decide(question, BOT_1823).top == topic


def test_a_long_message_that_names_a_company_in_passing_keeps_its_answer(dense_index):
    question = ("my employer is a Shenzhen company with a small office in Kwun Tong and hasn't paid my salary "
                "for two months, where can I get help")
    assert dense_index.decide(question, BOT_1823).top == "ld.wage_claims"


def test_the_factor_lowers_only_entries_that_never_mention_the_name(dense_index):
    question = "bank customer service hotline"
    factors = dense_index._elsewhere(dense_index._view(question), dense_index.features(question), BOT_1823)
    assert factors is not None
    positions = dense_index._position
    mentioned = dense_index._mentions["bank"]
    assert mentioned.any() and (~mentioned).any()
    for entry_id, number in positions.items():
        assert factors[number] == (1.0 if mentioned[number] else index_module.ELSEWHERE_FACTOR), entry_id

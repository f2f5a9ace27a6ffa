"""Names of other places and providers (nlu/elsewhere): what a message names, and which names cover it."""
from __future__ import annotations

from nlu.concepts import view_of
from nlu.elsewhere import names_in, related


def names(text: str, incidental: bool = True) -> set[str]:
    return set(names_in(view_of(text), incidental=incidental))


def test_a_provider_or_place_is_found_in_any_script_and_language():
    assert names("How do I close my Towngas account?") == {"towngas"}
    assert names("深圳最低工资几多") == {"shenzhen"}  # Simplified
    assert names("澳门的骨灰龛位怎么申请") == {"macau"}
    assert names("港燈電費單點交") == {"electricity_company"}
    assert names("回鄉證點樣續期") == {"mainland_permits"}


def test_ordinary_words_name_nothing():
    assert names("can you tell us how to renew a dog licence") == set()  # "us" is not the United States
    assert names("公屋輪候時間") == set()


def test_a_name_after_from_says_where_the_citizen_came_from():
    assert names("I moved here from Shenzhen, how do I open a water account", incidental=False) == set()
    assert names("啱啱由深圳搬返嚟香港", incidental=False) == set()
    assert names("new immigrant from the mainland", incidental=False) == set()
    assert names("minimum wage in Shenzhen", incidental=False) == {"shenzhen"}
    # ... or where they used to live (fifteenth session): not where they live now, nor a second mention.
    assert names("我阿媽之前喺澳門住咗幾年，攞唔攞到生果金", incidental=False) == set()
    assert names("my mum used to live in Macau, can she get the old age allowance", incidental=False) == set()
    assert names("I live in Shenzhen, how do I pay my water bill", incidental=False) == {"shenzhen"}
    assert names("我以前喺澳門住，澳門身份證唔見咗點補領", incidental=False) == {"macau"}
    assert names("之前喺匯豐開咗戶口點取消", incidental=False) == {"bank"}  # a bank account there, no past home
    assert names("之前喺深圳買嘅保險點退", incidental=False) == {"shenzhen"}


def test_public_bodies_are_no_service_outside_the_government_nor_related_to_each_other():
    from nlu.elsewhere import outside_government

    assert outside_government(frozenset({"land_registry", "shenzhen", "bank"})) == {"shenzhen", "bank"}
    assert related("health") == {"health"} and "land_registry" not in related("post_office")


def test_a_place_is_related_to_the_places_around_and_inside_it():
    assert {"guangdong", "mainland"} <= related("shenzhen")
    assert {"guangdong", "shenzhen"} <= related("mainland")  # an entry about Guangdong is about a part of the mainland
    assert related("towngas") == {"towngas"}
    assert "macau" not in related("mainland")


def test_a_means_of_payment_in_a_question_about_paying_is_incidental():
    assert names("水费可以用信用卡付吗", incidental=False) == set()  # the water bill, paid by card
    assert names("pay rates at the bank", incidental=False) == set()
    assert names("I used to pay my water bill at the post office", incidental=False) == set()
    assert names("post office opening hours", incidental=False) == {"post_office"}
    assert names("信用卡账单可以分期还款吗", incidental=False) == {"credit_card"}  # the card's own bill
    assert names("octopus card refund deposit how", incidental=False) == {"octopus"}

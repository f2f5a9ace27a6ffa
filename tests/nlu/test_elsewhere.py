"""Names of other places and providers (nlu/elsewhere): what a message names, and which names cover it."""
from __future__ import annotations

from nlu.concepts import view_of
from nlu.elsewhere import names_in, related


def names(text: str, origins: bool = True) -> set[str]:
    return set(names_in(view_of(text), origins=origins))


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
    assert names("I moved here from Shenzhen, how do I open a water account", origins=False) == set()
    assert names("啱啱由深圳搬返嚟香港", origins=False) == set()
    assert names("new immigrant from the mainland", origins=False) == set()
    assert names("minimum wage in Shenzhen", origins=False) == {"shenzhen"}


def test_a_place_is_related_to_the_places_around_and_inside_it():
    assert {"guangdong", "mainland"} <= related("shenzhen")
    assert {"guangdong", "shenzhen"} <= related("mainland")  # an entry about Guangdong is about a part of the mainland
    assert related("towngas") == {"towngas"}
    assert "macau" not in related("mainland")

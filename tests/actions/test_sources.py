"""An answer's source: one link labelled with the department's name in the reply language, no URL in the text."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.sources import department, source_label, without_source
from knowledge.live import shared_store


@pytest.mark.parametrize("language, label", [
    ("en", "Source: AFCD website"),
    ("zh-Hant", "資料來源：漁農自然護理署網頁"),
    ("yue", "資料來源：漁農自然護理署網頁"),
    ("zh-Hans", "资料来源：渔农自然护理署网页"),
])
def test_the_label_names_the_department_in_the_reply_language(language: str, label: str) -> None:
    assert source_label("https://pets.gov.hk/english/proper_care_of_pets/dogs/dog_licence.html", language) == label


def test_a_sub_domain_is_its_department_and_an_unknown_host_is_shown_plainly() -> None:
    assert department("https://www.esd.wsd.gov.hk/x", "en") == "Water Supplies Department"
    assert department("https://www.example.org/a", "zh-Hant") == "example.org"


def test_every_seed_answer_loses_its_url_and_nothing_else() -> None:
    for entry in shared_store().entries():
        for language, text in entry.answer.items():
            short = without_source(text, entry.source)
            assert entry.source not in short and "http" not in short, (entry.id, language, short)
            assert short and text.startswith(short), (entry.id, language)
            assert not short.endswith(("Source:", "資料來源：")), (entry.id, language, short)


def test_a_url_in_the_middle_of_an_answer_stays() -> None:
    text = "See https://www.afcd.gov.hk/a for forms. Source: https://www.afcd.gov.hk/b"
    assert without_source(text, "https://www.afcd.gov.hk/b") == "See https://www.afcd.gov.hk/a for forms."
    assert without_source(text, "https://www.afcd.gov.hk/a") == text


def test_every_seed_source_is_labelled_with_its_publisher() -> None:
    """A new department's pages get a name in the label, not a bare host (news.gov.hk names itself)."""
    unnamed = set()
    for path in (Path(__file__).resolve().parents[2] / "knowledge" / "seed").glob("*.yml"):
        for entry in yaml.safe_load(open(path, encoding="utf-8"))["entries"]:
            for language in ("en", "zh-Hant"):
                name = department(entry["source"], language)
                if "." in name and name != "news.gov.hk":
                    unnamed.add(entry["source"])
    assert not unnamed

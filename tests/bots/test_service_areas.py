"""bot.yml `service_areas`: parsed into ServiceArea objects, and every mistake named by file, key and cause."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from hkbot.bot_config import BotConfigError, ServiceArea, load_bot, load_bots
from knowledge.live import shared_store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "runtime" / "bots" / "demo"
WATER = {"id": "water", "title": {"en": "Water", "zh-Hant": "供水"}, "knowledge_bases": ["demo"], "top_topics": ["demo.a", "demo.b"]}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A writable copy of the fixture bot `demo` (knowledge bases: demo, extra)."""
    folder = tmp_path / "demo"
    shutil.copytree(FIXTURE, folder)
    path = folder / "bot.yml"
    data = yaml.safe_load(path.read_text())
    data["knowledge_bases"] = ["demo", "extra"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return folder


def write_areas(folder: Path, areas: object) -> Path:
    path = folder / "bot.yml"
    data = yaml.safe_load(path.read_text())
    data["service_areas"] = areas
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_service_areas_are_read_in_order(demo: Path) -> None:
    other = {"id": "other_2", "title": {"en": "Other", "zh-Hant": "其他"}, "knowledge_bases": ["demo", "extra"], "top_topics": ["extra.x"]}
    write_areas(demo, [WATER, other])
    config = load_bot(demo)
    assert config.service_areas == (
        ServiceArea("water", {"en": "Water", "zh-Hant": "供水"}, ("demo",), ("demo.a", "demo.b")),
        ServiceArea("other_2", {"en": "Other", "zh-Hant": "其他"}, ("demo", "extra"), ("extra.x",)),
    )
    assert config.area("other_2") is config.service_areas[1] and config.area("nope") is None and config.area(None) is None
    assert "service_areas" not in config.extra


def test_a_bot_without_service_areas_has_none(demo: Path) -> None:
    assert load_bot(demo).service_areas == ()
    write_areas(demo, None)  # `service_areas:` left empty
    assert load_bot(demo).service_areas == ()


@pytest.mark.parametrize(
    ("areas", "key", "cause"),
    [
        ("water", "service_areas", "must be a list"),
        (["water"], "service_areas[0]", "must be a map"),
        ([{**WATER, "colour": "blue"}], "service_areas[0].colour", "unknown key"),
        ([{k: v for k, v in WATER.items() if k != "top_topics"}], "service_areas[0].top_topics", "is required"),
        ([{**WATER, "id": "water supply"}], "service_areas[0].id", "letters, digits and underscores"),
        ([{**WATER, "title": {"en": "Water"}}], "service_areas[0].title", "needs at least an 'en' and a 'zh-Hant'"),
        ([{**WATER, "title": {"en": "Water", "zh-Hant": " "}}], "service_areas[0].title.zh-Hant", "non-empty"),
        ([{**WATER, "knowledge_bases": []}], "service_areas[0].knowledge_bases", "non-empty list"),
        ([{**WATER, "knowledge_bases": ["wsd"]}], "service_areas[0].knowledge_bases", "'wsd' is not one of the bot's knowledge_bases"),
        ([{**WATER, "top_topics": []}], "service_areas[0].top_topics", "non-empty list"),
        ([{**WATER, "top_topics": ["extra.x"]}], "service_areas[0].top_topics", "'extra.x' is not a topic of the area's knowledge bases"),
        ([{**WATER, "top_topics": ["demo.a", "demo.a"]}], "service_areas[0].top_topics", "lists a topic twice"),
        ([WATER, {**WATER, "title": {"en": "Again", "zh-Hant": "再次"}}], "service_areas[1].id", "'water' is used by two areas"),
    ],
)
def test_a_bad_service_area_names_its_file_key_and_cause(demo: Path, areas: object, key: str, cause: str) -> None:
    path = write_areas(demo, areas)
    with pytest.raises(BotConfigError) as error:
        load_bot(demo)
    message = str(error.value)
    assert str(path) in message and f"key '{key}'" in message and cause in message, message


def test_the_1823_bot_has_ten_areas_covering_every_department_and_real_topics() -> None:
    config = load_bots(["1823"])["1823"]
    assert len(config.service_areas) == 10
    covered = {kb for area in config.service_areas for kb in area.knowledge_bases}
    assert covered == set(config.knowledge_bases) - {"1823"}  # 1823's own topics are asked in words (docs/interface.md)
    store = shared_store()
    for area in config.service_areas:
        assert 3 <= len(area.top_topics) <= 6, area.id  # fits the kiosk and a phone screen
        for topic in area.top_topics:
            assert store.entry(topic) is not None, f"{area.id}: {topic} does not exist"

"""bot.yml validation, project composition and fingerprint-cached training (on a small fixture bot)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bots.registry.project import FAQ_COMPONENT, compose, compose_config
from hkbot.bot_config import BotConfigError, load_bot, load_bots
from bots.training.train import ensure_trained

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtime"


@pytest.fixture
def fixture_project(tmp_path, monkeypatch):
    """A writable copy of the fixture bots, with its own config, var and models folders."""
    bots = tmp_path / "bots"
    shutil.copytree(FIXTURE / "bots", bots)
    monkeypatch.setenv("HKBOT_BOTS_DIR", str(bots))
    monkeypatch.setenv("HKBOT_CONFIG", str(FIXTURE / "config.yml"))
    monkeypatch.setenv("HKBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HKBOT_MODELS_DIR", str(tmp_path / "var" / "models"))
    return bots


def test_every_real_bot_validates():
    bots = load_bots()
    assert {"1823", "dog_licence", "tsw"} <= set(bots)
    assert bots["1823"].knowledge_bases == ("1823", "dog_licence", "wsd", "immd", "ird", "hd", "rvd", "fehd", "epd", "swd", "ld", "bd", "emsd")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.pop("greeting"), "greeting"),
        (lambda d: d.update(languages=["en", "fr"]), "languages"),
        (lambda d: d.update(default_language="en-GB"), "default_language"),
        (lambda d: d.update(name="someone_else"), "name"),
        (lambda d: d.update(display_name={"en": "only English"}), "display_name"),
        (lambda d: d.update(handoff={"wait_seconds": "soon"}), "handoff.wait_seconds"),
        (lambda d: d.update(handoff={"urgent_wait_seconds": -1}), "handoff.urgent_wait_seconds"),
        (lambda d: d.update(channels=[]), "channels"),
    ],
)
def test_a_bad_bot_yml_names_its_file_and_key(fixture_project, change, key):
    path = fixture_project / "demo" / "bot.yml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(BotConfigError) as error:
        load_bot(fixture_project / "demo")
    assert str(path) in str(error.value) and f"'{key}'" in str(error.value)


def test_an_urgent_request_never_waits_longer_than_any_other(fixture_project):
    """`handoff.urgent_wait_seconds` (after crisis lines; 60 by default) is capped at the bot's `wait_seconds`."""
    path = fixture_project / "demo" / "bot.yml"
    data = yaml.safe_load(path.read_text())
    data["handoff"] = {"wait_seconds": 300}
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert load_bot(fixture_project / "demo").handoff.urgent_wait_seconds == 60
    data["handoff"] = {"wait_seconds": 30}
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert load_bot(fixture_project / "demo").handoff.urgent_wait_seconds == 30


def test_unknown_bots_are_named_with_the_known_ones(fixture_project):
    with pytest.raises(BotConfigError, match="unknown bot 'nobody'; known bots: demo, other"):
        load_bots(["nobody"])


def test_the_bot_knowledge_bases_go_into_the_faq_retriever():
    bot = load_bots(["1823"])["1823"]
    config = compose_config(bot)
    faq = [c for c in config["pipeline"] if c["name"] == FAQ_COMPONENT]
    assert faq and faq[0]["knowledge_bases"] == list(bot.knowledge_bases) and len(bot.knowledge_bases) == 13


def test_composition_merges_shared_and_bot_files(fixture_project):
    project = compose(load_bots(["demo"])["demo"])
    assert sorted(p.name for p in project.domain.iterdir()) == ["bot_domain.yml", "shared_domain.yml"]
    assert sorted(p.name for p in project.data.iterdir()) == ["bot_nlu.yml", "bot_rules.yml", "shared_nlu.yml", "shared_rules.yml"]
    assert compose(load_bots(["demo"])["demo"]).fingerprint == project.fingerprint  # deterministic


def test_training_is_skipped_until_an_input_changes(fixture_project, monkeypatch, tmp_path):
    lines: list[str] = []
    first = ensure_trained(["demo"], progress=lines.append)["demo"]
    assert first.is_file() and lines[-1].startswith("[1/1] demo: training… done in")
    stamp = first.stat().st_mtime_ns

    lines.clear()
    monkeypatch.setenv("HKBOT_KNOWLEDGE_DIR", str(tmp_path / "elsewhere"))  # knowledge is not a training input
    assert ensure_trained(["demo"], progress=lines.append)["demo"] == first
    assert lines == [f"[1/1] demo: unchanged, skipped ({first.name})"]
    assert first.stat().st_mtime_ns == stamp

    nlu = fixture_project / "demo" / "data" / "nlu.yml"
    nlu.write_text(nlu.read_text() + "    - what is the price\n")
    lines.clear()
    second = ensure_trained(["demo"], progress=lines.append)["demo"]
    assert second != first and second.is_file()
    assert "training… done" in lines[-1]

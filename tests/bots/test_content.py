"""The bots' content: bot.yml files, shared intents' examples, and Rasa's own consistency checks
on each bot's composed project (shared + bot files), plus a real RulePolicy training over the rules."""
from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
import yaml
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import DEFAULT_ACTION_NAMES
from rasa.shared.core.events import ActionExecuted, ActiveLoop
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

from bots.registry.project import compose
from hkbot.bot_config import bot_names, load_bots
from hkbot.settings import bots_dir
from knowledge.live import shared_store
from nlu.language_id import detect_language
from tests.actions.support import executor

BOTS = ["1823", "dog_licence", "tsw"]
#: Every composed project Rasa checks: the bots above and the one made from bot.yml alone (tests/bots/test_config_only.py).
COMPOSED_BOTS = [*BOTS, "wsd"]
SHARED_INTENTS = ["greet", "goodbye", "thanks", "affirm", "deny", "bot_identity", "ask_human", "switch_language", "out_of_scope",
                  "browse"]  # browse: trained since the thirteenth session ("what can you do?"), and its area buttons
#: Intents only buttons send (`/faq{...}`) or FaqRetriever sets: never trained.
PAYLOAD_ONLY_INTENTS = {"faq", "feedback", "choose"}  # buttons only, never trained
PRIVACY = {
    "1823": {"en": "https://www.1823.gov.hk/en/privacy-policy", "zh-Hant": "https://www.1823.gov.hk/tc/privacy-policy"},
    "dog_licence": {"en": "https://www.afcd.gov.hk/english/privacy.html", "zh-Hant": "https://www.afcd.gov.hk/tc_chi/privacy.html"},
    "tsw": {"en": "https://www.tradesinglewindow.hk/portal/en/privacy-policy.html",
            "zh-Hant": "https://www.tradesinglewindow.hk/portal/tc/privacy-policy.html"},
}


def test_every_bot_is_found() -> None:
    assert set(BOTS) <= set(bot_names())


@pytest.mark.parametrize("bot", BOTS)
def test_bot_yml_is_valid_and_complete(bot: str) -> None:
    config = load_bots([bot])[bot]  # the registry validates the schema and raises on any problem
    assert config.extra == {}, "unknown keys in bot.yml"
    assert set(config.languages) == {"en", "yue", "zh-Hant", "zh-Hans"} and config.default_language == "zh-Hant"
    assert "virtual assistant" in config.greeting["en"].lower() and "虛擬助理" in config.greeting["zh-Hant"]
    assert config.privacy_notice == PRIVACY[bot]
    for tag in ("en", "zh-Hant"):
        assert "http" not in config.greeting[tag]  # the privacy notice is a link under the greeting
        assert config.persona[tag] and config.display_name[tag]
    assert set(config.channels) >= {"rest"}
    store = shared_store()
    for topic in config.top_topics:
        entry = store.entry(topic)
        assert entry is not None and entry.kb in config.knowledge_bases, topic


def test_knowledge_bases_and_handoff_targets() -> None:
    bots = load_bots(BOTS)
    assert bots["1823"].knowledge_bases == ("1823", "dog_licence", "wsd", "immd", "ird", "hd", "rvd", "fehd", "epd", "swd", "ld", "bd", "emsd")
    assert bots["dog_licence"].knowledge_bases == ("dog_licence",)
    assert bots["tsw"].knowledge_bases == ("tsw",)
    assert (bots["tsw"].handoff.phone, bots["1823"].handoff.phone, bots["dog_licence"].handoff.target) == ("2117 3348", "1823", "AFCD")


def _examples(path: Path) -> dict[str, dict[str, list[str]]]:
    """intent -> language -> examples, from the `metadata: {language: ...}` of each block."""
    found: dict[str, dict[str, list[str]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if "intent" not in block:
            continue
        texts = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
        found[block["intent"]][block["metadata"]["language"]] += texts
    return found


def test_every_shared_intent_has_enough_examples_in_every_language() -> None:
    examples = _examples(bots_dir() / "shared" / "data" / "nlu.yml")
    assert set(examples) == set(SHARED_INTENTS)
    for intent in SHARED_INTENTS:
        by_language = examples[intent]
        assert sum(map(len, by_language.values())) >= 25, intent
        for language in ("en", "zh-Hant", "yue"):
            assert len(by_language[language]) >= 5, (intent, language)


def test_example_language_tags_agree_with_the_language_detector() -> None:
    """The blocks' language tags are not fiction: the NLU layer's detector mostly agrees (short texts are ambiguous)."""
    agree, total = collections.Counter(), collections.Counter()
    for by_language in _examples(bots_dir() / "shared" / "data" / "nlu.yml").values():
        for language, texts in by_language.items():
            for text in texts:
                total[language] += 1
                agree[language] += detect_language(text) == language
    for language in total:
        assert agree[language] / total[language] >= 0.7, (language, agree[language], total[language])


def test_out_of_scope_covers_near_misses() -> None:
    texts = " ".join(t for ts in _examples(bots_dir() / "shared" / "data" / "nlu.yml")["out_of_scope"].values() for t in ts).lower()
    for near_miss in ("貓牌", "cat licence", "dog groom", "lost my dog", "狗隻訓練班", "pet insurance", "passport", "天氣"):
        assert near_miss in texts, near_miss


def test_no_faq_topic_is_trained_as_an_intent() -> None:
    for path in bots_dir().glob("*/data/*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            assert block.get("intent") not in PAYLOAD_ONLY_INTENTS and "." not in str(block.get("intent")), path


@pytest.fixture(scope="module")
def importers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TrainingDataImporter]:
    """Each bot's project composed by `bots.registry.project.compose` into a temporary var dir, loaded by Rasa."""
    var = tmp_path_factory.mktemp("var")
    patch = pytest.MonkeyPatch()
    patch.setenv("HKBOT_VAR_DIR", str(var))
    try:
        loaded = {}
        for name, config in load_bots(COMPOSED_BOTS).items():
            project = compose(config)
            loaded[name] = TrainingDataImporter.load_from_config(
                str(project.config), str(project.domain), [str(project.data)]
            )
        return loaded
    finally:
        patch.undo()


@pytest.mark.parametrize("bot", COMPOSED_BOTS)
def test_rasa_validator_finds_no_problem(bot: str, importers: dict[str, TrainingDataImporter]) -> None:
    validator = Validator.from_importer(importers[bot])
    assert validator.verify_domain_validity()
    assert validator.verify_example_repetition_in_intents(ignore_warnings=False)
    assert validator.verify_forms_in_stories_rules()
    assert validator.verify_actions_in_stories_rules()
    assert validator.verify_form_slots()
    assert validator.verify_slot_mappings()
    assert validator.verify_story_structure(ignore_warnings=False)
    trained = {example.get("intent") for example in validator.intents.intent_examples}
    assert trained <= set(validator.domain.intents)
    assert set(validator.domain.intents) - trained - {"restart", "session_start", "back", "out_of_scope", "nlu_fallback"} <= PAYLOAD_ONLY_INTENTS
    assert set(SHARED_INTENTS) <= trained


@pytest.mark.parametrize("bot", COMPOSED_BOTS)
def test_every_action_exists_in_the_domain_and_in_the_actions_package(bot: str, importers: dict[str, TrainingDataImporter]) -> None:
    domain = importers[bot].get_domain()
    registered = set(executor().actions)
    custom = [a for a in domain.user_actions if a not in domain.form_names]
    assert custom and set(custom) <= registered, set(custom) - registered
    used = set()
    for step in importers[bot].get_stories().story_steps:
        for event in step.events:
            if isinstance(event, ActionExecuted) and event.action_name:
                used.add(event.action_name)
    for action in used:
        assert action in DEFAULT_ACTION_NAMES or action in domain.form_names or action in registered, action
        assert action in domain.action_names_or_texts, action
    for slot in ("language", "handoff_active", "bot_name"):
        assert slot in [s.name for s in domain.slots]
    assert domain.slots[[s.name for s in domain.slots].index("bot_name")].initial_value == bot


@pytest.mark.parametrize("bot", COMPOSED_BOTS)
def test_rules_train_a_real_rule_policy_without_contradictions(bot: str, importers: dict[str, TrainingDataImporter], tmp_path: Path) -> None:
    """RulePolicy checks at training that no rule contradicts another or is left incomplete."""
    importer = importers[bot]
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()
    policy = RulePolicy.create(
        {**RulePolicy.get_default_config(), "core_fallback_action_name": "action_fallback"},
        LocalModelStorage(tmp_path), Resource("rule_policy"), ExecutionContext(GraphSchema({}), "test"),
    )
    policy.train(trackers, domain)  # raises InvalidRule on a contradiction
    assert any(isinstance(e, ActiveLoop) for t in trackers for e in t.events) == ("checklist_form" in domain.form_names)
    assert re.match(r"^[a-z0-9_]+$", bot)

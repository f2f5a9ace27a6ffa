"""The one table of citizen-facing sentences: complete, one fallback rule, every key the code asks for exists, no stray tables."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from actions import conversation, forms
from actions.sentences import DEFAULT_LANGUAGE, LANGUAGES, SENTENCES, _check, sentence, written
from nlu.script import to_simplified

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("actions", "bots", "connectors", "console", "knowledge", "nlu", "privacy")
HAN = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"{(\w*)")
#: Dicts keyed by language that are not sentences, each with its reason.
NOT_SENTENCES = {
    ("actions/switch_language.py", "LANGUAGE_NAMES"): "each language's own name, the same whatever the reply language",
    ("actions/sources.py", "OTHER_PUBLISHERS"): "publishers' names: data, like the departments' names in the knowledge files",
    ("console/pages.py", "LANGUAGE_NAMES"): "operator console labels, not read by citizens",
}


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def params_of(key: str) -> dict[str, str]:
    return {name: "1823" for name in PLACEHOLDER.findall(SENTENCES[key]["en"])}


def test_every_key_has_english_and_traditional_and_only_known_languages():
    for key, texts in SENTENCES.items():
        assert texts.get("en") and texts.get("zh-Hant"), key
        assert set(texts) <= set(LANGUAGES), key
        assert not HAN.search(texts["en"]) or key.startswith("language_set_"), key  # English texts are English
        assert texts["zh-Hant"] != texts["en"] or key.startswith("language_set_"), key


def test_a_broken_table_is_refused_at_import_not_at_a_citizen():
    with pytest.raises(ValueError, match="missing"):
        _check({"only_english": {"en": "Hello"}})
    with pytest.raises(ValueError, match="unknown languages"):
        _check({"typo": {"en": "Hello", "zh-Hant": "你好", "zh-hk": "你好"}})
    with pytest.raises(ValueError, match="placeholders"):
        _check({"drift": {"en": "Call {phone}", "zh-Hant": "請致電{hotline}"}})
    _check(SENTENCES)


@pytest.mark.parametrize("language", [*LANGUAGES, None, "und", "fr"])
def test_every_key_resolves_in_every_language(language):
    for key in SENTENCES:
        text = sentence(key, language, **params_of(key))
        assert text and "{" not in text, (key, language)
        if language == "zh-Hans":
            assert to_simplified(text) == text, (key, text)  # nothing Traditional left


def test_the_fallback_rule(monkeypatch):
    monkeypatch.setitem(SENTENCES, "test_three", {"en": "Hi {name}", "zh-Hant": "請問{name}", "yue": "唔該{name}"})
    monkeypatch.setitem(SENTENCES, "test_written", {"en": "Send", "zh-Hant": "傳送訊息", "zh-Hans": "发送信息"})
    assert written("test_three", "en") == ("en", "Hi {name}")
    assert written("test_three", "yue") == ("yue", "唔該{name}")  # a written Cantonese text wins for yue ...
    assert written("test_three", "zh-Hant") == ("zh-Hant", "請問{name}")  # ... and only for yue
    assert written("test_three", "zh-Hans") == ("zh-Hant", "請問{name}")
    assert written("test_written", "yue") == ("zh-Hant", "傳送訊息")  # yue -> zh-Hant
    assert sentence("test_three", "zh-Hans", name="漁護署") == "请问渔护署"  # Traditional converted, values too
    assert sentence("test_written", "zh-Hans") == "发送信息"  # a written Simplified text is used as written
    assert to_simplified("傳送訊息") != "发送信息"  # (OpenCC alone would say 传送讯息)
    for unknown in (None, "und", "fr", ""):
        assert sentence("test_three", unknown, name="x") == sentence("test_three", DEFAULT_LANGUAGE, name="x")
    assert DEFAULT_LANGUAGE == "zh-Hant"
    assert sentence("greet_generic", "yue") == SENTENCES["greet_generic"]["zh-Hant"]


def _asked_keys() -> set[str]:
    """Every sentence key the code asks for by a literal: sentence("k"), agent_text("k"), a socket error, a refusal code."""
    keys: set[str] = set()
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0] if name != "Refusal" else (node.args[1] if len(node.args) > 1 else None)
            if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
                continue
            if name == "sentence":
                keys.add(first.value)
            elif name == "agent_text":
                keys.add(f"officer_{first.value}")
            elif name == "error" and path.name == "websocket.py":
                keys.add(f"socket_{first.value}")
            elif name == "Refusal":
                keys.add(first.value)
    return keys


def test_every_key_the_code_asks_for_exists():
    asked = _asked_keys()
    assert {"choice_hint", "text_only", "action_error", "source_label", "officer_joined", "socket_origin",
            "message_too_long", "rate_limited", "request_too_large"} <= asked  # the scan sees every caller kind
    asked |= {f"language_set_{language}" for language in LANGUAGES}  # keys the code builds
    asked |= {f"ask_{slot}" for slot in forms.CHOICES}
    asked |= {key for choices in forms.BUTTON_KEYS.values() for key in choices.values()}
    smalltalk = {cls.intent for cls in vars(conversation).values()
                 if isinstance(cls, type) and issubclass(cls, conversation.SimpleReply) and isinstance(cls.__dict__.get("intent"), str)}
    assert {"goodbye", "thanks"} <= smalltalk
    asked |= smalltalk
    missing = sorted(asked - set(SENTENCES))
    assert not missing, f"sentence keys asked for but not in actions/sentences.py: {missing}"


def stray_tables(relative: str, text: str) -> list[str]:
    """`file:line` of each dict keyed by `en` and a Chinese tag with a literal Chinese text, unless allowed by name."""
    tree = ast.parse(text)
    allowed = {id(inner) for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
               for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
               if isinstance(target, ast.Name) and (relative, target.id) in NOT_SENTENCES
               for inner in ast.walk(node.value)}  # the allowed dict and the dicts inside it
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict) or id(node) in allowed:
            continue
        texts = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value in LANGUAGES}
        chinese = any(isinstance(v, ast.Constant) and isinstance(v.value, str) and HAN.search(v.value)
                      for tag, v in texts.items() if tag != "en")
        if "en" in texts and chinese:
            found.append(f"{relative}:{node.lineno}")
    return found


def test_no_other_module_keeps_a_table_of_sentences():
    """A dict keyed by language with literal texts anywhere but actions/sentences.py is a new sentence table."""
    found = [hit for path in sources() if path.relative_to(ROOT).as_posix() != "actions/sentences.py"
             for hit in stray_tables(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))]
    assert not found, f"sentence tables outside actions/sentences.py (move them there): {found}"


def test_the_stray_table_scan_sees_the_tables_it_replaced():
    gate = '_HINT = {\n    "en": "Reply with the number of your choice.",\n    "zh-Hant": "請回覆選項的號碼。",\n}\n'
    nested = 'TEXTS: dict[str, dict[str, str]] = {"joined": {"en": "An officer joined.", "zh-Hant": "職員已加入。"}}\n'
    assert stray_tables("connectors/gate.py", gate) == ["connectors/gate.py:1"]
    assert stray_tables("console/messages.py", nested) == ["console/messages.py:1"]
    names = 'LANGUAGE_NAMES = {"en": "English", "yue": "廣東話"}\n'
    assert stray_tables("actions/switch_language.py", names) == []  # allowed by name, with its reason
    assert stray_tables("actions/other.py", names) == ["actions/other.py:1"]
    assert stray_tables("actions/checklists.py", 'def _t(en, zh):\n    return {"en": en, "zh-Hant": zh}\n') == []

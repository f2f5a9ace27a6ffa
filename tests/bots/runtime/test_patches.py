"""The version-guarded Rasa patches (bots/runtime/patches.py): Rasa's results, only on tested versions, never in training."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bots.runtime import patches
from nlu.components import versions

ROOT = Path(__file__).resolve().parents[3]


def run_python(*parts: str, env: dict | None = None) -> dict:
    """Run the code parts in a fresh interpreter (patches are process-wide); it prints one JSON line last."""
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(textwrap.dedent(part) for part in parts)], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


#: Prints which of Rasa's functions the patches replace are patched in this process.
PATCHED_REPORT = """
import json
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
import rasa.core.processor
targets = {
    "validate": RemoteAction._validate_action_result, "resolve_by_type": Event.resolve_by_type,
    "is_empty": Domain.is_empty, "applied_events": DialogueStateTracker.applied_events,
    "action_call_format": RemoteAction._action_call_format,
}
patched = sorted(name for name, function in targets.items() if hasattr(function, "rasa_original"))
if type(rasa.core.processor.copy).__name__ != "module":
    patched.append("copy")
"""


def test_the_tested_versions_are_the_ones_pinned_in_constraints():
    pins = dict(line.strip().split("==") for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line)
    assert versions.TESTED_VERSIONS == {package: pins[package] for package in versions.TESTED_VERSIONS}
    assert versions.untested_versions() == []  # this venv is the tested one


def test_every_patch_is_installed_on_the_tested_versions():
    result = run_python("""
        from bots.runtime import patches
        installed = patches.install()
    """, PATCHED_REPORT, """
        print(json.dumps({"installed": installed, "patched": patched}))
    """)
    assert result == {"installed": True, "patched": ["action_call_format", "applied_events", "is_empty", "resolve_by_type", "validate", "copy"]}


def test_another_rasa_version_patches_nothing_says_why_and_still_serves(trained_models, tmp_path):
    result = run_python(f"""
        import asyncio, logging
        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())
        logging.getLogger("hkbot").addHandler(Keep())
        logging.getLogger("hkbot").setLevel(logging.INFO)
        import nlu.components.versions as versions
        versions.installed_version = lambda package: "3.7.0" if package == "rasa" else versions.TESTED_VERSIONS[package]
        from bots.runtime import patches
        installed = patches.install()
        from hkbot.bot_config import load_bots
        from bots.runtime.agents import load_runtime
        runtime = load_runtime(load_bots(["dog_licence"])["dog_licence"], {str(trained_models["dog_licence"])!r}, in_memory=True)
        replies = asyncio.run(runtime.agent.handle_text("how much is a dog licence", sender_id="citizen"))
        runner = type(runtime.agent.processor.graph_runner).__name__
    """, PATCHED_REPORT, """
        print(json.dumps({"installed": installed, "patched": patched, "records": records, "replies": replies, "runner": runner}))
    """, env={"HKBOT_DATA_DIR": str(tmp_path)})
    assert result["installed"] is False and result["patched"] == []
    refusal = [line for line in result["records"] if line.startswith("Rasa patches not installed")]
    assert refusal == ["Rasa patches not installed: rasa 3.7.0 is installed, hkbot was tested with rasa 3.6.21; "
                       "hkbot runs without these speed-ups (slower, same answers)"]
    # the hooks fall back to Rasa's own code too, each saying so once
    assert result["runner"] == "DaskGraphRunner"
    assert any("graph runner: rasa 3.7.0 is installed but hkbot was tested with 3.6.21" in line for line in result["records"])
    assert result["replies"] and all(reply.get("text") for reply in result["replies"])


def test_training_never_gets_the_patches(tmp_path):
    result = run_python(f"""
        from pathlib import Path
        from hkbot.bot_config import load_bots
        from bots.training.train import _train, compose
        bot = next(iter(load_bots(["wsd"]).values()))
        _train(compose(bot), Path({str(tmp_path / "model.tar.gz")!r}))
        trained = Path({str(tmp_path / "model.tar.gz")!r}).is_file()
    """, PATCHED_REPORT, """
        print(json.dumps({"trained": trained, "patched": patched}))
    """)
    assert result == {"trained": True, "patched": []}


def test_only_the_serving_runtime_installs_the_patches():
    import ast

    callers = []
    for path in ROOT.glob("**/*.py"):
        if any(part in (".venv", "tests", "var") for part in path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "install" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "patches":
                callers.append(str(path.relative_to(ROOT)))
    assert callers == ["bots/runtime/agents.py"]


def test_action_responses_are_validated_as_rasa_does():
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    patches.prepare_action_validation()
    action = RemoteAction("action_x", None)
    good = {"events": [{"event": "slot", "name": "language", "value": "en"}], "responses": [{"text": "hi"}]}
    bad = {"events": [{"event": "slot", "name": 3}], "responses": "not a list"}
    assert RemoteAction._validate_action_result(action, good) is True
    assert RemoteAction._validate_action_result.rasa_original(action, good) is True
    with pytest.raises(ValidationError) as ours:
        RemoteAction._validate_action_result(action, bad)
    with pytest.raises(ValidationError) as rasas:
        RemoteAction._validate_action_result.rasa_original(action, bad)
    assert ours.value.message == rasas.value.message and "Failed to validate Action server response from API" in ours.value.message
    assert list(ours.value.path) == list(rasas.value.path)


def test_event_types_resolve_as_before_and_unknown_names_still_fail():
    patches.remember_event_types()
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("user") is UserUttered  # the remembered answer
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards-compatible answer
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_an_empty_domain_is_still_recognised():
    from rasa.shared.core.domain import Domain

    patches.compare_with_one_empty_domain()
    assert Domain.empty().is_empty()
    assert not Domain.from_dict({"intents": ["greet"]}).is_empty()


def _event_pool():
    from rasa.shared.core.events import (
        ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop, Restarted, SessionStarted, SlotSet,
        UserUtteranceReverted,
    )

    return [
        lambda: ActionExecuted("action_listen"), lambda: UserUttered("hi", {"name": "greet"}), lambda: ActionExecuted("utter_greet"),
        lambda: ActionExecuted("checklist_form"), lambda: ActiveLoop("checklist_form"), lambda: ActiveLoop(None),
        lambda: ActionExecutionRejected("checklist_form"), lambda: SlotSet("requested_slot", "dog_application"),
        lambda: ActionReverted(), lambda: UserUtteranceReverted(), lambda: Restarted(), lambda: SessionStarted(),
        lambda: ActionExecuted("other_form"), lambda: ActiveLoop("other_form"),
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=13), max_size=40))
def test_applied_events_are_rasas_after_every_new_event(choices):
    patches.remember_applied_events()
    rasas = DialogueStateTracker.applied_events.rasa_original
    pool = _event_pool()
    tracker = DialogueStateTracker("citizen", [])
    for choice in choices:
        tracker.update(pool[choice]())
        ours = tracker.applied_events()
        assert [id(event) for event in ours] == [id(event) for event in rasas(tracker)]
        ours.clear()  # callers may change the list they get
    assert [id(e) for e in tracker.applied_events()] == [id(e) for e in rasas(tracker)]


def test_deep_copies_in_the_listed_modules_only_feed_debug_messages():
    import ast
    import importlib
    import inspect

    for name in patches.LOG_ONLY_COPIES:
        tree = ast.parse(inspect.getsource(importlib.import_module(name)))
        logged = {id(node) for call in ast.walk(tree) if isinstance(call, ast.Call)
                  and isinstance(call.func, ast.Attribute) and call.func.attr == "debug"
                  for argument in call.keywords for node in ast.walk(argument.value)}
        copies = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "deepcopy"]
        assert copies and all(id(node) in logged for node in copies), name


def test_logged_values_are_copied_only_when_debug_messages_are_kept():
    import logging

    import structlog
    from rasa.utils.log_utils import configure_structlog

    patches.copy_logged_values_only_when_logged()
    import rasa.core.processor as processor

    saved = structlog.get_config()
    value = [{"event": "user"}]
    try:
        configure_structlog(logging.INFO)
        assert processor.copy.deepcopy(value) is value
        configure_structlog(logging.DEBUG)
        copied = processor.copy.deepcopy(value)
        assert copied == value and copied is not value and copied[0] is not value[0]
        assert processor.copy.copy(value) is not value  # everything else is the copy module's own
    finally:
        structlog.configure(**saved)

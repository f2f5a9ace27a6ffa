"""The in-process action call's JSON (bots/runtime/action_wire.py): what Rasa's own body gives after a JSON round trip."""
from __future__ import annotations

import json

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import UserUttered

from bots.runtime import action_wire

SCRIPT = ("hello", "狗牌幾錢呀", "I want a checklist", "renewal", "你係咪真人", "in person", "my phone is 9123 4567", "thanks", "bye")


@pytest.fixture(scope="module")
def runtime(trained_models, tmp_path_factory):
    import os

    from bots.runtime import patches
    from hkbot.bot_config import load_bots
    from bots.runtime.agents import load_runtime

    patches.install()
    os.environ["HKBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("wire"))
    try:
        return load_runtime(load_bots(["dog_licence"])["dog_licence"], trained_models["dog_licence"])
    finally:
        del os.environ["HKBOT_DATA_DIR"]


async def test_every_action_call_carries_rasas_body(runtime, monkeypatch):
    from bots.runtime.agents import handle_message

    ours = RemoteAction._action_call_format
    calls = []

    def both(self, tracker, domain):
        call = ours(self, tracker, domain)
        rasas = json.loads(json.dumps(ours.rasa_original(self, tracker, domain), ensure_ascii=False))
        calls.append((isinstance(call, action_wire.InProcessCall) and call.wire() == rasas, self.name()))
        return call

    monkeypatch.setattr(RemoteAction, "_action_call_format", both)
    for text in SCRIPT:
        await handle_message(runtime, UserMessage(text, CollectingOutputChannel(), "wire-citizen"))
    assert len(calls) >= len(SCRIPT) and {"action_answer_faq", "validate_checklist_form"} <= {name for _, name in calls}
    assert all(same for same, _ in calls), [name for same, name in calls if not same]


def test_an_events_json_is_written_once_and_is_its_as_dict():
    event = UserUttered("狗牌幾錢", {"name": "faq", "confidence": 0.9}, parse_data={"text_tokens": [(0, 2)]})
    text = action_wire.event_json(event)
    assert json.loads(text) == json.loads(json.dumps(event.as_dict()))
    assert action_wire.event_json(event) is text
    event.timestamp += 1  # what Rasa does when it logs a policy event on the real tracker
    assert json.loads(action_wire.event_json(event))["timestamp"] == event.timestamp


def test_the_events_are_spliced_only_where_they_belong():
    call = action_wire.InProcessCall({"next_action": "x", "tracker": {"sender_id": "s", "slots": {"note": "events"}, "events": None}}, [])
    assert call.wire() == {"next_action": "x", "tracker": {"sender_id": "s", "slots": {"note": "events"}, "events": []}}

"""The in-process action call's JSON, built from each event's JSON text kept on the event.

Rasa's `RemoteAction` turns the whole conversation into dicts for every action call
(`tracker.current_state(EventVerbosity.ALL)`), and the in-process endpoint then writes that
to JSON and reads it back, so the action gets exactly what it would get over HTTP. Events do
not change once they are in a conversation (but see `event_json`), so each event's JSON is
written once and kept on it; a call writes only the rest of the body, splices the kept texts
in, then reads the whole once, as before. Endpoints that want this set `builds_wire_json = True`; every other
endpoint (an external action server) gets Rasa's body unchanged.

No hook: Rasa builds the body in `RemoteAction._action_call_format` and forms build their
validation `RemoteAction` themselves (rasa/core/actions/forms.py), so the body is built by
`bots.runtime.patches.build_action_calls_from_kept_json`, one of the version-guarded patches.
Equivalence: tests/bots/runtime/test_action_wire.py.
"""
from __future__ import annotations

import uuid
from typing import Any

import ujson
from rasa.shared.core.events import Event

_KEPT = "_hkbot_json"
#: Stands for the events in the body's JSON until the kept texts are spliced in.
_PLACEHOLDER = f"hkbot-events-{uuid.uuid4().hex}"


def event_json(event: Event) -> str:
    """The event's JSON as it travels to an action server (`as_dict()`), written once per event.

    Rasa changes an event after it was first logged in one case: a policy's events are
    logged on a temporary tracker for the action, then on the real one, which gives them a
    new timestamp and a new metadata dict. The kept text is only used while both are the
    ones it was written with.
    """
    kept = event.__dict__.get(_KEPT)
    if kept is not None and kept[0] == event.timestamp and kept[1] is event.metadata:
        return kept[2]
    text = ujson.dumps(event.as_dict(), ensure_ascii=False)
    event.__dict__[_KEPT] = (event.timestamp, event.metadata, text)
    return text


class InProcessCall(dict):
    """An action call's body without its events, which it keeps as Event objects until `wire()`."""

    def __init__(self, body: dict[str, Any], events: list[Event]) -> None:
        super().__init__(body)
        self.events = events

    def wire(self) -> dict[str, Any]:
        """The body as it would arrive over HTTP: what `json.loads(json.dumps(rasa_body))` gives."""
        text = ujson.dumps({**self, "tracker": {**self["tracker"], "events": _PLACEHOLDER}}, ensure_ascii=False)
        events = "[" + ",".join(event_json(event) for event in self.events) + "]"
        return ujson.loads(text.replace(f'"{_PLACEHOLDER}"', events, 1))


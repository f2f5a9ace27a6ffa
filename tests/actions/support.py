"""Helpers for the action tests: real rasa_sdk `ActionExecutor` runs over trackers built from dicts.

The domain sent with each call is the bot's real composed domain (shared + bot),
as the server sends it; knowledge comes from the real seed files.
"""
from __future__ import annotations

from typing import Any

from rasa.shared.core.domain import Domain
from rasa_sdk.executor import ActionExecutor

from hkbot.settings import bots_dir

_executor: ActionExecutor | None = None
_domains: dict[str, dict[str, Any]] = {}


def executor() -> ActionExecutor:
    """The action executor with the whole `actions` package registered, as the server does."""
    global _executor
    if _executor is None:
        _executor = ActionExecutor()
        _executor.register_package("actions")
    return _executor


def domain(bot: str) -> dict[str, Any]:
    """The bot's composed domain as a dict (shared + bot files merged by Rasa)."""
    if bot not in _domains:
        files = [str(bots_dir() / "shared" / "domain.yml"), str(bots_dir() / bot / "domain.yml")]
        _domains[bot] = Domain.load(files).as_dict()
    return _domains[bot]


def user_message(
    text: str,
    intent: str,
    language: str | None = None,
    entities: dict[str, Any] | None = None,
    faq: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Parse data as the NLU pipeline (or Rasa's `/intent{...}` handling) produces it."""
    message: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": name, "value": value} for name, value in (entities or {}).items()],
        "metadata": {},
    }
    if language is not None:
        message["language"] = language
    if faq is not None:
        message["faq"] = faq
    return message


def bot_message(text: str, **metadata: Any) -> dict[str, Any]:
    """A BotUttered event, as an earlier reply of the bot in the tracker (metadata: kind, label, kb...)."""
    return {"event": "bot", "text": text, "data": {}, "metadata": metadata}


def tracker(
    bot: str,
    *messages: dict[str, Any],
    slots: dict[str, Any] | None = None,
    sender: str = "citizen-1",
    active_loop: str | None = None,
) -> dict[str, Any]:
    """A tracker state whose events are the given user messages (the last is the latest); a message that is
    already an event (`bot_message(...)`: what the bot said earlier) goes in as it is."""
    all_slots = {"bot_name": bot, "language": None, "handoff_active": False, "requested_slot": None}
    all_slots.update(slots or {})
    events: list[dict[str, Any]] = []
    for message in messages:
        if message.get("event") == "bot":
            events.insert(len(events) - 1 if events else 0, message)  # before the action_listen that follows it
            continue
        events += [{"event": "user", "text": message["text"], "parse_data": message}, {"event": "action", "name": "action_listen"}]
    users = [message for message in messages if message.get("event") != "bot"]
    return {
        "sender_id": sender,
        "slots": all_slots,
        "latest_message": users[-1] if users else {},
        "events": events[:-1],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    }


async def run(action: str, bot: str, *messages: dict[str, Any], **tracker_args: Any) -> dict[str, Any]:
    """Run `action` for a conversation of `bot`; returns {"events": [...], "responses": [...]}."""
    call = {
        "next_action": action,
        "sender_id": tracker_args.get("sender", "citizen-1"),
        "tracker": tracker(bot, *messages, **tracker_args),
        "domain": domain(bot),
        "version": "3.6.2",
    }
    result = await executor().run(call)
    assert result is not None
    return result


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    """The slots an action set: name -> value."""
    return {event["name"]: event["value"] for event in result["events"] if event.get("event") == "slot"}


def only_response(result: dict[str, Any]) -> dict[str, Any]:
    """The one message an action sent."""
    assert len(result["responses"]) == 1, result["responses"]
    return result["responses"][0]

"""Sending bot messages with the metadata every channel and `hkbot eval` rely on, and buttons."""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk.executor import CollectingDispatcher


def payload(intent: str, **entities: Any) -> str:
    """A button payload Rasa parses without NLU: `/intent{"entity": "value"}` (same in every language)."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def button(title: str, intent: str, **entities: Any) -> dict[str, str]:
    """A quick-reply button that sends `intent` with `entities`."""
    return {"title": title, "payload": payload(intent, **entities)}


def say(
    dispatcher: CollectingDispatcher,
    text: str,
    *,
    language: str,
    label: str,
    kind: str,
    buttons: list[dict[str, str]] | None = None,
    **metadata: Any,
) -> None:
    """Send `text`; label, kind and language (plus `metadata`) become the BotUttered metadata."""
    dispatcher.utter_message(
        text=text, buttons=buttons or [], label=label, kind=kind, language=language, **metadata
    )

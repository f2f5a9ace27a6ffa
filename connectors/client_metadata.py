"""The message metadata a client may set, and the text a citizen is shown to have sent.

A browser or REST client may tell the bot its language, surface and bot; anything else it
sends is dropped before the message reaches the bot (and so the tracker store). Only a
button press may carry `display_text` (the button's title), so officers and history never
see words other than those the bot processed.
"""
from __future__ import annotations

from typing import Any, Mapping

#: Metadata keys a client may set, as strings of at most MAX_VALUE_CHARS characters.
CLIENT_KEYS = ("language", "surface", "bot")  # `bot`: see actions.bot_config
MAX_VALUE_CHARS = 200


def is_payload(text: Any) -> bool:
    """True for a button payload such as `/ask_topic{...}` (what Rasa treats as an intent)."""
    return isinstance(text, str) and text.startswith("/")


def client_metadata(given: Any, text: str, display_text: Any = None) -> dict[str, str]:
    """The allowed keys of a client's metadata; `display_text` only with a button payload."""
    metadata = {k: str(given[k])[:MAX_VALUE_CHARS] for k in CLIENT_KEYS if isinstance(given, Mapping) and given.get(k) is not None}
    if is_payload(text) and isinstance(display_text, str) and display_text.strip():
        metadata["display_text"] = display_text[:MAX_VALUE_CHARS]
    return metadata


def shown_text(text: Any, metadata: Any) -> str:
    """What the citizen saw as their message: a payload's button title, else the text itself."""
    if is_payload(text) and isinstance(metadata, Mapping) and metadata.get("display_text"):
        return str(metadata["display_text"])
    return str(text or "")

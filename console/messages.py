"""What a citizen reads from the console side of a handoff: the `officer_*` sentences of `actions.sentences`."""
from __future__ import annotations

from actions.sentences import sentence


def agent_text(key: str, language: str | None, **params: str) -> str:
    """The console sentence `officer_<key>` (joined, released, timeout, timeout_department, timeout_crisis) in the conversation's language."""
    return sentence(f"officer_{key}", language, **params)

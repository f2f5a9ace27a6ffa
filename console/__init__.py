"""The operator console at `/console`: knowledge, what the bot missed, human handoff, dashboard, users.

`register_console(app, bots)` mounts it on the `hkbot serve` Sanic app.
"""
from __future__ import annotations

from typing import Any, Mapping


def register_console(app: Any, bots: Mapping[str, Any]) -> None:
    """Add the console's routes, its turn listener and its handoff timer to the server."""
    # Imported here, not at the top: `hkbot console` and the privacy tools import console.* without the web parts.
    from console.web import register

    register(app, bots)

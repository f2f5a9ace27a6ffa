"""Hook registries owned by one app (`app.ctx.<name>`), so two servers in one process never share callbacks.

A channel or the console adds its callback to the app it is mounted on; whoever fires the
event awaits every callback in order, logging (never raising) a callback's failure so one
broken listener cannot stop the others or reach the citizen.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Iterator

logger = logging.getLogger("hkbot.hooks")

#: The per-app registry of callbacks awaited with (runtime, sender_id) after each handled message.
TURN_LISTENERS = "turn_listeners"
#: The per-app registry of callbacks awaited with (bot, sender_id) when a citizen ends a conversation.
SESSION_END_HOOKS = "session_end_hooks"


class Hooks:
    """An ordered set of callbacks (sync or async) fired with the same arguments; failures are logged."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []

    def add(self, callback: Callable[..., Any]) -> None:
        """Add `callback` once (adding it again changes nothing)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def remove(self, callback: Callable[..., Any]) -> None:
        """Forget `callback` (nothing happens when it was never added)."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def __contains__(self, callback: object) -> bool:
        return callback in self._callbacks

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        return iter(list(self._callbacks))

    def __len__(self) -> int:
        return len(self._callbacks)

    async def fire(self, *args: Any) -> None:
        """Call every callback with `args`, awaiting coroutines; a failing one is logged and the rest still run.

        The log names the bot (the first argument, or its `name`), never the sender that follows it.
        """
        for callback in list(self._callbacks):
            try:
                result = callback(*args)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                bot = getattr(args[0], "name", args[0]) if args else ""
                logger.exception("A %s hook failed for bot %s", self.name, bot)

    def __repr__(self) -> str:
        return f"Hooks({self.name!r}, {len(self._callbacks)} callback(s))"


def hooks_of(app: Any, name: str) -> Hooks:
    """The app's registry `app.ctx.<name>`, created empty the first time it is asked for."""
    hooks = getattr(app.ctx, name, None)
    if not isinstance(hooks, Hooks):
        hooks = Hooks(name.replace("_", " "))
        setattr(app.ctx, name, hooks)
    return hooks

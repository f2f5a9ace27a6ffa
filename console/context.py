"""What the console's route handlers need from the app they are mounted on (`request.app.ctx.console`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from sanic import Request


@dataclass(frozen=True)
class ConsoleContext:
    """The bots this console serves (name -> BotConfig) and what follows from them, fixed when it is mounted."""

    bots: Mapping[str, Any]
    kb_names: list[str] = field(default_factory=list)

    @classmethod
    def for_bots(cls, bots: Mapping[str, Any]) -> "ConsoleContext":
        """The context of a console for `bots`: their knowledge bases listed once."""
        bots = dict(bots)
        return cls(bots=bots, kb_names=sorted({kb for kbs in bot_kbs(bots).values() for kb in kbs}))


def bot_kbs(bots: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each bot's knowledge bases, by bot name."""
    return {name: tuple(getattr(config, "knowledge_bases", ()) or ()) for name, config in bots.items()}


def console_of(request: Request) -> ConsoleContext:
    """The console mounted on the app serving `request`."""
    return request.app.ctx.console

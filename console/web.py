"""Mounts the console on a Sanic app: its route modules (console.routes), and the objects the app owns for it.

`register(app, bots)` puts on `app.ctx`: `console` (the bots it serves), `handoff_desk`,
`turn_capture` (in the app's `turn_listeners`) and the desk's entry in `session_end_hooks`;
then every blueprint of `console.routes` and the HSTS header on `/console` answers.
Nothing here is module-global: two apps in one process each get their own.
"""
from __future__ import annotations

from typing import Any, Mapping

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

from bots.runtime.hooks import SESSION_END_HOOKS, TURN_LISTENERS, hooks_of
from console import proxy
from console.capture import TurnCapture
from console.context import ConsoleContext
from console.handoff_desk import HandoffDesk
from console.pages import COOKIE  # noqa: F401 (the session cookie's name, read here by tests and tools)
from console.routes import BLUEPRINTS


def register(app: Sanic, bots: Mapping[str, Any]) -> None:
    """Mount every console route on `app`; `bots` maps bot names to their BotConfig."""
    app.ctx.console = ConsoleContext.for_bots(bots)
    app.ctx.handoff_desk = HandoffDesk(app.ctx.console.bots, getattr(app.ctx, "runtimes", None) or {},
                                       getattr(app.ctx, "handoff_switch", None))
    app.ctx.turn_capture = TurnCapture()
    hooks_of(app, TURN_LISTENERS).add(app.ctx.turn_capture.on_turn)
    hooks_of(app, SESSION_END_HOOKS).add(app.ctx.handoff_desk.on_session_end)
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    app.register_middleware(strict_transport_security, "response")
    app.register_listener(finish_captures, "before_server_stop")


async def strict_transport_security(request: Request, resp: BaseHTTPResponse) -> None:
    """HSTS on every console answer that went out over https, so the browser never falls back to http."""
    if request.path.startswith("/console") and resp is not None:
        value = proxy.hsts_header(request)
        if value:
            resp.headers["Strict-Transport-Security"] = value


async def finish_captures(app: Sanic, _loop: Any) -> None:
    """Before the server stops: the turns already answered are recorded, not dropped with their tasks."""
    await app.ctx.turn_capture.drain()

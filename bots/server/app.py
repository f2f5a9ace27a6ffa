"""`hkbot serve`: every bot in one Sanic process, one Rasa Agent each, with the action server built in.

Routes:
  GET  /health                                             200 when every bot's model and knowledge are loaded, else 503
  POST /bots/<bot>/webhooks/rest/webhook                   Rasa's REST channel (see connectors.rest)
  /bots/<bot>/...                                          every other channel in the bot's `channels`
  POST /bots/<bot>/conversations/<sender>/handoff          start a handoff (bearer HKBOT_API_TOKEN)
  POST /bots/<bot>/conversations/<sender>/handoff/release  end it: the bot answers again
  POST /webhook, GET /actions                              rasa-sdk's action server, for an external Rasa;
                                                           served only when HKBOT_ACTION_SERVER_TOKEN is set,
                                                           and then only to callers that present it
"""
from __future__ import annotations

import argparse
import hmac
import importlib
import importlib.util
import json
import logging
import os
import re
import sys
import zlib
from typing import Any, Awaitable, Callable

from bots.runtime.hooks import Hooks
from bots.server.health import health_report
from bots.server.limits import install_limits
from bots.server.logs import configure_logging
from bots.training.train import TrainingError
from hkbot.bot_config import BotConfigError, load_bots
from knowledge.live import shared_store
from knowledge.store import refusal_line

logger = logging.getLogger("hkbot.server")

API_TOKEN_ENV = "HKBOT_API_TOKEN"
#: The token an external Rasa must present to use this process's action server (/webhook, /actions).
ACTION_TOKEN_ENV = "HKBOT_ACTION_SERVER_TOKEN"
#: Most bytes a deflated action-server body may inflate to (a long conversation is ~1 MB of JSON).
MAX_INFLATED_BYTES = 8 * 1024 * 1024
HANDOFF_SLOT = "handoff_active"
MAX_REQUEST_BYTES = 1024 * 1024
_SENDER = re.compile(r"^[^\x00-\x1f/]{1,128}$")


def _error(message: str, status: int) -> Any:
    from sanic import response

    return response.json({"error": message}, status=status)


def _authorised(request: Any) -> bool:
    """True when the request carries `Authorization: Bearer <HKBOT_API_TOKEN>`; never when no token is set."""
    expected = os.environ.get(API_TOKEN_ENV, "")
    given = request.headers.get("authorization", "")
    if not expected or not given.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(given[7:].strip().encode(), expected.encode())


def _action_caller(request: Any) -> bool:
    """True when the request carries HKBOT_ACTION_SERVER_TOKEN, as `Authorization: Bearer` or Rasa's `?token=`."""
    expected = os.environ.get(ACTION_TOKEN_ENV, "").strip()
    if not expected:
        return False
    given = request.headers.get("authorization", "")
    given = given[7:].strip() if given.lower().startswith("bearer ") else (request.args.get("token") or "")
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


class InflatedTooLarge(ValueError):
    """A deflated body that would inflate past MAX_INFLATED_BYTES."""


def inflate(raw: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """A zlib-deflated body, inflated to at most `limit` bytes (InflatedTooLarge past that: a zip bomb)."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(raw, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise InflatedTooLarge(f"the inflated body is larger than {limit} bytes")
    out += inflater.flush(limit + 1 - len(out))
    if len(out) > limit:
        raise InflatedTooLarge(f"the inflated body is larger than {limit} bytes")
    return out


async def set_handoff(runtime: Any, sender: str, active: bool) -> bool:
    """Append `SlotSet(handoff_active, active)` to an existing conversation; False when there is none."""
    from rasa.shared.core.events import SlotSet

    agent = runtime.agent
    async with agent.lock_store.lock(sender):
        tracker = await agent.tracker_store.retrieve(sender)
        if tracker is None:
            return False
        tracker.update(SlotSet(HANDOFF_SLOT, active))
        await agent.tracker_store.save(tracker)
    return True


class HandoffSwitch:
    """Turns a conversation's `handoff_active` slot on or off; owned by the app (`app.ctx.handoff_switch`).

    The console's handoff desk reaches it through the app it is mounted on instead of importing this module.
    """

    def __init__(self, runtimes: dict[str, Any]) -> None:
        self.runtimes = runtimes

    async def set(self, bot: str, sender: str, active: bool) -> bool:
        """Append `SlotSet(handoff_active, active)`; False when the bot is not served here or has no such conversation."""
        runtime = self.runtimes.get(bot)
        return runtime is not None and await set_handoff(runtime, sender, active)


def _message_handler(runtime: Any, turn_listeners: Hooks) -> Callable[[Any], Awaitable[None]]:
    from bots.runtime.agents import handle_message  # start-up: Rasa loads after serve_command() has quietened its logs

    async def on_new_message(message: Any) -> None:
        await handle_message(runtime, message, turn_listeners)

    return on_new_message


def _mount_channels(app: Any, runtime: Any) -> list[str]:
    """Mount each enabled channel of a bot's bot.yml under /bots/<bot>/, every one behind the same gate.

    Returns the mounted channel names; a channel that cannot start raises ChannelSetupError
    (a BotConfigError) naming the bot, the channel and, for a secret, the environment variable.
    """
    # start-up: the channels load Rasa after serve_command() has quietened its logs
    from connectors.channel_setup import build, own_blueprint, plan_channels
    from connectors.gate import ChannelGate, Delivery, deliveries

    mounted = []
    delivery = deliveries.setdefault(runtime.name, Delivery())
    for plan in plan_channels(runtime.config):
        channel = build(plan)
        gate = ChannelGate(runtime.name, plan.id, channel, _message_handler(runtime, app.ctx.turn_listeners), runtime.agent.tracker_store)
        delivery.add(gate)
        blueprint = channel.blueprint(gate.on_new_message)
        # Unique blueprint and route names per bot and channel (Sanic attaches middleware by route name)
        blueprint = own_blueprint(blueprint, f"hkbot_{plan.id.replace('-', '_')}_{re.sub(r'[^A-Za-z0-9_]', '_', runtime.name)}")
        prefix = f"/bots/{runtime.name}/{plan.mount.strip('/')}".rstrip("/")
        app.blueprint(blueprint, url_prefix=prefix)
        mounted.append(plan.id)
        logger.info("bot=%s channel %s (%s) at %s", runtime.name, plan.id, plan.entry.name, prefix)
    return mounted


def create_app(runtimes: dict[str, Any]) -> Any:
    """The one Sanic app serving every loaded bot."""
    from sanic import Sanic, response
    from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge, SanicException

    # start-up: Rasa loads after serve_command() has quietened its logs
    from bots.runtime.agents import run_action_call
    from connectors.websocket import MAX_FRAME_BYTES
    app = Sanic("hkbot", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    # Frames past the widget's polite 16 KiB refusal but under this cap get a sentence; larger ones
    # close the socket (Sanic's default, 1 MiB, would make the server buffer far more than it needs).
    app.config.WEBSOCKET_MAX_SIZE = 16 * MAX_FRAME_BYTES
    app.config.FALLBACK_ERROR_FORMAT = "json"
    install_limits(app)  # bots.server.limits: per-sender/address buckets, message and body size
    app.ctx.runtimes = runtimes
    # Hooks owned by this app, not by a module: another app in the process (a test's) never fires them.
    app.ctx.turn_listeners = Hooks("turn listener")  # awaited after each handled message (the console's capture)
    app.ctx.session_end_hooks = Hooks("session end")  # awaited when a citizen ends a conversation (connectors.websocket)
    app.ctx.handoff_switch = HandoffSwitch(runtimes)  # the console's desk hands a conversation back through it
    app.ctx.agents = {name: runtime.agent for name, runtime in runtimes.items()}
    app.ctx.hkbot_bots = {name: runtime.config for name, runtime in runtimes.items()}
    app.ctx.channels = {name: _mount_channels(app, runtime) for name, runtime in runtimes.items()}

    @app.get("/health")
    async def health(_: Any) -> Any:
        status, body = health_report(runtimes, shared_store(), app.ctx.channels)
        return response.json(body, status=status, headers={"Cache-Control": "no-store"})

    def action_server_refusal(request: Any) -> Any:
        """None when the caller may use the action server; else a 404 (not served) or 403 (no token)."""
        if not os.environ.get(ACTION_TOKEN_ENV, "").strip():
            return _error(f"no such endpoint: {request.method} {request.path} (the action server is not served: "
                          f"actions run in this process; set {ACTION_TOKEN_ENV} to serve it to an external Rasa)", 404)
        if not _action_caller(request):
            return _error(f"forbidden: send 'Authorization: Bearer <token>' with the server's {ACTION_TOKEN_ENV}", 403)
        return None

    @app.post("/webhook")
    async def action_webhook(request: Any) -> Any:
        """rasa-sdk's action-server endpoint, same JSON, for a Rasa server elsewhere that holds the token."""
        refusal = action_server_refusal(request)
        if refusal is not None:
            return refusal
        try:
            raw = request.body or b""
            if request.headers.get("content-encoding") == "deflate":
                raw = inflate(raw)
            body = json.loads(raw.decode("utf-8"))
        except InflatedTooLarge:
            return _error(f"request too large: the inflated body must be at most {MAX_INFLATED_BYTES} bytes", 413)
        except (ValueError, UnicodeDecodeError, zlib.error, RecursionError):  # RecursionError: JSON nested too deep
            return _error("the body must be an action-server request in JSON", 400)
        if not isinstance(body, dict):
            return _error("the body must be a JSON object", 400)
        try:
            status, answer = await run_action_call(body)
        except RecursionError:  # a tracker nested too deep for an action to read
            return _error("the action-server request is nested too deeply", 400)
        return response.json(answer, status=status)

    @app.get("/actions")
    async def actions(request: Any) -> Any:
        from bots.runtime.agents import shared_executor  # start-up: Rasa loads after serve_command() has quietened its logs

        refusal = action_server_refusal(request)
        if refusal is not None:
            return refusal
        return response.json([{"name": name} for name in shared_executor().actions])

    async def handoff(request: Any, bot: str, sender: str, active: bool) -> Any:
        if not _authorised(request):
            return _error(f"forbidden: send 'Authorization: Bearer <token>' with the server's {API_TOKEN_ENV}", 403)
        runtime = runtimes.get(bot)
        if runtime is None:
            return _error(f"unknown bot {bot!r}", 404)
        if not _SENDER.match(sender):
            return _error("the conversation id is not valid", 400)
        if HANDOFF_SLOT not in {slot.name for slot in runtime.agent.domain.slots}:
            return _error(f"bot {bot!r} has no {HANDOFF_SLOT} slot in its domain", 409)
        if not await app.ctx.handoff_switch.set(bot, sender, active):
            return _error(f"no conversation {sender!r} with bot {bot!r}", 404)
        logger.info("bot=%s handoff %s", bot, "started" if active else "released")
        return response.json({"bot": bot, "sender": sender, HANDOFF_SLOT: active})

    @app.post("/bots/<bot>/conversations/<sender>/handoff")
    async def handoff_start(request: Any, bot: str, sender: str) -> Any:
        return await handoff(request, bot, sender, True)

    @app.post("/bots/<bot>/conversations/<sender>/handoff/release")
    async def handoff_release(request: Any, bot: str, sender: str) -> Any:
        return await handoff(request, bot, sender, False)

    @app.exception(NotFound)
    async def not_found(request: Any, _: Exception) -> Any:
        return _error(f"no such endpoint: {request.method} {request.path}", 404)

    @app.exception(MethodNotSupported)
    async def not_allowed(request: Any, _: Exception) -> Any:
        return _error(f"method {request.method} is not allowed on {request.path}", 405)

    @app.exception(PayloadTooLarge)
    async def too_large(_: Any, __: Exception) -> Any:
        return _error(f"request too large: at most {MAX_REQUEST_BYTES} bytes", 413)

    @app.exception(SanicException)
    async def sanic_error(_: Any, error: SanicException) -> Any:
        status = getattr(error, "status_code", 400) or 400
        return _error(str(error) or "bad request", status if status < 500 else 400)

    @app.exception(Exception)
    async def unexpected(request: Any, error: Exception) -> Any:
        logger.error("%s %s failed", request.method, request.path, exc_info=error)
        return _error("internal error; the details are in the server log", 500)

    @app.before_server_start
    async def warm_up_bots(_: Any, __: Any) -> None:
        from bots.runtime.agents import freeze_loaded_objects, warm_up  # start-up: Rasa loads after serve_command() has quietened its logs

        for runtime in runtimes.values():
            await warm_up(runtime)
        freeze_loaded_objects()

    @app.before_server_start
    async def connect_event_broker(_: Any, __: Any) -> None:
        from bots.runtime.agents import _endpoints, _event_broker, bot_tracker_store  # start-up: Rasa loads after serve_command() has quietened its logs

        broker = await _event_broker(_endpoints())
        if broker is not None:
            for runtime in runtimes.values():
                store = bot_tracker_store(runtime)
                if store is not None:
                    store.inner.event_broker = broker

    @app.after_server_start
    async def say_what_was_refused(_: Any, __: Any) -> None:
        """The last line of the start-up: which knowledge file was refused, where, and the fix."""
        refusals = shared_store().refusals()
        if refusals:
            logger.error("%s", refusal_line(refusals))

    if importlib.util.find_spec("connectors.web") is not None:
        importlib.import_module("connectors.web").register_web_routes(app, app.ctx.hkbot_bots)
    if importlib.util.find_spec("console") is not None:  # the operator console at /console
        importlib.import_module("console").register_console(app, app.ctx.hkbot_bots)
    answer_head_like_get(app)
    return app


def answer_head_like_get(app: Any) -> None:
    """Every GET page also answers HEAD, as GET without the body (probes and `curl -I` expect 200, not 405).

    Call after every route is registered. Websocket routes are left alone: HEAD cannot upgrade.
    """
    for route in list(app.router.routes):
        methods = set(route.methods or ())
        if "GET" not in methods or "HEAD" in methods or getattr(route.ctx, "websocket", False):
            continue
        app.add_route(route.handler, route.uri, methods=["HEAD"], strict_slashes=route.strict,
                      name=f"{route.name.rsplit('.', 1)[-1]}_head_{len(app.router.routes)}")


def serve_command(args: argparse.Namespace) -> int:
    """`hkbot serve [--host H] [--port P] [--bots BOT ...]`."""
    configure_logging()
    from bots.runtime.agents import load_runtimes  # start-up: Rasa and TensorFlow import after the logs are quiet

    try:
        from connectors.channel_setup import check_bots  # start-up: loads Rasa's channels, after the logs are quiet

        check_bots(load_bots(args.bots or None))  # a missing channel secret stops us before models load
        runtimes = load_runtimes(args.bots or None)
    except (BotConfigError, TrainingError, FileNotFoundError, RuntimeError) as error:
        print(f"hkbot serve: {error}", file=sys.stderr)
        return 1
    configure_logging()  # loading Rasa models resets log levels; ours again
    try:
        app = create_app(runtimes)
    except BotConfigError as error:  # a channel whose class refused its settings (connectors.channel_setup)
        print(f"hkbot serve: {error}", file=sys.stderr)
        return 1
    logger.info("serving %s on http://%s:%d", ", ".join(runtimes), args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)
    return 0

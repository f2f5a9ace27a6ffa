"""One Rasa Agent per bot, with per-bot tracker keys and actions run in-process.

Actions still speak the rasa-sdk action-server protocol: `InProcessActionEndpoint`
hands the very JSON body Rasa would POST to `rasa_sdk`'s `ActionExecutor` and returns
its JSON answer, so an external action server (`HKBOT_ACTION_ENDPOINT`) is a drop-in.

Stores (env `HKBOT_ENDPOINTS`: a Rasa endpoints.yml with `tracker_store`, `lock_store`,
`event_broker`): the default tracker store is SQLite at `data_dir()/trackers.sqlite3`,
the default lock store is in memory. Conversations are keyed `<bot>:<sender>` in
every store, and the tracker handed back carries the citizen's own sender id.
"""
from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

import aiohttp
import ujson
from rasa.core.agent import Agent
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from actions.sentences import LANGUAGES, reply_tag, sentence
from bots.runtime import patches
from bots.runtime.action_wire import InProcessCall
from bots.runtime.hooks import Hooks
from bots.runtime.processor import load_agent
from bots.server.logs import quiet_rasa
from bots.storage.sql_resilience import harden_tracker_store, use_write_ahead_log
from bots.training.train import ensure_trained, fingerprint_of
from hkbot.bot_config import BotConfig, load_bots
from hkbot.settings import data_dir
from bots.storage.redacting import wrap_tracker_store
from bots.storage.wrapper import WrappingTrackerStore
from bots.storage.tracker_cache import CachedTrackerStore, cache_size
from nlu.parse_keys import LANGUAGE
from privacy.pseudonym import process_key, sender_pseudonym

logger = logging.getLogger("hkbot.runtime")

ACTIONS_PACKAGE_ENV = "HKBOT_ACTIONS_PACKAGE"
ACTION_ENDPOINT_ENV = "HKBOT_ACTION_ENDPOINT"
ENDPOINTS_ENV = "HKBOT_ENDPOINTS"
TRACKER_DB_NAME = "trackers.sqlite3"
KEY_SEPARATOR = ":"

def apology_language(language: Optional[str], default: str = "zh-Hant") -> str:
    """The language an apology is tagged with: the conversation's (else the bot's default); yue reads the Traditional text."""
    tag = language if language in LANGUAGES else reply_tag(default)
    return "zh-Hant" if tag == "yue" else tag


def apology_message(language: Optional[str], default: str = "zh-Hant") -> dict[str, Any]:
    """An action-server style response message carrying our metadata (kind `error`); the text is `action_error`."""
    tag = apology_language(language, default)
    return {"text": sentence("action_error", tag), "label": "action_error", "kind": "error", "language": tag}


def _language_of_call(body: dict[str, Any], default: str) -> str:
    """The reply language of the conversation an action call comes from."""
    tracker = body.get("tracker") or {}
    slot = (tracker.get("slots") or {}).get("language")
    parsed = (tracker.get("latest_message") or {}).get(LANGUAGE)
    if isinstance(parsed, dict):  # some components report {"name": tag}
        parsed = parsed.get("name")
    return slot or parsed or default


# ----------------------------------------------------------------------------- actions


_executor: Optional[ActionExecutor] = None


def actions_package() -> str:
    return os.environ.get(ACTIONS_PACKAGE_ENV, "actions")


def shared_executor() -> ActionExecutor:
    """The process-wide rasa-sdk executor with every action of the actions package registered."""
    global _executor
    if _executor is None:
        package = actions_package()
        try:
            importlib.import_module(package)  # a broken package fails here, with its real error
        except ImportError as error:
            raise RuntimeError(f"could not import the actions package {package!r} ({ACTIONS_PACKAGE_ENV}): {error}") from error
        executor = ActionExecutor()
        try:
            executor.register_package(package)
        except SystemExit:  # rasa-sdk exits the process on an import error; we report it instead
            raise RuntimeError(f"could not import the actions package {package!r}; see the log above") from None
        _executor = executor
        logger.info("actions: %d registered from %s", len(executor.actions), package)
    return _executor


async def run_action_call(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Run one action-server request body; return (HTTP status, JSON body) as rasa-sdk's webhook does."""
    try:
        result = await shared_executor().run(body)
    except ActionExecutionRejection as error:
        return 400, {"error": error.message, "action_name": error.action_name}
    except ActionNotFoundException as error:
        return 404, {"error": error.message, "action_name": error.action_name}
    if result is None:
        return 400, {"error": "the request names no action (next_action is missing)"}
    return 200, result


def over_the_wire(value: Any) -> Any:
    """A private copy of `value` as it would arrive over HTTP as JSON (same types, same errors).

    ujson (Rasa's and Sanic's own dependency) because the request carries the whole
    conversation: ~30 KB a call, where the standard library's round trip took ~2 ms.
    """
    return ujson.loads(ujson.dumps(value, ensure_ascii=False))


class InProcessActionEndpoint(EndpointConfig):
    """An action endpoint whose `request()` runs the action in this process, same JSON both ways."""

    builds_wire_json = True  # see bots.runtime.action_wire

    def __init__(self, bot: BotConfig) -> None:
        super().__init__(url=f"inprocess://{bot.name}/webhook")
        self.bot = bot

    async def request(self, method: str = "post", subpath: Optional[str] = None, content_type: Optional[str] = "application/json", compress: bool = False, **kwargs: Any) -> Any:
        call = kwargs.get("json") or {}
        body = call.wire() if isinstance(call, InProcessCall) else over_the_wire(call)
        action = body.get("next_action")
        try:
            status, answer = await run_action_call(body)
        except Exception:
            logger.exception("bot=%s action=%s failed; the citizen gets an apology", self.bot.name, action)
            return {"events": [], "responses": [apology_message(_language_of_call(body, self.bot.default_language))]}
        if status == 400:  # Rasa turns this into ActionExecutionRejection, as with a real server
            raise ClientResponseError(400, "Bad Request", json.dumps(answer))
        if status != 200:
            logger.error("bot=%s action=%s: %s", self.bot.name, action, answer.get("error"))
            return {"events": [], "responses": [apology_message(_language_of_call(body, self.bot.default_language))]}
        return over_the_wire(answer)


class HttpActionEndpoint(EndpointConfig):
    """An external action server; when it is down or fails, the citizen gets an apology, not silence."""

    def __init__(self, bot: BotConfig, url: str) -> None:
        super().__init__(url=url)
        self.bot = bot

    async def request(self, method: str = "post", subpath: Optional[str] = None, content_type: Optional[str] = "application/json", compress: bool = False, **kwargs: Any) -> Any:
        body = kwargs.get("json") or {}
        try:
            return await super().request(method, subpath, content_type, compress, **kwargs)
        except ClientResponseError as error:
            if error.status == 400:
                raise
            failure = f"HTTP {error.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            failure = f"{type(error).__name__}: {error}"
        logger.error("bot=%s action=%s: action server %s failed (%s); the citizen gets an apology", self.bot.name, body.get("next_action"), self.url, failure)
        return {"events": [], "responses": [apology_message(_language_of_call(body, self.bot.default_language))]}


def action_endpoint(bot: BotConfig) -> EndpointConfig:
    """In-process actions, unless `HKBOT_ACTION_ENDPOINT` names an external action server URL."""
    url = os.environ.get(ACTION_ENDPOINT_ENV)
    return HttpActionEndpoint(bot, url) if url else InProcessActionEndpoint(bot)


# ----------------------------------------------------------------------------- stores


class _PrefixedView:
    """A read-only view of a tracker under its store key; everything else is the tracker's own."""

    def __init__(self, tracker: DialogueStateTracker, key: str) -> None:
        self._tracker = tracker
        self.sender_id = key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)


class BotTrackerStore(WrappingTrackerStore):
    """Keeps one bot's conversations under `<bot>:<sender>` keys of any Rasa tracker store."""

    def __init__(self, bot: str, inner: TrackerStore) -> None:
        self.bot = bot
        super().__init__(inner)

    def key(self, sender_id: str) -> str:
        return f"{self.bot}{KEY_SEPARATOR}{sender_id}"

    def _own(self, tracker: Optional[DialogueStateTracker], sender_id: str) -> Optional[DialogueStateTracker]:
        if tracker is not None:
            tracker.sender_id = sender_id
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._sync().save(_PrefixedView(tracker, self.key(tracker.sender_id)))

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        return self._own(await self._sync().retrieve(self.key(sender_id)), sender_id)

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        return self._own(await self.inner.retrieve_full_tracker(self.key(conversation_id)), conversation_id)

    async def keys(self) -> Iterable[str]:
        prefix = self.key("")
        return [key[len(prefix):] for key in await self.inner.keys() if key.startswith(prefix)]


def tracker_db_path() -> Path:
    return data_dir() / TRACKER_DB_NAME


def _endpoints() -> Any:
    """Rasa's AvailableEndpoints from `HKBOT_ENDPOINTS`, or None for the embedded defaults."""
    path = os.environ.get(ENDPOINTS_ENV)
    if not path:
        return None
    from rasa.core.utils import read_endpoints_from_path

    if not Path(path).is_file():
        raise FileNotFoundError(f"{ENDPOINTS_ENV}={path}: file not found")
    return read_endpoints_from_path(path)


def create_tracker_store(bot: str, endpoints: Any, event_broker: Any = None, in_memory: bool = False) -> BotTrackerStore:
    """Rasa's configured tracker store, or SQLite under data_dir() (in memory on request); keyed per bot."""
    if in_memory:
        from rasa.core.tracker_store import InMemoryTrackerStore

        inner: TrackerStore = InMemoryTrackerStore(Domain.empty())
    elif endpoints is not None and endpoints.tracker_store is not None:
        # PostgreSQL restarts: pre-ping, retry connects
        inner = harden_tracker_store(TrackerStore.create(endpoints.tracker_store, event_broker=event_broker))
    else:
        tracker_db_path().parent.mkdir(parents=True, exist_ok=True)
        inner = use_write_ahead_log(SQLTrackerStore(dialect="sqlite", db=str(tracker_db_path()), event_broker=event_broker))
    return BotTrackerStore(bot, inner)


def create_lock_store(bot: str, endpoints: Any) -> LockStore:
    """Rasa's configured lock store (Redis keys prefixed by bot), or one in memory."""
    if endpoints is None or endpoints.lock_store is None:
        return InMemoryLockStore()
    config = endpoints.lock_store
    if (config.type or "").lower() == "redis":
        config = EndpointConfig(config.url, config.params, config.headers, config.basic_auth, config.token, config.token_name, type=config.type, **{**config.kwargs, "key_prefix": "hkbot" + re.sub(r"[^A-Za-z0-9]", "", bot)})
    return LockStore.create(config)


# ----------------------------------------------------------------------------- agents


@dataclass
class BotRuntime:
    """A loaded bot: its configuration, its Rasa agent, and the model it runs."""

    config: BotConfig
    agent: Agent
    model_path: Path

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.model_path)

    def take_saved(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker the turn just saved for `sender_id`, as stored (redacted), once; None when the store keeps none.

        The cache sits inside Rasa's `FailSafeTrackerStore`, which does not pass `take_saved` on."""
        cache = find_store(self, CachedTrackerStore)
        return cache.take_saved(sender_id) if cache is not None else None


def load_runtime(bot: BotConfig, model: Path, endpoints: Any = None, event_broker: Any = None, in_memory: bool = False) -> BotRuntime:
    """Load one bot's trained model into an Agent with per-bot stores and in-process actions."""
    agent = load_agent(  # hkbot's Agent: sequential graph runner, no copies for read-only actions
        str(model),
        # privacy: redact before storing (and before keeping in memory); SQL reads served from memory when unchanged
        tracker_store=wrap_tracker_store(CachedTrackerStore(create_tracker_store(bot.name, endpoints, event_broker, in_memory), cache_size()), bot),
        lock_store=create_lock_store(bot.name, endpoints),
        action_endpoint=action_endpoint(bot),
    )
    if not agent.is_ready():
        raise RuntimeError(f"{bot.name}: the model {model} did not load")
    return BotRuntime(bot, agent, model)


def find_store(runtime: BotRuntime, kind: type) -> Any:
    """The store of type `kind` inside the wrappers Rasa (`FailSafeTrackerStore._tracker_store`) and we (`inner`) put around it."""
    store: Any = runtime.agent.tracker_store
    for _ in range(8):
        if isinstance(store, kind):
            return store
        store = getattr(store, "_tracker_store", None) or getattr(store, "inner", None)
    return None


def bot_tracker_store(runtime: BotRuntime) -> Optional[BotTrackerStore]:
    """The per-bot store inside the wrappers Rasa and others put around it."""
    return find_store(runtime, BotTrackerStore)


async def _event_broker(endpoints: Any) -> Any:
    if endpoints is None or endpoints.event_broker is None:
        return None
    from rasa.core.brokers.broker import EventBroker

    return await EventBroker.create(endpoints.event_broker)


def load_runtimes(names: Iterable[str] | None = None, progress: Any = None, in_memory: bool = False) -> dict[str, BotRuntime]:
    """Train what changed, then load every named bot (all when None). Call outside a running loop.

    `in_memory` keeps conversations out of the server's store (hkbot shell, hkbot eval)."""
    quiet_rasa()
    bots = load_bots(names)
    models = ensure_trained(list(bots), progress=progress)
    endpoints = _endpoints()
    shared_executor()  # fail at start-up, not at the first citizen's message
    patches.install()  # serving only: training never loads these
    runtimes = {}
    for name, bot in bots.items():
        runtimes[name] = load_runtime(bot, models[name], endpoints, in_memory=in_memory)  # the server connects the event broker
        logger.info("bot=%s loaded model %s", name, models[name].name)
    return runtimes


# ----------------------------------------------------------------------------- turns

#: One short conversation per bot before the server takes traffic: jieba's dictionary, spaCy's
#: lemma table and OpenCC load on first use (0.3-0.5 s each), and every code path's first run
#: is slow; the first citizens after a restart would otherwise wait for all of it.
WARM_UP_TEXTS = ("hello, how much is it?", "狗牌幾錢呀", "請問如何續期", "狗证多少钱", "我想renew個dog licence", "thanks")
WARM_UP_SENDER = "hkbot-warm-up"


async def warm_up(runtime: BotRuntime) -> None:
    """Run a short conversation through the bot against a throwaway in-memory tracker store, then read the real one."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import InMemoryTrackerStore

    processor = runtime.agent.processor
    store = processor.tracker_store
    processor.tracker_store = InMemoryTrackerStore(runtime.agent.domain)  # nothing reaches the real store
    try:
        for text in WARM_UP_TEXTS:
            await processor.handle_message(UserMessage(text, CollectingOutputChannel(), WARM_UP_SENDER))
    finally:
        processor.tracker_store = store
    # A read of the real store (the sender has no rows): opens its pooled connection and
    # prepares the per-turn queries before the first citizens arrive; nothing is written.
    await store.retrieve(WARM_UP_SENDER)


def freeze_loaded_objects() -> None:
    """Keep the loaded models out of Python's full garbage collections.

    After loading, each full collection walks every object of three models, spaCy's and
    jieba's tables: 0.2-0.4 s during which no citizen is answered. Moved to the permanent
    generation (`gc.freeze`), they are never walked again; new objects are collected as usual.
    """
    import gc

    gc.collect()
    gc.freeze()


def _sender_tag(bot: str, sender_id: str) -> str:
    """A short tag for logs, so sender ids (which may identify a citizen) stay out of them: keyed, so not reversible."""
    return sender_pseudonym(bot, sender_id, process_key())[:10]


async def handle_message(runtime: BotRuntime, message: Any, turn_listeners: Hooks | None = None) -> None:
    """Run one citizen message through the bot; on any failure the citizen gets an apology, the log the details.

    `turn_listeners` (the serving app's `app.ctx.turn_listeners`, e.g. the console's turn capture) are
    awaited with (runtime, sender_id) after a handled message; they must return quickly.
    """
    started = asyncio.get_running_loop().time()
    try:
        await runtime.agent.handle_message(message)
    except Exception:
        logger.exception("bot=%s sender=%s: the message could not be handled", runtime.name, _sender_tag(runtime.name, message.sender_id))
        language = (message.metadata or {}).get("language") if isinstance(message.metadata, dict) else None
        await message.output_channel.send_response(message.sender_id, apology_message(language, runtime.config.default_language))
        return
    elapsed = (asyncio.get_running_loop().time() - started) * 1000
    logger.info("bot=%s sender=%s channel=%s handled in %.0f ms", runtime.name, _sender_tag(runtime.name, message.sender_id), message.input_channel, elapsed)
    if turn_listeners is not None:  # e.g. the operator console's review queue and dashboard
        await turn_listeners.fire(runtime, message.sender_id)

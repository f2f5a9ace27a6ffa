"""Change notices between replicas: a publish on one `hkbot serve` makes every replica reload at once.

Over Redis pub/sub: after a new knowledge version is committed, the publishing process
sends its number on the channel `hkbot:knowledge`; every replica's listener thread then
calls `store.check()` (one cheap `SELECT max(number)`; a reload only when it moved).
A notice carries no content, so a lost or foreign notice is harmless: the database is
the truth. Without Redis, or while Redis is down, each replica's watcher still polls the
database's version number every `knowledge.store.POLL_SECONDS` (0.5 s), so a change is
served everywhere within 2 s either way.

Configuration: `HKBOT_NOTICES_URL` (`redis://[user:password@]host:port/db`; `off` to
disable); when unset, the Redis of the `lock_store` in `HKBOT_ENDPOINTS` is used.
`HKBOT_NOTICES_CHANNEL` renames the channel (replicas of one deployment share it).
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import quote

logger = logging.getLogger(__name__)

NOTICES_ENV = "HKBOT_NOTICES_URL"
CHANNEL_ENV = "HKBOT_NOTICES_CHANNEL"
DEFAULT_CHANNEL = "hkbot:knowledge"
_OFF = ("off", "none", "no", "false", "0")
#: Seconds a Redis call may take before we give up on it (a publish never blocks an operator for long).
SOCKET_TIMEOUT = 2.0


def channel() -> str:
    return os.environ.get(CHANNEL_ENV, "").strip() or DEFAULT_CHANNEL


def _lock_store_url() -> Optional[str]:
    """The Redis URL of the `lock_store` in `HKBOT_ENDPOINTS` (read as Rasa reads it), if it is Redis."""
    path = os.environ.get("HKBOT_ENDPOINTS")
    if not path or not Path(path).is_file():
        return None
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(path, "lock_store")
    if config is None or (config.type or "").lower() != "redis":
        return None
    options = config.kwargs
    scheme = "rediss" if options.get("use_ssl") else "redis"
    user, password = options.get("username") or "", options.get("password") or ""
    credentials = f"{quote(str(user))}:{quote(str(password))}@" if (user or password) else ""
    return f"{scheme}://{credentials}{config.url or 'localhost'}:{int(options.get('port') or 6379)}/{int(options.get('db') or 0)}"


def notices_url() -> Optional[str]:
    """Where notices travel: `HKBOT_NOTICES_URL`, else the lock store's Redis, else None (polling only)."""
    value = os.environ.get(NOTICES_ENV, "").strip()
    if value.lower() in _OFF:
        return None
    return value or _lock_store_url()


def _client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30)


_publisher: Optional[Any] = None
_publisher_url: Optional[str] = None
_publisher_lock = threading.Lock()


def announce(version: int) -> bool:
    """Tell every replica that knowledge version `version` is committed; False when no notice went out.

    Never raises: without Redis the replicas' polling picks the change up anyway."""
    global _publisher, _publisher_url
    url = notices_url()
    if not url:
        return False
    try:
        with _publisher_lock:
            if _publisher is None or _publisher_url != url:
                _publisher, _publisher_url = _client(url), url
            client = _publisher
        receivers = client.publish(channel(), json.dumps({"version": int(version)}))
    except Exception as error:  # Redis down: polling still delivers the change within 2 s
        logger.warning("Knowledge version %s: change notice not sent (%s); replicas will see it by polling", version, error)
        return False
    logger.info("Knowledge version %s: change notice sent to %d replica(s)", version, receivers)
    return True


class NoticeListener:
    """A daemon thread that calls `on_notice()` for every notice, reconnecting to Redis after outages."""

    def __init__(self, url: str, on_notice: Callable[[], Any], name: str = "knowledge-notices") -> None:
        self.url = url
        self.on_notice = on_notice
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "NoticeListener":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    @property
    def connected(self) -> bool:
        """True while subscribed (tests and the log use it)."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _notify(self) -> None:
        try:
            self.on_notice()
        except Exception:  # a failing reload must not end the listener
            logger.exception("Reacting to a knowledge change notice failed")

    def _run(self) -> None:
        delay, outage_logged = 0.5, False
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = _client(self.url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel())
                self._connected.set()
                logger.info("Listening for knowledge change notices on %s", channel())
                delay, outage_logged = 0.5, False
                self._notify()  # catch up on anything published while we were not listening
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        self._notify()
            except Exception as error:  # Redis restarting or unreachable: poll meanwhile, retry with backoff
                self._connected.clear()
                if not outage_logged:
                    logger.warning("Knowledge change notices unavailable (%s); polling the database until Redis is back", error)
                    outage_logged = True
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
            finally:
                self._connected.clear()
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass


def listen_for_changes(store: Any) -> Optional[NoticeListener]:
    """Reload `store` on every notice when it serves a database and notices are configured; else None."""
    if not getattr(getattr(store, "source", None), "shared", False):
        return None  # YAML files are local to each machine: nothing to announce
    url = notices_url()
    if not url:
        return None
    listener = NoticeListener(url, store.check).start()
    store.notice_listener = listener
    return listener


def stop_listening(store: Any) -> None:
    """Stop the listener `listen_for_changes` attached to `store`, if any."""
    listener = getattr(store, "notice_listener", None)
    if listener is not None:
        listener.stop()
        store.notice_listener = None

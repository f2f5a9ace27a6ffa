"""Whether a console request reached us over https, and from which client, also behind a TLS-terminating proxy.

A proxy's `X-Forwarded-Proto` / `X-Forwarded-For` headers are believed only when the connection
comes from an address in `HKBOT_CONSOLE_TRUSTED_PROXIES` (comma-separated addresses or networks,
e.g. `127.0.0.1, 10.0.0.0/8`); anyone else could write them. `HKBOT_CONSOLE_SECURE_COOKIES=1`
says the site is https whatever the request looks like (`0`: never). Sanic's own proxy settings
(`SANIC_PROXIES_COUNT`, `SANIC_REAL_IP_HEADER`, `SANIC_SERVER_NAME=https://...`) are honoured too.
"""
from __future__ import annotations

import ipaddress
import logging
import os
from functools import lru_cache
from typing import Any

logger = logging.getLogger("hkbot.console")

#: "1": the site is https (cookies always `Secure`, HSTS sent); "0": never; unset: decided per request.
SECURE_ENV = "HKBOT_CONSOLE_SECURE_COOKIES"
TRUSTED_PROXIES_ENV = "HKBOT_CONSOLE_TRUSTED_PROXIES"
#: HSTS lifetime; 0 sends no HSTS header.
HSTS_ENV = "HKBOT_CONSOLE_HSTS_SECONDS"
DEFAULT_HSTS_SECONDS = 365 * 24 * 3600

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[Network, ...]:
    networks = []
    for part in setting.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            logger.warning("%s: %r is not an address or network; ignored.", TRUSTED_PROXIES_ENV, part)
    return tuple(networks)


def trusted_proxies() -> tuple[Network, ...]:
    """The networks whose forwarding headers are believed (none unless configured)."""
    return _networks(os.environ.get(TRUSTED_PROXIES_ENV, "").strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxies())


def from_trusted_proxy(request: Any) -> bool:
    """True when the TCP peer of this request is a configured proxy."""
    return bool(request.ip) and _trusted(request.ip)


def is_https(request: Any) -> bool:
    """The browser talks to us over https: the setting, our own TLS, Sanic's proxy config, or a trusted proxy's header."""
    setting = os.environ.get(SECURE_ENV, "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    if request.scheme in ("https", "wss"):
        return True
    if from_trusted_proxy(request):
        proto = (request.headers.get("x-forwarded-proto") or "").split(",")[-1].strip().lower()
        return proto == "https"
    return False


def client_address(request: Any) -> str:
    """The client's address: the nearest untrusted hop of a trusted proxy's X-Forwarded-For, else Sanic's view."""
    if from_trusted_proxy(request):
        hops = [hop.strip() for hop in (request.headers.get("x-forwarded-for") or "").split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _trusted(hop):
                return hop[:100]
    return request.remote_addr or request.ip or "-"


def hsts_header(request: Any) -> str | None:
    """`Strict-Transport-Security` for a request that came over https (browsers ignore it over http anyway)."""
    try:
        seconds = int(os.environ.get(HSTS_ENV, "").strip() or DEFAULT_HSTS_SECONDS)
    except ValueError:
        seconds = DEFAULT_HSTS_SECONDS
    return f"max-age={seconds}" if seconds > 0 and is_https(request) else None

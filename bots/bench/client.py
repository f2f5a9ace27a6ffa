"""The HTTP client of the load benchmarks (`hkbot bench serve`, `hkbot bench load`).

Built on aiohttp (installed with Rasa), not httpx: with 20-50 conversations starting at
once, httpx's async connection pool opened the new connections one slowly after another,
so first messages waited seconds on the client while the server sat idle, and the figures
measured the client. aiohttp opens them together. Both sides of a comparison use this client.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Optional

import aiohttp


class LoadClient:
    """Concurrent JSON POSTs over up to `connections` kept-alive connections."""

    def __init__(self, connections: int, timeout: float = 120) -> None:
        self.connections = connections
        self.timeout = timeout
        self.session: Optional[aiohttp.ClientSession] = None

    async def __aenter__(self) -> "LoadClient":
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connections),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self.session is not None:
            await self.session.close()

    async def post_json(self, url: str, payload: Any) -> tuple[int, Any]:
        """(HTTP status, the reply's JSON or None); status 0 when the request itself failed."""
        assert self.session is not None, "use LoadClient as `async with`"
        try:
            async with self.session.post(url, json=payload) as reply:
                body = await reply.read()
                status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            return 0, None
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None

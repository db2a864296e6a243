"""Webhook egress that tests control: a resolver and an httpx transport that never touch the network.

``Resolver`` answers name lookups from a table (and counts them); ``Recorder`` records
every request and answers it itself: it opens no socket, whatever address a request
names, so a test can check where a delivery *would* go, and that a refused one never
reached the transport at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx


@dataclass
class Resolver:
    """``host -> addresses``; each lookup is recorded. A callable value answers per lookup."""

    table: dict[str, Sequence[str] | Callable[[int], Sequence[str]]] = field(default_factory=dict)
    lookups: list[tuple[str, int]] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append((host, port))
        answer = self.table.get(host)
        if answer is None:
            raise OSError(f"no such host in the test's table: {host}")
        return answer(len(self.lookups)) if callable(answer) else answer


@dataclass
class Recorder(httpx.AsyncBaseTransport):
    """Records each request and answers ``status`` (or raises ``error``) without any I/O."""

    status: int = 200
    error: BaseException | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return httpx.Response(self.status, headers=self.response_headers, request=request)

    async def aclose(self) -> None:
        """Nothing to close (and a deliverer never closes a transport it was given)."""

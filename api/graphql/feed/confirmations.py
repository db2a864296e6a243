"""What the client of one WebSocket has confirmed reading: the feed's view of a connection.

Why: the server cannot see a slow client through the socket. permessage-deflate and the
kernel's buffers take megabytes before a send blocks, so a client that had stopped
reading was never told it fell behind; it was dropped by the keep-alive, with no position
to resume from. graphql-transport-ws has the means to ask: a ``ping`` must be answered
with a ``pong`` "as soon as it is received", and messages arrive in order, so a ``pong``
confirms every message sent before its ``ping``.

How (``TransportHandler`` drives it, ``projections.feed.live`` reads it as its
``Consumer``):

- after every ``window // 4`` results (``next`` messages) the server sends a ``ping``
  with payload ``{"seq": n}``; graphql-ws's reference client echoes the payload in its
  ``pong``, which then confirms exactly that ``ping`` (a ``pong`` without it confirms the
  oldest one still open);
- the connection has room while fewer than ``window`` results
  (``GRASSROOTS_FEED_BUFFER``) are unconfirmed. Without room, the feed hands its
  subscriptions nothing more: one catching up waits at its client's pace, a live one is
  closed with ``SUBSCRIBER_FELL_BEHIND`` once the ring has moved past it;
- keep-alive: with no ``ping`` open for ``keepalive`` seconds, one is sent; a ``ping``
  unanswered for ``keepalive`` seconds closes the connection (``KEEPALIVE_TIMEOUT``);
  ``close`` makes every subscription end with its own position to resume from first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

KEEPALIVE_TIMEOUT = "KEEPALIVE_TIMEOUT"
KEEPALIVE_REASON = "the client did not answer a ping in time"


class Confirmations:
    """One connection's results sent, pings open and what its client confirmed."""

    def __init__(self, window: int, keepalive: float) -> None:
        self.window = window
        self.every = max(1, window // 4)
        """Results between two pings that ask for a confirmation."""
        self.keepalive = keepalive
        self.sent = 0
        """``next`` messages sent on the connection."""
        self.confirmed = 0
        """Of those, how many the client has confirmed (sent before an answered ping)."""
        self._asked = 0
        """``sent`` when the last ping went out."""
        self._seq = 0
        self._open: deque[tuple[int, int, float]] = deque()
        """Unanswered pings, oldest first: (seq, ``sent`` then, when)."""
        self._last_ping = time.monotonic()
        self._closing: tuple[str, str] | None = None
        self._changed: asyncio.Future[None] | None = None

    # -- what the feed asks (``projections.feed.live.Consumer``) -------------------------

    def has_room(self) -> bool:
        return self.sent - self.confirmed < self.window

    def closing(self) -> tuple[str, str] | None:
        return self._closing

    def changed(self) -> asyncio.Future[None]:
        if self._changed is None:
            self._changed = asyncio.get_running_loop().create_future()
        return self._changed

    # -- what the transport tells -------------------------------------------------------

    def result_sent(self) -> bool:
        """Count a ``next``; ``True`` when a ping asking for confirmation is due now."""
        self.sent += 1
        return self.sent - self._asked >= self.every

    def ping(self) -> dict[str, Any]:
        """The ``ping`` message to send now (recorded as open)."""
        self._seq += 1
        now = time.monotonic()
        self._open.append((self._seq, self.sent, now))
        self._asked, self._last_ping = self.sent, now
        return {"type": "ping", "payload": {"seq": self._seq}}

    def pong(self, payload: Any) -> None:
        """A ``pong``: confirms its ``ping`` (by the echoed ``seq``) and every one before."""
        seq = payload.get("seq") if isinstance(payload, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool):
            seq = self._open[0][0] if self._open else None
        confirmed = None
        while self._open and seq is not None and self._open[0][0] <= seq:
            confirmed = self._open.popleft()[1]
        if confirmed is not None and confirmed > self.confirmed:
            self.confirmed = confirmed
            self._notify()

    def due(self) -> str | None:
        """What the keep-alive must do now: ``"ping"``, ``"close"`` or nothing."""
        now = time.monotonic()
        if self._open and now - self._open[0][2] >= self.keepalive:
            return "close"
        if not self._open and now - self._last_ping >= self.keepalive:
            return "ping"
        return None

    def close(self, code: str, reason: str) -> None:
        """End every subscription of the connection, each with its position to resume after."""
        if self._closing is None:
            self._closing = (code, reason)
            self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, None
        if changed is not None and not changed.done():
            changed.set_result(None)


CLOSE_GRACE = 2.0
"""Seconds a closing connection waits for its subscriptions to send their last message."""


class ConfirmingTransport:
    """Mixin for the graphql-transport-ws handler (before strawberry's
    ``BaseGraphQLTransportWSHandler``): feeds the connection's ``Confirmations`` from its
    pongs and results, runs the keep-alive, and closes a connection's subscriptions each
    with its position before the socket (``close_subscriptions``)."""

    _keepalive: asyncio.Task[None] | None = None

    def _confirmations(self) -> Confirmations | None:
        return getattr(getattr(self, "context", None), "confirmations", None)

    async def handle_pong(self, message: Any) -> None:
        confirmations = self._confirmations()
        if confirmations is not None:
            confirmations.pong(message.get("payload") if isinstance(message, dict) else None)
        await super().handle_pong(message)  # type: ignore[misc]

    def start_keepalive(self) -> None:
        """Once the connection is acknowledged: ping a quiet client, close a silent one."""
        confirmations = self._confirmations()
        if confirmations is not None and self._keepalive is None:
            self._keepalive = asyncio.create_task(self._keep_alive(confirmations))

    async def _keep_alive(self, confirmations: Confirmations) -> None:
        handler: Any = self
        tick = min(1.0, confirmations.keepalive / 4)
        while True:
            await asyncio.sleep(tick)
            due = confirmations.due()
            if due == "ping":
                try:
                    await handler.send_message(confirmations.ping())
                except Exception:
                    return
            elif due == "close":
                await self.close_subscriptions(KEEPALIVE_TIMEOUT, KEEPALIVE_REASON,
                                               1011, "keepalive ping timeout")
                return

    async def result_sent(self) -> None:
        """After each ``next``: count it, and ask for a confirmation when one is due."""
        confirmations = self._confirmations()
        if confirmations is not None and confirmations.result_sent():
            await self.send_message(confirmations.ping())  # type: ignore[attr-defined]

    async def close_subscriptions(self, code: str, reason: str, close_code: int,
                                  close_reason: str) -> None:
        """Every subscription ends with ``code`` and its position, then the socket closes.

        The subscriptions end between two deliveries (``projections.feed.live``), so each
        one's ``resumeAfter`` is the last event its client was sent; they get
        ``CLOSE_GRACE`` seconds to send that, which a client that reads nothing may not
        take (then it resumes from its own last position)."""
        handler: Any = self
        current = asyncio.current_task()
        tasks = [op.task for op in handler.operations.values()
                 if op.task is not None and op.task is not current and not op.task.done()]
        confirmations = self._confirmations()
        if confirmations is not None:
            confirmations.close(code, reason)
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_GRACE)
        with contextlib.suppress(Exception):
            await handler.websocket.close(code=close_code, reason=close_reason)

    async def shutdown(self) -> None:
        if self._keepalive is not None and self._keepalive is not asyncio.current_task():
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive
        await super().shutdown()  # type: ignore[misc]

"""One LISTEN connection per process, fanned out to everything that waits for new events.

Appends send ``NOTIFY grassroots_events, '<last position>'`` inside their transaction,
so the notification arrives after the events are visible. Waiters also time out and
poll, so a notification lost with a dropped connection only delays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "grassroots_events"
"""The channel appends notify (``eventstore.postgres``). Defined here, which imports no
other part of the event store, so the store may depend on the integrity package (append
authenticators) while the hasher listens here, without an import cycle."""


class LogNotifier:
    """Tracks the highest log position announced and wakes waiters when it grows."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.latest = 0
        # Set and replaced on every announcement: a waiter takes the current event after
        # checking ``latest``, with no await in between, so no announcement is missed.
        # (A Condition would need its lock, and so a task per NOTIFY.)
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="log-notifier")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                conn = await asyncpg.connect(self.dsn)
                try:
                    await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                    self._connected.set()
                    delay = 0.1
                    # Anything appended while we were disconnected: wake everyone once.
                    await self.announce(await conn.fetchval("SELECT coalesce(max(position), 0) FROM events"))
                    # asyncpg has no awaitable for a dropped connection; check it every second.
                    while not conn.is_closed():  # noqa: ASYNC110
                        await asyncio.sleep(1)
                finally:
                    with contextlib.suppress(Exception):
                        await conn.close()
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("log listener lost its connection (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._announce(int(payload))

    def _announce(self, position: int) -> None:
        if position > self.latest:
            self.latest = position
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def announce(self, position: int) -> None:
        """Record that the log reached ``position`` and wake every waiter."""
        self._announce(position)

    async def wait_beyond(self, position: int, timeout: float) -> int:  # noqa: ASYNC109 - answers, never raises
        """Wait until a position above ``position`` is announced, or ``timeout`` passes."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.latest <= position:
                    await self._changed.wait()
        return self.latest

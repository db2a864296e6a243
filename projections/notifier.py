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

from eventstore.postgres import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class LogNotifier:
    """Tracks the highest log position announced and wakes waiters when it grows."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.latest = 0
        self._changed = asyncio.Condition()
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
                    while not conn.is_closed():
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
        asyncio.get_running_loop().create_task(self.announce(int(payload)))

    async def announce(self, position: int) -> None:
        async with self._changed:
            if position > self.latest:
                self.latest = position
            self._changed.notify_all()

    async def wait_beyond(self, position: int, timeout: float) -> int:
        """Wait until a position above ``position`` is announced, or ``timeout`` passes."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.latest > position), timeout
                )
            return self.latest

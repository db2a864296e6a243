"""A projection process for the crash test: ``python -m tests.integration.projection_worker DSN``.

It runs the ``ticks`` projection (see ``ticks_projection``) under the real
``ProjectionRunner`` (the runner the server runs, here a runner of one) with small
pages and a slow handler, and reports on stdout:

- ``active``            the runner holds the projection's advisory lock
- ``event <position>``  the handler applied an event (inside the page's transaction)
- ``committed <pos>``   the runner's position moved to ``pos`` (after a page committed)
- ``stalled <pos>``     the handler applied the event at ``pos`` and now holds the
                        page's transaction open, never to commit it

Once sent SIGUSR1 it stalls as soon as it has applied ``STALL_INTO`` events of the
current page, so a SIGKILL then lands in the middle of a page for certain.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable

import asyncpg

from domain.shared.ports import RecordedEvent
from eventstore.notifier import LogNotifier
from projections.runtime.base import Projection
from projections.runtime.runner import ProjectionRunner

NAME = "ticks"
PAGE_SIZE = 50
DELAY = 0.002
STALL_INTO = 10
TABLE_DDL = "CREATE TABLE applied (position bigint PRIMARY KEY, times int NOT NULL)"
TICK = "Test.Ticked"


def ticks_projection(
    on_event: Callable[[RecordedEvent], Awaitable[None]] | None = None,
) -> Projection:
    """Counts how many times each event was applied, in the table ``applied``."""
    projection = Projection(NAME, ("applied",))

    @projection.on(TICK)
    async def ticked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
        await conn.execute(
            "INSERT INTO applied (position, times) VALUES ($1, 1)"
            " ON CONFLICT (position) DO UPDATE SET times = applied.times + 1",
            e.position,
        )
        if on_event is not None:
            await on_event(e)

    return projection


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(dsn: str) -> None:
    notifier = LogNotifier(dsn)
    await notifier.start()
    stall = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, stall.set)
    in_page = 0  # events applied since the last commit

    async def applied(e: RecordedEvent) -> None:
        nonlocal in_page
        in_page += 1
        _say(f"event {e.position}")
        if stall.is_set() and in_page >= STALL_INTO:
            _say(f"stalled {e.position}")
            await asyncio.Event().wait()  # the page's transaction stays open until the kill
        await asyncio.sleep(DELAY)

    def progressed() -> None:
        nonlocal in_page
        in_page = 0
        _say(f"committed {runner.state.position}")

    runner = ProjectionRunner(dsn, ticks_projection(applied), notifier, page_size=PAGE_SIZE,
                              on_progress=progressed)
    task = asyncio.create_task(runner.run())
    while not runner.state.active and not task.done():
        await asyncio.sleep(0.01)
    _say("active")
    await task


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

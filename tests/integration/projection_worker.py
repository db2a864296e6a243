"""A projection process for the crash test: ``python -m tests.integration.projection_worker DSN``.

It runs the ``ticks`` projection (see ``ticks_projection``) under a real
``ProjectionRunner`` with small pages and a slow handler, and reports on stdout:

- ``active``            the runner holds the projection's advisory lock
- ``event <position>``  the handler applied an event (inside the page's transaction)
- ``committed <pos>``   a page committed and the tracking position moved to ``pos``

The test SIGKILLs it in the middle of a page.
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from domain.shared.ports import RecordedEvent
from eventstore.notifier import LogNotifier
from projections.runtime.base import Projection
from projections.runtime.runner import ProjectionRunner

NAME = "ticks"
PAGE_SIZE = 50
DELAY = 0.002
TABLE_DDL = "CREATE TABLE applied (position bigint PRIMARY KEY, times int NOT NULL)"
TICK = "Test.Ticked"


def ticks_projection(delay: float = 0.0, on_event: object = None) -> Projection:
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
            on_event(e)  # type: ignore[operator]
        if delay:
            await asyncio.sleep(delay)

    return projection


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(dsn: str) -> None:
    notifier = LogNotifier(dsn)
    await notifier.start()
    projection = ticks_projection(DELAY, lambda e: _say(f"event {e.position}"))
    runner = ProjectionRunner(
        dsn, projection, notifier, page_size=PAGE_SIZE,
        on_progress=lambda _name, position: _say(f"committed {position}"),
    )
    task = asyncio.create_task(runner.run())
    while not runner.state.active and not task.done():
        await asyncio.sleep(0.01)
    _say("active")
    await task


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

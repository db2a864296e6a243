"""Projections run together in one ``ProjectionRunner`` keep each projection's guarantees.

That is how the server runs them (``Supervisor``): exactly once, one active runner per
projection across processes, and a loud stop that stops only the projection that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg

from domain.shared.ports import RecordedEvent
from eventstore.notifier import LogNotifier
from projections.runtime.base import Projection
from projections.runtime.runner import ProjectionRunner
from tests.integration.support import OTHER, TICK, append_events, tracking, wait_until


def counting(name: str, *event_types: str, fail_at: int = -1) -> Projection:
    """Counts applications of each event in ``<name>_applied``; cannot apply ``fail_at``."""
    projection = Projection(name, (f"{name}_applied",))

    @projection.on(*event_types)
    async def applied(conn: asyncpg.Connection, e: RecordedEvent) -> None:
        if e.position == fail_at:
            raise ValueError(f"cannot apply {e.position}")
        await conn.execute(
            f"INSERT INTO {name}_applied (position, times) VALUES ($1, 1)"
            f" ON CONFLICT (position) DO UPDATE SET times = {name}_applied.times + 1",
            e.position,
        )

    return projection


async def _tables(pool: asyncpg.Pool, *names: str) -> None:
    for name in names:
        await pool.execute(
            f"CREATE TABLE {name}_applied (position bigint PRIMARY KEY, times int NOT NULL)")


class Running:
    """A runner of several projections in its own task, as in one API process."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner
        self.tracked = runner.tracked
        self.task = asyncio.create_task(runner.run())

    async def stop(self) -> None:
        """Stop as a process exit would: its connection, and so its locks, go away."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@contextlib.asynccontextmanager
async def running(dsn: str, *projections: Projection, page_size: int = 1000
                  ) -> AsyncIterator[Running]:
    notifier = LogNotifier(dsn)
    await notifier.start()
    run = Running(ProjectionRunner(dsn, projections, notifier, page_size=page_size))
    try:
        yield run
    finally:
        await run.stop()
        await notifier.stop()


def reached(group: Running, position: int) -> bool:
    return all(t.state.active and t.state.position >= position for t in group.tracked.values())


async def _applied(pool: asyncpg.Pool, name: str) -> list[tuple[int, int]]:
    return [tuple(r) for r in await pool.fetch(
        f"SELECT position, times FROM {name}_applied ORDER BY position")]


async def test_a_group_applies_each_event_once_to_each_projection_of_its_types(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await _tables(pool, "ticks", "others", "both")
    await append_events(pool, 25, TICK)
    async with running(dsn, counting("ticks", TICK), counting("others", OTHER),
                       counting("both", TICK, OTHER), page_size=7) as group:
        writers = [append_events(pool, 40, TICK if i % 2 else OTHER, batch=3) for i in range(4)]
        await asyncio.gather(*writers)
        last = await append_events(pool, 2, OTHER)
        await wait_until(lambda: reached(group, last), 20, "the group to catch up")

    ticks = [r["position"] for r in await pool.fetch(
        "SELECT position FROM events WHERE event_type = $1 ORDER BY position", TICK)]
    others = [r["position"] for r in await pool.fetch(
        "SELECT position FROM events WHERE event_type = $1 ORDER BY position", OTHER)]
    assert await _applied(pool, "ticks") == [(p, 1) for p in ticks]
    assert await _applied(pool, "others") == [(p, 1) for p in others]
    assert await _applied(pool, "both") == [(p, 1) for p in sorted(ticks + others)]
    for name in ("ticks", "others", "both"):
        assert (await tracking(pool, name))["position"] == last


async def test_a_failing_projection_stops_alone_and_the_others_go_on(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await _tables(pool, "steady", "fragile")
    first = await append_events(pool, 10, TICK)
    bad = first - 4
    async with running(dsn, counting("steady", TICK), counting("fragile", TICK, fail_at=bad),
                       page_size=3) as group:
        fragile = group.tracked["fragile"].state
        await wait_until(lambda: fragile.failed, 10, "the fragile projection to stop")
        later = await append_events(pool, 5, TICK)
        await wait_until(lambda: group.tracked["steady"].state.position >= later, 10,
                         "the steady projection to go on")
        assert fragile.failed and f"cannot apply {bad}" in (fragile.last_error or "")

    row = await tracking(pool, "fragile")
    assert (row["status"], row["failed_position"]) == ("FAILED", bad)
    assert row["position"] < bad
    # Nothing at or after the bad event was applied, nothing before it was skipped.
    fragile_seen = [p for p, _ in await _applied(pool, "fragile")]
    assert fragile_seen == [p for p in range(1, row["position"] + 1)]
    assert [p for p, _ in await _applied(pool, "steady")] == list(range(1, later + 1))


async def test_a_second_group_stands_by_and_takes_over_when_the_first_stops(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await _tables(pool, "ticks", "others")
    await append_events(pool, 5, TICK)
    projections = (counting("ticks", TICK), counting("others", OTHER))
    async with running(dsn, *projections) as first:
        await wait_until(lambda: reached(first, 5), 10, "the first group to catch up")
        async with running(dsn, *projections) as second:
            await asyncio.sleep(1.5)  # more than one lock retry
            assert not any(t.state.active for t in second.tracked.values())
            last = await append_events(pool, 5, OTHER)
            await wait_until(lambda: reached(first, last), 10, "the first group to go on")
            # The first "process" stops; the standby takes over within a lock retry.
            await first.stop()
            newer = await append_events(pool, 5, TICK)
            await wait_until(lambda: reached(second, newer), 10, "the second group to take over")
    assert [t for _, t in await _applied(pool, "ticks")] == [1] * 10
    assert [t for _, t in await _applied(pool, "others")] == [1] * 5

"""A projection stops loudly on an event it cannot apply, and never skips it.

Also: ``Supervisor.wait_for`` answers promptly once the runners reach a position, both
when the runners live in its own process and when only their tracking rows tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg

from api.areas import PROJECTIONS
from domain.shared.ports import RecordedEvent
from eventstore.notifier import LogNotifier
from projections.runtime.base import Projection
from projections.runtime.rebuild import rebuild
from projections.runtime.runner import ProjectionRunner
from projections.runtime.supervisor import Supervisor
from tests.integration.support import (
    OTHER,
    TICK,
    append_events,
    build_world,
    catch_up,
    commands,
    head,
    req,
    tracking,
    wait_until,
)

PAGE = 10


class Boom(Exception):
    pass


def fragile_projection(bad_position: int) -> Projection:
    """Records each event it sees in ``seen``; cannot apply the event at ``bad_position``."""
    projection = Projection("fragile", ("seen",))

    @projection.on(TICK)
    async def ticked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
        await conn.execute("INSERT INTO seen (position) VALUES ($1)", e.position)
        if e.position == bad_position:
            raise Boom(f"cannot digest tick {e.position}")

    return projection


async def run_until_failed(runner: ProjectionRunner, timeout: float = 15.0) -> None:
    """Run ``runner`` until it reports a failure, then cancel it."""
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(timeout):
            while not runner.state.failed:
                assert not task.done(), task
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # give it the chance to (wrongly) apply more
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_handler_error_stops_the_runner_before_the_event(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await pool.execute("CREATE TABLE seen (position bigint PRIMARY KEY)")
    await append_events(pool, 60, TICK)
    ticks = [r["position"] for r in await pool.fetch(
        "SELECT position FROM events WHERE event_type = $1 ORDER BY position", TICK)]
    bad = ticks[34]  # in the middle of the fourth page of ten
    await append_events(pool, 5, OTHER)

    notifier = LogNotifier(dsn)
    await notifier.start()
    try:
        runner = ProjectionRunner(dsn, fragile_projection(bad), notifier, page_size=PAGE)
        # The runner stops applying and stands by until a rebuild clears the failure.
        await run_until_failed(runner)

        assert runner.state.failed
        assert "cannot digest tick" in (runner.state.last_error or "")

        row = await tracking(pool, "fragile")
        assert row["status"] == "FAILED"
        assert "cannot digest tick" in row["last_error"]
        assert "Boom" in row["last_error"]
        assert str(bad) in row["last_error"]
        assert row["failed_position"] == bad
        assert row["failed_at"] is not None
        # The pages before the bad one committed; the bad page rolled back as a whole.
        assert row["position"] == ticks[29]
        assert row["position"] < bad
        seen = [r["position"] for r in await pool.fetch("SELECT position FROM seen ORDER BY 1")]
        assert seen == ticks[:30]

        # More events do not wake it, and a new runner sees FAILED and stays stopped.
        await append_events(pool, 5, TICK)
        again = ProjectionRunner(dsn, fragile_projection(bad), notifier, page_size=PAGE)
        await run_until_failed(again)
        assert again.state.failed and again.state.position == ticks[29]
        assert "cannot digest tick" in (again.state.last_error or "")
        row = await tracking(pool, "fragile")
        assert (row["status"], row["position"]) == ("FAILED", ticks[29])
        assert row["failed_position"] == bad
        assert await pool.fetchval("SELECT count(*) FROM seen") == 30
    finally:
        await notifier.stop()


async def test_database_error_in_a_handler_also_stops_it(dsn: str, pool: asyncpg.Pool) -> None:
    """A handler's SQL error (not a lost connection) is the event's fault: stop, don't retry."""
    await pool.execute("CREATE TABLE seen (position bigint PRIMARY KEY)")
    await append_events(pool, 20, TICK)
    ticks = [r["position"] for r in await pool.fetch("SELECT position FROM events ORDER BY 1")]
    await pool.execute("INSERT INTO seen VALUES ($1)", ticks[12])  # a duplicate key ahead

    projection = Projection("dup", ("seen",))

    @projection.on(TICK)
    async def ticked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
        await conn.execute("INSERT INTO seen (position) VALUES ($1)", e.position)

    notifier = LogNotifier(dsn)
    await notifier.start()
    try:
        runner = ProjectionRunner(dsn, projection, notifier, page_size=5)
        await run_until_failed(runner)
    finally:
        await notifier.stop()
    row = await tracking(pool, "dup")
    assert row["status"] == "FAILED"
    assert row["failed_position"] == ticks[12]
    assert row["position"] == ticks[9]
    assert "UniqueViolation" in row["last_error"] or "duplicate key" in row["last_error"]


async def test_supervisor_wait_for_returns_promptly(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    try:
        await wait_until(lambda: supervisor.local_position() is not None, 10,
                         "all runners to become active")
        # An idle log: already there.
        started = time.monotonic()
        assert await supervisor.wait_for(0, timeout=5) >= 0
        assert time.monotonic() - started < 0.5

        await build_world(cmds)
        target = await head(pool)
        started = time.monotonic()
        reached = await supervisor.wait_for(target, timeout=10)
        elapsed = time.monotonic() - started
        assert reached >= target
        assert elapsed < 2.0, f"wait_for took {elapsed:.2f}s"
        for name in PROJECTIONS:
            assert (await tracking(pool, name))["position"] == target

        # One more command: woken by NOTIFY, not by the one-second poll.
        outcome = await cmds.rename_organization(
            req(), await pool.fetchval("SELECT id FROM organizations LIMIT 1"), "新的名字")
        await wait_until(lambda: supervisor.notifier.latest >= outcome.position, 0.5,
                         "the NOTIFY of the append to arrive")
        started = time.monotonic()
        assert await supervisor.wait_for(outcome.position, timeout=10) >= outcome.position
        assert time.monotonic() - started < 0.9
        assert await pool.fetchval(
            "SELECT count(*) FROM organizations WHERE name = '新的名字'") == 1

        # A position nobody reaches: bounded by the timeout, answers what was reached.
        started = time.monotonic()
        reached = await supervisor.wait_for(outcome.position + 1000, timeout=0.5)
        elapsed = time.monotonic() - started
        assert reached == outcome.position
        assert 0.4 <= elapsed < 1.5

        # Runners in another "process": a supervisor without runners polls tracking rows.
        observer = Supervisor(dsn, pool, PROJECTIONS, run_projections=False)
        await observer.start()
        try:
            assert observer.local_position() is None
            outcome = await cmds.rename_organization(
                req(), await pool.fetchval("SELECT id FROM organizations LIMIT 1"),
                "又一个名字")
            started = time.monotonic()
            assert await observer.wait_for(outcome.position, timeout=10) >= outcome.position
            assert time.monotonic() - started < 1.5
            assert await observer.position() >= outcome.position
            started = time.monotonic()
            assert await observer.wait_for(outcome.position + 1000, timeout=0.3) == outcome.position
            assert time.monotonic() - started < 1.0
        finally:
            await observer.stop()
    finally:
        await supervisor.stop()
    assert all(not s.active for s in supervisor.states())


async def test_supervisor_wait_for_does_not_hang_when_a_runner_failed(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await pool.execute("CREATE TABLE seen (position bigint PRIMARY KEY)")
    last = await append_events(pool, 20, TICK)
    supervisor = Supervisor(dsn, pool, {"fragile": fragile_projection(last - 3)})
    await supervisor.start()
    try:
        await wait_until(lambda: supervisor.states()[0].failed, 10, "the runner to fail")
        started = time.monotonic()
        reached = await supervisor.wait_for(last, timeout=0.5)
        assert reached < last - 3
        assert time.monotonic() - started < 1.5
    finally:
        await supervisor.stop()
    task_states = supervisor.states()
    assert task_states[0].failed and "cannot digest tick" in (task_states[0].last_error or "")


async def test_supervisor_position_counts_a_projection_without_tracking_row_as_zero(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await build_world(commands(pool))
    target = await head(pool)
    # Only the organizations runner has ever run; members and transfers never started.
    await catch_up(dsn, PROJECTIONS["organizations"])
    assert await pool.fetchval("SELECT count(*) FROM members") == 0
    observer = Supervisor(dsn, pool, PROJECTIONS, run_projections=False)
    await observer.start()
    try:
        assert await observer.position() == 0
        # So read-your-writes would claim the members table reflects ``target``.
        assert await observer.wait_for(target, timeout=0.3) < target
    finally:
        await observer.stop()


async def test_a_stopped_runner_resumes_after_a_rebuild_clears_the_failure(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await pool.execute("CREATE TABLE seen (position bigint PRIMARY KEY)")
    last = await append_events(pool, 20, TICK)
    supervisor = Supervisor(dsn, pool, {"fragile": fragile_projection(last - 3)})
    await supervisor.start()
    try:
        await wait_until(lambda: supervisor.states()[0].failed, 10, "the runner to fail")
        # The operator fixes the cause (here: a handler that no longer fails) and rebuilds,
        # e.g. with ``grassroots rebuild`` from another process.
        await rebuild(dsn, fragile_projection(-1))
        assert (await tracking(pool, "fragile"))["status"] == "RUNNING"
        later = await append_events(pool, 5, TICK)
        assert await supervisor.wait_for(later, timeout=3) >= later
    finally:
        await supervisor.stop()

"""Exactly once across a crash in the middle of a page.

A worker process runs a counting projection under the server's ``ProjectionRunner``
with small, slow pages; the test has it stall with a page half applied and kills it
with SIGKILL. What survives must be exactly the events up to the position the database
says committed, each applied once, and nothing beyond it. A restarted worker then
applies exactly the events above that position: every event once, the tracking
position at the head.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

import asyncpg

from eventstore.notifier import LogNotifier
from projections.runtime.runner import ProjectionRunner
from tests.integration import projection_worker as worker
from tests.integration.support import OTHER, TICK, append_events, cancel, head, tracking, wait_until

ROOT = Path(__file__).resolve().parents[3]
TICKS = 3000


class Worker:
    """A worker process and the lines it has reported so far."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.lines: list[str] = []
        self.events: list[int] = []
        """Positions the handler applied, in order (committed or not)."""
        self.committed = 0
        self.stalled = 0
        self._task = asyncio.create_task(self._read(proc.stdout))

    @classmethod
    async def start(cls, dsn: str) -> Worker:
        return cls(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.projection_worker", dsn,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        ))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode().strip()
            self.lines.append(text)
            word, _, value = text.partition(" ")
            if word == "committed":
                self.committed = int(value)
            elif word == "event":
                self.events.append(int(value))
            elif word == "stalled":
                self.stalled = int(value)

    async def kill(self) -> int:
        """SIGKILL it; return its exit status once every line it wrote has been read."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        status = await asyncio.wait_for(self.proc.wait(), 10)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, 5)
        return status


async def _applied(pool: asyncpg.Pool) -> list[tuple[int, int]]:
    return [tuple(r) for r in await pool.fetch("SELECT position, times FROM applied ORDER BY 1")]


async def test_exactly_once_across_sigkill_mid_page(dsn: str, pool: asyncpg.Pool) -> None:
    await pool.execute(worker.TABLE_DDL)
    await append_events(pool, TICKS, TICK)
    await append_events(pool, 25, OTHER)  # the log ends with events the projection ignores
    log_head = await head(pool)
    tick_positions = [r["position"] for r in await pool.fetch(
        "SELECT position FROM events WHERE event_type = $1 ORDER BY position", TICK)]
    assert len(tick_positions) == TICKS

    workers = [first := await Worker.start(dsn)]
    notifier = LogNotifier(dsn)
    await notifier.start()
    try:
        await wait_until(lambda: "active" in first.lines, 30, "the worker to start")

        # One active runner per projection: a second runner stands by while the worker lives.
        standby = ProjectionRunner(dsn, worker.ticks_projection(), notifier, page_size=500)
        standby_task = asyncio.create_task(standby.run())
        progress_before = len(first.events)
        await asyncio.sleep(1.5)
        assert not standby.state.active, "a second runner became active beside the worker"
        assert len(first.events) > progress_before, "the worker made no progress"
        await cancel(standby_task)

        # Kill it in the middle of a page: it holds the page's transaction open, applied
        # in part, until the kill.
        first.proc.send_signal(signal.SIGUSR1)
        await wait_until(lambda: first.stalled or first.proc.returncode is not None, 60,
                         "the worker to stall in the middle of a page")
        assert await first.kill() == -signal.SIGKILL
        assert first.stalled, "the worker ended before it was killed"

        # What survived is exactly the events up to the position the database committed.
        committed = (await tracking(pool, worker.NAME))["position"]
        assert first.committed <= committed < first.stalled < log_head
        uncommitted = [p for p in first.events if p > committed]
        assert len(uncommitted) >= worker.STALL_INTO, "the kill did not land inside a page"
        assert await _applied(pool) == [(p, 1) for p in tick_positions if p <= committed]

        # A restarted worker takes over (once the dead session's lock is gone) and applies
        # exactly the events above the committed position.
        workers.append(second := await Worker.start(dsn))
        await wait_until(
            lambda: _reached(pool, log_head) if second.proc.returncode is None else True, 60,
            "the restarted worker to reach the head")
        assert second.proc.returncode is None, second.lines
        await second.kill()
        assert second.events == [p for p in tick_positions if p > committed]
    finally:
        for w in workers:
            await w.kill()
        await notifier.stop()

    assert await _applied(pool) == [(p, 1) for p in tick_positions]
    row = await tracking(pool, worker.NAME)
    assert row["position"] == log_head
    assert row["status"] == "RUNNING" and row["last_error"] is None


async def _reached(pool: asyncpg.Pool, position: int) -> bool:
    return bool((await tracking(pool, worker.NAME))["position"] >= position)

"""Exactly once across a crash in the middle of a page.

A worker process runs a counting projection with small, slow pages; the test kills it
with SIGKILL while a page is half applied, then lets a fresh runner finish. Every event
must have been applied exactly once, and the tracking position must reach the head.
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
from tests.integration.support import OTHER, TICK, append_events, cancel, head, wait_until

ROOT = Path(__file__).resolve().parents[3]
TICKS = 3000


class WorkerOutput:
    """Collects the worker's stdout lines as they arrive."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self.committed = 0
        self.last_event = 0
        self.max_event = 0
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode().strip()
            self.lines.append(text)
            word, _, value = text.partition(" ")
            if word == "committed":
                self.committed = int(value)
            elif word == "event":
                self.last_event = int(value)
                self.max_event = max(self.max_event, self.last_event)

    def mid_page(self, into: int) -> bool:
        """The worker has committed a page and applied ``into`` events of the next one."""
        return self.committed > 0 and self.last_event >= self.committed + into

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, 5)


async def test_exactly_once_across_sigkill_mid_page(dsn: str, pool: asyncpg.Pool) -> None:
    await pool.execute(worker.TABLE_DDL)
    await append_events(pool, TICKS, TICK)
    await append_events(pool, 25, OTHER)  # the log ends with events the projection ignores
    log_head = await head(pool)
    tick_positions = [r["position"] for r in await pool.fetch(
        "SELECT position FROM events WHERE event_type = $1 ORDER BY position", TICK)]
    assert len(tick_positions) == TICKS

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.projection_worker", dsn,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    out = WorkerOutput(proc.stdout)
    notifier = LogNotifier(dsn)
    await notifier.start()
    try:
        await wait_until(lambda: "active" in out.lines, 30, "the worker to start")

        # One active runner per projection: a second runner stands by while the worker lives.
        standby = ProjectionRunner(dsn, worker.ticks_projection(), notifier, page_size=500)
        standby_task = asyncio.create_task(standby.run())
        progress_before = out.max_event
        await asyncio.sleep(1.5)
        assert not standby.state.active, "a second runner became active beside the worker"
        assert out.max_event > progress_before, "the worker made no progress"
        await cancel(standby_task)

        await wait_until(lambda: out.mid_page(10), 60, "the worker to be in the middle of a page")
        proc.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(proc.wait(), 10) == -signal.SIGKILL
        await out.close()
        assert out.committed < log_head, "the worker finished before it was killed"

        # What survived the crash is exactly the committed pages.
        crashed_at = (await pool.fetchrow(
            "SELECT position FROM projection_tracking WHERE name = $1", worker.NAME))["position"]
        assert crashed_at == out.committed
        assert out.max_event > crashed_at, "the kill did not land inside a page"
        survived = await pool.fetch("SELECT position, times FROM applied ORDER BY position")
        assert [r["position"] for r in survived] == [p for p in tick_positions if p <= crashed_at]
        assert all(r["times"] == 1 for r in survived)

        # A fresh runner takes over (once the dead session's lock is gone) and finishes.
        fresh = ProjectionRunner(dsn, worker.ticks_projection(), notifier, page_size=500)
        fresh_task = asyncio.create_task(fresh.run())
        try:
            await wait_until(lambda: fresh.state.position >= log_head or fresh_task.done(), 60,
                             "the fresh runner to reach the head")
            assert not fresh_task.done(), fresh_task
            assert not fresh.state.failed, fresh.state.last_error
        finally:
            await cancel(fresh_task)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await notifier.stop()

    applied = await pool.fetch("SELECT position, times FROM applied ORDER BY position")
    assert [r["position"] for r in applied] == tick_positions
    assert {r["times"] for r in applied} == {1}
    row = await pool.fetchrow(
        "SELECT position, status, last_error FROM projection_tracking WHERE name = $1", worker.NAME)
    assert row["position"] == log_head
    assert row["status"] == "RUNNING" and row["last_error"] is None

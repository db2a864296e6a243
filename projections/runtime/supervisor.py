"""Runs every projection in this process and answers "has the read side reached P?"."""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg

from eventstore.notifier import LogNotifier
from projections.runtime.base import Projection
from projections.runtime.runner import ProjectionRunner, RunnerState, Tracked


class Supervisor:
    """Starts the notifier and the projections; tracks their positions.

    The projections run together in one ``ProjectionRunner`` (one connection, one
    transaction per wake-up for all); ``runners`` holds each projection and its state
    by name (the runner's ``tracked``).
    """

    def __init__(self, dsn: str, pool: asyncpg.Pool, projections: dict[str, Projection],
                 *, run_projections: bool = True) -> None:
        self.pool = pool
        self.notifier = LogNotifier(dsn)
        self.runner = ProjectionRunner(dsn, projections.values(), self.notifier,
                                       on_progress=self._on_progress)
        self.runners: dict[str, Tracked] = self.runner.tracked
        self.run_projections = run_projections
        self._tasks: list[asyncio.Task[None]] = []
        # Set and replaced whenever a projection moves (see LogNotifier for the pattern).
        self._progressed = asyncio.Event()

    async def start(self) -> None:
        await self.notifier.start()
        if self.run_projections and self.runners:
            self._tasks = [asyncio.create_task(self.runner.run(), name="projections")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.notifier.stop()

    def _on_progress(self) -> None:
        progressed, self._progressed = self._progressed, asyncio.Event()
        progressed.set()

    def states(self) -> list[RunnerState]:
        return self.runner.states()

    def local_position(self) -> int | None:
        """The position every projection has reached, if all are active in this process."""
        states = self.states()
        if not states or not all(s.active for s in states):
            return None
        return min(s.position for s in states)

    async def position(self) -> int:
        """The log position that all read models reflect."""
        local = self.local_position()
        if local is not None:
            return local
        # A projection without a tracking row yet counts as position 0, not as absent.
        value = await self.pool.fetchval(
            "SELECT coalesce(min(coalesce(t.position, 0)), 0) FROM unnest($1::text[]) AS n(name)"
            " LEFT JOIN projection_tracking t USING (name)",
            list(self.runners),
        )
        return int(value)

    async def wait_for(self, position: int, timeout: float) -> int:  # noqa: ASYNC109 - answers, never raises
        """Wait, bounded, until every read model reflects ``position``; return what they reach."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            local = self.local_position()
            if local is not None:
                if local >= position or remaining <= 0:
                    return local
                # Taken right after the check, with no await between: no progress is missed.
                progressed = self._progressed
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining, 0.25)):
                        await progressed.wait()
                continue
            # Runners live in another process: poll their tracking rows.
            reached = await self.position()
            if reached >= position or remaining <= 0:
                return reached
            await asyncio.sleep(min(remaining, 0.02))

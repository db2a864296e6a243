"""Several projections on one connection: one transaction per wake-up for all of them.

The service runs every projection in every API process. One ``ProjectionRunner`` per
projection would cost, for each appended command, one connection wake-up, one page
query and one durable commit per projection; with eight read models that was most of
a mutation's database work. ``RunnerGroup`` keeps each projection's guarantees and
shares the rest:

- One active runner per projection across processes: the group holds a session
  advisory lock per projection (the same key as ``ProjectionRunner``) and runs only
  the projections whose lock it holds; it retries the others every second, so
  projections can be split between processes.
- Exactly once across crashes: one transaction locks the tracking rows of the
  projections it runs, applies their pages and moves every tracking position, then
  commits. A crash anywhere rolls all of it back.
- One page query for all: the union of their event types from the lowest position;
  each projection applies the rows above its own position of the types it handles.
- Stops loudly, one projection at a time: an event a handler cannot apply rolls the
  transaction back, records the failure on that projection's tracking row, and the
  others go on without it until a rebuild clears the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

import asyncpg

from eventstore.db import init_connection
from eventstore.notifier import LogNotifier
from eventstore.postgres import EVENT_COLUMNS, row_to_event
from eventstore.reconnect import run_reconnecting
from projections.runtime.runner import _TRANSIENT, ProjectionFailed, ProjectionRunner, lock_key

log = logging.getLogger(__name__)

_LOCK_ROWS = (
    "SELECT t.name, t.position, (SELECT coalesce(max(position), 0) FROM events) AS head"
    " FROM projection_tracking t WHERE t.name = ANY($1::text[]) ORDER BY t.name FOR UPDATE"
)
_MOVE = (
    "UPDATE projection_tracking t SET position = m.position, updated_at = now()"
    " FROM unnest($1::text[], $2::bigint[]) AS m(name, position)"
    " WHERE t.name = m.name AND t.position <> m.position"
)
_TRACK = (
    "INSERT INTO projection_tracking (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING"
)
LOCK_RETRY = 1.0
FAILED_POLL = 2.0


class RunnerGroup:
    """Keeps several projections up to date with the log over one connection."""

    def __init__(
        self, dsn: str, runners: Sequence[ProjectionRunner], notifier: LogNotifier, *,
        page_size: int = 1000, on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.dsn = dsn
        self.runners = {r.projection.name: r for r in runners}
        self.notifier = notifier
        self.page_size = page_size
        self.on_progress = on_progress

    async def run(self) -> None:
        """Run until cancelled; reconnect with back-off when the connection is lost."""
        # Any other error is not an event's fault (those stop their projection inside
        # step) nor a lost connection: never let the one task of every projection die.
        await run_reconnecting(self._run_connected, "projection group", (*_TRANSIENT, Exception), log)

    async def _run_connected(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await init_connection(conn)
            await conn.execute(_TRACK, list(self.runners))
            next_lock_try = next_failed_poll = 0.0
            while True:
                now = time.monotonic()
                if now >= next_lock_try and not all(r.state.active for r in self.runners.values()):
                    await self._take_locks(conn)
                    next_lock_try = now + LOCK_RETRY
                if now >= next_failed_poll and any(r.state.failed for r in self._held()):
                    await self._check_cleared(conn)
                    next_failed_poll = now + FAILED_POLL
                running = [r for r in self._held() if not r.state.failed]
                if running and await self.step(conn, running):
                    continue
                behind = min((r.state.position for r in running), default=None)
                if behind is None:
                    await asyncio.sleep(LOCK_RETRY)
                else:
                    await self.notifier.wait_beyond(behind, timeout=LOCK_RETRY)
        finally:
            for r in self.runners.values():
                r.state.active = False
            with contextlib.suppress(Exception):
                await conn.close()

    def _held(self) -> list[ProjectionRunner]:
        return [r for r in self.runners.values() if r.state.active]

    async def _take_locks(self, conn: asyncpg.Connection) -> None:
        missing = [r for r in self.runners.values() if not r.state.active]
        rows = await conn.fetch(
            "SELECT n.name, pg_try_advisory_lock(n.key) AS held, t.position, t.status, t.last_error"
            " FROM unnest($1::text[], $2::bigint[]) AS n(name, key)"
            " JOIN projection_tracking t USING (name)",
            [r.projection.name for r in missing], [lock_key(r.projection.name) for r in missing],
        )
        for row in rows:
            if not row["held"]:
                continue  # another process runs it; stand by
            state = self.runners[row["name"]].state
            state.active, state.position = True, row["position"]
            if row["status"] == "FAILED":
                # Stay stopped (never skip) until a rebuild clears the failure.
                state.failed, state.last_error = True, row["last_error"]
                log.error("projection %s is stopped: %s", state.name, row["last_error"])
        if any(row["held"] for row in rows):
            self._progress()

    async def _check_cleared(self, conn: asyncpg.Connection) -> None:
        failed = [r for r in self._held() if r.state.failed]
        rows = await conn.fetch(
            "SELECT name, position FROM projection_tracking"
            " WHERE name = ANY($1::text[]) AND status <> 'FAILED'",
            [r.projection.name for r in failed],
        )
        for row in rows:
            state = self.runners[row["name"]].state
            state.failed, state.last_error, state.position = False, None, row["position"]

    async def step(self, conn: asyncpg.Connection, running: Sequence[ProjectionRunner]) -> int:
        """Apply one page to each of ``running``; return how many moved (0: all caught up)."""
        try:
            async with conn.transaction():
                rows = await conn.fetch(_LOCK_ROWS, [r.projection.name for r in running])
                if len(rows) < len(running):  # a tracking row went missing: start it at 0
                    await conn.execute(_TRACK, [r.projection.name for r in running])
                    return 1
                head = rows[0]["head"]
                before = {r["name"]: r["position"] for r in rows}
                behind = [r for r in running if before[r.projection.name] < head]
                for r in running:
                    r.state.position = before[r.projection.name]
                if not behind:
                    return 0
                after = await self._apply(conn, behind, before, head)
                await conn.execute(_MOVE, list(after), list(after.values()))
        except ProjectionFailed as exc:
            await self._record_failure(conn, exc)
            return 1
        for name, position in after.items():
            self.runners[name].state.position = position
        self._progress()
        return len(behind)

    async def _apply(
        self, conn: asyncpg.Connection, behind: Sequence[ProjectionRunner],
        before: dict[str, int], head: int,
    ) -> dict[str, int]:
        start = min(before[r.projection.name] for r in behind)
        if any(r.projection.all_events for r in behind):
            page = await conn.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2"
                " ORDER BY position LIMIT $3", start, head, self.page_size,
            )
        else:
            types = sorted({t for r in behind for t in r.projection.event_types})
            page = await conn.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2"
                " AND event_type = ANY($3::text[]) ORDER BY position LIMIT $4",
                start, head, types, self.page_size,
            )
        # A short page saw everything up to head; a full one, up to its last row.
        end = page[-1]["position"] if len(page) == self.page_size else head
        events = [row_to_event(row) for row in page]
        after: dict[str, int] = {}
        for r in behind:
            projection, position = r.projection, before[r.projection.name]
            for event in events:
                if event.position <= position or not (
                    projection.all_events or event.event_type in projection.handlers
                ):
                    continue
                try:
                    await projection.apply(conn, event)
                except _TRANSIENT:
                    raise
                except Exception as exc:
                    raise ProjectionFailed(projection.name, event, exc) from exc
            after[projection.name] = max(position, end)
        return after

    async def _record_failure(self, conn: asyncpg.Connection, exc: ProjectionFailed) -> None:
        log.error("%s", exc)
        state = self.runners[exc.name].state
        state.failed, state.last_error = True, str(exc)
        await conn.execute(
            "UPDATE projection_tracking SET status = 'FAILED', last_error = $2,"
            " failed_position = $3, failed_at = now() WHERE name = $1",
            exc.name, str(exc), exc.position,
        )
        self._progress()

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress()

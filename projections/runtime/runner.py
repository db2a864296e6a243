"""The projection runner: pages of events per transaction, tracked in the same transaction.

- Exactly once across crashes: a page's writes and the new tracking position commit
  together, so a crash anywhere rolls both back and the page is applied again.
- One active runner per projection, even across processes: the runner holds a session
  advisory lock on its own connection; other processes' runners wait on standby.
- Stops loudly: an event its handler cannot apply rolls the page back, records the
  error and the event's position in ``projection_tracking``, and the runner stops.
  Lost connections are not the event's fault; those are retried with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from domain.shared.ports import RecordedEvent
from eventstore.db import init_connection
from eventstore.notifier import LogNotifier
from eventstore.postgres import EVENT_COLUMNS, row_to_event
from projections.runtime.base import Projection

log = logging.getLogger(__name__)

_SELECT_PAGE = (
    f"SELECT {EVENT_COLUMNS}"
    " FROM events WHERE position > $1 AND position <= $2 AND event_type = ANY($3::text[])"
    " ORDER BY position LIMIT $4"
)
# For projections with ``all_events``: every event type, including ones added later.
_SELECT_PAGE_ALL = (
    f"SELECT {EVENT_COLUMNS}"
    " FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3"
)
_TRANSIENT = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
              asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CannotConnectNowError)


def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"projection:{name}".encode()).digest()[:8], "big", signed=True)


class ProjectionFailed(RuntimeError):
    """A handler could not apply an event; the projection stopped before it."""

    def __init__(self, name: str, event: RecordedEvent, error: BaseException) -> None:
        super().__init__(f"projection {name} failed at position {event.position} "
                         f"({event.event_type}): {error!r}")
        self.name = name
        self.position = event.position


async def ensure_tracking(conn: asyncpg.Connection, name: str) -> None:
    await conn.execute(
        "INSERT INTO projection_tracking (name) VALUES ($1) ON CONFLICT DO NOTHING", name
    )


async def apply_page(
    conn: asyncpg.Connection, projection: Projection, after: int, head: int, page_size: int,
    on_event: Callable[[RecordedEvent], None] | None = None,
) -> tuple[int, int]:
    """Apply one page of events in (after, head]; return (events applied, new position).

    Runs inside the caller's transaction. If the page is short, every event up to
    ``head`` has been seen, so the position moves to ``head`` even when the last
    events were of types this projection ignores.
    """
    if projection.all_events:
        rows = await conn.fetch(_SELECT_PAGE_ALL, after, head, page_size)
    else:
        rows = await conn.fetch(_SELECT_PAGE, after, head, projection.event_types, page_size)
    for row in rows:
        event = row_to_event(row)
        try:
            await projection.apply(conn, event)
        except _TRANSIENT:
            raise
        except Exception as exc:
            raise ProjectionFailed(projection.name, event, exc) from exc
        if on_event is not None:
            on_event(event)
    if len(rows) == page_size:
        return len(rows), rows[-1]["position"]
    return len(rows), head


@dataclass
class RunnerState:
    """What GraphQL and metrics show about one projection in this process."""

    name: str
    position: int = 0
    active: bool = False
    failed: bool = False
    last_error: str | None = None


class ProjectionRunner:
    """Keeps one projection up to date with the log."""

    def __init__(
        self, dsn: str, projection: Projection, notifier: LogNotifier, *,
        page_size: int = 1000, on_progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self.dsn = dsn
        self.projection = projection
        self.notifier = notifier
        self.page_size = page_size
        self.on_progress = on_progress
        self.state = RunnerState(projection.name)

    async def run(self) -> None:
        """Run until cancelled or until a handler fails."""
        delay = 0.1
        while True:
            try:
                await self._run_connected()
                return
            except _Stop:
                continue  # reconnect; it waits on standby until the failure is cleared
            except asyncio.CancelledError:
                raise
            except _TRANSIENT as exc:
                self.state.active = False
                log.warning("projection %s lost its connection (%s); retrying",
                            self.projection.name, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _run_connected(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await init_connection(conn)
            await ensure_tracking(conn, self.projection.name)
            # Polls a lock another process may hold: there is no in-process event to wait on.
            while not await conn.fetchval(  # noqa: ASYNC110
                "SELECT pg_try_advisory_lock($1)", lock_key(self.projection.name)
            ):
                await asyncio.sleep(1.0)  # another process runs it; stand by
            self.state.active = True
            row = await conn.fetchrow(
                "SELECT position, status, last_error FROM projection_tracking WHERE name = $1",
                self.projection.name,
            )
            self.state.position = row["position"]
            if row["status"] == "FAILED":
                self.state.failed, self.state.last_error = True, row["last_error"]
                log.error("projection %s is stopped: %s", self.projection.name, row["last_error"])
                # Stay stopped (never skip) until a rebuild clears the failure.
                # A rebuild in any process clears the failure in the table: poll it.
                while await conn.fetchval(  # noqa: ASYNC110
                    "SELECT status FROM projection_tracking WHERE name = $1", self.projection.name
                ) == "FAILED":
                    await asyncio.sleep(2.0)
                self.state.failed, self.state.last_error = False, None
                self.state.position = await conn.fetchval(
                    "SELECT position FROM projection_tracking WHERE name = $1", self.projection.name
                )
            self._progress()
            while True:
                applied = await self.step(conn)
                if applied == 0:
                    await self.notifier.wait_beyond(self.state.position, timeout=1.0)
        finally:
            self.state.active = False
            with contextlib.suppress(Exception):
                await conn.close()

    async def step(self, conn: asyncpg.Connection) -> int:
        """Apply one page; return how many events it applied (moving position counts as 1)."""
        name = self.projection.name
        try:
            async with conn.transaction():
                before = await conn.fetchval(
                    "SELECT position FROM projection_tracking WHERE name = $1 FOR UPDATE", name
                )
                head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
                if head <= before:
                    self.state.position = before
                    return 0
                applied, after = await apply_page(conn, self.projection, before, head, self.page_size)
                await conn.execute(
                    "UPDATE projection_tracking SET position = $2, updated_at = now()"
                    " WHERE name = $1",
                    name, after,
                )
        except ProjectionFailed as exc:
            await self._record_failure(conn, exc)
            raise _Stop from exc
        self.state.position = after
        self._progress()
        return max(applied, 1)

    async def _record_failure(self, conn: asyncpg.Connection, exc: ProjectionFailed) -> None:
        log.error("%s", exc)
        self.state.failed, self.state.last_error = True, str(exc)
        await conn.execute(
            "UPDATE projection_tracking SET status = 'FAILED', last_error = $2,"
            " failed_position = $3, failed_at = now() WHERE name = $1",
            self.projection.name, str(exc), exc.position,
        )

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.projection.name, self.state.position)


class _Stop(Exception):
    pass

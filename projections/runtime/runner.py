"""The projection runner: pages of events per transaction, tracked in the same transaction.

There is one runner. The server runs every projection in one ``ProjectionRunner`` (one
connection, one page query and one durable commit per wake-up for all of them, where a
runner per projection cost one of each per projection and command); a single projection
is a runner of one (the crash and stop-loudly tests, ``catch_up`` in the tests), and
``rebuild`` applies its pages with this module's ``apply_page``. Each projection keeps
its own guarantees:

- Exactly once across crashes: one transaction locks the tracking rows of the
  projections it runs, applies a page of events to each and moves every tracking
  position, then commits. A crash anywhere rolls all of it back; the page is applied
  again by whichever runner takes over.
- One page query for all: the union of their event types (every event, if one of them
  has ``all_events``) above the lowest position; each projection applies the rows above
  its own position of the types it handles. A short page has seen everything up to the
  head, so the positions move to the head even past events nobody handles.
- One active runner per projection, even across processes: the runner holds a session
  advisory lock per projection (``lock_key``) on its connection and runs only the
  projections whose lock it holds; it retries the others every second (standby), so
  projections can be split between processes.
- Stops loudly, one projection at a time, and never skips: an event a handler cannot
  apply rolls the transaction back, records the error and the event's position on that
  projection's tracking row, and the others go on without it. A stopped projection
  stays stopped, in this process and any other, until a rebuild clears the failure;
  the runner polls for that and then resumes from the rebuilt position.
- Lost connections are not an event's fault: the runner reconnects with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from domain.shared.ports import RecordedEvent
from eventstore.db import init_connection
from eventstore.notifier import LogNotifier
from eventstore.postgres import EVENT_COLUMNS, row_to_event
from eventstore.reconnect import run_reconnecting
from projections.runtime.base import Projection

log = logging.getLogger(__name__)

_TRANSIENT = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
              asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CannotConnectNowError)
_SELECT_PAGE = (
    f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2"
    " AND event_type = ANY($3::text[]) ORDER BY position LIMIT $4"
)
# For runs with an ``all_events`` projection: every event type, including ones added later.
_SELECT_PAGE_ALL = (
    f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2"
    " ORDER BY position LIMIT $3"
)
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
"""Seconds between tries for the locks of projections another process runs."""
FAILED_POLL = 2.0
"""Seconds between looks for a rebuild that cleared a stopped projection's failure."""


def lock_key(name: str) -> int:
    """The session advisory lock that makes one runner of ``name`` active."""
    return int.from_bytes(hashlib.sha256(f"projection:{name}".encode()).digest()[:8], "big", signed=True)


class ProjectionFailed(RuntimeError):
    """A handler could not apply an event; the projection stopped before it."""

    def __init__(self, name: str, position: int, event_type: str, error: BaseException) -> None:
        super().__init__(f"projection {name} failed at position {position} "
                         f"({event_type}): {error!r}")
        self.name = name
        self.position = position


@dataclass
class RunnerState:
    """What GraphQL and metrics show about one projection in this process."""

    name: str
    position: int = 0
    active: bool = False
    """This process holds the projection's advisory lock and runs it."""
    failed: bool = False
    last_error: str | None = None


@dataclass(eq=False)
class Tracked:
    """One projection of a runner, with what this process knows about it."""

    projection: Projection
    state: RunnerState


async def ensure_tracking(conn: asyncpg.Connection, *names: str) -> None:
    """Give each of ``names`` a tracking row (at position 0) unless it has one."""
    await conn.execute(_TRACK, list(names))


async def apply_page(
    conn: asyncpg.Connection, at: Sequence[tuple[Projection, int]], head: int, page_size: int,
) -> dict[str, int]:
    """Apply one page of the log up to ``head`` to each (projection, position) of ``at``.

    Reads at most ``page_size`` events above the lowest position, of the types any of
    them handles; each projection applies those above its own position. Returns each
    projection's new position: the last event read if the page was full, else ``head``.
    Runs inside the caller's transaction; raises ``ProjectionFailed`` (the caller rolls
    back) when a handler cannot apply an event, and lets lost connections through.
    """
    if not at:
        return {}
    start = min(position for _, position in at)
    if any(p.all_events for p, _ in at):
        rows = await conn.fetch(_SELECT_PAGE_ALL, start, head, page_size)
    else:
        types = sorted({t for p, _ in at for t in p.event_types})
        rows = await conn.fetch(_SELECT_PAGE, start, head, types, page_size)
    # A short page saw everything up to head; a full one, up to its last row.
    end = rows[-1]["position"] if len(rows) == page_size else head
    events: dict[int, RecordedEvent] = {}  # each row read into an event once, when needed
    after: dict[str, int] = {}
    for projection, position in at:
        for row in rows:
            if row["position"] <= position or not (
                projection.all_events or row["event_type"] in projection.handlers
            ):
                continue
            try:
                # An event that cannot even be read (say, an unknown schema version) is
                # one the projection cannot apply: it stops there too.
                event = events.get(row["position"])
                if event is None:
                    event = events[row["position"]] = row_to_event(row)
                await projection.apply(conn, event)
            except _TRANSIENT:
                raise
            except Exception as exc:
                raise ProjectionFailed(projection.name, row["position"], row["event_type"], exc) from exc
        after[projection.name] = max(position, end)
    return after


class ProjectionRunner:
    """Keeps one or more projections up to date with the log over one connection.

    ``tracked`` holds each projection and its ``RunnerState`` by name; ``state`` is the
    state of a runner's only projection. ``on_progress`` is called (with no arguments)
    whenever a state changes: after a page commits, a lock is taken or a projection
    stops. ``notifier`` wakes ``run`` on new events; it may be ``None`` for a runner
    driven through ``step`` alone.
    """

    def __init__(
        self, dsn: str, projections: Projection | Iterable[Projection],
        notifier: LogNotifier | None, *, page_size: int = 1000,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.dsn = dsn
        self.notifier = notifier
        self.page_size = page_size
        self.on_progress = on_progress
        if isinstance(projections, Projection):
            projections = (projections,)
        self.tracked: dict[str, Tracked] = {}
        for projection in projections:
            if projection.name in self.tracked:
                raise ValueError(f"projection {projection.name!r} given twice")
            self.tracked[projection.name] = Tracked(projection, RunnerState(projection.name))

    @property
    def state(self) -> RunnerState:
        """The state of the projection of a runner of one."""
        if len(self.tracked) != 1:
            raise TypeError(f"this runner runs {len(self.tracked)} projections: see tracked")
        return next(iter(self.tracked.values())).state

    def states(self) -> list[RunnerState]:
        return [t.state for t in self.tracked.values()]

    async def run(self) -> None:
        """Run until cancelled; reconnect with back-off when the connection is lost."""
        if self.notifier is None:
            raise ValueError("a running ProjectionRunner needs a LogNotifier")
        # Any other error is not an event's fault (those stop their projection inside
        # step) nor a lost connection: never let the one task of every projection die.
        await run_reconnecting(self._run_connected, "projection runner", (*_TRANSIENT, Exception), log)

    async def _run_connected(self) -> None:
        assert self.notifier is not None
        conn = await asyncpg.connect(self.dsn)
        try:
            await init_connection(conn)
            await ensure_tracking(conn, *self.tracked)
            next_lock_try = next_failed_poll = 0.0
            while True:
                now = time.monotonic()
                if now >= next_lock_try and not all(t.state.active for t in self.tracked.values()):
                    await self._take_locks(conn)
                    next_lock_try = now + LOCK_RETRY
                if now >= next_failed_poll and any(t.state.failed for t in self._held()):
                    await self._check_cleared(conn)
                    next_failed_poll = now + FAILED_POLL
                running = [t for t in self._held() if not t.state.failed]
                if running and await self.step(conn, running):
                    continue
                behind = min((t.state.position for t in running), default=None)
                if behind is None:
                    await asyncio.sleep(LOCK_RETRY)
                else:
                    await self.notifier.wait_beyond(behind, timeout=LOCK_RETRY)
        finally:
            for t in self.tracked.values():
                t.state.active = False
            with contextlib.suppress(Exception):
                await conn.close()

    def _held(self) -> list[Tracked]:
        return [t for t in self.tracked.values() if t.state.active]

    async def _take_locks(self, conn: asyncpg.Connection) -> None:
        missing = [t for t in self.tracked.values() if not t.state.active]
        rows = await conn.fetch(
            "SELECT n.name, pg_try_advisory_lock(n.key) AS held, t.position, t.status, t.last_error"
            " FROM unnest($1::text[], $2::bigint[]) AS n(name, key)"
            " JOIN projection_tracking t USING (name)",
            [t.projection.name for t in missing], [lock_key(t.projection.name) for t in missing],
        )
        for row in rows:
            if not row["held"]:
                continue  # another process runs it; stand by
            state = self.tracked[row["name"]].state
            state.active, state.position = True, row["position"]
            if row["status"] == "FAILED":
                # Stay stopped (never skip) until a rebuild clears the failure.
                state.failed, state.last_error = True, row["last_error"]
                log.error("projection %s is stopped: %s", state.name, row["last_error"])
        if any(row["held"] for row in rows):
            self._progress()

    async def _check_cleared(self, conn: asyncpg.Connection) -> None:
        """Resume the stopped projections whose failure a rebuild (in any process) cleared."""
        failed = [t for t in self._held() if t.state.failed]
        rows = await conn.fetch(
            "SELECT name, position FROM projection_tracking"
            " WHERE name = ANY($1::text[]) AND status <> 'FAILED'",
            [t.projection.name for t in failed],
        )
        for row in rows:
            state = self.tracked[row["name"]].state
            state.failed, state.last_error, state.position = False, None, row["position"]
        if rows:
            self._progress()

    async def step(self, conn: asyncpg.Connection, running: Sequence[Tracked] | None = None) -> int:
        """Apply one page to each of ``running``; return how many moved (0: all caught up).

        ``running`` defaults to every projection that has not stopped. ``step`` takes no
        advisory lock (``run`` does): only drive it directly where nothing else runs
        these projections.
        """
        if running is None:
            running = [t for t in self.tracked.values() if not t.state.failed]
        if not running:
            return 0
        names = [t.projection.name for t in running]
        try:
            async with conn.transaction():
                rows = await conn.fetch(_LOCK_ROWS, names)
                if len(rows) < len(running):  # a tracking row went missing: start it at 0
                    await ensure_tracking(conn, *names)
                    return 1
                head = rows[0]["head"]
                before = {r["name"]: r["position"] for r in rows}
                for t in running:
                    t.state.position = before[t.projection.name]
                behind = [t for t in running if before[t.projection.name] < head]
                if not behind:
                    return 0
                after = await apply_page(
                    conn, [(t.projection, before[t.projection.name]) for t in behind],
                    head, self.page_size,
                )
                await conn.execute(_MOVE, list(after), list(after.values()))
        except ProjectionFailed as exc:
            await self._record_failure(conn, exc)
            return 1
        for name, position in after.items():
            self.tracked[name].state.position = position
        self._progress()
        return len(behind)

    async def _record_failure(self, conn: asyncpg.Connection, exc: ProjectionFailed) -> None:
        log.error("%s", exc)
        state = self.tracked[exc.name].state
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

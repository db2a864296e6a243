"""The escalation sweep of residents' requests: overdue requests go to the next level by themselves.

``sweep`` reads the ``requests`` read model for requests whose current step is past its
deadline and not yet escalated for it (``due_at < now``, ``swept_due`` another), and runs the
system command ``EscalateOverdueRequest`` for each, as ``SYSTEM_ACTOR``: the domain decides
against the request's own stream (the read model may lag) and records ``Request.Escalated``
with ``automatic: true`` and the broken rule as its reason. Each escalation carries the
idempotency key ``escalate:<request>:<deadline>``, so two sweeps (or two processes, or a sweep
repeated after a crash) escalate a deadline once: the second finds the first's result.

``EscalationSweeper`` runs the sweep every ``GRASSROOTS_REQUEST_SWEEP_INTERVAL`` seconds in
``grassroots serve``, active in one process per database (a session advisory lock on its own
connection, as the witness publisher holds; the others stand by). ``grassroots requests
escalate`` runs one sweep. The clock is injected: tests pass their own.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from uuid import uuid4

import asyncpg

from domain.requests.commands import EscalateOverdueRequest
from domain.requests.errors import NotYourStep
from domain.shared.commands import Request
from domain.shared.errors import NotFound, VersionConflict
from domain.shared.handling import Handling
from domain.shared.permissions import Actor
from eventstore.db import connect
from eventstore.reconnect import run_reconnecting

log = logging.getLogger(__name__)

SYSTEM_ACTOR = Actor(subject="system:request-escalation", name="Request escalation", roles=frozenset(),
                     scope=None, system=True)
"""Who records automatic escalations."""
SWEEPER_LOCK = int.from_bytes(hashlib.sha256(b"requests:escalation-sweeper").digest()[:8], "big", signed=True)
PAGE = 500
_TRANSIENT = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
              asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CannotConnectNowError)


async def sweep(pool: asyncpg.Pool, handling: Handling, now: datetime, limit: int = PAGE) -> int:
    """Escalate every request overdue at ``now`` (up to ``limit``); the number escalated."""
    rows = await pool.fetch(
        "SELECT id, due_at FROM requests WHERE due_at < $1 AND swept_due IS DISTINCT FROM due_at"
        " ORDER BY due_at LIMIT $2", now, limit)
    escalated = 0
    for row in rows:
        key = f"escalate:{row['id']}:{row['due_at'].isoformat()}"
        try:
            outcome = await handling.run(EscalateOverdueRequest(row["id"]),
                                         Request(SYSTEM_ACTOR, uuid4(), idempotency_key=key))
        except (NotYourStep, NotFound, VersionConflict) as exc:  # moved on since the read model saw it
            log.info("request %s not escalated: %s", row["id"], exc)
            continue
        escalated += 0 if outcome.replayed else 1
    return escalated


class EscalationSweeper:
    """Sweeps every ``interval`` seconds while this process holds the sweeper lock."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, handling: Handling, clock: Callable[[], datetime],
                 interval: float) -> None:
        self.dsn, self.pool, self.handling, self.clock, self.interval = dsn, pool, handling, clock, interval
        self.active = False
        self.escalated = 0
        """Escalations this process recorded (tests, logs)."""

    async def run(self) -> None:
        def lost(_exc: BaseException) -> None:
            self.active = False

        await run_reconnecting(self._run_connected, "request escalation sweeper", (*_TRANSIENT, Exception), log,
                               lost)

    async def _run_connected(self) -> None:
        conn = await connect(self.dsn)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", SWEEPER_LOCK):  # noqa: ASYNC110
                await asyncio.sleep(1.0)  # another process sweeps; stand by
            self.active = True
            while True:
                self.escalated += await sweep(self.pool, self.handling, self.clock())
                await conn.fetchval("SELECT 1")  # the lock's session is still there
                await asyncio.sleep(self.interval)
        finally:
            self.active = False
            await conn.close()

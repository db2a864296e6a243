"""The witness publisher: every signed checkpoint, to every configured witness, at least once.

- Follows ``checkpoints`` by id, whoever recorded them (the hasher, ``grassroots
  checkpoint``, the ``recordCheckpoint`` mutation): it wakes on the ``checkpoints_notify``
  trigger's NOTIFY and otherwise polls every ``poll`` seconds. Nothing here runs on the
  hasher's connection or in its loop, so a witness that is down never holds up hashing.
- Per witness, in id order: publish, then move its cursor in ``witness_progress``. A
  failed attempt (of whatever kind: down, refused address, conflict) is recorded
  (``failures``, ``last_error``) and retried after tenacity's exponential backoff with
  jitter, never skipped, so a witness that was down gets every checkpoint it missed once
  it is back, and one witness's trouble never delays another's.
- One active publisher across processes (session advisory lock); others stand by.
- Lag (``witness_status``): the checkpoints a witness has not acknowledged yet, and since
  when the oldest of them has lived only in this database; shown by ``integrityStatus``,
  ``/readyz`` and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import asyncpg
from tenacity import wait_exponential_jitter

from eventstore.db import connect, create_pool
from eventstore.integrity import store as idb
from eventstore.integrity.witness import Witness
from eventstore.reconnect import run_reconnecting

log = logging.getLogger(__name__)

PUBLISHER_LOCK = int.from_bytes(hashlib.sha256(b"witness:publisher").digest()[:8], "big", signed=True)
CHANNEL = "grassroots_checkpoints"
_TRANSIENT = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
              asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CannotConnectNowError)


@dataclass
class WitnessProgress:
    """How far one witness is (a row of ``witness_progress``, with its lag)."""

    name: str
    checkpoint_id: int = 0
    """Every checkpoint up to this id was acknowledged by the witness."""
    published: int = 0
    published_at: datetime | None = None
    failures: int = 0
    """Consecutive failed attempts since the last success."""
    last_error: str | None = None
    lag: int = 0
    """Checkpoints recorded but not acknowledged by the witness yet."""
    oldest_unpublished_at: datetime | None = None
    """When the oldest of those was signed: how long a checkpoint has lived only here."""


async def witness_status(conn: asyncpg.Connection | asyncpg.Pool, names: Sequence[str]) -> list[WitnessProgress]:
    """Progress and lag of the witnesses ``names`` (in that order), in one query."""
    rows = await conn.fetch(
        "SELECT w.name, coalesce(p.checkpoint_id, 0) AS checkpoint_id,"
        " coalesce(p.published, 0) AS published, p.published_at, coalesce(p.failures, 0) AS failures,"
        " p.last_error, l.lag, l.oldest"
        " FROM unnest($1::text[]) WITH ORDINALITY AS w(name, n)"
        " LEFT JOIN witness_progress p ON p.witness = w.name"
        " CROSS JOIN LATERAL (SELECT count(*) AS lag, min(c.signed_at) AS oldest FROM checkpoints c"
        "  WHERE c.id > coalesce(p.checkpoint_id, 0)) l ORDER BY w.n",
        list(names))
    return [WitnessProgress(r["name"], r["checkpoint_id"], r["published"], r["published_at"],
                            r["failures"], r["last_error"], r["lag"], r["oldest"]) for r in rows]


@dataclass(frozen=True)
class Outcome:
    """One pass of ``publish_pending``."""

    published: int
    error: str | None = None
    failures: int = 0


async def publish_pending(pool: asyncpg.Pool, witness: Witness, *, limit: int = 100,
                          everything: bool = False) -> Outcome:
    """Publish, in id order, up to ``limit`` checkpoints ``witness`` has not acknowledged;
    stop at the first failure, which is recorded. ``everything``: from the first checkpoint
    again (each witness is idempotent, so repeats are harmless)."""
    await pool.execute("INSERT INTO witness_progress (witness) VALUES ($1) ON CONFLICT DO NOTHING",
                       witness.name)
    after = 0 if everything else await pool.fetchval(
        "SELECT checkpoint_id FROM witness_progress WHERE witness = $1", witness.name)
    # Ids follow commit order (``record_checkpoint`` takes its id under the lock on
    # ``hasher_tracking``), so a cursor never passes a checkpoint that commits later.
    pending = [idb.checkpoint_from_row(r) for r in await pool.fetch(
        "SELECT * FROM checkpoints WHERE id > $1 ORDER BY id LIMIT $2", after, limit)]
    done = 0
    for cp in pending:
        try:
            # A bound of our own too: a witness must never hold its follower forever.
            async with asyncio.timeout(witness.timeout * 2):
                await witness.publish(cp)
        except Exception as exc:  # any failure is a failed attempt, recorded and retried
            message = f"checkpoint #{cp.id} (tree size {cp.tree_size}): {exc}"[:2000]
            failures = await pool.fetchval(
                "UPDATE witness_progress SET failures = failures + 1, last_error = $2,"
                " last_attempt_at = now() WHERE witness = $1 RETURNING failures",
                witness.name, message)
            log.warning("witness %s did not take %s (%d failures in a row)", witness.name,
                        message, failures)
            return Outcome(done, message, failures)
        # GREATEST: another publisher (``grassroots witness publish``) may be further along.
        await pool.execute(
            "UPDATE witness_progress SET checkpoint_id = GREATEST(checkpoint_id, $2),"
            " published = published + 1, published_at = now(), failures = 0, last_error = NULL,"
            " last_attempt_at = now() WHERE witness = $1", witness.name, cp.id)
        done += 1
    return Outcome(done)


class WitnessPublisher:
    """Runs one follower per witness while this process holds the publisher lock."""

    def __init__(self, dsn: str, witnesses: Sequence[Witness], *, poll: float = 5.0,
                 backoff_initial: float = 1.0, backoff_max: float = 60.0, page_size: int = 100) -> None:
        self.dsn = dsn
        self.witnesses = list(witnesses)
        self.poll = poll
        self.page_size = page_size
        self._wait = wait_exponential_jitter(multiplier=backoff_initial, max=backoff_max,
                                             jitter=backoff_initial)
        self._wake = {w.name: asyncio.Event() for w in self.witnesses}
        self.active = False
        self.published = {w.name: 0 for w in self.witnesses}
        """Checkpoints each witness acknowledged from this process (for tests and logs)."""

    def backoff(self, failures: int) -> float:
        """Seconds before the next attempt after ``failures`` consecutive failures."""
        return float(self._wait(SimpleNamespace(attempt_number=failures)))  # type: ignore[arg-type]

    async def run(self) -> None:
        """Run until cancelled, reconnecting after lost database connections."""
        def lost(_exc: BaseException) -> None:
            self.active = False

        await run_reconnecting(self._run_connected, "witness publisher", (*_TRANSIENT, Exception), log, lost)

    def _notified(self, *_args: object) -> None:
        for event in self._wake.values():
            event.set()

    async def _run_connected(self) -> None:
        conn = await connect(self.dsn)
        pool: asyncpg.Pool | None = None
        tasks: list[asyncio.Task[None]] = []
        try:
            # Polls a lock another process may hold: there is no in-process event to wait on.
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", PUBLISHER_LOCK):  # noqa: ASYNC110
                await asyncio.sleep(1.0)  # another process publishes; stand by
            await conn.add_listener(CHANNEL, self._notified)
            pool = await create_pool(self.dsn, min_size=1, max_size=max(1, len(self.witnesses)))
            self.active = True
            tasks = [asyncio.create_task(self._follow(pool, w), name=f"witness {w.name}")
                     for w in self.witnesses]
            while True:
                for task in tasks:
                    if task.done():
                        task.result()  # a database error: reconnect everything
                await conn.fetchval("SELECT 1")  # the lock's session is still there
                await asyncio.wait(tasks, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.active = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for witness in self.witnesses:
                with contextlib.suppress(Exception):
                    await witness.close()
            if pool is not None:
                await pool.close()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _follow(self, pool: asyncpg.Pool, witness: Witness) -> None:
        wake = self._wake[witness.name]
        while True:
            wake.clear()
            outcome = await publish_pending(pool, witness, limit=self.page_size)
            self.published[witness.name] += outcome.published
            if outcome.error is not None:
                await asyncio.sleep(self.backoff(outcome.failures))
            elif outcome.published < self.page_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.poll)

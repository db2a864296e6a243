"""The log hasher: follows the event log behind the write path, building the Merkle tree.

- Off the write path: appends never wait for it. It reads ``position > P`` like a
  projection (so it never skips an event), in pages, and per page inserts the leaves,
  the tree nodes the page completes and its new position in one transaction.
- One active hasher across processes: a session advisory lock; others stand by.
- Wakes on the log's LISTEN/NOTIFY (``LogNotifier``) and otherwise polls every second;
  it then waits ``batch_delay`` (0.25 s) so that a busy log is hashed in batches, a few
  transactions a second, instead of one per mutation.
- Checkpoints: after every ``every_events`` new leaves, or once ``interval`` seconds have
  passed with new leaves since the last checkpoint, it signs one (``origin`` periodic).
  On demand: ``grassroots checkpoint`` and the ``recordCheckpoint`` mutation.

- Append authenticators: it seals a row only if the row's authenticator verifies with
  the application's append keys (``eventstore.integrity.authenticators``). The first row
  that does not (INSERTed or changed with SQL, or its authenticator copied from another
  row) stops sealing at its position, since the tree never skips a row: the rows before
  it are sealed, it is logged as an error and kept in ``state.refused``, any process
  finds it with ``store.first_refused`` (``integrityStatus``, ``/readyz``, ``/metrics``),
  and sealing resumes once it is gone.

What it cannot protect: an event deleted, or moved to another position, in the moments
between its commit and its hashing (milliseconds behind a live server), since the
authenticator covers neither position nor completeness; changes to its content in that
window are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.db import init_connection
from eventstore.integrity import store as idb
from eventstore.integrity.authenticators import AppendKeys, Refusal, installed
from eventstore.integrity.encoding import (
    Checkpoint,
)
from eventstore.integrity.merkle import CompactRange
from eventstore.notifier import LogNotifier
from eventstore.reconnect import run_reconnecting

log = logging.getLogger(__name__)

HASHER_LOCK = int.from_bytes(hashlib.sha256(b"hasher:merkle").digest()[:8], "big", signed=True)
_TRANSIENT = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
)


@dataclass
class HasherState:
    """What this process knows about the hasher (for status and tests)."""

    position: int = 0
    tree_size: int = 0
    active: bool = False
    checkpoints: int = 0
    last_error: str | None = None
    refused: Refusal | None = None
    """The row sealing stops at, if the hasher refuses one (its authenticator fails)."""


class LogHasher:
    """Keeps the Merkle tree up to date with the log and records periodic checkpoints."""

    def __init__(
        self,
        dsn: str,
        notifier: LogNotifier | None,
        key: Ed25519PrivateKey | None,
        *,
        every_events: int | None = None,
        interval: float | None = None,
        page_size: int = 2_000,
        batch_delay: float = 0.25,
        clock: Callable[[], datetime] | None = None,
        append_keys: AppendKeys | None = None,
        refused_poll: float = 1.0,
    ) -> None:
        self.dsn = dsn
        self.notifier = notifier
        self.key = key
        # The keys that verify append authenticators (None: the process's, installed at
        # start-up); the hasher seals nothing they do not verify.
        self.append_keys = append_keys if append_keys is not None else installed()
        self.refused_poll = refused_poll
        # The settings' values (GRASSROOTS_CHECKPOINT_EVERY / _INTERVAL), passed by the app;
        # None: no periodic checkpoints (a one-off catch-up, ``checkpoint_now``).
        self.every_events = every_events
        self.interval = interval
        self.page_size = page_size
        self.batch_delay = batch_delay
        self.clock = clock or (lambda: datetime.now(UTC))
        self.state = HasherState()
        self._tree: CompactRange | None = None
        self._last_checkpoint_size = 0
        self._last_checkpoint_at = time.monotonic()

    async def run(self) -> None:
        """Run until cancelled, reconnecting after lost connections; never die silently."""

        def lost(exc: BaseException) -> None:
            self.state.active = False
            if not isinstance(exc, _TRANSIENT):
                self.state.last_error = repr(exc)

        await run_reconnecting(self._run_connected, "log hasher", (*_TRANSIENT, Exception), log, lost)

    async def _run_connected(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await init_connection(conn)
            # Polls a lock another process may hold: there is no in-process event to wait on.
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", HASHER_LOCK):  # noqa: ASYNC110
                await asyncio.sleep(1.0)  # another process hashes; stand by
            self.state.active = True
            self._tree = None
            latest = await idb.latest_checkpoint(conn)
            self._last_checkpoint_size = latest.tree_size if latest else 0
            while True:
                hashed = await self.step(conn)
                await self.maybe_checkpoint(conn)
                if hashed >= self.page_size:
                    continue  # catching up
                if hashed == 0 and self.state.refused is not None:
                    # Sealing stops at a refused row: look again now and then (it may be
                    # removed); new appends cannot be sealed past it anyway.
                    await asyncio.sleep(self.refused_poll)
                    continue
                if hashed == 0 and self.notifier is not None:
                    await self.notifier.wait_beyond(self.state.position, timeout=1.0)
                # Let events gather: one transaction per batch, not one per mutation.
                await asyncio.sleep(self.batch_delay)
        finally:
            self.state.active = False
            with contextlib.suppress(Exception):
                await conn.close()

    async def step(self, conn: asyncpg.Connection) -> int:
        """Hash one page of new events; return how many leaves it added."""
        try:
            async with conn.transaction():
                position, size = await idb.tree_state(conn, lock=True)
                head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
                if head <= position:
                    self._remember(position, size)
                    self._refuse(None)
                    return 0
                if self._tree is None or self._tree.size != size:
                    self._tree = await idb.load_range(conn, size)
                tree = CompactRange(self._tree.size, list(self._tree.peaks))
                count, after, refused = await idb.hash_page(
                    conn, tree, position, head, self.page_size, self.append_keys
                )
        except BaseException:
            self._tree = None  # the page rolled back; reload the peaks next time
            raise
        self._tree = tree
        self._remember(after, tree.size)
        self._refuse(refused)
        return count

    def _refuse(self, refused: Refusal | None) -> None:
        """Record (and log, once per row) the row sealing stops at, or that none is refused."""
        before = self.state.refused
        if refused is not None and refused != before:
            log.error(
                "log hasher refuses to seal %s; sealing stops before it until it is removed "
                "(grassroots verify names it too)",
                refused.describe(),
            )
        elif refused is None and before is not None:
            log.warning("log hasher: position %d is no longer refused; sealing resumes",
                        before.position)
        self.state.refused = refused

    def _remember(self, position: int, size: int) -> None:
        self.state.position, self.state.tree_size = position, size

    async def maybe_checkpoint(self, conn: asyncpg.Connection) -> Checkpoint | None:
        """Record a periodic checkpoint if enough leaves or enough time have gone by."""
        if self.key is None or self.every_events is None or self.interval is None:
            return None
        grown = self.state.tree_size - self._last_checkpoint_size
        due = grown >= self.every_events or (
            grown > 0 and time.monotonic() - self._last_checkpoint_at >= self.interval
        )
        if not due:
            return None
        return await self.checkpoint(conn, origin="periodic")

    async def checkpoint(
        self,
        conn: asyncpg.Connection,
        *,
        origin: str = "on_demand",
        requested_by: str | None = None,
    ) -> Checkpoint:
        if self.key is None:
            raise RuntimeError("no signing key: checkpoints cannot be signed")
        cp = await idb.record_checkpoint(
            conn, self.key, self.clock(), origin=origin, requested_by=requested_by
        )
        self._last_checkpoint_size = cp.tree_size
        self._last_checkpoint_at = time.monotonic()
        self.state.checkpoints += 1
        log.info("checkpoint %s: tree size %d, root %s", cp.id, cp.tree_size, cp.root_hash.hex())
        return cp

    async def catch_up(
        self, conn: asyncpg.Connection, report: Callable[[int, int], None] | None = None
    ) -> int:
        """Hash everything in the log now (the caller holds the lock or runs alone)."""
        while await self.step(conn):
            if report is not None:
                report(self.state.position, self.state.tree_size)
        return self.state.tree_size


async def wait_until_hashed(
    conn: asyncpg.Connection | asyncpg.Pool,
    position: int,
    timeout: float,  # noqa: ASYNC109 - a bounded wait that answers False, not a cancellation
    append_keys: AppendKeys | None = None,
) -> bool:
    """Wait, bounded, until the hasher (in any process) has reached ``position``; with
    ``append_keys``, stop waiting (True) as soon as it stands at a row it refuses."""
    deadline = time.monotonic() + timeout
    while True:
        reached = await conn.fetchval("SELECT position FROM hasher_tracking")
        if reached is not None and reached >= position:
            return True
        if append_keys is not None and await idb.first_refused(conn, append_keys) is not None:
            return True  # it will not get further
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)


async def checkpoint_now(
    conn: asyncpg.Connection,
    key: Ed25519PrivateKey,
    *,
    requested_by: str | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109 - handed to wait_until_hashed and named in the error
    now: datetime | None = None,
    append_keys: AppendKeys | None = None,
) -> Checkpoint:
    """Hash up to the current head and sign a checkpoint (``grassroots checkpoint``).

    If no hasher is running anywhere, this hashes the log itself under the hasher's lock;
    otherwise it waits, bounded, for the running one to reach the head. Either way only
    authenticated rows are sealed (``append_keys``, by default the process's): behind a
    refused row the checkpoint covers less than the head (``store.first_refused`` says why).
    """
    keys = append_keys if append_keys is not None else installed()
    head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
    if await conn.fetchval("SELECT pg_try_advisory_lock($1)", HASHER_LOCK):
        try:
            await LogHasher("", None, key, append_keys=keys).catch_up(conn)
        finally:
            await conn.fetchval("SELECT pg_advisory_unlock($1)", HASHER_LOCK)
    elif not await wait_until_hashed(conn, head, timeout, keys):
        raise TimeoutError(f"the running hasher did not reach position {head} in {timeout}s")
    return await idb.record_checkpoint(
        conn, key, now or datetime.now(UTC), requested_by=requested_by
    )

"""The log hasher follows concurrent writers, hashes every event once, in order, and signs."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.db import connect
from eventstore.integrity import store as idb
from eventstore.integrity.hasher import HASHER_LOCK, LogHasher
from eventstore.integrity.verify import verify_log
from eventstore.notifier import LogNotifier
from tests.integration.support import append_events, cancel, head, wait_until

KEY = Ed25519PrivateKey.generate()


async def test_the_hasher_catches_up_behind_concurrent_writers_and_checkpoints(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    notifier = LogNotifier(dsn)
    await notifier.start()
    hasher = LogHasher(dsn, notifier, KEY, every_events=500, interval=3600, page_size=300)
    task = asyncio.create_task(hasher.run())
    try:
        await asyncio.gather(*(append_events(pool, 700, batch=7) for _ in range(6)))
        last = await head(pool)
        await wait_until(lambda: hasher.state.position >= last, 30, "the hasher to reach the head")
        # one per 500 new leaves, at page boundaries: at least 4200 // (500 + 299) of them
        await wait_until(lambda: hasher.state.checkpoints >= 5, 10, "periodic checkpoints")
    finally:
        await cancel(task)
        await notifier.stop()
    leaves = await pool.fetch("SELECT leaf_index, position FROM event_leaves ORDER BY leaf_index")
    events = await pool.fetch("SELECT position FROM events ORDER BY position")
    assert [r["leaf_index"] for r in leaves] == list(range(4200))
    assert [r["position"] for r in leaves] == [r["position"] for r in events]
    cps = await idb.checkpoints(pool)
    assert {c.origin for c in cps} == {"periodic"}
    assert all(c.signed_by(KEY.public_key()) for c in cps)
    report = await verify_log(dsn, KEY.public_key(), chunk_level=10)
    assert report.ok, report.summary()
    assert report.checkpoints_ok == len(cps)


async def test_a_second_hasher_stands_by_while_the_first_holds_the_lock(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 50)
    holder = await connect(dsn)
    try:
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", HASHER_LOCK)
        standby = LogHasher(dsn, None, KEY)
        task = asyncio.create_task(standby.run())
        await asyncio.sleep(0.3)
        assert not standby.state.active
        assert await pool.fetchval("SELECT count(*) FROM event_leaves") == 0
        await holder.fetchval("SELECT pg_advisory_unlock($1)", HASHER_LOCK)
        await wait_until(lambda: standby.state.tree_size == 50, 10, "the standby to take over")
        await cancel(task)
    finally:
        await holder.close()


async def test_a_page_that_fails_leaves_nothing_behind(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 30)
    conn = await connect(dsn)
    try:
        hasher = LogHasher(dsn, None, KEY, page_size=10)
        assert await hasher.step(conn) == 10
        await pool.execute(
            "INSERT INTO merkle_nodes (level, idx, hash) VALUES (1, 5, $1)", b"x" * 32
        )
        # the next page would write node (1, 5): it collides and rolls back whole
        with pytest.raises(asyncpg.UniqueViolationError):
            await hasher.step(conn)
        assert await idb.tree_state(conn) == (10, 10)
        assert await pool.fetchval("SELECT count(*) FROM event_leaves") == 10
    finally:
        await conn.close()

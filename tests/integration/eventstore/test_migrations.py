"""Migrations: idempotent, safe to run concurrently, and the event log is append-only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest

from domain.shared.ports import Append, Metadata, NewEvent
from eventstore.db import connect, create_pool
from eventstore.migrate import MigrationError, available, migrate
from eventstore.postgres import PostgresEventStore

ADVISORY_LOCKS_HERE = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


@pytest.fixture
async def empty_dsn(admin_dsn: str) -> AsyncIterator[str]:
    """A brand-new, empty database on the test server, dropped afterwards."""
    name = f"grassroots_empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(admin_dsn, name)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def test_migrating_an_already_migrated_database_applies_nothing(dsn: str) -> None:
    conn = await connect(dsn)
    try:
        before = await conn.fetch("SELECT name, checksum, applied_at FROM schema_migrations")
        assert await migrate(conn) == []
        assert await migrate(conn) == []
        after = await conn.fetch("SELECT name, checksum, applied_at FROM schema_migrations")
        assert sorted(map(tuple, after)) == sorted(map(tuple, before))
        assert sorted(r["name"] for r in after) == [m.name for m in available()]
    finally:
        await conn.close()


async def test_migrating_a_new_database_from_four_connections_at_once_applies_each_file_once(
    empty_dsn: str,
) -> None:
    names = [m.name for m in available()]
    assert names, "no migrations found"
    conns = await asyncio.gather(*[connect(empty_dsn) for _ in range(4)])
    try:
        results = await asyncio.gather(*[migrate(c) for c in conns])
        assert sorted(len(r) for r in results) == [0, 0, 0, len(names)]
        assert [r for r in results if r] == [names]

        rows = await conns[0].fetch("SELECT name, checksum FROM schema_migrations ORDER BY name")
        assert [r["name"] for r in rows] == names
        assert {r["name"]: r["checksum"] for r in rows} == {m.name: m.checksum for m in available()}

        # the schema is usable, and the advisory lock was given back
        assert await conns[1].fetchval("SELECT count(*) FROM events") == 0
        assert await conns[2].fetchval(ADVISORY_LOCKS_HERE) == 0
        assert await migrate(conns[3]) == []
    finally:
        await asyncio.gather(*[c.close() for c in conns])


async def test_migrations_apply_to_an_empty_database_and_the_store_works_on_it(
    empty_dsn: str,
) -> None:
    conn = await connect(empty_dsn)
    try:
        assert await migrate(conn) == [m.name for m in available()]
    finally:
        await conn.close()
    pool = await create_pool(empty_dsn, min_size=1, max_size=2)
    try:
        store = PostgresEventStore(pool)
        s = uuid4()
        await store.append(Append(
            events=[NewEvent(s, "Mig", 1, uuid4(), "Mig.Checked", 1, {"ok": "é"})],
            metadata=Metadata("migrator", (), uuid4()),
        ))
        assert [e.payload for e in await store.read_stream(s)] == [{"ok": "é"}]
    finally:
        await pool.close()


async def test_a_migration_whose_file_changed_after_it_was_applied_is_refused(dsn: str) -> None:
    conn = await connect(dsn)
    try:
        first = available()[0].name
        await conn.execute(
            "UPDATE schema_migrations SET checksum = 'tampered' WHERE name = $1", first
        )
        with pytest.raises(MigrationError):
            await migrate(conn)
        # the lock is released even after the refusal
        assert await conn.fetchval(ADVISORY_LOCKS_HERE) == 0
    finally:
        await conn.close()


async def _one_event(pool: asyncpg.Pool) -> None:
    await PostgresEventStore(pool).append(Append(
        events=[NewEvent(uuid4(), "Frozen", 1, uuid4(), "Frozen.Recorded", 1, {"v": "原值"})],
        metadata=Metadata("append-only-actor", ("auditor",), uuid4(), reason="original"),
    ))


async def test_updating_an_event_is_refused_by_the_append_only_trigger(
    pool: asyncpg.Pool,
) -> None:
    await _one_event(pool)
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("UPDATE events SET reason = 'rewritten'")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("""UPDATE events SET payload = '{"v": "forged"}'::jsonb""")
        row = await conn.fetchrow("SELECT reason, payload FROM events")
    assert row["reason"] == "original"
    assert row["payload"] == {"v": "原值"}


async def test_deleting_or_truncating_events_is_refused_by_the_append_only_trigger(
    pool: asyncpg.Pool,
) -> None:
    await _one_event(pool)
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("DELETE FROM events")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("TRUNCATE events")
        assert await conn.fetchval("SELECT count(*) FROM events") == 1

"""Rebuild: replay the log into fresh tables and swap them in while the old ones serve."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from api.areas import PROJECTIONS
from domain.shared.ports import RecordedEvent
from projections.runtime import rebuild as rebuild_module
from projections.runtime.base import Handler, Projection
from projections.runtime.rebuild import rebuild
from projections.runtime.supervisor import Supervisor
from tests.integration.support import (
    build_engagement_plans_and_requests,
    build_world,
    catch_up,
    commands,
    head,
    req,
    rows,
    tracking,
    wait_until,
)


def slowed(projection: Projection, delay: float) -> Projection:
    """The same projection (same name and tables) with a pause after every event."""

    def wrap(handler: Handler) -> Handler:
        async def slow(conn: asyncpg.Connection, e: RecordedEvent) -> None:
            await handler(conn, e)
            await asyncio.sleep(delay)

        return slow

    return Projection(projection.name, projection.tables,
                      {t: wrap(h) for t, h in projection.handlers.items()})


async def _populate(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    await build_engagement_plans_and_requests(cmds, await build_world(cmds))
    for projection in PROJECTIONS.values():
        await catch_up(dsn, projection)


async def _schemas(pool: asyncpg.Pool) -> set[str]:
    return {r[0] for r in await pool.fetch(
        "SELECT nspname FROM pg_namespace"
        " WHERE nspname LIKE 'rebuild_%' OR nspname LIKE 'retired_%'")}


async def _indexes(pool: asyncpg.Pool, table: str) -> list[str]:
    """Index definitions, with the generated index names left out."""
    found = await pool.fetch(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1", table)
    return sorted(r[0].split(" ON ", 1)[1] for r in found)


@pytest.mark.parametrize("name", list(PROJECTIONS))
async def test_rebuild_reproduces_the_tables(dsn: str, pool: asyncpg.Pool, name: str) -> None:
    await _populate(dsn, pool)
    projection = PROJECTIONS[name]
    log_head = await head(pool)
    before = {t: await rows(pool, t) for t in projection.tables}
    indexes_before = {t: await _indexes(pool, t) for t in projection.tables}
    assert all(before.values()), "the world left a table empty"

    progress: list[tuple[int, int]] = []
    final = await rebuild(dsn, projection, lambda p, h: progress.append((p, h)))

    assert final == log_head
    assert progress and progress[-1] == (log_head, log_head)
    assert all(p <= h for p, h in progress)
    assert [p for p, _ in progress] == sorted(p for p, _ in progress)
    for table in projection.tables:
        assert await rows(pool, table) == before[table], table
        assert await _indexes(pool, table) == indexes_before[table], table
    row = await tracking(pool, name)
    assert row["position"] == log_head and row["status"] == "RUNNING"
    assert await _schemas(pool) == set()

    # The swapped-in table keeps working for the live runner.
    outcome = await commands(pool).rename_organization(
        req(), await pool.fetchval("SELECT id FROM organizations ORDER BY id LIMIT 1"), "改名后")
    await catch_up(dsn, projection)
    assert (await tracking(pool, name))["position"] == outcome.position


async def test_rebuild_in_pages_while_the_old_tables_serve(
    dsn: str, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _populate(dsn, pool)
    log_head = await head(pool)
    before = await rows(pool, "organizations")
    monkeypatch.setattr(rebuild_module, "PAGE", 3)  # many pages, so many progress reports

    progress: list[tuple[int, int]] = []
    reads: list[tuple[tuple[int, int] | None, list[dict[str, Any]]]] = []
    task = asyncio.create_task(rebuild(
        dsn, slowed(PROJECTIONS["organizations"], 0.03), lambda p, h: progress.append((p, h))))
    while not task.done():
        seen = progress[-1] if progress else None
        reads.append((seen, await rows(pool, "organizations")))
        await asyncio.sleep(0.01)
    final = await task

    assert final == log_head
    assert progress[-1] == (log_head, log_head)
    assert len(progress) >= 3
    mid = [r for seen, r in reads if seen is not None and seen[0] < seen[1]]
    assert len(mid) >= 3, f"only {len(mid)} reads happened during the rebuild"
    # Every read during the rebuild saw the complete old table, never a half-built one.
    for _, seen_rows in reads:
        assert seen_rows == before
    assert await rows(pool, "organizations") == before
    assert (await tracking(pool, "organizations"))["position"] == log_head


async def test_rebuild_with_a_live_runner_and_new_events(dsn: str, pool: asyncpg.Pool,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands keep coming during the rebuild; the live runner keeps going after the swap."""
    cmds = commands(pool)
    await build_world(cmds)
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    try:
        await supervisor.wait_for(await head(pool), timeout=10)
        monkeypatch.setattr(rebuild_module, "PAGE", 3)
        progress: list[tuple[int, int]] = []
        task = asyncio.create_task(rebuild(
            dsn, slowed(PROJECTIONS["organizations"], 0.02), lambda p, h: progress.append((p, h))))
        await wait_until(lambda: len(progress) >= 2 or task.done(), 10, "the rebuild to start")
        assert not task.done()

        org_ids = [r["id"] for r in await pool.fetch("SELECT id FROM organizations ORDER BY id")]
        renamed = await cmds.rename_organization(req(), org_ids[0], "重建期间改名")
        # The live runner keeps the old table current while the rebuild runs.
        assert await supervisor.wait_for(renamed.position, timeout=10) >= renamed.position
        assert await pool.fetchval(
            "SELECT name FROM organizations WHERE id = $1", org_ids[0]) == "重建期间改名"
        assert not task.done(), "the rebuild finished too early for this test to mean anything"

        final = await asyncio.wait_for(task, 30)
        log_head = await head(pool)
        assert final == log_head
        assert progress[-1] == (log_head, log_head)
        row = await tracking(pool, "organizations")
        assert row["position"] == log_head and row["status"] == "RUNNING"
        # The rebuilt table caught the event appended during the rebuild.
        assert await pool.fetchval(
            "SELECT name FROM organizations WHERE id = $1", org_ids[0]) == "重建期间改名"

        # After the swap, the live runner writes to the new table.
        again = await cmds.rename_organization(req(), org_ids[1], "换表之后")
        assert await supervisor.wait_for(again.position, timeout=10) >= again.position
        assert await pool.fetchval(
            "SELECT name FROM organizations WHERE id = $1", org_ids[1]) == "换表之后"
        assert not any(s.failed for s in supervisor.states()), supervisor.states()
        after_live = await rows(pool, "organizations")
    finally:
        await supervisor.stop()

    # And a second, quiet rebuild agrees with what the live runner produced.
    monkeypatch.setattr(rebuild_module, "PAGE", 2000)
    await rebuild(dsn, PROJECTIONS["organizations"])
    assert await rows(pool, "organizations") == after_live
    assert await _schemas(pool) == set()


async def test_rebuild_clears_a_failed_status(dsn: str, pool: asyncpg.Pool) -> None:
    await _populate(dsn, pool)
    await pool.execute(
        "UPDATE projection_tracking SET status = 'FAILED', last_error = 'x', failed_position = 3,"
        " failed_at = now(), position = 2 WHERE name = 'members'")
    log_head = await head(pool)
    await rebuild(dsn, PROJECTIONS["members"])
    row = await tracking(pool, "members")
    assert (row["status"], row["position"], row["last_error"], row["failed_position"]) == (
        "RUNNING", log_head, None, None)


CAN_SELECT = "SELECT has_table_privilege($1, 'organizations', 'SELECT')"


async def test_rebuild_keeps_privileges_on_the_tables(dsn: str, pool: asyncpg.Pool) -> None:
    await _populate(dsn, pool)
    role = f"reader_{uuid4().hex[:10]}"
    await pool.execute(f"CREATE ROLE {role} NOLOGIN")
    try:
        await pool.execute(f"GRANT SELECT ON organizations TO {role}")
        assert await pool.fetchval(CAN_SELECT, role)
        await rebuild(dsn, PROJECTIONS["organizations"])
        assert await pool.fetchval(CAN_SELECT, role)
    finally:
        await pool.execute(f"DROP OWNED BY {role}")
        await pool.execute(f"DROP ROLE {role}")


async def test_rebuild_keeps_the_owner_and_column_privileges(dsn: str, pool: asyncpg.Pool) -> None:
    await _populate(dsn, pool)
    reader, owner = f"reader_{uuid4().hex[:10]}", f"owner_{uuid4().hex[:10]}"
    await pool.execute(f"CREATE ROLE {reader} NOLOGIN")
    await pool.execute(f"CREATE ROLE {owner} NOLOGIN")
    try:
        await pool.execute(f"GRANT UPDATE (name) ON members TO {reader}")
        await pool.execute(f"ALTER TABLE members OWNER TO {owner}")
        await pool.execute(f"REVOKE TRUNCATE ON members FROM {owner}")
        await rebuild(dsn, PROJECTIONS["members"])
        assert await pool.fetchval(
            "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.members'::regclass"
        ) == owner
        assert await pool.fetchval(
            "SELECT has_column_privilege($1, 'members', 'name', 'UPDATE')", reader)
        assert not await pool.fetchval(
            "SELECT has_column_privilege($1, 'members', 'phone', 'UPDATE')", reader)
        assert not await pool.fetchval(
            "SELECT has_table_privilege($1, 'members', 'SELECT')", reader)
        assert not await pool.fetchval(
            "SELECT has_table_privilege($1, 'members', 'TRUNCATE')", owner)
        assert await pool.fetchval(
            "SELECT has_table_privilege($1, 'members', 'SELECT')", owner)
    finally:
        await pool.execute(f"DROP OWNED BY {reader}, {owner}")
        await pool.execute(f"DROP ROLE {reader}")
        await pool.execute(f"DROP ROLE {owner}")

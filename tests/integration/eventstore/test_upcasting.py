"""Old payload shapes in PostgreSQL read back in today's shape; unknown newer ones refused.

Rows are inserted with plain SQL, as an earlier release of the code wrote them (the
append-only trigger allows inserts). The test-only ``Pamphlet`` aggregate and its
shape history come from tests/unit/core/test_upcasting.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from domain.shared import events as ev
from domain.shared.ports import Append, Metadata
from domain.shared.upcasting import UnknownSchemaVersion
from eventstore.postgres import EVENT_COLUMNS, PostgresEventStore, row_to_event
from tests.unit.core.test_upcasting import CURRENT, V1, V2, Pamphlet, new


@pytest.fixture
def pamphlets() -> Iterator[None]:
    ev.register(Pamphlet)
    try:
        yield
    finally:
        ev.unregister(Pamphlet)


async def insert_legacy(pool: asyncpg.Pool, stream: UUID, version: int, schema_version: int,
                        payload: dict[str, Any], event_type: str = "Pamphlet.Published") -> int:
    """Write a row the way an older release did: straight into the log, stream head too."""
    async with pool.acquire() as conn, conn.transaction():
        position: int = await conn.fetchval(
            "INSERT INTO events (stream_id, stream_type, version, event_id, event_type,"
            " schema_version, payload, actor, actor_roles, correlation_id)"
            " VALUES ($1, 'Pamphlet', $2, $3, $4, $5, $6, 'legacy', '{}', $7) RETURNING position",
            stream, version, uuid4(), event_type, schema_version, payload, uuid4(),
        )
        await conn.execute(
            "INSERT INTO streams (stream_id, stream_type, version) VALUES ($1, 'Pamphlet', $2)"
            " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
            stream, version,
        )
    return position


def meta() -> Metadata:
    return Metadata(actor="t", actor_roles=(), correlation_id=uuid4())


@pytest.mark.parametrize(("schema_version", "payload"), [(1, V1), (2, V2)])
async def test_an_old_row_reads_back_upcast_through_read_stream_read_log_and_row_to_event(
    pool: asyncpg.Pool, pamphlets: None, schema_version: int, payload: dict[str, Any],
) -> None:
    store = PostgresEventStore(pool)
    stream = uuid4()
    position = await insert_legacy(pool, stream, 1, schema_version, payload)

    (by_stream,) = await store.read_stream(stream)
    (by_log,) = await store.read_log(0, 10)
    (by_type,) = await store.read_log(0, 10, ["Pamphlet.Published"])
    # A reader with its own SQL (projection pages) converts rows with row_to_event.
    (by_page,) = [row_to_event(r) for r in await pool.fetch(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position", 0)]
    for e in (by_stream, by_log, by_type, by_page):
        assert (e.position, e.schema_version, e.payload) == (position, 3, CURRENT)

    # The log itself is never rewritten.
    row = await pool.fetchrow("SELECT schema_version, payload FROM events WHERE position = $1",
                              position)
    assert (row["schema_version"], row["payload"]) == (schema_version, payload)


async def test_an_aggregate_loaded_from_old_rows_appends_at_the_current_version(
    pool: asyncpg.Pool, pamphlets: None,
) -> None:
    store = PostgresEventStore(pool)
    stream = uuid4()
    await insert_legacy(pool, stream, 1, 1, dict(V1))

    pamphlet = ev.replay(Pamphlet, await store.read_stream(stream))
    assert pamphlet is not None and (pamphlet.headline, pamphlet.language) == ("党员手册", "zh")
    pamphlet.retitle("修订版")
    fresh = Pamphlet(headline="新编", pages=3, language="en")
    await store.append(Append(events=ev.to_new_events(pamphlet) + ev.to_new_events(fresh),
                              metadata=meta()))

    rows = await pool.fetch("SELECT event_type, schema_version FROM events ORDER BY position")
    assert [(r["event_type"], r["schema_version"]) for r in rows] == [
        ("Pamphlet.Published", 1), ("Pamphlet.Retitled", 1), ("Pamphlet.Published", 3)]
    again = ev.replay(Pamphlet, await store.read_stream(stream))
    assert again is not None and (again.headline, again.pages) == ("修订版", 12)
    other = ev.replay(Pamphlet, await store.read_stream(fresh.id))
    assert other is not None and (other.headline, other.language) == ("新编", "en")


async def test_a_row_newer_than_the_code_knows_is_refused_loudly(
    pool: asyncpg.Pool, pamphlets: None,
) -> None:
    store = PostgresEventStore(pool)
    stream = uuid4()
    await insert_legacy(pool, stream, 1, 3, dict(CURRENT))
    position = await insert_legacy(pool, stream, 2, 4, {"from": "the future"})

    with pytest.raises(UnknownSchemaVersion, match=r"schema_version 4.*versions 1\.\.3") as err:
        await store.read_stream(stream)
    assert any(f"position {position}" in note for note in err.value.__notes__)
    with pytest.raises(UnknownSchemaVersion):
        await store.read_log(0, 10)
    assert len(await store.read_log(0, 1)) == 1  # the rows before it still read


async def test_appending_a_version_newer_than_the_code_knows_is_refused(
    pool: asyncpg.Pool, pamphlets: None,
) -> None:
    store = PostgresEventStore(pool)
    with pytest.raises(UnknownSchemaVersion, match="cannot append"):
        await store.append(Append(events=[new(uuid4(), 1, 4, dict(CURRENT))], metadata=meta()))
    assert await store.head() == 0


async def test_rows_of_undeclared_types_pass_at_their_stored_version(pool: asyncpg.Pool) -> None:
    store = PostgresEventStore(pool)
    stream = uuid4()
    await insert_legacy(pool, stream, 1, 9, {"n": 1}, event_type="Tooling.Whatever")
    (read,) = await store.read_stream(stream)
    assert (read.schema_version, read.payload) == (9, {"n": 1})

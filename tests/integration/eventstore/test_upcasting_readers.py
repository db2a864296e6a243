"""An event stored in an old shape reaches every reader in today's shape: the aggregate,
a projection rebuild and GraphQL ``history``.

``Organization.Renamed`` is given a second shape for this test only: version 1 called
the new name ``title``. A row is written the way that older release wrote it, then
read back through each reader.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from eventstore.postgres import PostgresEventStore
from projections.runtime.rebuild import rebuild
from tests.integration.support import ACTOR, build_world, commands


def _title_to_name(state: dict[str, Any]) -> None:
    state["name"] = state.pop("title")


@pytest.fixture
def renamed_has_two_shapes() -> Iterator[None]:
    renamed: Any = Organization.Renamed  # type: ignore[attr-defined]
    renamed.class_version = 2
    renamed.upcast_v1_v2 = staticmethod(_title_to_name)
    ev.register(Organization)
    try:
        yield
    finally:
        del renamed.class_version, renamed.upcast_v1_v2
        ev.register(Organization)


async def _write_as_release_one(pool: asyncpg.Pool, org: uuid.UUID, title: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        version = await conn.fetchval("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", org) + 1
        await conn.execute(
            "INSERT INTO events (stream_id, stream_type, version, event_id, event_type, schema_version,"
            " payload, actor, actor_roles, correlation_id)"
            " VALUES ($1, 'Organization', $2, $3, 'Organization.Renamed', 1, $4, 'release-1', '{}', $5)",
            org, version, uuid.uuid4(), {"title": title}, uuid.uuid4())
        await conn.execute("UPDATE streams SET version = $2 WHERE stream_id = $1", org, version)


async def test_an_old_shape_reaches_the_aggregate_a_rebuild_and_history_in_todays_shape(
    dsn: str, pool: asyncpg.Pool, renamed_has_two_shapes: None,
) -> None:
    ids = await build_world(commands(pool))
    street = ids["street2"]
    await _write_as_release_one(pool, street, "观前街道第一党工委")

    org = ev.replay(Organization, await PostgresEventStore(pool).read_stream(street))
    assert org is not None and org.name == "观前街道第一党工委"

    await rebuild(dsn, PROJECTIONS["organizations"])
    assert await pool.fetchval("SELECT name FROM organizations WHERE id = $1", street) == "观前街道第一党工委"

    context = Context(actor=ACTOR, pool=pool, commands=None, supervisor=None,  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool),
                      clock=lambda: datetime(2026, 3, 1, tzinfo=UTC), position=1)
    result = await schema.execute(
        f'{{ history(streamId: "{street}", first: 50) {{ edges {{ node {{ type schemaVersion payload }} }} }} }}',
        context_value=context)
    assert not result.errors, result.errors
    last = result.data["history"]["edges"][-1]["node"]  # type: ignore[index]
    assert last == {"type": "Organization.Renamed", "schemaVersion": 2, "payload": {"name": "观前街道第一党工委"}}
    # The log itself still holds what release one wrote.
    stored = await pool.fetchrow("SELECT schema_version, payload FROM events WHERE stream_id = $1"
                                 " ORDER BY version DESC LIMIT 1", street)
    assert (stored["schema_version"], stored["payload"]) == (1, {"title": "观前街道第一党工委"})

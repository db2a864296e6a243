"""A row written with SQL, as the running server reports it (issue 10, item 6): the
background hasher refuses to seal it and says so in its log, ``integrityStatus`` names
it, ``/readyz`` answers 503 and ``/metrics`` carries its position; once it is removed,
sealing resumes and the server is ready again."""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from domain.shared.permissions import Role
from tests.e2e.conftest import Server
from tests.integration.integrity_support import as_hostile_dba
from tests.integration.support import append_events, wait_until

STATUS = """{ integrityStatus { hashedPosition logPosition legacyEvents
  refusedEvent { position eventId eventType reason } } }"""


async def test_the_server_reports_an_event_it_refuses_to_seal_until_it_is_removed(
    server: Server, dsn: str, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="eventstore.integrity.hasher")
    admin = server.token(Role.DISTRICT_ADMIN)

    async def status() -> dict[str, Any]:
        return dict((await server.ok(admin, STATUS))["integrityStatus"])

    last = await append_events(pool, 6)
    await wait_until(lambda: _at_least(status, last), 10, "the hasher to seal the real events")
    assert (await server.client.get(f"{server.url}/readyz")).status_code == 200

    event_id = uuid4()
    forged = await pool.fetchval(
        "INSERT INTO events (stream_id, stream_type, version, event_id, event_type, payload, actor)"
        " SELECT stream_id, stream_type, version + 1, $2, event_type, '{\"n\": 9000}', actor"
        " FROM events WHERE position = $1 RETURNING position",
        last,
        event_id,
    )
    head = await append_events(pool, 3)  # real, but behind the forged row

    def refused_in_log() -> bool:
        return any(f"refuses to seal event at position {forged}" in r.getMessage()
                   for r in caplog.records)

    await wait_until(refused_in_log, 10, "the hasher to refuse the forged row")
    now = await status()
    assert (now["hashedPosition"], now["logPosition"], now["legacyEvents"]) == (forged - 1, head, 0)
    assert now["refusedEvent"]["position"] == forged
    assert now["refusedEvent"]["eventId"] == str(event_id)
    assert "carries no append authenticator" in now["refusedEvent"]["reason"]

    ready = await server.client.get(f"{server.url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "degraded"
    assert ready.json()["refusedEvent"]["position"] == forged
    metrics = (await server.client.get(f"{server.url}/metrics")).text
    assert f'grassroots_integrity{{measure="refused_position"}} {float(forged)}' in metrics
    assert f'grassroots_integrity{{measure="sealed_position"}} {float(forged - 1)}' in metrics

    await as_hostile_dba(dsn, "DELETE FROM events WHERE position = $1", forged)
    await wait_until(lambda: _at_least(status, head), 10, "sealing to resume")
    assert (await status())["refusedEvent"] is None
    assert (await server.client.get(f"{server.url}/readyz")).status_code == 200


async def _at_least(status: Any, position: int) -> bool:
    return bool((await status())["hashedPosition"] >= position)


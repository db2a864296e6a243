"""The server publishes every checkpoint to its witnesses in the background and reports
each witness's lag in ``integrityStatus``, ``/readyz`` and ``/metrics``; a witness that
is down neither stops the others nor makes the server unready."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx

from api.app import create_app
from api.config import IntegritySettings, Settings
from domain.shared.permissions import Role
from tests.e2e.conftest import SECRET, Server
from tests.e2e.receiver import serve
from tests.integration.support import append_events, wait_until

RECORD = """mutation { recordCheckpoint(input: {waitForHead: true}) {
  __typename ... on CheckpointPayload { checkpoint { id treeSize } } } }"""
STATUS = "{ integrityStatus { witnesses { name checkpointId lag failures lastError oldestUnpublishedAt } } }"


async def test_the_server_publishes_checkpoints_to_its_witnesses_and_reports_their_lag(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    share, unmounted = tmp_path / "share", tmp_path / "unmounted"
    share.mkdir()
    settings = Settings(database_url=dsn, data_dir=tmp_path, jwt_secret=SECRET,
                        integrity=IntegritySettings(witnesses=(f"dir:{share}", f"dir:{unmounted}")))
    async with serve(create_app(settings, dsn)) as base, httpx.AsyncClient(timeout=30) as client:
        server = Server(base, client)
        auditor = server.token(Role.AUDITOR, scope=uuid4(), subject="auditor-7")
        await append_events(pool, 12)
        recorded = (await server.ok(auditor, RECORD))["recordCheckpoint"]["checkpoint"]
        assert recorded["treeSize"] == 12

        async def settled() -> list[dict[str, Any]] | None:
            found: list[dict[str, Any]] = (await server.ok(auditor, STATUS))["integrityStatus"]["witnesses"]
            return found if found[0]["lag"] == 0 and found[1]["failures"] >= 1 else None
        await wait_until(settled, 15, "the publisher to reach one witness and fail the other")
        up, down = (await server.ok(auditor, STATUS))["integrityStatus"]["witnesses"]
        assert up == {"name": f"dir:{share}", "checkpointId": recorded["id"], "lag": 0, "failures": 0,
                      "lastError": None, "oldestUnpublishedAt": None}
        assert (down["name"], down["checkpointId"], down["lag"]) == (f"dir:{unmounted}", 0, 1)
        assert down["lastError"].startswith(f"checkpoint #{recorded['id']} (tree size 12): witness directory")
        assert down["oldestUnpublishedAt"] is not None
        assert [p.name for p in share.iterdir()] == [f"checkpoint-{recorded['id']:012d}-{12:012d}.json"]

        ready = await client.get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        assert [(w["name"], w["lag"]) for w in ready.json()["witnesses"]] == [
            (f"dir:{share}", 0), (f"dir:{unmounted}", 1)]
        metrics = (await client.get(f"{base}/metrics")).text
        assert f'grassroots_witness{{measure="lag",witness="dir:{unmounted}"}} 1.0' in metrics
        assert f'grassroots_witness{{measure="lag",witness="dir:{share}"}} 0.0' in metrics

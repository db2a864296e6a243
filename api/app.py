"""The Starlette application: /graphql, /healthz, /readyz, /metrics; wires everything at start."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.auth import signing_secret
from api.config import Settings
from api.http import GraphQLEndpoint
from domain.handlers import Commands
from eventstore.db import create_pool
from eventstore.postgres import PostgresEventStore
from projections.registry import PROJECTIONS
from projections.supervisor import Supervisor

PROJECTION_POSITION = Gauge("grassroots_projection_position", "Last log position applied", ["name"])
PROJECTION_FAILED = Gauge("grassroots_projection_failed", "1 if the projection stopped", ["name"])


class ReadModelDirectory:
    """Organization paths from the read model, for authorization."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def path_of(self, organization_id):  # type: ignore[no-untyped-def]
        path = await self.pool.fetchval("SELECT path FROM organizations WHERE id = $1", organization_id)
        return None if path is None else list(path)


@dataclass
class Services:
    """Everything a request needs, built once at start-up."""

    settings: Settings
    pool: asyncpg.Pool
    commands: Commands
    supervisor: Supervisor
    secret: str
    clock: Callable[[], datetime]


def create_app(settings: Settings, dsn: str, *, run_projections: bool = True,
               clock: Callable[[], datetime] | None = None) -> Starlette:
    """Build the app; the pool, projections and notifier start in its lifespan."""
    secret = signing_secret(settings)
    holder: dict[str, Services] = {}
    now = clock or (lambda: datetime.now(UTC))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        pool = await create_pool(dsn, min_size=2, max_size=settings.pool_size)
        supervisor = Supervisor(dsn, pool, PROJECTIONS, run_projections=run_projections)
        commands = Commands(PostgresEventStore(pool), ReadModelDirectory(pool), now,
                            settings.transfer_rules)
        holder["s"] = Services(settings, pool, commands, supervisor, secret, now)
        await supervisor.start()
        try:
            yield
        finally:
            await supervisor.stop()
            await pool.close()

    class _Lazy:
        def __getattr__(self, name: str) -> object:
            return getattr(holder["s"], name)

    graphql = GraphQLEndpoint(_Lazy())

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        s = holder.get("s")
        if s is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            await s.pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError) as exc:
            return JSONResponse({"status": "database unavailable", "error": str(exc)}, status_code=503)
        states = s.supervisor.states()
        failed = [st.name for st in states if st.failed]
        body = {"status": "ready" if not failed else "degraded", "failedProjections": failed,
                "position": await s.supervisor.position()}
        return JSONResponse(body, status_code=200 if not failed else 503)

    async def metrics(_request: Request) -> Response:
        s = holder.get("s")
        if s is not None:
            for st in s.supervisor.states():
                PROJECTION_POSITION.labels(st.name).set(st.position)
                PROJECTION_FAILED.labels(st.name).set(1 if st.failed else 0)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )

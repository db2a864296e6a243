"""The Starlette application, wired at start-up.

Routes: /graphql (HTTP and graphql-transport-ws subscriptions), /events (HTTP feed),
/export (auditors' exports), /funds/{id}/disclosure/{period}.html|.pdf (the disclosure sheet),
/healthz, /readyz, /metrics, and GraphiQL's assets and development
token button (/graphiql/assets/..., /graphiql/dev-token; ``api.graphiql``). Around them: security headers
(``api.headers``) and the per-subject rate limit (``api.ratelimit``); the WebSocket route
bounds its messages (``api.wsgate``). The server's own limits (head size, read
timeouts, keep-alive) are uvicorn's configuration (``api.server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from api import bootstrap
from api.append_keys import append_keys
from api.areas import PROJECTIONS
from api.auth import signing_secret
from api.config import Settings
from api.disclosure_sheet import DisclosureSheetEndpoint
from api.escalation import EscalationSweeper
from api.export import ExportEndpoint
from api.feed import FeedEndpoint
from api.graphiql.ide import ASSET_ROUTE, DEV_TOKEN_ROUTE, Assets, DevTokens
from api.graphql.core.limits import MAX_TOKENS
from api.graphql.feed.subscriptions import SubscriptionView
from api.headers import SecurityHeaders
from api.http import GraphQLEndpoint
from api.persisted import Documents
from api.ratelimit import RateLimiter, RateLimitMiddleware
from api.schema import schema as graphql_schema
from api.signing import signing_key
from api.witnesses import configured_witnesses, witness_names
from api.wsgate import BoundedMessages
from domain.shared.handling import Handling
from domain.webhooks.handlers import suspend_failing_webhook
from eventstore.db import create_pool
from eventstore.integrity import store as idb
from eventstore.integrity.hasher import LogHasher
from eventstore.integrity.witness_publisher import WitnessPublisher, witness_status
from projections.feed.live import EventFeed
from projections.integrations.nats import NatsRelay, relay_config
from projections.integrations.webhooks import DeliveryConfig, WebhookDeliverer
from projections.runtime.supervisor import Supervisor

PROJECTION_POSITION = Gauge("grassroots_projection_position", "Last log position applied", ["name"])
PROJECTION_FAILED = Gauge("grassroots_projection_failed", "1 if the projection stopped", ["name"])
WITNESS = Gauge("grassroots_witness", "Per witness: checkpoints not yet acknowledged (lag), consecutive"
                " failed attempts (failures), last checkpoint id acknowledged", ["witness", "measure"])
INTEGRITY = Gauge("grassroots_integrity", "Tamper evidence: the last log position sealed by the"
                  " hasher (sealed_position), and the position of the event it refuses to seal"
                  " for want of a valid append authenticator, 0 if none (refused_position)",
                  ["measure"])
FEED = Gauge("grassroots_feed", "Event feed of this process: subscribers, live, position,"
             " deliveries, subscribers closed for falling behind and deliveries held for a client's"
             " confirmation (totals)", ["measure"])


@dataclass
class Services:
    """Everything a request needs, built once at start-up."""

    settings: Settings
    pool: asyncpg.Pool
    commands: Handling
    supervisor: Supervisor
    secret: str
    clock: Callable[[], datetime]
    limiter: RateLimiter
    documents: Documents
    feed: EventFeed | None = None


def _integrations(settings: Settings, dsn: str, pool: asyncpg.Pool, supervisor: Supervisor,
                  commands: Handling, deliver: bool) -> list[asyncio.Task[None]]:
    """Webhook delivery (with the projections) and, if configured, the NATS relay."""
    i = settings.integrations
    tasks = []
    if deliver:
        config = DeliveryConfig.of(i)
        deliverer = WebhookDeliverer(dsn, pool, supervisor.notifier,
                                     functools.partial(suspend_failing_webhook, commands), config)
        tasks.append(asyncio.create_task(deliverer.run(), name="webhook-delivery"))
    if i.relay_nats:
        relay = NatsRelay(dsn, relay_config(i), supervisor.notifier)
        tasks.append(asyncio.create_task(relay.run(), name="relay-nats"))
    return tasks


def create_app(settings: Settings, dsn: str, *, run_projections: bool = True,
               clock: Callable[[], datetime] | None = None) -> Starlette:
    """Build the app; the pool, projections and notifier start in its lifespan."""
    secret = signing_secret(settings)
    checkpoint_key = signing_key(settings)
    append = append_keys(settings)  # authenticates appends, and what the hasher seals
    limiter = RateLimiter(settings.server.rate_limit)
    documents = Documents(settings, graphql_schema._schema, MAX_TOKENS)
    holder: dict[str, Services] = {}
    names = witness_names(settings)
    now = clock or (lambda: datetime.now(UTC))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        pool = await create_pool(dsn, min_size=min(2, settings.pool_size),
                                 max_size=settings.pool_size)
        supervisor = Supervisor(dsn, pool, PROJECTIONS, run_projections=run_projections)
        commands = bootstrap.handling(settings, pool, now, fingerprint_key=bootstrap.fingerprint_key(secret))
        holder["s"] = Services(settings, pool, commands, supervisor, secret, now,
                              limiter=limiter, documents=documents)
        await supervisor.start()
        feed = EventFeed(pool, supervisor.notifier, runners=supervisor.runners,
                         settled=supervisor.wait_for,
                         buffer_size=settings.feed.buffer_size,
                         max_subscribers=settings.feed.max_subscribers)
        await feed.start()
        holder["s"].feed = feed
        background = _integrations(settings, dsn, pool, supervisor, commands, run_projections)
        if run_projections and settings.integrity.hasher:  # tamper evidence, off the write path
            hasher = LogHasher(dsn, supervisor.notifier, checkpoint_key, clock=now,
                               every_events=settings.integrity.checkpoint_every,
                               interval=settings.integrity.checkpoint_interval,
                               append_keys=append)
            background.append(asyncio.create_task(hasher.run(), name="log-hasher"))
        if run_projections and settings.integrity.witnesses:  # its own task: never in the hasher's way
            publisher = WitnessPublisher(dsn, configured_witnesses(settings))
            background.append(asyncio.create_task(publisher.run(), name="witness-publisher"))
        if run_projections and settings.requests.sweep_interval > 0:  # overdue requests escalate by themselves
            sweeper = EscalationSweeper(dsn, pool, commands, now, settings.requests.sweep_interval)
            background.append(asyncio.create_task(sweeper.run(), name="request-escalation"))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await feed.stop()
            await supervisor.stop()
            await pool.close()

    class _Lazy:
        def __getattr__(self, name: str) -> object:
            return getattr(holder["s"], name)

    graphql = GraphQLEndpoint(_Lazy())
    events = FeedEndpoint(_Lazy())
    subscriptions = SubscriptionView(_Lazy(), graphql_schema, settings.feed.max_per_connection)

    exports = ExportEndpoint(_Lazy())
    sheets = DisclosureSheetEndpoint(_Lazy())  # GET /funds/{id}/disclosure/{period}.html|.pdf
    graphiql_assets, dev_tokens = Assets(), DevTokens(settings, secret)  # GraphiQL, offline (api.graphiql)

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
        # An event the hasher refuses (no valid append authenticator: written with SQL?)
        # means the log holds something the application did not append: degraded, loudly.
        refused = await idb.first_refused(s.pool, append)
        degraded = bool(failed) or refused is not None
        body: dict[str, object] = {"status": "ready" if not degraded else "degraded",
                                   "failedProjections": failed, "position": await s.supervisor.position()}
        if refused is not None:
            body["refusedEvent"] = {"position": refused.position, "eventId": refused.event_id,
                                    "eventType": refused.event_type, "reason": refused.reason}
        if names:  # informational: a witness that is down does not make this server unready
            body["witnesses"] = [{"name": w.name, "lag": w.lag, "failures": w.failures}
                                 for w in await witness_status(s.pool, names)]
        return JSONResponse(body, status_code=200 if not degraded else 503)

    async def metrics(_request: Request) -> Response:
        s = holder.get("s")
        if s is not None:
            for st in s.supervisor.states():
                PROJECTION_POSITION.labels(st.name).set(st.position)
                PROJECTION_FAILED.labels(st.name).set(1 if st.failed else 0)
            if s.feed is not None:
                f = s.feed.stats
                for measure, value in (("subscribers", f.subscribers), ("live", f.live),
                                       ("position", s.feed.position), ("deliveries", f.deliveries),
                                       ("closed_behind", f.closed_behind), ("held", f.held)):
                    FEED.labels(measure).set(value)
            if names:
                with contextlib.suppress(OSError, asyncpg.PostgresError):  # the rest still answers
                    for w in await witness_status(s.pool, names):
                        for measure, value in (("lag", w.lag), ("failures", w.failures),
                                               ("checkpoint_id", w.checkpoint_id)):
                            WITNESS.labels(w.name, measure).set(value)
            with contextlib.suppress(OSError, asyncpg.PostgresError):  # the rest still answers
                sealed, _ = await idb.tree_state(s.pool)
                refused = await idb.first_refused(s.pool, append)
                INTEGRITY.labels("sealed_position").set(sealed)
                INTEGRITY.labels("refused_position").set(refused.position if refused else 0)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            WebSocketRoute("/graphql", BoundedMessages(subscriptions, settings.server.ws_max_message)),
            Route("/events", events.handle, methods=["GET"]),
            Route("/export", exports.handle, methods=["GET"]),
            Route("/funds/{fund_id}/disclosure/{name}", sheets.handle, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route(ASSET_ROUTE + "/{path:path}", graphiql_assets.handle, methods=["GET"]),
            Route(DEV_TOKEN_ROUTE, dev_tokens.handle, methods=["POST"]),
        ],
        middleware=[Middleware(SecurityHeaders),
                    Middleware(RateLimitMiddleware, limiter=limiter, secret=secret)],
        lifespan=lifespan,
    )

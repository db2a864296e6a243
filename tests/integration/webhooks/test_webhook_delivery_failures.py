"""Every failed delivery is a failed attempt: recorded, retried, and the webhook paused in the end.

The deliverer runs against real PostgreSQL; its egress is the tests' own
(``tests.unit.webhooks.egress``): a resolver from a table and a transport that records
each request and answers it itself, so nothing leaves the machine, nor even the process.
The webhooks with URLs that registration now refuses are appended as they were before
it checked them (straight to the log), as a database from before the fix holds them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from api.areas import PROJECTIONS
from domain.shared import events as ev
from domain.shared.errors import InvalidInput
from domain.shared.ports import Append, Metadata
from domain.webhooks.aggregate import Webhook
from domain.webhooks.handlers import suspend_failing_webhook
from eventstore.notifier import LogNotifier
from eventstore.postgres import PostgresEventStore
from projections.feed.reading import READABLE_PROJECTIONS
from projections.integrations.webhooks import DeliveryConfig, WebhookDeliverer, WebhookSecretTable
from tests.integration.support import cancel, catch_up, commands, head, req, wait_until
from tests.unit.webhooks.egress import Recorder, Resolver

MAX_FAILURES = 3
GLOBAL_V4 = "93.184.215.14"


def config(allow_private: bool, backoff: float = 0.01) -> DeliveryConfig:
    return DeliveryConfig(max_failures=MAX_FAILURES, backoff_initial=backoff, backoff_max=backoff * 2,
                          timeout=5, allow_private=allow_private)


async def stored_before_the_check(pool: asyncpg.Pool, url: str) -> UUID:
    """A whole-system webhook on ``url``, appended as registration appended it before it
    checked URLs whole, with its secret; delivering from the start of the log."""
    hook = Webhook(organization_id=None, url=url, stream_types=None, event_types=None,
                   description=None, start_after=0)
    await WebhookSecretTable(pool).put(hook.id, "whsec_" + "x" * 32)
    await PostgresEventStore(pool).append(Append(ev.to_new_events(hook), Metadata(
        actor="admin-before-the-fix", actor_roles=("district_admin",), correlation_id=uuid4())))
    return hook.id


async def project(dsn: str) -> None:
    """What the deliverer reads: the webhooks read model, and all the feed waits for."""
    for name in (*READABLE_PROJECTIONS, "webhooks"):
        await catch_up(dsn, PROJECTIONS[name])


@dataclass
class Running:
    deliverer: WebhookDeliverer
    task: asyncio.Task[None]


async def paused_event(pool: asyncpg.Pool, hook: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT payload, actor, reason FROM events"  # type: ignore[no-any-return]
                               " WHERE stream_id = $1 AND event_type = 'Webhook.Paused'", hook)


@pytest.fixture
async def run(dsn: str, pool: asyncpg.Pool) -> AsyncIterator[Callable[..., Any]]:
    notifier = LogNotifier(dsn)
    await notifier.start()
    running: list[Running] = []
    handling = commands(pool, secrets=WebhookSecretTable(pool)).handling

    async def start(cfg: DeliveryConfig, transport: httpx.AsyncBaseTransport,
                    resolver: Resolver) -> WebhookDeliverer:
        deliverer = WebhookDeliverer(dsn, pool, notifier,
                                     functools.partial(suspend_failing_webhook, handling), cfg,
                                     resolver=resolver, transport=transport)
        running.append(Running(deliverer, asyncio.create_task(deliverer.run())))
        return deliverer

    yield start
    for r in running:
        await cancel(r.task)
    await notifier.stop()


FAILURES = [
    # URLs registration accepted before it checked them whole (the attack's three):
    pytest.param("http://１２７.０.０.１:18796/", True, Recorder(), "host in ASCII", 0, id="fullwidth"),
    pytest.param("http://127.0.0.1:99999/", False, Recorder(), "port", 0, id="port-99999"),
    pytest.param("http://127.0.0.1:99999/", True, Recorder(), "port", 0, id="port-99999-dev"),
    pytest.param("http://[::1/x", True, Recorder(), "not a URL", 0, id="unclosed-ipv6"),
    # Addresses refused before any connection (production mode), through the worker:
    pytest.param("http://metadata.example.cn/latest/", False, Recorder(), "not globally routable",
                 0, id="ssrf-100.100.100.200"),
    # Whatever the transport raises, of any type:
    pytest.param("http://hook.example.cn/in", False, Recorder(error=RuntimeError("a bug")),
                 "RuntimeError: a bug", MAX_FAILURES, id="RuntimeError"),
    pytest.param("http://hook.example.cn/in", False, Recorder(error=ValueError("odd port")),
                 "ValueError: odd port", MAX_FAILURES, id="ValueError"),
    pytest.param("http://hook.example.cn/in", False, Recorder(error=httpx.InvalidURL("bad")),
                 "InvalidURL: bad", MAX_FAILURES, id="InvalidURL"),
    pytest.param("http://hook.example.cn/in", False, Recorder(error=KeyError("k")),
                 "KeyError", MAX_FAILURES, id="KeyError"),
    pytest.param("http://hook.example.cn/in", False, Recorder(status=302), "HTTP 302",
                 MAX_FAILURES, id="redirect-not-followed"),
]


@pytest.mark.parametrize(("url", "allow_private", "transport", "error", "sent"), FAILURES)
async def test_any_failure_is_a_recorded_attempt_and_the_webhook_is_paused_after_the_limit(
    dsn: str, pool: asyncpg.Pool, run: Callable[..., Any], caplog: pytest.LogCaptureFixture,
    url: str, allow_private: bool, transport: Recorder, error: str, sent: int,
) -> None:
    transport.requests.clear()  # the parameters' recorders are shared between runs
    resolver = Resolver({"hook.example.cn": [GLOBAL_V4], "metadata.example.cn": ["100.100.100.200"]})
    hook = await stored_before_the_check(pool, url)
    await project(dsn)
    caplog.set_level(logging.ERROR, logger="projections.integrations.webhooks")
    await run(config(allow_private), transport, resolver)

    await wait_until(lambda: paused_event(pool, hook), 20, "the webhook to be paused")
    attempts = await pool.fetch("SELECT attempt, status, error, response_code, next_retry_at"
                                " FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id", hook)
    assert [(a["attempt"], a["status"]) for a in attempts] == [
        (n, "FAILED") for n in range(1, MAX_FAILURES + 1)]
    assert all(error in a["error"] for a in attempts), attempts
    assert attempts[-1]["next_retry_at"] is None
    paused = await paused_event(pool, hook)
    assert paused["actor"] == "system:webhook-delivery"
    assert f"{MAX_FAILURES} consecutive failed deliveries" in paused["reason"]
    assert error in paused["reason"]
    assert len(transport.requests) == sent  # refused ones never reached the transport
    assert all(r.url.host == GLOBAL_V4 for r in transport.requests)
    assert [r.message for r in caplog.records if "worker failed" in r.getMessage()] == []
    cursor = await pool.fetchrow("SELECT position, consecutive_failures FROM webhook_cursors"
                                 " WHERE webhook_id = $1", hook)
    assert (cursor["position"], cursor["consecutive_failures"]) == (0, MAX_FAILURES)  # nothing skipped


async def test_a_refused_address_sends_nothing_and_a_global_one_is_pinned_for_the_request(
    dsn: str, pool: asyncpg.Pool, run: Callable[..., Any],
) -> None:
    """Production mode end to end: the same worker refuses one webhook and pins the other."""
    hooks = commands(pool, secrets=WebhookSecretTable(pool))
    cloud = (await hooks.register_webhook(req(), url="http://meta.example.cn/hook")).outcome.id
    good = (await hooks.register_webhook(req(), url="https://hook.example.cn:8443/in",
                                         start_after=0)).outcome.id
    await project(dsn)
    resolver = Resolver({"meta.example.cn": ["100.100.100.200", GLOBAL_V4],
                         "hook.example.cn": [GLOBAL_V4]})
    transport = Recorder()
    await run(config(allow_private=False), transport, resolver)

    await wait_until(lambda: paused_event(pool, cloud), 20, "the metadata webhook to be paused")
    await wait_until(lambda: len(transport.requests) >= 2, 20, "both events delivered")
    assert {r.url.host for r in transport.requests} == {GLOBAL_V4}
    assert {r.headers["host"] for r in transport.requests} == {"hook.example.cn:8443"}
    assert {r.headers["grassroots-webhook-id"] for r in transport.requests} == {str(good)}
    assert {r.extensions["sni_hostname"] for r in transport.requests} == {"hook.example.cn"}
    reason = (await paused_event(pool, cloud))["reason"]
    assert "100.100.100.200" in reason and "not globally routable" in reason


async def test_the_urls_the_attack_used_are_refused_at_registration_and_nothing_is_stored(
    pool: asyncpg.Pool,
) -> None:
    hooks = commands(pool, secrets=WebhookSecretTable(pool))
    before = await head(pool)
    for url in ("http://１２７.０.０.１:18796/", "http://127.0.0.1:99999/", "http://[::1/x"):
        with pytest.raises(InvalidInput) as err:
            await hooks.register_webhook(req(), url=url)
        assert err.value.field == "url"
    assert await head(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM webhook_secrets") == 0


async def test_a_worker_that_dies_is_started_again_only_after_the_backoff(
    dsn: str, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture,
) -> None:
    """Not a loop: a worker that keeps dying (here: its table is gone) is not restarted at
    every supervision round but after the delivery backoff (a minute here)."""
    hook = await stored_before_the_check(pool, "http://hook.example.cn/in")
    await project(dsn)
    await pool.execute("ALTER TABLE webhook_cursors RENAME TO webhook_cursors_gone")
    caplog.set_level(logging.ERROR, logger="projections.integrations.webhooks")
    deliverer = WebhookDeliverer(dsn, pool, LogNotifier(dsn), lambda *_: asyncio.sleep(0),
                                 config(allow_private=False, backoff=60.0),
                                 resolver=Resolver(), transport=Recorder())
    conn = await asyncpg.connect(dsn)
    started: list[asyncio.Task[None]] = []
    try:
        for _ in range(5):  # five supervision rounds, each after the worker has died
            await deliverer._supervise(conn)
            started += [t for t in deliverer._workers.values() if t not in started]
            await wait_until(lambda: all(t.done() for t in deliverer._workers.values()), 10,
                             "the worker to die")
    finally:
        await conn.close()
    assert len(started) == 1
    deaths = [r for r in caplog.records if "worker failed" in r.getMessage()]
    assert len(deaths) == 1 and str(hook) in deaths[0].getMessage()

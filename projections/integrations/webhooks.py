"""Webhook delivery: signed POSTs of matching events, in order, at least once.

- Per subscription, events go out one at a time in position order, read with
  ``projections.feed.reading.read_page`` (the subscription's filter, within its
  organization). Its cursor in ``webhook_cursors`` moves only after a 2xx answer, in
  the same transaction that records the attempt; a crash between the receiver's 2xx
  and that commit repeats the event, so receivers dedupe by ``Grassroots-Event-Id``.
- Each attempt is a row in ``webhook_deliveries`` (status, response code, error,
  next retry). Failures are retried after ``tenacity``'s exponential backoff with
  jitter; the schedule survives restarts. After ``max_failures`` consecutive failures
  the subscription is paused through the domain (``Webhook.Paused`` by the system).
- Body: the same bytes as the NATS message (``integration_body`` of
  ``projections.feed.document``): complete, without ``commandId``; admins register them.
- Signature: ``Grassroots-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
  "<t>." + body with the subscription's secret>``; receivers refuse timestamps more
  than 5 minutes away from their clock.
- One active deliverer across processes (session advisory lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import httpx
from tenacity import wait_exponential_jitter

from domain.shared.ports import RecordedEvent
from eventstore.db import init_connection
from eventstore.notifier import LogNotifier
from eventstore.reconnect import run_reconnecting
from projections.feed.document import integration_body
from projections.feed.reading import EventFilter, read_page

log = logging.getLogger(__name__)

LOCK_KEY = int.from_bytes(hashlib.sha256(b"webhook-delivery").digest()[:8], "big", signed=True)
REPLAY_WINDOW_SECONDS = 300
"""How far a receiver should accept ``Grassroots-Timestamp`` from its own clock."""
_TRANSIENT = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
              asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CannotConnectNowError)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Grassroots-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float | None = None,
           window: int = REPLAY_WINDOW_SECONDS) -> bool:
    """What a receiver does: a fresh timestamp and a matching HMAC."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if not parts.get("t", "").isdigit():
        return False
    ts = int(parts["t"])
    if abs((time.time() if now is None else now) - ts) > window:
        return False
    return hmac.compare_digest(sign(secret, ts, body), f"t={ts},v1={parts.get('v1', '')}")


class WebhookSecretTable:
    """``domain.webhooks.handlers.WebhookSecrets`` over the ``webhook_secrets`` table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def put(self, webhook_id: UUID, secret: str) -> None:
        await self.pool.execute(
            "INSERT INTO webhook_secrets (webhook_id, secret) VALUES ($1, $2)"
            " ON CONFLICT (webhook_id) DO UPDATE SET secret = excluded.secret",
            webhook_id, secret)

    async def get(self, webhook_id: UUID) -> str | None:
        value: str | None = await self.pool.fetchval(
            "SELECT secret FROM webhook_secrets WHERE webhook_id = $1", webhook_id)
        return value

    async def delete(self, webhook_id: UUID) -> None:
        await self.pool.execute("DELETE FROM webhook_secrets WHERE webhook_id = $1", webhook_id)


@dataclass(frozen=True)
class DeliveryConfig:
    """Retry schedule, limits and timeouts of webhook delivery."""

    # The settings' values, with no defaults here: each default is written once, in
    # api/config.py, and bootstrap passes them (api.bootstrap.delivery_config).
    max_failures: int
    """Consecutive failures after which the subscription is paused."""
    backoff_initial: float
    backoff_max: float
    timeout: float
    allow_private: bool
    """Whether URLs may resolve to loopback, private, link-local or reserved addresses."""
    page_size: int = 100

    @classmethod
    def of(cls, integrations: Any) -> DeliveryConfig:
        """The delivery settings from ``api.config.IntegrationSettings``."""
        i = integrations
        return cls(max_failures=i.webhook_max_failures, backoff_initial=i.webhook_backoff_initial,
                   backoff_max=i.webhook_backoff_max, timeout=i.webhook_timeout,
                   allow_private=i.webhook_allow_private)

    def backoff(self, failures: int) -> float:
        """Seconds before the next attempt after ``failures`` consecutive failures."""
        wait = wait_exponential_jitter(multiplier=self.backoff_initial, max=self.backoff_max,
                                       jitter=self.backoff_initial)
        return float(wait(SimpleNamespace(attempt_number=failures)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Attempt:
    """The outcome of one POST."""

    ok: bool
    response_code: int | None
    error: str | None
    duration_ms: int


class AddressNotAllowed(Exception):
    """The URL resolves to an address webhooks may not reach."""


async def check_address(url: str) -> None:
    """Refuse hosts that resolve to internal addresses (light SSRF protection)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (address.is_private or address.is_loopback or address.is_link_local
                or address.is_reserved or address.is_multicast or address.is_unspecified):
            raise AddressNotAllowed(f"{host} resolves to {address}, which webhooks may not reach")


class WebhookDeliverer:
    """Runs one delivery worker per active subscription, in one process at a time."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, notifier: LogNotifier,
                 suspend: Callable[[UUID, str], Awaitable[Any]],
                 config: DeliveryConfig) -> None:
        self.dsn = dsn
        self.pool = pool
        self.notifier = notifier
        self.suspend = suspend
        self.config = config
        self.active = False
        self._workers: dict[UUID, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None

    async def run(self) -> None:
        await run_reconnecting(self._run_connected, "webhook delivery", _TRANSIENT, log)

    async def _run_connected(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await init_connection(conn)
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):  # noqa: ASYNC110
                await asyncio.sleep(1.0)  # another process delivers; stand by
            self.active = True
            self._client = httpx.AsyncClient(timeout=self.config.timeout, follow_redirects=False,
                                             headers={"User-Agent": "grassroots-ledger-webhooks"})
            while True:
                await self._supervise(conn)
                await self.notifier.wait_beyond(self.notifier.latest, timeout=0.5)
        finally:
            self.active = False
            for task in self._workers.values():
                task.cancel()
            for task in self._workers.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._workers.clear()
            if self._client is not None:
                await self._client.aclose()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _supervise(self, conn: asyncpg.Connection) -> None:
        """Start a worker per active subscription; stop those paused or removed."""
        rows = await conn.fetch("SELECT * FROM webhooks WHERE status = 'ACTIVE'")
        hooks = {r["id"]: r for r in rows}
        for hook_id, task in list(self._workers.items()):
            if hook_id not in hooks:
                task.cancel()
            if task.done():
                del self._workers[hook_id]
                if not task.cancelled() and task.exception() is not None:
                    log.error("webhook %s worker failed", hook_id, exc_info=task.exception())
        for hook_id, hook in hooks.items():
            if hook_id not in self._workers:
                self._workers[hook_id] = asyncio.create_task(self._worker(hook),
                                                             name=f"webhook-{hook_id}")

    async def _worker(self, hook: asyncpg.Record) -> None:
        hook_id = hook["id"]
        await self.pool.execute(
            "INSERT INTO webhook_cursors (webhook_id, position) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING", hook_id, hook["start_after"])
        cursor = await self.pool.fetchrow("SELECT * FROM webhook_cursors WHERE webhook_id = $1",
                                          hook_id)
        if cursor["consecutive_failures"] >= self.config.max_failures:
            if cursor["suspended_position"] is not None and \
                    hook["last_position"] <= cursor["suspended_position"]:
                return  # paused by us; the read model has not shown it yet
            await self.pool.execute(  # resumed since: start counting afresh
                "UPDATE webhook_cursors SET consecutive_failures = 0, next_attempt_at = NULL,"
                " suspended_position = NULL WHERE webhook_id = $1", hook_id)
        secret = await WebhookSecretTable(self.pool).get(hook_id)
        if secret is None:
            # Removal deletes the secret before the read model shows the removal: the
            # log says which it is, so a just-removed webhook is not "paused".
            removed = await self.pool.fetchval(
                "SELECT true FROM events WHERE stream_id = $1 AND event_type = 'Webhook.Removed'",
                hook_id)
            if not removed:
                await self._suspend(hook_id, "the webhook has no signing secret", 0)
            return
        flt = EventFilter(
            stream_types=frozenset(hook["stream_types"]) if hook["stream_types"] else None,
            event_types=frozenset(hook["event_types"]) if hook["event_types"] else None,
        )
        position = cursor["position"]
        while True:
            events, scanned = await read_page(self.pool, position, self.config.page_size, flt,
                                              hook["organization_id"])
            for fe in events:
                if not await self._deliver(hook, secret, fe.event):
                    return
                position = fe.position
            if scanned > position:
                await self.pool.execute(
                    "UPDATE webhook_cursors SET position = $2, updated_at = now()"
                    " WHERE webhook_id = $1 AND position < $2", hook_id, scanned)
                position = scanned
            if not events:
                await self.notifier.wait_beyond(position, timeout=1.0)
                if self.notifier.latest > position:
                    await asyncio.sleep(0.05)  # the read side is still catching up

    async def _deliver(self, hook: asyncpg.Record, secret: str, event: RecordedEvent) -> bool:
        """POST until a 2xx; False if the subscription had to be paused."""
        hook_id = hook["id"]
        body = integration_body(event)
        while True:
            state = await self.pool.fetchrow(
                "SELECT consecutive_failures, next_attempt_at FROM webhook_cursors"
                " WHERE webhook_id = $1", hook_id)
            if state["next_attempt_at"] is not None:
                wait = (state["next_attempt_at"] - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait)
            attempt_no = 1 + await self.pool.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2",
                hook_id, event.event_id)
            result = await self._post(hook, secret, event, body, attempt_no)
            if result.ok:
                async with self.pool.acquire() as conn, conn.transaction():
                    await self._record(conn, hook_id, event, attempt_no, result, None)
                    await conn.execute(
                        "UPDATE webhook_cursors SET position = $2, consecutive_failures = 0,"
                        " next_attempt_at = NULL, updated_at = now() WHERE webhook_id = $1",
                        hook_id, event.position)
                return True
            failures = state["consecutive_failures"] + 1
            give_up = failures >= self.config.max_failures
            next_at = None if give_up else \
                datetime.now(UTC) + timedelta(seconds=self.config.backoff(failures))
            async with self.pool.acquire() as conn, conn.transaction():
                await self._record(conn, hook_id, event, attempt_no, result, next_at)
                await conn.execute(
                    "UPDATE webhook_cursors SET consecutive_failures = $2, next_attempt_at = $3,"
                    " updated_at = now() WHERE webhook_id = $1", hook_id, failures, next_at)
            if give_up:
                reason = (f"paused after {failures} consecutive failed deliveries; last:"
                          f" {result.error}")
                await self._suspend(hook_id, reason, failures)
                return False

    async def _suspend(self, hook_id: UUID, reason: str, failures: int) -> None:
        outcome = await self.suspend(hook_id, reason)
        position = getattr(outcome, "position", None)
        if position is None:
            position = int(await self.pool.fetchval(
                "SELECT coalesce(max(position), 0) FROM events"))
        await self.pool.execute(
            "UPDATE webhook_cursors SET consecutive_failures = greatest($2::int, $4::int),"
            " suspended_position = $3 WHERE webhook_id = $1",
            hook_id, failures, position, self.config.max_failures)
        log.warning("webhook %s paused: %s", hook_id, reason)

    @staticmethod
    async def _record(conn: asyncpg.Connection, hook_id: UUID, event: RecordedEvent, attempt: int,
                      result: Attempt, next_at: datetime | None) -> None:
        await conn.execute(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, position, attempt, status,"
            " response_code, error, duration_ms, next_retry_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            hook_id, event.event_id, event.position, attempt,
            "DELIVERED" if result.ok else "FAILED", result.response_code, result.error,
            result.duration_ms, next_at)

    async def _post(self, hook: asyncpg.Record, secret: str, event: RecordedEvent, body: bytes,
                    attempt: int) -> Attempt:
        assert self._client is not None
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "Grassroots-Event-Id": str(event.event_id),
            "Grassroots-Event-Type": event.event_type,
            "Grassroots-Position": str(event.position),
            "Grassroots-Webhook-Id": str(hook["id"]),
            "Grassroots-Delivery-Attempt": str(attempt),
            "Grassroots-Timestamp": str(timestamp),
            "Grassroots-Signature": sign(secret, timestamp, body),
        }
        try:
            if not self.config.allow_private:
                await check_address(hook["url"])
            response = await self._client.post(hook["url"], content=body, headers=headers)
        except AddressNotAllowed as exc:
            return Attempt(False, None, str(exc), took())
        except (httpx.HTTPError, OSError) as exc:
            return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:500], took())
        if 200 <= response.status_code < 300:
            return Attempt(True, response.status_code, None, took())
        return Attempt(False, response.status_code, f"HTTP {response.status_code}", took())

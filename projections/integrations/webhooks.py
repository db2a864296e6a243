"""Webhook delivery: signed POSTs of matching events, in order, at least once.

- Per subscription, events go out one at a time in position order, read with
  ``projections.feed.reading.read_page`` (the subscription's filter; the events an
  actor scoped to its organization may read, by the queries' read rule judged when the
  deliverer reads them, with no role limit: admins register webhooks). Its cursor in
  ``webhook_cursors`` moves only after a 2xx answer, in the same transaction that
  records the attempt; a crash between the receiver's 2xx and that commit repeats the
  event, so receivers dedupe by ``Grassroots-Event-Id``.
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
- Any failure of an attempt, of whatever exception type (a URL registered before it was
  checked whole, a refused address, a transport error, a bug), is a failed attempt:
  recorded, retried after the backoff, counted towards the pause. A worker that still
  dies (the database went away) is restarted after the same backoff, never in a loop.
- Addresses: the host name is resolved once per attempt (``Resolver``) and the request
  goes to a resolved address itself (the URL's host replaced by the address; ``Host``
  and the TLS server name, SNI and certificate check, kept), so no second lookup (DNS
  rebinding) can change where it goes. With ``GRASSROOTS_WEBHOOK_ALLOW_PRIVATE=0`` (the
  production default) every address the host is or resolves to must be globally
  routable (``address_refusal``), else nothing is sent. Redirects are never followed
  (a 3xx is a failed attempt). Each subscription has its own connection pool, so a
  connection verified for one host name never carries another's request.
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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from tenacity import wait_exponential_jitter

from domain.shared.errors import InvalidInput
from domain.shared.ports import RecordedEvent
from domain.webhooks.aggregate import check_url
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
    # api/config.py, and bootstrap passes them (``DeliveryConfig.of``, called by api/app.py).
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
    """The URL's host is, or resolves to, an address webhooks may not reach."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port)`` -> the addresses (as text) the host name resolves to; injected in tests."""
MAX_ADDRESSES = 3
"""Checked addresses tried in turn when the first refuses the connection."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (``getaddrinfo``), each address once, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_SPECIAL: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), what) for net, what in (
        ("0.0.0.0/8", "'this network'"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared address space of carrier-grade NAT and cloud metadata"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local, cloud metadata"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved, broadcast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible (deprecated)"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol assignments, Teredo"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "SRv6 segment identifiers"),
        ("fc00::/7", "unique local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
    ))
"""Ranges that are never a webhook receiver, named for the refusal (IANA's special-purpose
registries; several of them ``ipaddress`` calls global: 100.64.0.0/10, fec0::/10, ...)."""
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def address_refusal(address: IPAddress) -> str | None:
    """Why webhooks may not reach ``address``, or None if it is globally routable.

    An IPv6 address that carries an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4
    ``2002:AABB:CCDD::``, NAT64 ``64:ff9b::a.b.c.d``) is judged by the IPv4 address it
    leads to. Then: none of ``_SPECIAL``; IPv6 only in global unicast (2000::/3); and
    ``ipaddress``'s own ``is_global`` for whatever it knows besides.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            why = address_refusal(embedded)
            if why is not None:
                return f"it leads to {embedded}: {why}"
            if address.ipv4_mapped or address in _NAT64:
                return None
    for network, what in _SPECIAL:
        if address.version == network.version and address in network:
            return what
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST:
        return "not IPv6 global unicast"
    if not address.is_global or address.is_multicast or address.is_reserved:
        return "not globally routable"
    return None


def _default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _host(url: httpx.URL) -> str:
    """The URL's host as requested: ASCII (``xn--`` for an international name), IPv6 unbracketed."""
    return url.raw_host.decode("ascii")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def checked_addresses(url: httpx.URL, resolver: Resolver, resolve_within: float, *,
                            allow_private: bool = False) -> list[IPAddress]:
    """The addresses ``url``'s host is (an IP literal) or resolves to (one lookup, within
    ``resolve_within`` seconds). Unless ``allow_private``, every one of them must be
    allowed (``address_refusal``): ``AddressNotAllowed`` if any is not, or if there are none."""
    host = _host(url)
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        async with asyncio.timeout(resolve_within):
            found = await resolver(host, _default_port(url))
        addresses = list(dict.fromkeys(ipaddress.ip_address(a) for a in found))
        if not addresses:
            raise AddressNotAllowed(f"{host} resolves to no address")
    for address in [] if allow_private else addresses:
        why = address_refusal(address)
        if why is not None:
            shown = host if literal is not None else f"{host} resolves to {address}, which"
            raise AddressNotAllowed(f"{shown} is not globally routable ({why}); webhooks may not reach it")
    return addresses


async def post_checked(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], *,
                       allow_private: bool, resolver: Resolver, resolve_within: float) -> httpx.Response:
    """POST ``body`` to a subscription's ``url`` under the address policy (module docstring).

    The stored URL is checked again as registration checks it (``check_url``), so one
    registered before that check fails here like any other attempt, before any lookup.
    The host name is resolved once and the request goes to a resolved address itself
    (checked, unless private addresses are allowed), with the URL's host kept in
    ``Host`` and, for https, as the TLS server name (SNI and the certificate check).
    Redirects are not followed: the 3xx is the answer. httpx pools connections by the
    address then, so give ``client`` to one subscription (one host name) only, as the
    deliverer does: a connection verified for one name must not carry another's request.
    """
    target = httpx.URL(check_url(url))
    addresses = await checked_addresses(target, resolver, resolve_within, allow_private=allow_private)
    if _literal(_host(target)) is not None:  # nothing was resolved, so nothing to pin
        return await client.post(target, content=body, headers=headers)
    pinned_headers = {**headers, "Host": target.netloc.decode("ascii")}
    extensions = {"sni_hostname": _host(target)} if target.scheme == "https" else {}
    refused: httpx.ConnectError | None = None
    for address in addresses[:MAX_ADDRESSES]:
        try:
            return await client.post(target.copy_with(host=str(address)), content=body,
                                     headers=pinned_headers, extensions=extensions)
        except httpx.ConnectError as exc:  # try the next address (checked too)
            refused = exc
    assert refused is not None
    raise refused


class WebhookDeliverer:
    """Runs one delivery worker per active subscription, in one process at a time.

    ``resolver`` and ``transport`` are for tests (and an operator's egress set-up): the
    name lookup of the address check, and the httpx transport every POST goes through
    (shared by all workers; by default each worker has a client of its own).
    """

    def __init__(self, dsn: str, pool: asyncpg.Pool, notifier: LogNotifier,
                 suspend: Callable[[UUID, str], Awaitable[Any]],
                 config: DeliveryConfig, *, resolver: Resolver = system_resolver,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.dsn = dsn
        self.pool = pool
        self.notifier = notifier
        self.suspend = suspend
        self.config = config
        self.resolver = resolver
        self.transport = transport
        self.active = False
        self._workers: dict[UUID, asyncio.Task[None]] = {}
        self._crashes: dict[UUID, tuple[int, float]] = {}
        """Per subscription: workers that died in a row, and when to start the next one."""

    async def run(self) -> None:
        await run_reconnecting(self._run_connected, "webhook delivery", _TRANSIENT, log)

    async def _run_connected(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await init_connection(conn)
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):  # noqa: ASYNC110
                await asyncio.sleep(1.0)  # another process delivers; stand by
            self.active = True
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
            with contextlib.suppress(Exception):
                await conn.close()

    async def _supervise(self, conn: asyncpg.Connection) -> None:
        """Start a worker per active subscription; stop those paused or removed.

        A worker that died (not an attempt that failed: those are recorded) is started
        again only after the delivery backoff, doubling with each death in a row.
        """
        rows = await conn.fetch("SELECT * FROM webhooks WHERE status = 'ACTIVE'")
        hooks = {r["id"]: r for r in rows}
        now = time.monotonic()
        for hook_id, task in list(self._workers.items()):
            if hook_id not in hooks:
                task.cancel()
            if task.done():
                del self._workers[hook_id]
                if not task.cancelled() and task.exception() is not None:
                    crashes = self._crashes.get(hook_id, (0, now))[0] + 1
                    wait = self.config.backoff(crashes)
                    self._crashes[hook_id] = (crashes, now + wait)
                    log.error("webhook %s worker failed (%d in a row); starting it again in %.1fs",
                              hook_id, crashes, wait, exc_info=task.exception())
        for hook_id in [h for h in self._crashes if h not in hooks]:
            del self._crashes[hook_id]  # paused or removed: resuming starts afresh
        for hook_id, hook in hooks.items():
            if hook_id not in self._workers and now >= self._crashes.get(hook_id, (0, now))[1]:
                self._workers[hook_id] = asyncio.create_task(self._worker(hook),
                                                             name=f"webhook-{hook_id}")

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=self.config.timeout,
                                 follow_redirects=False,
                                 headers={"User-Agent": "grassroots-ledger-webhooks"})

    async def _worker(self, hook: asyncpg.Record) -> None:
        # A client (and so a connection pool) per subscription: see the module docstring.
        client = self._new_client()
        try:
            await self._work(hook, client)
        finally:
            if self.transport is None:  # an injected transport belongs to whoever gave it
                await client.aclose()

    async def _work(self, hook: asyncpg.Record, client: httpx.AsyncClient) -> None:
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
                if not await self._deliver(client, hook, secret, fe.event):
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

    async def _deliver(self, client: httpx.AsyncClient, hook: asyncpg.Record, secret: str,
                       event: RecordedEvent) -> bool:
        """POST until a 2xx; False if the subscription had to be paused."""
        hook_id = hook["id"]
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
            result = await self._post(client, hook, secret, event, attempt_no)
            if result.ok:
                self._crashes.pop(hook_id, None)
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

    async def _post(self, client: httpx.AsyncClient, hook: asyncpg.Record, secret: str,
                    event: RecordedEvent, attempt: int) -> Attempt:
        """One attempt. Whatever goes wrong in it, of any exception type, is its failure."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            body = integration_body(event)
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
            response = await post_checked(client, hook["url"], body, headers,
                                          allow_private=self.config.allow_private,
                                          resolver=self.resolver,
                                          resolve_within=self.config.timeout)
        except (AddressNotAllowed, InvalidInput) as exc:
            return Attempt(False, None, str(exc)[:500], took())
        except Exception as exc:  # every failure is a failed attempt, never a crash
            if not isinstance(exc, httpx.HTTPError | OSError | TimeoutError):
                log.warning("webhook %s: attempt %d failed unexpectedly", hook["id"], attempt,
                            exc_info=exc)
            return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:500], took())
        if 200 <= response.status_code < 300:
            return Attempt(True, response.status_code, None, took())
        return Attempt(False, response.status_code, f"HTTP {response.status_code}", took())

"""The NATS JetStream relay: every event of the log, once, in position order.

- Subject ``grassroots.<stream type>.<event name>``, where the event name is the last
  segment of the event type: ``Member.TransferRequested`` of stream type ``Member``
  goes to ``grassroots.Member.TransferRequested``. Characters a subject token may not
  hold (``.``, ``*``, ``>``, whitespace) become ``_``.
- Header ``Nats-Msg-Id`` = the event id, so JetStream drops a message it already
  stored within the stream's duplicate window; ``Grassroots-Position`` = the position.
- Body: the event document (``projections.feed.document.integration_body``: every field
  but ``commandId``, compact JSON), payload in its current shape (upcast like every
  other reader's) and complete (system-level: no masking; control who may read the
  stream with NATS accounts and permissions). Webhooks send the same bytes.
- Publishes are pipelined (bounded in flight) and their acks awaited in order; the
  position recorded in ``relay_positions`` only ever covers events whose own ack and
  every earlier ack arrived. After a crash the relay republishes from there and
  JetStream drops the repeats, so a consumer sees each event once.
- One active relay per name across processes (session advisory lock); it wakes on
  LISTEN/NOTIFY through ``LogNotifier`` and polls every second as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats
import nats.errors
import nats.js.errors
from nats.js.api import StorageType, StreamConfig

from domain.shared.ports import RecordedEvent
from domain.shared.upcasting import UnknownSchemaVersion
from eventstore.db import init_connection
from eventstore.notifier import LogNotifier
from eventstore.postgres import EVENT_COLUMNS, row_to_event
from eventstore.reconnect import run_reconnecting
from projections.feed.document import integration_body

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "grassroots"
_BAD_TOKEN = re.compile(r"[.*>\s]")
_SELECT = f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
_TRANSIENT = (OSError, asyncio.TimeoutError, asyncpg.InterfaceError,
              asyncpg.PostgresConnectionError, asyncpg.exceptions.AdminShutdownError,
              asyncpg.exceptions.CannotConnectNowError, nats.errors.Error)


def _token(text: str) -> str:
    return _BAD_TOKEN.sub("_", text) or "_"


def subject_for(stream_type: str, event_type: str) -> str:
    """``grassroots.<stream type>.<last segment of the event type>``."""
    return f"{SUBJECT_PREFIX}.{_token(stream_type)}.{_token(event_type.rsplit('.', 1)[-1])}"


def event_body(event: RecordedEvent | asyncpg.Record) -> bytes:
    """The message body of one event (a ``RecordedEvent``, or a log row read with
    ``EVENT_COLUMNS``, which is upcast first): ``integration_body``."""
    if not isinstance(event, RecordedEvent):
        event = row_to_event(event)
    return integration_body(event)


def relay_lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"relay:{name}".encode()).digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class RelayConfig:
    """Where and how the relay publishes."""

    # The settings' values, with no defaults here: each default is written once, in
    # api/config.py, and bootstrap passes them (``relay_config`` below, called by api/app.py).
    nats_url: str
    stream: str
    duplicate_window: float
    """Seconds JetStream remembers message ids (set when the relay creates the stream)."""
    name: str = "nats"
    """Key of this relay's row in ``relay_positions`` and of its advisory lock."""
    page_size: int = 2000
    max_in_flight: int = 1000
    ack_timeout: float = 10.0


@dataclass
class RelayState:
    """What the relay reports about itself."""

    position: int = 0
    active: bool = False
    published: int = 0
    last_error: str | None = None


class RelayFailed(RuntimeError):
    """Some publish was not acknowledged; the relay reconnects and resumes."""


async def ensure_stream(js: Any, config: RelayConfig) -> None:
    """Create the stream (subjects ``grassroots.>``) if it does not exist yet."""
    try:
        await js.stream_info(config.stream)
    except nats.js.errors.NotFoundError:
        with contextlib.suppress(nats.js.errors.BadRequestError):  # created concurrently
            await js.add_stream(StreamConfig(
                name=config.stream, subjects=[f"{SUBJECT_PREFIX}.>"],
                storage=StorageType.FILE, duplicate_window=config.duplicate_window,
            ))


class NatsRelay:
    """Publishes the log to a JetStream stream, resuming where the last acked event was."""

    def __init__(self, dsn: str, config: RelayConfig, notifier: LogNotifier | None = None,
                 on_progress: Callable[[int], None] | None = None,
                 on_acked: Callable[[int], None] | None = None) -> None:
        self.dsn = dsn
        self.config = config
        self.notifier = notifier
        self.on_progress = on_progress
        self.on_acked = on_acked
        """Called with each acknowledged position (before it is recorded); for tests."""
        self.state = RelayState()

    async def run(self) -> None:
        """Run until cancelled; reconnect (to PostgreSQL or NATS) with back-off."""
        def lost(exc: BaseException) -> None:
            self.state.active = False
            self.state.last_error = repr(exc)

        await run_reconnecting(self._run_connected, f"NATS relay {self.config.name}",
                               (*_TRANSIENT, RelayFailed), log, lost)

    async def _run_connected(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        nc = None
        try:
            await init_connection(conn)
            await conn.execute("INSERT INTO relay_positions (name) VALUES ($1)"
                               " ON CONFLICT DO NOTHING", self.config.name)
            lock = relay_lock_key(self.config.name)
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):  # noqa: ASYNC110
                await asyncio.sleep(1.0)  # another process relays; stand by
            nc = await nats.connect(self.config.nats_url, connect_timeout=5,
                                    max_reconnect_attempts=3, allow_reconnect=True)
            js = nc.jetstream(timeout=self.config.ack_timeout,
                              publish_async_max_pending=self.config.max_in_flight)
            await ensure_stream(js, self.config)
            self.state.position = await conn.fetchval(
                "SELECT position FROM relay_positions WHERE name = $1", self.config.name)
            self.state.active = True
            log.info("NATS relay %s active from position %d", self.config.name,
                     self.state.position)
            while True:
                rows = await conn.fetch(_SELECT, self.state.position, self.config.page_size)
                if rows:
                    await self.publish_page(conn, js, rows)
                elif self.notifier is not None:
                    await self.notifier.wait_beyond(self.state.position, timeout=1.0)
                else:
                    await asyncio.sleep(0.2)
        finally:
            self.state.active = False
            if nc is not None:
                with contextlib.suppress(Exception):
                    await nc.close()
            with contextlib.suppress(Exception):
                await conn.close()

    async def publish_page(self, conn: asyncpg.Connection, js: Any, rows: list[Any]) -> None:
        """Publish ``rows`` pipelined; record the position of the acked prefix."""
        futures: list[asyncio.Future[Any]] = []
        error: BaseException | None = None
        try:
            for row in rows:
                event = row_to_event(row)
                futures.append(await js.publish_async(
                    subject_for(event.stream_type, event.event_type), integration_body(event),
                    wait_stall=self.config.ack_timeout,
                    headers={"Nats-Msg-Id": str(event.event_id),
                             "Grassroots-Position": str(event.position)},
                ))
        except (nats.errors.Error, OSError) as exc:
            error = exc
        except UnknownSchemaVersion as exc:
            # Written by newer code: publish nothing past it (as every reader refuses it),
            # record what came before, and retry until this code is upgraded.
            error = exc
        if futures:
            await asyncio.wait(futures, timeout=self.config.ack_timeout)
        acked = 0
        for future in futures:  # the acked prefix: stop at the first missing ack
            if not future.done():
                error = error or TimeoutError("no ack within the timeout")
                break
            if future.cancelled() or future.exception() is not None:
                error = error or future.exception() or RelayFailed("publish cancelled")
                break
            acked += 1
            if self.on_acked is not None:
                self.on_acked(rows[acked - 1]["position"])
        for future in futures[acked:]:
            future.cancel()
        if acked:
            position = rows[acked - 1]["position"]
            await conn.execute("UPDATE relay_positions SET position = $2, updated_at = now()"
                               " WHERE name = $1", self.config.name, position)
            self.state.position = position
            self.state.published += acked
            if self.on_progress is not None:
                self.on_progress(position)
        if error is not None:
            raise RelayFailed(f"publish not acknowledged after position {self.state.position}:"
                              f" {error!r}") from error


def relay_config(integrations: Any) -> RelayConfig:
    """The relay's settings from ``api.config.IntegrationSettings``."""
    return RelayConfig(nats_url=integrations.nats_url, stream=integrations.nats_stream,
                       duplicate_window=integrations.nats_duplicate_window)


async def run_standalone(dsn: str, integrations: Any) -> None:
    """``grassroots relay nats``: the relay with a notifier of its own."""
    notifier = LogNotifier(dsn)
    await notifier.start()
    try:
        await NatsRelay(dsn, relay_config(integrations), notifier).run()
    finally:
        await notifier.stop()

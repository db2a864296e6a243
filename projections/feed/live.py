"""The live event feed: one reader per process, fanned out to every subscriber.

How it works
- One broadcaster task per process wakes on the process's single LISTEN connection
  (``LogNotifier``), waits until the scope projections have applied the new events
  (``readable_head``), reads them once, page by page, and appends them to a shared
  ring of the most recent ``buffer_size`` events. It holds no database connection of
  its own between reads and none per subscriber. Several server processes each run
  their own broadcaster; the wake-up is PostgreSQL's NOTIFY and the data the events
  table, so every process delivers every event.
- A subscriber is a cursor: the position of the last event it has dealt with
  (delivered, or skipped because it does not match). A new subscriber reads the events
  above its cursor from the database (``read_page``) until it reaches the ring's end,
  which is how it catches up from an old (or a recent) position; from then on it takes
  them from the ring while the ring still holds them.
- Hand-over from catch-up to live needs no lock and cannot gap or repeat: the ring
  holds *every* event in ``(ring_start, position]``, so once the cursor has reached the
  ring's end the ring can serve everything after it (for as long as the cursor stays at
  or above ``ring_start``); before that the subscriber reads ``position > cursor`` from
  the database. Both paths only ever take events strictly above the cursor and move it
  forward.
- Bounded memory: the ring is shared and holds at most ``buffer_size`` events (a
  subscriber only holds references to the batch it is delivering). A subscriber that
  was live and whose cursor falls out of the ring (more than ``buffer_size`` events
  behind) is closed with ``SubscriberFellBehind``, which names the position to resume
  after. A subscriber that is still catching up reads from the database at its own
  pace and is never closed for it.
- A subscriber's position counts only once its client has it. Socket back-pressure
  alone says nothing: permessage-deflate and the kernel's buffers absorb megabytes, so a
  client that stopped reading was never closed (until a keep-alive dropped it, with no
  position). A subscriber may be given a ``Consumer`` (the WebSocket connection's
  confirmations, ``api.graphql.feed.confirmations``): it is handed no event while its
  client has not confirmed ``buffer_size`` of those already sent. A live subscriber held
  there is closed with ``SubscriberFellBehind`` as soon as the ring no longer holds the
  event after its position; one catching up waits at its client's pace. When the
  connection closes a subscription (its client stopped answering, its token expired),
  the subscription ends with ``ConsumerClosed``, which also names the position to resume
  after: each of these closes happens between two deliveries, after the last event the
  client was sent, so resuming there is gap-free and duplicate-free.
- Fair: each delivery takes a turn of the process's ``Pacer``
  (``projections.feed.pacing``), so catch-ups and fan-out give the event loop back every
  couple of milliseconds and requests keep their latency; catch-ups read at most
  ``max_reads`` pages from the database at once, so they leave the pool to requests.
- A backlog larger than the ring (the scope projections catching up after a deploy,
  a bulk import) is not read into the ring at all: the broadcaster jumps to the
  readable head and live subscribers quietly go back to catching up from the
  database, so a burst does not close consumers that were keeping up.
- Who may read an event is the read rule of ``projections.feed.reading`` (the queries'
  rule, judged against the read models when the event is read): the broadcaster reads
  each event's organizations once, with the event, into the ring, and each live
  subscriber applies its scope and roles to them (``may_read_event``); a subscriber
  catching up applies the same rule in SQL. Either way an event is judged when the feed
  reads it: for a live subscriber as it commits, for one catching up (from any
  position, also one the ring still holds) when it catches up, as ``GET /events`` would.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from domain.shared.permissions import Role
from domain.shared.ports import RecordedEvent
from eventstore.notifier import LogNotifier
from projections.feed.pacing import Pacer
from projections.feed.reading import (
    READABLE_PROJECTIONS,
    EventFilter,
    FeedEvent,
    may_read_event,
    read_page,
    readable_head,
    unreadable_stream_types,
)

log = logging.getLogger(__name__)

Predicate = Callable[[RecordedEvent], bool]


class FeedClosed(Exception):
    """The feed ended a subscription; ``resume_after`` is where to subscribe again."""

    code = "FEED_CLOSED"

    def __init__(self, message: str, resume_after: int | None) -> None:
        super().__init__(message)
        self.resume_after = resume_after


class SubscriberFellBehind(FeedClosed):
    """The subscriber consumed events more slowly than they were committed."""

    code = "SUBSCRIBER_FELL_BEHIND"

    def __init__(self, resume_after: int, buffer_size: int) -> None:
        super().__init__(
            f"subscription closed: it fell more than {buffer_size} events behind the log;"
            f" subscribe again with after: {resume_after} to resume without a gap",
            resume_after,
        )


class ConsumerClosed(FeedClosed):
    """The subscription's connection closes it (its ``Consumer.closing`` gave the reason)."""

    def __init__(self, code: str, reason: str, resume_after: int) -> None:
        super().__init__(f"subscription closed: {reason}; subscribe again with after:"
                         f" {resume_after} to resume without a gap", resume_after)
        self.code = code


class Consumer(Protocol):
    """The receiving end of subscriptions, as far as the feed needs to know it: whether the
    client has confirmed enough of what it was sent to be sent more, and whether the
    connection is closing. One per WebSocket connection, shared by its subscriptions."""

    def has_room(self) -> bool:
        """Whether another event may be handed over now."""

    def closing(self) -> tuple[str, str] | None:
        """``(code, reason)`` once the connection ends its subscriptions, else ``None``."""

    def changed(self) -> asyncio.Future[None]:
        """A future done when ``has_room`` or ``closing`` may have changed."""


class TooManySubscribers(FeedClosed):
    """This server process already serves as many subscriptions as it allows."""

    code = "TOO_MANY_SUBSCRIBERS"

    def __init__(self, limit: int) -> None:
        super().__init__(f"this server already serves {limit} subscriptions; try another"
                         " server or later", None)


@dataclass(eq=False)
class _Subscriber:
    cursor: int
    live: bool = False
    caught_up: bool = False
    """Has reached the ring's end once: from then on the ring may serve it."""


@dataclass
class FeedStats:
    """Counters for metrics and tests."""

    subscribers: int = 0
    live: int = 0
    deliveries: int = 0
    closed_behind: int = 0
    pages_read: int = 0
    held: int = 0
    """Times a delivery waited for its client to confirm what it was sent."""


class EventFeed:
    """The per-process broadcaster of the log to subscribers (see the module docstring)."""

    def __init__(
        self, pool: asyncpg.Pool, notifier: LogNotifier, *, runners: dict[str, Any] | None = None,
        settled: Callable[[int, float], Awaitable[Any]] | None = None,
        buffer_size: int, max_subscribers: int, page_size: int = 500,
        max_reads: int | None = None, pacer: Pacer | None = None,
    ) -> None:
        """``runners`` and ``settled`` (``Supervisor.runners`` and ``Supervisor.wait_for``)
        let the feed follow projections that run in this process without polling.
        ``max_reads``: pages catching-up subscribers read at once (default: a quarter of
        the pool, at least one), so that requests always find a connection."""
        self.pool = pool
        self.notifier = notifier
        self.runners = runners or {}
        self.settled = settled
        self.buffer_size = buffer_size
        self.page_size = page_size
        self.max_subscribers = max_subscribers
        self.position = 0
        """Every event up to here has been read into the ring (or skipped, when idle)."""
        self.ring_start = 0
        """The ring holds every event with a position in (ring_start, position]."""
        self._ring: list[FeedEvent] = []
        self._subscribers: set[_Subscriber] = set()
        self._wake: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.stats = FeedStats()
        self.pacer = pacer or Pacer()
        if max_reads is None:
            max_reads = max(1, pool.get_max_size() // 4)
        self._reads = asyncio.Semaphore(max_reads)

    # -- the broadcaster ----------------------------------------------------------------

    async def start(self) -> None:
        self.position = self.ring_start = await self._readable()
        self._task = asyncio.create_task(self._run(), name="event-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _readable(self) -> int:
        """The readable head, from this process's runners when they are active here."""
        states = [getattr(self.runners.get(n), "state", None) for n in READABLE_PROJECTIONS]
        if all(s is not None and s.active and not s.failed for s in states):
            return min(s.position for s in states)  # type: ignore[union-attr]
        return await readable_head(self.pool)

    async def _run(self) -> None:
        delay = 0.002
        while True:
            try:
                readable = await self._readable()
                if readable > self.position:
                    await self._advance(readable)
                    delay = 0.002
                    continue
                if self.notifier.latest > readable:
                    # Appended but not yet applied by the scope projections: wait for
                    # their progress here, or poll them (backing off) in another process.
                    if self.settled is not None:
                        await self.settled(self.notifier.latest, delay * 25)
                    else:
                        await asyncio.sleep(delay)
                    delay = min(delay * 2, 0.1)
                    continue
                await self.notifier.wait_beyond(readable, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("event feed could not read the log (%s); retrying", exc)
                await asyncio.sleep(0.5)

    async def _advance(self, readable: int) -> None:
        if not self._subscribers or readable - self.position > self.buffer_size:
            self._jump(readable)
            return
        page, scanned = await read_page(self.pool, self.position, self.page_size, EventFilter(),
                                        None, head=readable)
        self.stats.pages_read += 1
        self._ring.extend(page)
        self.position = max(self.position, scanned)
        overflow = len(self._ring) - self.buffer_size
        if overflow > 0:
            self.ring_start = self._ring[overflow - 1].position
            del self._ring[:overflow]
        elif not self._ring:
            self.ring_start = self.position
        self._notify()

    def _jump(self, readable: int) -> None:
        """Skip reading into the ring: nobody listens, or the backlog would not fit.

        A backlog larger than the ring (projections catching up after a deploy, a bulk
        import) is not any subscriber's fault: live subscribers go back to catching
        up from the database at their own pace instead of being closed.
        """
        self._ring.clear()
        self.ring_start = self.position = readable
        for sub in self._subscribers:
            if sub.live:
                sub.live = False
                self.stats.live -= 1
        self._notify()

    def _notify(self) -> None:
        wake, self._wake = self._wake, None
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _woken(self) -> asyncio.Future[None]:
        """The future the next ``_notify`` completes (each waiter waits on it through
        ``asyncio.wait``, which never cancels it: it is shared)."""
        if self._wake is None:
            self._wake = asyncio.get_running_loop().create_future()
        return self._wake

    def _batch_after(self, cursor: int) -> list[FeedEvent]:
        i = bisect.bisect_right(self._ring, cursor, key=lambda fe: fe.position)
        return self._ring[i:]

    # -- subscribers --------------------------------------------------------------------

    async def subscribe(
        self, after: int | None, flt: EventFilter, actor_scope: UUID | None,
        predicate: Predicate | None = None, *, roles: Collection[Role] | None = None,
        consumer: Consumer | None = None, bound_to: str | None = None, grid: UUID | None = None,
    ) -> AsyncIterator[RecordedEvent]:
        """Every matching event after ``after`` in position order, then live ones, forever.

        ``after=None`` starts at the current end of the feed (live events only).
        Events must match ``flt``, be readable by an actor with ``actor_scope`` (``None``
        = whole system), ``roles`` (``None`` = no role limit; see ``read_events``) and
        ``bound_to`` (a subject-bound reader's subject: only its streams), ``grid`` (a
        grid-scoped reader's grid: only the events that concern it) and satisfy
        ``predicate``. ``consumer``: the connection that receives them, whose
        confirmations pace the subscriber (see the module docstring). Raises
        ``SubscriberFellBehind`` when the consumer falls more than ``buffer_size`` events
        behind while live, ``ConsumerClosed`` when the consumer closes the subscription,
        and ``TooManySubscribers`` at the per-process limit.
        """
        if len(self._subscribers) >= self.max_subscribers:
            raise TooManySubscribers(self.max_subscribers)
        start = self.position if after is None else max(after, 0)
        sub = _Subscriber(cursor=start)
        self._subscribers.add(sub)
        self.stats.subscribers = len(self._subscribers)
        try:
            async for event in self._follow(sub, flt, actor_scope, predicate, roles, consumer, bound_to, grid):
                yield event
        finally:
            self._subscribers.discard(sub)
            self.stats.subscribers = len(self._subscribers)
            if sub.live:
                self.stats.live -= 1

    def _matches(self, fe: FeedEvent, flt: EventFilter, scope: UUID | None,
                 unreadable: frozenset[str], predicate: Predicate | None, bound_to: str | None,
                 grid: UUID | None = None) -> bool:
        return (flt.matches_row(fe.event, fe.within) and may_read_event(fe, scope, unreadable, bound_to, grid)
                and (predicate is None or predicate(fe.event)))

    async def _hand_over(self, sub: _Subscriber, consumer: Consumer | None) -> None:
        """Wait until the next event may go to ``sub``: its turn of the event loop, and
        room in what its client has confirmed. The cursor is the last event handed over,
        so every close from here names exactly what the client was sent."""
        await self.pacer.turn()
        if consumer is None:
            return
        while True:
            closing = consumer.closing()
            if closing is not None:
                raise ConsumerClosed(*closing, sub.cursor)
            if consumer.has_room():
                return
            if sub.live and sub.cursor < self.ring_start:
                self.stats.closed_behind += 1
                raise SubscriberFellBehind(sub.cursor, self.buffer_size)
            self.stats.held += 1
            await asyncio.wait((consumer.changed(), self._woken()),
                               return_when=asyncio.FIRST_COMPLETED)

    async def _idle(self, wake: asyncio.Future[None], sub: _Subscriber,
                    consumer: Consumer | None) -> None:
        """Wait for new events (or for the consumer to close the subscription)."""
        if consumer is None:
            await asyncio.wait((wake,))
            return
        await asyncio.wait((wake, consumer.changed()), return_when=asyncio.FIRST_COMPLETED)
        closing = consumer.closing()
        if closing is not None:
            raise ConsumerClosed(*closing, sub.cursor)

    async def _follow(self, sub: _Subscriber, flt: EventFilter, scope: UUID | None,
                      predicate: Predicate | None, roles: Collection[Role] | None,
                      consumer: Consumer | None, bound_to: str | None = None,
                      grid: UUID | None = None) -> AsyncIterator[RecordedEvent]:
        unreadable = unreadable_stream_types(roles)
        while True:
            wake = self._woken()  # taken before looking, so no append between is missed
            if sub.cursor >= self.position:
                sub.caught_up = True
            if sub.cursor >= self.ring_start and sub.caught_up:
                if not sub.live:
                    sub.live = True
                    self.stats.live += 1
                batch = self._batch_after(sub.cursor)
                if not batch:
                    await self._idle(wake, sub, consumer)
                    continue
                for fe in batch:
                    if self._matches(fe, flt, scope, unreadable, predicate, bound_to, grid):
                        await self._hand_over(sub, consumer)
                        self.stats.deliveries += 1
                        yield fe.event
                    sub.cursor = fe.position
                continue
            if sub.live:
                self.stats.closed_behind += 1
                raise SubscriberFellBehind(sub.cursor, self.buffer_size)
            # Catching up from the database, never past what the ring will hold, so
            # the hand-over is exact. Filters run in SQL here, in Python on the ring.
            # Also while the cursor lies inside the ring: the ring judged those events
            # when it read them, a catching-up subscriber gets them judged now.
            before = sub.cursor
            async with self._reads:
                page, scanned = await read_page(self.pool, sub.cursor, self.page_size, flt, scope,
                                                head=max(self.position, sub.cursor), roles=roles,
                                                bound_to=bound_to, grid=grid)
            for fe in page:
                if predicate is None or predicate(fe.event):
                    await self._hand_over(sub, consumer)
                    self.stats.deliveries += 1
                    yield fe.event
                sub.cursor = fe.position
            sub.cursor = max(sub.cursor, scanned)
            if not page:
                if sub.cursor < self.ring_start:
                    await self._idle(wake, sub, consumer)
                elif sub.cursor <= before:
                    sub.caught_up = True  # the database's head lags the ring's for a moment

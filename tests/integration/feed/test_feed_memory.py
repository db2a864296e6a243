"""Done means: memory does not grow with the number of events a subscription receives;
it is bounded by the feed's ring and per-subscription limits.

The ``events`` subscription is driven in this process exactly as a WebSocket connection
drives it, minus the socket: the real schema (its per-event execution context, the one
that shares results between subscribers), the real ``EventFeed`` with every projection
running, PostgreSQL, and for each result what ``TransportHandler.send_message`` does with
it (``encoded_data``, the shared JSON text). One subscription follows 20,000 events live
(served from the ring: the writer never runs more than two appends ahead of it); then,
while it stays open, a second one catches up from 0 over the same events (served from
the database, page by page). The resident memory of this process (VmRSS,
``/proc/self/status``), which holds the feed and the schema, is read after every append
and every page delivered.

The bound, from what may legitimately be held: the ring (``BUFFER`` = 1,000 events), one
catch-up page (``PAGE``, 500) and the shared results, ``LogEvent`` objects and their JSON
(``_SHARED_LIMIT`` = 256 each), each at a generous 4 KB per event (a test event with its
``RecordedEvent``, ``FeedEvent``, document and result takes about 2 KB):
(1,000 + 500 + 3 × 256) × 4 KB ≈ 9 MB, plus 16 MB for the allocator's arenas and
asyncpg's buffers: growth above the warmed-up baseline < 25 MB, for the live subscription
and for both together. Before the fix graphql-core kept a ``collect_subfields`` memo entry
of about 3 KB per event (this selection: every field of ``LogEvent``) for as long as the
subscription lived: +62 MB live and +143 MB for both here (measured). With the fix
+0.3 and +0.6 MB.

20,000 events, not the 100,000 of the issue: each delivery costs about 200 µs of CPU in
this one process (the feed's read, the execution, the JSON), so 100,000 live and 100,000
from 0 took 100 s on the 2-core machine; 20,000 shows the growth 2 to 4 times over the
bound. ``bench/bench_feed_memory.py`` measures the server process over WebSocket with
100,000 events and 20 catch-ups at once.

The events are in ``Member`` streams, which the scope projection leaves to the feed's
read rule, so that they cost ``event_scopes`` no query each and the run measures the
feed rather than that projection's per-event lookup (about half the run otherwise).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.feed.subscriptions import FreshLoaders, SubscriptionContext, encoded_data
from api.schema import schema
from domain.shared.permissions import Actor, Role
from domain.shared.ports import Append, Metadata, NewEvent
from eventstore.postgres import PostgresEventStore
from projections.feed.live import EventFeed
from projections.runtime.supervisor import Supervisor
from tests.integration.support import head

EVENTS = 20_000
WARM_UP = 1_500
BUFFER = 1_000
"""The ring (``GRASSROOTS_FEED_BUFFER``) of the feed under test."""
BATCH = 500
"""Events per append; the writer runs at most two appends ahead of the live subscriber,
well within the ring, so the subscriber stays live and is never closed as behind."""
PAGE = 500
SHARED = 3 * 256
PER_EVENT_HELD = 4 * 1024
SLACK = 16 * 2**20
"""The allocator's arenas, asyncpg's buffers, the sampling's noise."""
BOUND = (BUFFER + PAGE + SHARED) * PER_EVENT_HELD + SLACK
GUARD = 60.0  # a hang guard, not a timing assertion
QUERY = """subscription($after: Int) {
  events(after: $after) {
    position eventId type streamId streamType version schemaVersion recordedAt actor actorRoles
    correlationId causationId commandId reason payload
  }
}"""
ACTOR = Actor(subject="memory", name="Memory", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)


def rss() -> int:
    """This process's resident set size in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class Peak:
    """The highest RSS seen since ``reset``."""

    def __init__(self) -> None:
        self.value = rss()

    def reset(self) -> int:
        self.value = rss()
        return self.value

    def sample(self) -> None:
        self.value = max(self.value, rss())


async def append(store: PostgresEventStore, count: int) -> int:
    """``count`` small events in one new ``Member`` stream; the last position."""
    stream = uuid.uuid4()
    events = [NewEvent(stream_id=stream, stream_type="Member", version=v, event_id=uuid.uuid4(),
                       event_type="Test.Ticked", schema_version=1, payload={"n": v})
              for v in range(1, count + 1)]
    result = await store.append(Append(events, Metadata(actor="t", actor_roles=(),
                                                        correlation_id=uuid.uuid4())))
    return result.last_position


class Subscription:
    """One ``events`` subscription as the WebSocket transport runs it; counts and checks order."""

    def __init__(self, results: Any, after: int) -> None:
        self.results = results
        self.count = 0
        self.last = after

    @classmethod
    async def start(cls, context: SubscriptionContext, after: int) -> Subscription:
        results = await schema.subscribe(QUERY, variable_values={"after": after},
                                         context_value=context)
        assert hasattr(results, "__anext__"), results
        return cls(results, after)

    async def until(self, position: int) -> None:
        while self.last < position:
            result = await asyncio.wait_for(anext(self.results), GUARD)
            assert not result.errors, result.errors
            assert encoded_data(result.data) is not None  # the JSON the transport sends
            got = result.data["events"]["position"]
            assert got > self.last, (got, self.last)
            self.count, self.last = self.count + 1, got

    async def close(self) -> None:
        await self.results.aclose()


@asynccontextmanager
async def subscriptions(dsn: str, pool: asyncpg.Pool) -> AsyncIterator[SubscriptionContext]:
    """The feed with every projection running, and one connection's context."""
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    feed = EventFeed(pool, supervisor.notifier, runners=supervisor.runners,
                     settled=supervisor.wait_for, buffer_size=BUFFER, max_subscribers=10,
                     page_size=PAGE)
    await feed.start()
    try:
        yield SubscriptionContext(
            actor=ACTOR, pool=pool, commands=None, supervisor=supervisor,  # type: ignore[arg-type]
            settings=Settings(database_url=dsn), correlation_id=uuid.uuid4(),
            loaders=FreshLoaders(pool), clock=None, feed=feed)
    finally:
        await feed.stop()
        await supervisor.stop()


async def follow_live(context: SubscriptionContext, count: int, peak: Peak) -> Subscription:
    """Subscribe after the log's end, then append ``count`` events as it keeps up (the
    subscription stays open)."""
    store = PostgresEventStore(context.pool)
    top = await head(context.pool)
    live = await Subscription.start(context, top)
    for _ in range(count // BATCH):
        await live.until(top - BATCH)
        top = await append(store, BATCH)
        peak.sample()
    await live.until(top)
    return live


async def test_memory_stays_bounded_while_a_subscription_follows_live_and_another_catches_up(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    async with subscriptions(dsn, pool) as context:
        peak = Peak()
        # Warm up both paths, so that the baseline holds what is allocated once: a full
        # ring, statement caches, the parsed document, the shared caches.
        warm = await follow_live(context, WARM_UP, peak)
        await warm.close()
        replay = await Subscription.start(context, 0)
        await replay.until(warm.last)
        await replay.close()
        baseline = peak.reset()

        live = await follow_live(context, EVENTS, peak)
        assert live.count == EVENTS
        after_live = peak.value

        # The live subscription stays open while another catches up from 0: what either
        # holds is held at the same time.
        from_zero = await Subscription.start(context, 0)
        while from_zero.last < live.last:
            await from_zero.until(min(from_zero.last + BATCH, live.last))
            peak.sample()
        await from_zero.close()
        await live.close()
        assert from_zero.count == await context.pool.fetchval(
            "SELECT count(*) FROM events WHERE position <= $1", live.last)

    mb = 2**20
    assert after_live - baseline < BOUND, (
        f"following {EVENTS} events live grew memory by {(after_live - baseline) / mb:.1f} MB"
        f" (bound {BOUND / mb:.1f} MB)")
    assert peak.value - baseline < BOUND, (
        f"following {EVENTS} events live and catching up from 0 over {from_zero.count} grew"
        f" memory by {(peak.value - baseline) / mb:.1f} MB, the catch-up"
        f" {(peak.value - after_live) / mb:.1f} MB of it (bound {BOUND / mb:.1f} MB)")

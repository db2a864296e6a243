"""The in-process event feed: catch-up, hand-over to live, slow consumers, several processes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from api.areas import PROJECTIONS
from api.config import Settings
from domain.members.aggregate import TransferScope
from domain.shared.ports import RecordedEvent
from eventstore.notifier import LogNotifier
from projections.feed.live import EventFeed, SubscriberFellBehind, TooManySubscribers
from projections.feed.reading import EventFilter, read_events, readable_head
from projections.runtime.supervisor import Supervisor
from tests.integration.support import (
    append_events,
    build_world,
    commands,
    head,
    register,
    req,
    wait_until,
)

GUARD = 20.0  # a hang guard, not a timing assertion
FEED = Settings().feed


@asynccontextmanager
async def running_feed(dsn: str, pool: asyncpg.Pool, **options: Any) -> AsyncIterator[EventFeed]:
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    options = {"buffer_size": FEED.buffer_size, "max_subscribers": FEED.max_subscribers, **options}
    feed = EventFeed(pool, supervisor.notifier, runners=supervisor.runners, **options)
    await feed.start()
    try:
        yield feed
    finally:
        await feed.stop()
        await supervisor.stop()


async def take(stream: AsyncIterator[RecordedEvent], count: int) -> list[RecordedEvent]:
    got = []
    for _ in range(count):
        got.append(await asyncio.wait_for(anext(stream), GUARD))
    return got


async def take_until(stream: AsyncIterator[RecordedEvent], position: int) -> list[RecordedEvent]:
    got: list[RecordedEvent] = []
    while not got or got[-1].position < position:
        got.append(await asyncio.wait_for(anext(stream), GUARD))
    return got


async def test_a_subscriber_from_zero_gets_the_whole_log_in_order_then_live_events(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 1200, batch=100)
    async with running_feed(dsn, pool, page_size=100) as feed:
        stream = feed.subscribe(0, EventFilter(), None)
        first = await take(stream, 1200)
        assert [e.position for e in first] == list(range(1, 1201))
        await append_events(pool, 30, batch=7)
        live = await take(stream, 30)
        assert [e.position for e in live] == list(range(1201, 1231))
        assert feed.stats.live == 1
        await stream.aclose()  # type: ignore[attr-defined]
        assert feed.stats.subscribers == 0


async def test_subscribers_joining_while_writers_commit_get_exactly_the_log(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    async with running_feed(dsn, pool, page_size=50, buffer_size=200) as feed:
        await append_events(pool, 300, batch=30)

        async def writer(seed: int) -> None:
            rnd = random.Random(seed)
            for _ in range(40):
                await append_events(pool, rnd.randint(1, 6), batch=3)
                await asyncio.sleep(rnd.random() / 200)

        received: list[tuple[int, list[int]]] = []

        async def subscriber(start: int, delay: float) -> None:
            await asyncio.sleep(delay)
            got: list[int] = []
            received.append((start, got))
            async for e in feed.subscribe(start, EventFilter(), None):
                got.append(e.position)

        rnd = random.Random(7)
        starts = [rnd.choice([0, 100, 250, 299]) for _ in range(12)]
        subs = [asyncio.create_task(subscriber(start, rnd.random() / 10)) for start in starts]
        await asyncio.gather(*(writer(s) for s in range(4)))
        final = await head(pool)
        await wait_until(lambda: len(received) == len(subs)
                         and all(got and got[-1] >= final for _, got in received),
                         GUARD, "every subscriber to reach the end of the log")
        for task in subs:
            task.cancel()
        await asyncio.gather(*subs, return_exceptions=True)
        log = [r["position"] for r in await pool.fetch("SELECT position FROM events ORDER BY position")]
        for start, got in received:
            assert got == [p for p in log if p > start], "no gap, no duplicate, in order"


async def test_a_live_subscriber_that_falls_behind_is_closed_and_resumes_without_a_gap(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    async with running_feed(dsn, pool, page_size=20, buffer_size=30) as feed:
        await append_events(pool, 5)
        stream = feed.subscribe(0, EventFilter(), None)
        got = [e.position for e in await take(stream, 5)]
        # The consumer stops pulling while 200 more events commit, in steps the ring
        # could hold (a larger backlog at once would be read from the database instead).
        for _ in range(20):
            last = await append_events(pool, 10)
            await wait_until(lambda last=last: feed.position >= last, GUARD, "the feed to read")
        with pytest.raises(SubscriberFellBehind) as closed:
            while True:
                got.append((await asyncio.wait_for(anext(stream), GUARD)).position)
        assert f"after: {closed.value.resume_after}" in str(closed.value)
        assert closed.value.resume_after == got[-1]
        assert feed.stats.closed_behind == 1
        resumed = feed.subscribe(closed.value.resume_after, EventFilter(), None)
        got += [e.position for e in await take_until(resumed, last)]
        assert got == list(range(1, last + 1))
        await resumed.aclose()  # type: ignore[attr-defined]


async def test_a_subscriber_catching_up_slowly_from_the_database_is_never_closed(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 400, batch=50)
    async with running_feed(dsn, pool, page_size=25, buffer_size=30) as feed:
        stream = feed.subscribe(0, EventFilter(), None)
        got = [e.position for e in await take(stream, 10)]
        last = await append_events(pool, 100, batch=10)
        await wait_until(lambda: feed.position >= last, GUARD, "the feed to read everything")
        got += [e.position for e in await take_until(stream, last)]
        assert got == list(range(1, last + 1))
        await stream.aclose()  # type: ignore[attr-defined]


async def test_live_delivery_filters_and_scopes_exactly_as_the_database_read_does(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    cmds = commands(pool)
    async with running_feed(dsn, pool) as feed:
        ids = await build_world(cmds)
        top = await head(pool)
        cases = [
            (EventFilter(), ids["street2"]),
            (EventFilter(stream_types=frozenset({"Member"})), ids["street"]),
            (EventFilter(event_types=frozenset({"Member.TransferReturned"})), None),
            (EventFilter(within=ids["grid"]), ids["district"]),
        ]
        # Caught up from the database...
        for flt, scope in cases:
            expected = await read_events(pool, 0, 1000, flt, scope)
            stream = feed.subscribe(0, flt, scope)
            assert [e.event_id for e in await take(stream, len(expected))] == \
                [e.event_id for e in expected]
            await stream.aclose()  # type: ignore[attr-defined]
        # ...and live from the ring: the same events.
        received: list[list[RecordedEvent]] = [[] for _ in cases]

        async def collect(i: int, flt: EventFilter, scope: Any) -> None:
            async for e in feed.subscribe(top, flt, scope):
                received[i].append(e)

        tasks = [asyncio.create_task(collect(i, f, s)) for i, (f, s) in enumerate(cases)]
        await wait_until(lambda: feed.stats.live == len(cases), GUARD, "subscribers to go live")
        await more_activity(cmds, ids)
        final = await head(pool)
        await wait_until(_reached(pool, final), GUARD, "the scope projections to apply it all")
        for i, (flt, scope) in enumerate(cases):
            expected = await read_events(pool, top, 1000, flt, scope)
            assert expected, (flt, scope)
            await wait_until(lambda i=i, n=len(expected): len(received[i]) >= n, GUARD, "delivery")
            assert [e.event_id for e in received[i]] == [e.event_id for e in expected]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_an_event_is_judged_when_the_feed_reads_it_as_the_queries_judge_it(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    """Live, a member's events reach the community the member lives in as they happen;
    once the member has moved on, the community keeps the transfer and loses the rest of
    the member's stream, in a replay as in ``member(id)`` and ``history``."""
    cmds = commands(pool)
    members = EventFilter(stream_types=frozenset({"Member"}))
    async with running_feed(dsn, pool) as feed:
        ids = await build_world(cmds)
        live = feed.subscribe(await head(pool), members, ids["east"])
        m3 = (await register(cmds, ids["building"], "赵敏", "32050819850505003")).id
        (registered,) = await take(live, 1)  # delivered while the member lives in the east
        assert (registered.stream_id, registered.event_type) == (m3, "Member.Registered")
        requested = await cmds.request_member_transfer(req(), m3, ids["west"],
                                                       TransferScope.WITHIN_CITY, "搬家")
        tid = UUID(requested.extra["transfer_id"])
        await cmds.issue_transfer_letter(req(), m3, tid)
        await cmds.accept_member_transfer(req(), m3, tid)
        await cmds.correct_member_details(req(), m3, {"phone": "13800003333"}, "new phone")
        marker = (await register(cmds, ids["grid"], "钱程", "32050819860606004")).id
        got = await take(live, 4)
        assert [(e.stream_id, e.event_type) for e in got] == [
            (m3, "Member.TransferRequested"), (m3, "Member.TransferLetterIssued"),
            (m3, "Member.TransferAccepted"), (marker, "Member.Registered")], \
            "the correction after the member left is not the east's to read"
        await live.aclose()  # type: ignore[attr-defined]

        replay = feed.subscribe(registered.position - 1, members, ids["east"])
        again = await take(replay, 4)
        await replay.aclose()  # type: ignore[attr-defined]
        assert [e.event_id for e in again] == [e.event_id for e in got], "judged now, not as the ring read it"
        assert [e.event_id for e in await read_events(pool, registered.position - 1, 100, members,
                                                      ids["east"])] == [e.event_id for e in got]
        west = await read_events(pool, registered.position - 1, 100, members, ids["west"])
        assert [e.event_type for e in west if e.stream_id == m3] == [
            "Member.Registered", "Member.TransferRequested", "Member.TransferLetterIssued",
            "Member.TransferAccepted", "Member.DetailsCorrected"], "the new home reads it all"


def _reached(pool: asyncpg.Pool, position: int) -> Any:
    async def check() -> bool:
        return await readable_head(pool) >= position
    return check


async def more_activity(cmds: Any, ids: dict[str, Any]) -> None:
    """Activity whose visibility to the compared scopes does not change while it happens:
    the feed judges an event when it reads it, so a member who became readable to a
    scope between the ring's read and the database's would make them differ."""
    m3 = (await register(cmds, ids["building"], "赵敏", "32050819850505003")).id
    await cmds.request_member_transfer(req(), m3, ids["grid"], TransferScope.WITHIN_CITY, "x")
    t = await cmds.request_member_transfer(req(), ids["m2"], ids["grid"],
                                           TransferScope.WITHIN_CITY, "y")
    tid = UUID(t.extra["transfer_id"])
    await cmds.issue_transfer_letter(req(), ids["m2"], tid)
    await cmds.return_member_transfer(req(), ids["m2"], tid, "incomplete")
    await cmds.rename_organization(req(), ids["grid"], "第一网格党支部（新）")


async def test_two_processes_each_with_one_listener_both_deliver(dsn: str, pool: asyncpg.Pool) -> None:
    async with running_feed(dsn, pool) as first:
        notifier = LogNotifier(dsn)  # the second process: its own listener, no runners
        await notifier.start()
        second = EventFeed(pool, notifier, buffer_size=FEED.buffer_size, max_subscribers=FEED.max_subscribers)
        await second.start()
        try:
            a = first.subscribe(None, EventFilter(), None)
            b = second.subscribe(None, EventFilter(), None)
            pa, pb = asyncio.ensure_future(anext(a)), asyncio.ensure_future(anext(b))
            last = await append_events(pool, 25, batch=5)
            got_a = [(await pa).position] + [e.position for e in await take_until(a, last)]
            got_b = [(await pb).position] + [e.position for e in await take_until(b, last)]
            assert got_a == got_b == list(range(1, last + 1))
        finally:
            await second.stop()
            await notifier.stop()


async def test_the_per_process_subscriber_limit_is_enforced(dsn: str, pool: asyncpg.Pool) -> None:
    async with running_feed(dsn, pool, max_subscribers=2) as feed:
        streams = [feed.subscribe(None, EventFilter(), None) for _ in range(3)]
        pending = [asyncio.ensure_future(anext(s)) for s in streams[:2]]
        await asyncio.sleep(0)
        with pytest.raises(TooManySubscribers):
            await anext(streams[2])
        for p in pending:
            p.cancel()

"""Readers never skip: a tailing reader sees every committed event exactly once, in order.

Several writers append concurrently on their own pool connections (so their commits
genuinely interleave) while a reader tails ``read_log(after_position, 500)``. If a
position could become visible after a higher one, the reader would move past it and
never see it: the final comparison against the full log would find it missing.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from uuid import UUID, uuid4

import asyncpg

from domain.shared.ports import Append, Metadata, NewEvent
from eventstore.postgres import PostgresEventStore

WRITERS = 8
APPENDS_PER_WRITER = 750
STREAMS_PER_WRITER = 5
TRIPLE_EVERY = 4  # every 4th append carries 3 events across 2 streams
PAGE = 500


def _new(stream_id: UUID, version: int, writer: int, n: int) -> NewEvent:
    return NewEvent(
        stream_id=stream_id, stream_type="Tail", version=version, event_id=uuid4(),
        event_type="Tail.Written", schema_version=1, payload={"writer": writer, "n": n},
    )


async def test_a_tailing_reader_sees_every_event_once_in_position_order(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresEventStore(pool)
    appended: list[UUID] = []
    appends_done = 0
    writers_done = asyncio.Event()

    async def writer(w: int) -> None:
        nonlocal appends_done
        rng = random.Random(w)
        streams = [uuid4() for _ in range(STREAMS_PER_WRITER)]
        versions = dict.fromkeys(streams, 0)
        for n in range(APPENDS_PER_WRITER):
            if n % TRIPLE_EVERY == TRIPLE_EVERY - 1:
                a, b = rng.sample(streams, 2)
                events = [
                    _new(a, versions[a] + 1, w, n), _new(b, versions[b] + 1, w, n),
                    _new(a, versions[a] + 2, w, n),
                ]
            else:
                a = rng.choice(streams)
                events = [_new(a, versions[a] + 1, w, n)]
            await store.append(Append(
                events=events,
                metadata=Metadata(actor=f"writer-{w}", actor_roles=(), correlation_id=uuid4()),
            ))
            for e in events:
                versions[e.stream_id] = max(versions[e.stream_id], e.version)
            appended.extend(e.event_id for e in events)
            appends_done += 1
            if rng.random() < 0.05:
                await asyncio.sleep(0)

    seen: list[UUID] = []
    positions: list[int] = []
    reads_while_writing = 0
    nonempty_reads_while_writing = 0

    async def reader() -> None:
        nonlocal reads_while_writing, nonempty_reads_while_writing
        after = 0
        while True:
            finished = writers_done.is_set()  # decided before reading: the drain is complete
            page = await store.read_log(after, limit=PAGE)
            if not finished:
                reads_while_writing += 1
                nonempty_reads_while_writing += bool(page)
            for e in page:
                assert e.position > after, f"position {e.position} after {after}"
                after = e.position
                positions.append(e.position)
                seen.append(e.event_id)
            if finished and not page:
                return
            if len(page) < PAGE:
                await asyncio.sleep(0.001)

    started = time.monotonic()
    reading = asyncio.create_task(reader())
    await asyncio.gather(*[writer(w) for w in range(WRITERS)])
    writers_done.set()
    await asyncio.wait_for(reading, timeout=30)
    elapsed = time.monotonic() - started

    assert appends_done == WRITERS * APPENDS_PER_WRITER
    triples = WRITERS * (APPENDS_PER_WRITER // TRIPLE_EVERY)
    expected_events = WRITERS * APPENDS_PER_WRITER + 2 * triples
    assert len(appended) == expected_events

    # every appended event exactly once, nothing else, strictly increasing positions
    assert len(seen) == expected_events
    assert len(set(seen)) == len(seen)
    assert set(seen) == set(appended)
    assert all(a < b for a, b in itertools.pairwise(positions))

    # the reader saw the same sequence as the final log, and the log is just these events
    log = await store.read_log(0, expected_events + 10)
    assert [e.event_id for e in log] == seen
    assert await store.head() == positions[-1]

    # it genuinely tailed: many reads overlapped the writers and found events
    assert nonempty_reads_while_writing >= 20, (reads_while_writing, nonempty_reads_while_writing)
    assert elapsed < 120


async def test_the_events_of_one_append_are_contiguous_in_the_log_and_streams_are_gap_free(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresEventStore(pool)
    batches: list[list[UUID]] = []
    streams: dict[int, list[UUID]] = {}

    async def writer(w: int) -> None:
        a, b = uuid4(), uuid4()
        streams[w] = [a, b]
        va = vb = 0
        for n in range(60):
            events = [_new(a, va + 1, w, n), _new(b, vb + 1, w, n), _new(a, va + 2, w, n)]
            va, vb = va + 2, vb + 1
            await store.append(Append(
                events=events,
                metadata=Metadata(actor=f"batch-{w}", actor_roles=(), correlation_id=uuid4()),
            ))
            batches.append([e.event_id for e in events])

    await asyncio.gather(*[writer(w) for w in range(4)])
    log = await store.read_log(0, 10_000)
    index = {e.event_id: i for i, e in enumerate(log)}
    for batch in batches:
        at = [index[i] for i in batch]
        assert at == list(range(at[0], at[0] + 3)), "an append's events were interleaved"
    for a, b in streams.values():
        assert [e.version for e in await store.read_stream(a)] == list(range(1, 121))
        assert [e.version for e in await store.read_stream(b)] == list(range(1, 61))

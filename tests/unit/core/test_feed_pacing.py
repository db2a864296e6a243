"""The feed's pacer and a connection's confirmations, without a server.

The pacer: subscribers that never suspend on their own (a WebSocket send with room in
its buffers does not) still let the rest of the process run between their slices, and
take turns. The confirmations: a pong confirms what was sent before its ping, and a
connection without room holds its subscriptions back.
"""

from __future__ import annotations

import asyncio
import time

from api.graphql.feed.confirmations import Confirmations
from projections.feed.pacing import Pacer


def _work(seconds: float) -> None:
    """CPU work that holds the event loop, as encoding and sending an event does."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def test_subscribers_that_never_suspend_take_turns_and_let_other_tasks_run() -> None:
    pacer = Pacer(budget=0.002)
    delivered = [0, 0, 0]
    other = 0
    stop = asyncio.Event()

    async def subscriber(k: int) -> None:
        while not stop.is_set():
            await pacer.turn()
            _work(0.0005)
            delivered[k] += 1

    async def request() -> None:  # a request's awaits: one pass of the loop each
        nonlocal other
        while not stop.is_set():
            await asyncio.sleep(0)
            other += 1

    tasks = [asyncio.create_task(subscriber(k)) for k in range(3)] + [asyncio.create_task(request())]
    while sum(delivered) < 600:
        await asyncio.sleep(0)
    stop.set()
    await asyncio.gather(*tasks)
    # About one slice (four deliveries) per pass of the loop: the other task ran between.
    assert other >= sum(delivered) // 8, (other, delivered)
    assert min(delivered) >= max(delivered) // 2, delivered  # turns go round
    assert pacer.yields > 0


async def test_a_pong_confirms_what_was_sent_before_its_ping_and_frees_room() -> None:
    confirmations = Confirmations(window=8, keepalive=30.0)
    pings = []
    for _ in range(8):
        if confirmations.result_sent():
            pings.append(confirmations.ping())
    assert [p["payload"]["seq"] for p in pings] == [1, 2, 3, 4]  # a ping every window // 4
    assert not confirmations.has_room()
    changed = confirmations.changed()
    confirmations.pong({"seq": 2})  # echoed: confirms pings 1 and 2, four results
    assert changed.done() and confirmations.confirmed == 4 and confirmations.has_room()
    confirmations.pong(None)  # without a payload: the oldest open ping (3)
    assert confirmations.confirmed == 6
    confirmations.pong({"seq": 1})  # stale or unsolicited: nothing goes back
    assert confirmations.confirmed == 6 and confirmations.due() is None
    confirmations.close("KEEPALIVE_TIMEOUT", "the client did not answer a ping in time")
    assert confirmations.closing() == ("KEEPALIVE_TIMEOUT", "the client did not answer a ping in time")


async def test_a_saturating_feed_rests_after_each_slice_and_leaves_part_of_the_loop_to_the_rest() -> None:
    # Counted, not timed: the share of the loop's time that deliveries took while they
    # alone wanted it. A noisy machine only lowers it.
    pacer = Pacer(budget=0.002, rest=0.002)
    busy = 0.0
    stop = asyncio.Event()

    async def subscriber() -> None:
        nonlocal busy
        while not stop.is_set():
            await pacer.turn()
            started = time.perf_counter()
            _work(0.0005)
            busy += time.perf_counter() - started

    tasks = [asyncio.create_task(subscriber()) for _ in range(3)]
    started = time.perf_counter()
    await asyncio.sleep(0.4)
    stop.set()
    await asyncio.gather(*tasks)
    share = busy / (time.perf_counter() - started)
    assert share < 0.75, share

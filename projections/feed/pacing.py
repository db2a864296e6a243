"""Sharing the event loop between the feed's deliveries and everything else in the process.

Why: a subscriber's delivery path does not suspend on its own. uvicorn's WebSocket send
returns without yielding to the event loop while the socket's buffers have room, and
the ring (or a page read from the database) hands over events without I/O. Twenty
subscriptions catching up 4,000 events each ran 80,000 deliveries in one stretch: every
``await`` of a request (``/healthz``, the few round trips of a mutation) waited for all
of them, and nothing else completed for seconds.

How: every delivery first takes a ``turn`` of the process-wide ``Pacer``. The feed as a
whole may work for ``budget`` seconds (2 ms) in one pass of the event loop; past that,
each subscriber waits for the next pass, so whatever else became ready (a request, a
projection, a database reply) runs in between. Turns go round: subscribers that waited
in a pass without getting any work go first in the next one, the subscriber that used up
the budget goes last. Everything else thus waits at most about one budget per
``await``, however many subscribers there are.

A pass that used up its budget is followed by a rest of ``rest`` seconds (half the
budget) before the next one: while the feed saturates the loop it takes at most about two
thirds of the process's time, and requests (a mutation's round trips, each a pass of the
loop, plus its own CPU) keep the rest. Measured with ``bench/bench_fairness.py`` (20
catch-ups on one socket, 2 cores): without the rest a mutation's p99 grew 5.0× and its p50
4.2×, catch-ups ran 8,800 deliveries/s; with it 3.9× and 2.3×, at 5,100/s (the unpaced
server before the pacer: 4,600/s, and 6.4× at p99). The rest applies whenever the feed
saturates the loop, also when nothing else wants it: a catch-up alone runs at about two
thirds of its unpaced speed.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

BUDGET = 0.001
"""Seconds of delivery work the feed may do in one pass of the event loop."""
REST = 0.0005
"""Seconds the feed leaves to the rest of the process after a pass that used its budget."""


class Pacer:
    """Round-robin turns for the feed's deliveries, bounded per pass of the event loop.

    Each pass wakes only as many waiting subscribers as used the budget in the last one
    (twice as many when all of them had room), so twenty catch-ups that each fill a
    slice wake one per pass, and five hundred live subscribers delivering one event each
    wake dozens per pass, without resuming hundreds of tasks just to send them back."""

    def __init__(self, budget: float = BUDGET, rest: float = REST) -> None:
        self.budget = budget
        self.rest = rest
        self._until = 0.0
        """The end of the current slice (``time.perf_counter``)."""
        self._fresh = False
        """A new pass began: the first subscriber to run starts the slice."""
        self._queue: deque[asyncio.Future[None]] = deque()
        self._late: list[asyncio.Future[None]] = []
        """Woken in the last pass but the slice was used up: first in the next."""
        self._width = 1
        """How many waiters the next pass wakes."""
        self._served = 0
        self._scheduled = False
        self._saturated = False
        """The current slice was used up: the next pass waits ``rest`` after its end."""
        self.yields = 0
        """How often a delivery waited for another pass (for tests and metrics)."""

    async def turn(self) -> None:
        """Return at once within the current slice; else wait for a pass that has room."""
        now = time.perf_counter()
        if now < self._until:
            return
        self.yields += 1
        late = False
        if now - self._until < self.rest:  # the slice ran out a moment ago: the feed saturates
            self._saturated = True
        while True:
            waiter = asyncio.get_running_loop().create_future()
            if late:
                self._late.append(waiter)
                self._saturated = True
            else:
                self._queue.append(waiter)
            self._schedule()
            await waiter
            now = time.perf_counter()
            if self._fresh:
                self._fresh = False
                self._until = now + self.budget
            if now < self._until:
                self._served += 1
                return
            late = True

    def _schedule(self, delay: float = 0.0) -> None:
        if not self._scheduled:
            self._scheduled = True
            loop = asyncio.get_running_loop()
            if delay > 0:
                loop.call_later(delay, self._next_pass)
            else:
                loop.call_soon(self._next_pass)

    def _next_pass(self) -> None:
        # Runs in a later pass of the loop than the one that ran out of budget: the
        # subscribers woken here run after everything that became ready meanwhile.
        self._scheduled = False
        resting = self._until + self.rest - time.perf_counter()
        if self._saturated and resting > 0:  # the rest after a used-up slice is not over
            self._schedule(resting)
            return
        self._saturated = False
        late, self._late = self._late, []
        if late:
            self._width = max(1, self._served)
        elif self._served >= self._width:
            self._width = min(self._width * 2, 1024)
        self._served = 0
        self._fresh = True
        self._queue.extendleft(reversed(late))
        woken = 0
        while self._queue and woken < self._width:
            waiter = self._queue.popleft()
            if not waiter.done():
                waiter.set_result(None)
                woken += 1
        if self._queue:
            self._schedule()  # the rest wait for a later pass, whoever else asks or not

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
``await``, however many subscribers there are, and the feed still runs at full speed
when nothing else wants the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

BUDGET = 0.001
"""Seconds of delivery work the feed may do in one pass of the event loop."""


class Pacer:
    """Round-robin turns for the feed's deliveries, bounded per pass of the event loop.

    Each pass wakes only as many waiting subscribers as used the budget in the last one
    (twice as many when all of them had room), so twenty catch-ups that each fill a
    slice wake one per pass, and five hundred live subscribers delivering one event each
    wake dozens per pass, without resuming hundreds of tasks just to send them back."""

    def __init__(self, budget: float = BUDGET) -> None:
        self.budget = budget
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
        self.yields = 0
        """How often a delivery waited for another pass (for tests and metrics)."""

    async def turn(self) -> None:
        """Return at once within the current slice; else wait for a pass that has room."""
        if time.perf_counter() < self._until:
            return
        self.yields += 1
        late = False
        while True:
            waiter = asyncio.get_running_loop().create_future()
            if late:
                self._late.append(waiter)
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

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._next_pass)

    def _next_pass(self) -> None:
        # Runs in a later pass of the loop than the one that ran out of budget: the
        # subscribers woken here run after everything that became ready meanwhile.
        self._scheduled = False
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

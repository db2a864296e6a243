"""Keep a background worker connected: retry its connected loop with exponential back-off.

The log hasher, the projection group, the NATS relay and the webhook deliverer each run
one long ``connected()`` coroutine that only ends by raising. The retry schedule is
tenacity's (0.1 s doubling to 5 s); cancellation always propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential


async def run_reconnecting(
    connected: Callable[[], Awaitable[None]], what: str, retry_on: tuple[type[BaseException], ...],
    log: logging.Logger, on_lost: Callable[[BaseException], None] | None = None,
) -> None:
    """Run ``connected()`` again whenever it raises one of ``retry_on``; return if it returns."""

    def lost(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return
        if on_lost is not None:
            on_lost(exc)
        delay = state.next_action.sleep if state.next_action else 0.0
        expected = any(isinstance(exc, t) for t in retry_on if t is not Exception)
        if expected:
            log.warning("%s lost its connection (%r); retrying in %.1fs", what, exc, delay)
        else:
            log.error("%s failed; restarting in %.1fs", what, delay, exc_info=exc)

    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(retry_on), wait=wait_exponential(multiplier=0.1, max=5.0),
        before_sleep=lost, reraise=True,
    ):
        with attempt:
            await connected()

"""Background workers come back after lost connections and never hide other failures."""

from __future__ import annotations

import logging

import pytest

from eventstore import reconnect


async def test_a_worker_is_restarted_after_each_lost_connection_until_it_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_sleep(_seconds: float) -> None:
        return None

    monkeypatch.setattr("asyncio.sleep", no_sleep)
    failures = [OSError("reset"), OSError("refused")]
    lost: list[BaseException] = []

    async def connected() -> None:
        if failures:
            raise failures.pop(0)

    await reconnect.run_reconnecting(connected, "test worker", (OSError,), logging.getLogger("t"),
                                     lost.append)
    assert [str(e) for e in lost] == ["reset", "refused"]


async def test_an_error_it_is_not_told_to_retry_propagates() -> None:
    async def connected() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await reconnect.run_reconnecting(connected, "test worker", (OSError,), logging.getLogger("t"))

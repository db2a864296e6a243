"""A relay process for the crash test: ``python -m tests.integration.relay_worker DSN NATS_URL``.

It runs the real ``NatsRelay`` with small pages and reports on stdout:

- ``active``            the relay holds its advisory lock and is connected to NATS
- ``acked <position>``  JetStream acknowledged the event (its position not yet recorded)
- ``committed <pos>``   ``relay_positions`` now says ``pos``

The test SIGKILLs it between an ack and the commit of the page that holds it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace

from api.config import Settings
from eventstore.notifier import LogNotifier
from projections.integrations.nats import NatsRelay, relay_config

PAGE_SIZE = 200
IN_FLIGHT = 50


def _acked(position: int) -> None:
    _say(f"acked {position}")
    time.sleep(0.0005)  # widen the gap between the acks and the commit of their page


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(dsn: str, nats_url: str) -> None:
    notifier = LogNotifier(dsn)
    await notifier.start()
    relay = NatsRelay(dsn, replace(relay_config(Settings().integrations), nats_url=nats_url, page_size=PAGE_SIZE,
                                       max_in_flight=IN_FLIGHT),
                      notifier, on_progress=lambda p: _say(f"committed {p}"),
                      on_acked=_acked)
    task = asyncio.create_task(relay.run())
    while not relay.state.active and not task.done():
        await asyncio.sleep(0.01)
    _say("active")
    await task


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

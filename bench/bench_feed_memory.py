"""Feed memory benchmark: the server's resident memory against events delivered to subscriptions.

Run from the repository root::

    python bench/bench_feed_memory.py             # this code
    python bench/bench_feed_memory.py --before    # the same, with graphql-core's shared memo (before the fix)
    python bench/bench_feed_memory.py --events 20000 --catchups 5 --catchup-events 5000   # shorter

One run, against a throwaway embedded PostgreSQL and the real server (``grassroots serve``,
default settings: a ring of ``GRASSROOTS_FEED_BUFFER`` = 4,096 events) in a separate
process whose RSS (VmRSS in ``/proc/<pid>/status``) is read every ``--every`` events
delivered:

1. Live: one WebSocket subscriber follows ``--events`` events as they are appended (in
   appends of 500, never more than two appends ahead of it, so the ring serves it).
2. Catch-up: one subscription from 0 over the whole log, from the database.
3. Concurrent catch-ups: ``--catchups`` connections (one subscription each) subscribe at
   once with ``after: head − --catchup-events``.

Every subscription selects every field of ``LogEvent``. The events are small and in
``Member`` streams (the scope projection judges those when they are read, so the
projections take no query per event and the run is about the feed). ``--before`` starts
the server with ``api.graphql.feed.subscriptions.with_own_memo`` replaced by the identity:
each per-event executor then shares graphql-core's ``collect_subfields`` memo with its
subscription, as before the fix. The figures are printed, never checked; the bound is
checked by tests/integration/feed/test_feed_memory.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
import websockets  # noqa: E402
from bench_foundation import SECRET, ServerProcess, free_port, with_database  # noqa: E402

from api.auth import mint  # noqa: E402
from domain.shared.permissions import Role  # noqa: E402
from domain.shared.ports import Append, Metadata, NewEvent  # noqa: E402
from eventstore.db import connect, create_pool  # noqa: E402
from eventstore.integrity.authenticators import AppendKeys  # noqa: E402
from eventstore.integrity.authenticators import install as install_append_keys  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402
from eventstore.personal_keys import PersonalKeys  # noqa: E402
from eventstore.personal_keys import install as install_personal_keys  # noqa: E402
from eventstore.postgres import PostgresEventStore  # noqa: E402

DB_NAME = "grassroots_feed_memory_bench"
BATCH = 500
QUERY = """subscription($after: Int) { events(after: $after) {
  position eventId type streamId streamType version schemaVersion recordedAt actor actorRoles
  correlationId causationId commandId reason payload } }"""
BEFORE = ("import sys, api.graphql.feed.subscriptions as s; s.with_own_memo = lambda e: e;"
          " from api.cli.main import main; sys.argv[0] = 'grassroots'; main()")
"""The server, with each per-event executor left sharing its subscription's memo."""


@dataclass
class Follower:
    """One connection with one ``events`` subscription; answers pings with their payload."""

    ws: Any
    count: int = 0
    last: int = 0
    task: asyncio.Task[None] | None = None

    async def until(self, position: int, on_event: Any = None) -> None:
        while self.last < position:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 120))
            if msg["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong", "payload": msg.get("payload")}))
                continue
            if msg["type"] != "next" or msg["payload"].get("errors"):
                raise RuntimeError(f"subscription ended: {msg}")
            self.last = msg["payload"]["data"]["events"]["position"]
            self.count += 1
            if on_event is not None:
                on_event()


async def follower(url: str, token: str, after: int) -> Follower:
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  max_size=2**22, compression=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if ack["type"] != "connection_ack":
        raise RuntimeError(f"not acknowledged: {ack}")
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": QUERY, "variables": {"after": after}}}))
    return Follower(ws, last=after)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Series:
    """RSS against events delivered in one phase."""

    name: str
    start: float
    points: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0


class Recorder:
    """Counts deliveries across followers and samples RSS every ``every`` of them."""

    def __init__(self, pid: int, every: int, series: Series) -> None:
        self.pid, self.every, self.series = pid, every, series
        self.delivered = 0

    def __call__(self) -> None:
        self.delivered += 1
        if self.delivered % self.every == 0:
            self.series.points.append((self.delivered, rss_mb(self.pid)))

    def done(self, started: float) -> None:
        """End the phase: its duration, and the last sample if the count fell between two."""
        self.series.seconds = time.perf_counter() - started
        if not self.series.points or self.series.points[-1][0] != self.delivered:
            self.series.points.append((self.delivered, rss_mb(self.pid)))


async def append(store: PostgresEventStore, count: int) -> int:
    stream = uuid.uuid4()
    events = [NewEvent(stream_id=stream, stream_type="Member", version=v, event_id=uuid.uuid4(),
                       event_type="Bench.Ticked", schema_version=1, payload={"n": v, "note": "基准"})
              for v in range(1, count + 1)]
    result = await store.append(Append(events, Metadata(actor="bench", actor_roles=(),
                                                        correlation_id=uuid.uuid4())))
    return result.last_position


async def settle(pid: int) -> float:
    await asyncio.sleep(1.0)
    return rss_mb(pid)


async def run(args: argparse.Namespace, root: Path) -> int:
    import pgserver

    t0 = time.perf_counter()

    def progress(what: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f}s] {what}", file=sys.stderr, flush=True)

    os.environ.setdefault("GRASSROOTS_PERSONAL_DATA_KEY", PersonalKeys.new_kek())
    install_personal_keys(PersonalKeys([os.environ["GRASSROOTS_PERSONAL_DATA_KEY"]]))
    os.environ.setdefault("GRASSROOTS_APPEND_KEY", AppendKeys.new_key())
    install_append_keys(AppendKeys.parse(os.environ["GRASSROOTS_APPEND_KEY"]))
    os.environ["GRASSROOTS_RATE_LIMIT"] = "0"
    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    server: ServerProcess | None = None
    followers: list[Follower] = []
    phases: list[Series] = []
    try:
        admin = pg.get_uri()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        await conn.close()
        dsn = with_database(admin, DB_NAME)
        mconn = await connect(dsn)
        await migrate(mconn)
        await mconn.close()
        pool = await create_pool(dsn, min_size=1, max_size=2)
        store = PostgresEventStore(pool)
        (root / "server-data").mkdir()
        port = free_port()
        command = (f"{sys.executable} -c {BEFORE!r} serve --port {{port}}"
                   if args.before else args.server_command)
        server = ServerProcess(dsn, root / "server-data", port, command)
        await server.wait_ready()
        pid = server.proc.pid
        progress(f"server up (pid {pid}){' with the shared memo (--before)' if args.before else ''}")
        token = mint(SECRET, subject="bench-feed-memory", name="Bench", roles=[Role.DISTRICT_ADMIN],
                     scope=None)
        url = server.url.replace("http://", "ws://") + "/graphql"

        # 1. live
        live_series = Series("1 live subscriber", await settle(pid))
        rec = Recorder(pid, args.every, live_series)
        live = await follower(url, token, 0)
        followers.append(live)
        started, top = time.perf_counter(), 0
        for _ in range(args.events // BATCH):
            await live.until(top - BATCH, rec)
            top = await append(store, BATCH)
        await live.until(top, rec)
        rec.done(started)
        phases.append(live_series)
        progress(f"live: {live.count} events, RSS {rss_mb(pid):.1f} MB")

        # 2. one catch-up from 0 (the live subscriber stays connected, idle)
        series = Series("1 catch-up from 0", await settle(pid))
        rec = Recorder(pid, args.every, series)
        started = time.perf_counter()
        one = await follower(url, token, 0)
        followers.append(one)
        await one.until(top, rec)
        rec.done(started)
        phases.append(series)
        progress(f"catch-up: {one.count} events, RSS {rss_mb(pid):.1f} MB")
        await one.ws.close()
        followers.remove(one)

        # 3. concurrent catch-ups
        series = Series(f"{args.catchups} concurrent catch-ups of {args.catchup_events}",
                        await settle(pid))
        rec = Recorder(pid, args.every, series)
        started = time.perf_counter()
        many = list(await asyncio.gather(*(follower(url, token, max(0, top - args.catchup_events))
                                            for _ in range(args.catchups))))
        followers.extend(many)
        await asyncio.gather(*(f.until(top, rec) for f in many))
        rec.done(started)
        phases.append(series)
        progress(f"concurrent catch-ups: {sum(f.count for f in many)} events, RSS {rss_mb(pid):.1f} MB")
        await pool.close()
    finally:
        for f in followers:
            with contextlib.suppress(Exception):
                await f.ws.close()
        if server is not None:
            server.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.proc.wait(15)
            if server.proc.poll() is None:
                server.proc.kill()
        pg.cleanup()
    report(args, phases)
    return 0


def report(args: argparse.Namespace, phases: list[Series]) -> None:
    print(f"\n## Server RSS against events delivered ({'before: shared memo' if args.before else 'this code'})\n")
    print("| phase | events delivered | seconds | RSS at start MB | RSS at end MB | growth MB | KB per event |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for s in phases:
        delivered, end = s.points[-1] if s.points else (0, s.start)
        growth = end - s.start
        per_event = growth * 1024 / delivered if delivered else float("nan")
        print(f"| {s.name} | {delivered:,} | {s.seconds:.1f} | {s.start:.1f} | {end:.1f} |"
              f" {growth:+.1f} | {per_event:.2f} |")
    for s in phases:
        print(f"\n{s.name}: " + ", ".join(f"{n:,}: {mb:.0f} MB" for n, mb in s.points))
    print(f"\nCommand: `python bench/bench_feed_memory.py {' '.join(sys.argv[1:])}`".rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000,
                        help="events the live subscriber follows (the log's length)")
    parser.add_argument("--catchups", type=int, default=20)
    parser.add_argument("--catchup-events", type=int, default=20_000,
                        help="events each concurrent catch-up reads")
    parser.add_argument("--every", type=int, default=10_000, help="sample RSS every N deliveries")
    parser.add_argument("--before", action="store_true",
                        help="run the server with the per-event executors sharing their memo")
    parser.add_argument("--server-command", default=None,
                        help="start the server with this command ({port} is replaced)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grassroots-feed-memory-") as tmp:
        return asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    raise SystemExit(main())

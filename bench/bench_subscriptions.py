"""Subscription benchmark: GraphQL subscribers over WebSocket while commands commit.

Run from the repository root::

    python bench/bench_subscriptions.py                 # ~1 minute
    python bench/bench_subscriptions.py --subscribers 500 --rate 10 --seconds 20

One run, against a throwaway embedded PostgreSQL and the real server
(``grassroots serve``) in a separate process:

1. Baseline: one subscriber while ``renameOrganization`` commits at ``--rate`` per
   second: deliveries/s and commit-to-delivery latency with no fan-out.
2. Memory: RSS of the server with ``--subscribers`` WebSocket connections open and
   acknowledged but idle, then with one idle ``events`` subscription on each; the
   deltas divided by the number of subscribers.
3. Load: the same subscribers, live, while the commands commit at the same rate:
   deliveries/s and p50/p99 commit-to-delivery, and whether every subscriber got
   exactly every event in order.
4. Optionally (``--rates``) more load steps at other rates, to find the ceiling.

Commit-to-delivery is the receive time minus the event's ``recordedAt`` (the
database's ``clock_timestamp()`` at insert, same machine), so it includes the commit
itself, the projections that make the event readable, the fan-out and the WebSocket.
The figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
import websockets  # noqa: E402
from bench_foundation import (  # noqa: E402
    SECRET,
    Gql,
    ServerProcess,
    establish,
    free_port,
    pct,
    with_database,
)

from api.auth import mint  # noqa: E402
from domain.shared.permissions import Role  # noqa: E402
from eventstore.db import connect  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402

DB_NAME = "grassroots_subs_bench"
SUBSCRIBE = json.dumps({"id": "1", "type": "subscribe", "payload": {
    "query": "subscription { events { position eventId type streamId recordedAt actor"
             " payload } }"}})
RENAME = """mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) {
  __typename ... on Error { code message } } }"""


@dataclass
class Subscriber:
    """One WebSocket connection with (after ``subscribe``) one ``events`` subscription."""

    ws: Any
    positions: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    recording: bool = False

    async def receive(self) -> None:
        async for raw in self.ws:
            now = time.time()
            msg = json.loads(raw)
            if msg.get("type") != "next":
                if msg.get("type") == "ping":
                    await self.ws.send('{"type": "pong"}')
                    continue
                raise RuntimeError(f"subscription ended: {raw[:300]}")
            event = msg["payload"]["data"]["events"]
            if self.recording:
                self.positions.append(event["position"])
                self.latencies.append(now - datetime.fromisoformat(event["recordedAt"]).timestamp())


async def open_subscriber(url: str, token: str, compression: bool) -> Subscriber:
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  compression="deflate" if compression else None,
                                  max_size=2**22, open_timeout=60, ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": f"Bearer {token}"}}))
    ack = json.loads(await ws.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no ack: {ack}")
    return Subscriber(ws)


async def feed_stat(gql: Gql, measure: str) -> float:
    _, body = await gql.send("GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(f'grassroots_feed{{measure="{measure}"}}'):
            return float(line.split()[-1])
    return float("nan")


async def wait_feed(gql: Gql, measure: str, value: float, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while await feed_stat(gql, measure) < value:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server never reported {measure} ≥ {value}")
        await asyncio.sleep(0.2)


@dataclass
class Run:
    name: str
    subscribers: int
    rate: float
    seconds: float
    commits: int = 0
    deliveries: int = 0
    p50: float = float("nan")
    p99: float = float("nan")
    max: float = float("nan")
    exact: bool = False
    mutation_p50: float = float("nan")
    server_cpu: float = float("nan")


async def load(gql: Gql, orgs: list[str], subs: list[Subscriber], rate: float, seconds: float,
               name: str, server: ServerProcess, pool: asyncpg.Pool) -> Run:
    """Commit ``rate`` renames per second for ``seconds`` while ``subs`` receive."""
    run = Run(name, len(subs), rate, seconds)
    for s in subs:
        s.positions.clear()
        s.latencies.clear()
        if s.task is None:
            s.task = asyncio.create_task(s.receive())
    start_head = int(await pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    for s in subs:
        s.recording = True
    mutation_ms: list[float] = []
    pending: set[asyncio.Task[None]] = set()

    async def commit(i: int) -> None:
        t0 = time.perf_counter()
        # Round-robin over several organizations: concurrent renames of one would conflict.
        org = orgs[i % len(orgs)]
        body = await gql.post(RENAME, {"input": {"id": org, "name": f"基准社区{i}"}})
        result = body["data"]["renameOrganization"]
        if result["__typename"] != "OrganizationPayload":
            raise RuntimeError(f"rename failed: {result}")
        mutation_ms.append((time.perf_counter() - t0) * 1000)

    cpu0 = sum(p.cpu_times().user + p.cpu_times().system for p in server.processes())
    t0 = time.monotonic()
    i = 0
    while (elapsed := time.monotonic() - t0) < seconds:
        due = t0 + i / rate
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())
        task = asyncio.create_task(commit(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
        i += 1
    await asyncio.gather(*pending)
    run.commits = i
    end_head = int(await pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    expected = list(range(start_head + 1, end_head + 1))
    deadline = time.monotonic() + 30
    while any(len(s.positions) < len(expected) for s in subs) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    wall = time.monotonic() - t0
    run.server_cpu = 100 * (sum(p.cpu_times().user + p.cpu_times().system
                                for p in server.processes()) - cpu0) / wall
    for s in subs:
        s.recording = False
    latencies = [x * 1000 for s in subs for x in s.latencies]
    run.deliveries = sum(len(s.positions) for s in subs)
    run.seconds = elapsed
    run.p50, run.p99, run.max = pct(latencies, 0.5), pct(latencies, 0.99), max(latencies or [0])
    run.exact = all(s.positions == expected for s in subs)
    for s in subs:
        if s.task is not None and s.task.done():
            raise RuntimeError(f"a subscriber stopped: {s.task.exception()!r}")
    run.mutation_p50 = pct(mutation_ms, 0.5)
    return run


async def main_async(args: argparse.Namespace, root: Path) -> int:
    import pgserver

    t_start = time.perf_counter()

    def progress(what: str) -> None:
        print(f"[{time.perf_counter() - t_start:5.1f}s] {what}", file=sys.stderr, flush=True)

    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    server: ServerProcess | None = None
    subs: list[Subscriber] = []
    try:
        admin = pg.get_uri()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        await conn.close()
        dsn = with_database(admin, DB_NAME)
        mconn = await connect(dsn)
        await migrate(mconn)
        await mconn.close()
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        (root / "server-data").mkdir()
        os.environ["GRASSROOTS_FEED_MAX_PER_CONNECTION"] = "4"
        os.environ["GRASSROOTS_RATE_LIMIT"] = "0"  # one token drives the whole load
        server = ServerProcess(dsn, root / "server-data", free_port(), args.server_command)
        await server.wait_ready()
        progress(f"server up on {server.url} (pid {server.proc.pid})")
        token = mint(SECRET, subject="bench-integration", name="Bench", roles=[Role.DISTRICT_ADMIN],
                     scope=None)
        gql = Gql(server.url, token, 4, "httpx")
        district = await establish(gql, "DISTRICT_COMMITTEE", "基准区委", None, None)
        street = await establish(gql, "STREET_WORKING_COMMITTEE", "基准街道党工委", district,
                                 "320508019000")
        org = [await establish(gql, "COMMUNITY_COMMITTEE", f"基准社区党委{k}", street,
                               f"320508019{k + 1:03d}") for k in range(8)]
        ws_url = server.url.replace("http://", "ws://") + "/graphql"

        # -- baseline: one subscriber -------------------------------------------------
        one = await open_subscriber(ws_url, token, args.compression)
        await one.ws.send(SUBSCRIBE)
        await wait_feed(gql, "subscribers", 1)
        await load(gql, org, [one], args.rate, 2, "warm-up", server, pool)
        baseline = await load(gql, org, [one], args.rate, args.seconds, "1 subscriber (baseline)",
                              server, pool)
        progress("baseline done")
        if one.task:
            one.task.cancel()
        await one.ws.close()
        await asyncio.sleep(1)

        # -- memory: idle connections, then idle subscriptions --------------------------
        rss0 = server.rss_mb()
        for start in range(0, args.subscribers, 50):
            batch = range(start, min(start + 50, args.subscribers))
            subs += await asyncio.gather(*(open_subscriber(ws_url, token, args.compression)
                                           for _ in batch))
        await asyncio.sleep(2)
        rss_connections = server.rss_mb()
        for s in subs:
            await s.ws.send(SUBSCRIBE)
        await wait_feed(gql, "subscribers", args.subscribers)
        await asyncio.sleep(2)
        rss_subscribed = server.rss_mb()
        progress(f"{args.subscribers} idle subscribers: {rss0:.1f} → {rss_connections:.1f} →"
                 f" {rss_subscribed:.1f} MB RSS")

        # -- load ----------------------------------------------------------------------
        runs = [baseline]
        for rate in args.rates or [args.rate]:
            runs.append(await load(gql, org, subs, rate, args.seconds,
                                   f"{args.subscribers} subscribers", server, pool))
            progress(f"load at {rate}/s done")
        await gql.close()
        await pool.close()
        report(args, runs, rss0, rss_connections, rss_subscribed)
        return 0
    finally:
        for s in subs:
            if s.task:
                s.task.cancel()
        await asyncio.gather(*(s.ws.close() for s in subs), return_exceptions=True)
        if server is not None:
            server.stop()
        pg.cleanup()


def report(args: argparse.Namespace, runs: list[Run], rss0: float, rss_conn: float,
           rss_sub: float) -> None:
    n = args.subscribers
    compression = "on" if args.compression else "off"
    print(f"\n## Subscriptions ({n} subscribers, compression {compression})\n")
    print("| run | commits/s | deliveries/s | p50 ms | p99 ms | max ms | exact | mutation p50 ms"
          " | server CPU % |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in runs:
        print(f"| {r.name} | {r.commits / r.seconds:.1f} | {r.deliveries / r.seconds:,.0f} |"
              f" {r.p50:.1f} | {r.p99:.1f} | {r.max:.1f} | {'yes' if r.exact else 'NO'} |"
              f" {r.mutation_p50:.1f} | {r.server_cpu:.0f} |")
    per_conn = (rss_conn - rss0) * 1024 / n
    per_sub = (rss_sub - rss_conn) * 1024 / n
    print(f"\nIdle memory (server RSS, PostgreSQL excluded): {rss0:.1f} MB before,"
          f" {rss_conn:.1f} MB with {n} open connections, {rss_sub:.1f} MB with a subscription"
          f" on each: {per_conn + per_sub:.1f} KB per idle subscriber"
          f" ({per_conn:.1f} KB connection + {per_sub:.1f} KB subscription).")
    print(f"\nCommand: `python bench/bench_subscriptions.py {' '.join(sys.argv[1:])}`".rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0,
                        help="commands per second, one event each (10/s × 500 subscribers"
                             " = 5,000 deliveries/s)")
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=None,
                        help="several load steps, e.g. 5,10,20 (default: --rate)")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--compression", action="store_true",
                        help="negotiate permessage-deflate, as browsers do")
    parser.add_argument("--server-command", default=None,
                        help="start the server with this command ({port} is replaced)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grassroots-subs-bench-") as tmp:
        return asyncio.run(main_async(args, Path(tmp)))


if __name__ == "__main__":
    raise SystemExit(main())

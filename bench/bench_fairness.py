"""Fairness benchmark: request latency while subscriptions catch up on one socket.

Run from the repository root::

    python bench/bench_fairness.py                  # ~1 minute
    python bench/bench_fairness.py --subscriptions 20 --backlog 4000 --seconds 15

One run, against a throwaway embedded PostgreSQL and the real server
(``grassroots serve``) in a separate process:

1. ``--backlog`` events are appended to the log.
2. Quiet: for ``--seconds``, one client sends ``GET /healthz`` back to back and another
   ``renameOrganization`` back to back; their latencies (p50, p99, max).
3. Loaded: the same, while another process holds one WebSocket with
   ``--subscriptions`` subscriptions of ``events(after: head - backlog)`` and, each time
   one has caught up, subscribes it again (so catch-ups run for the whole period). It
   reads as fast as it can and answers pings, as a healthy client does.

Printed: p50/p99/max of both requests in both phases, the loaded/quiet ratios, the
catch-up deliveries per second and the exact command. Never checked: the figures are
reported. Before the fix (no pacing) one socket with 20 such subscriptions stalled the
server: ``/healthz`` timed out at 10 s and mutations stopped for seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from bench_foundation import SECRET, Gql, ServerProcess, establish, free_port, pct, with_database  # noqa: E402

from api.append_keys import install_append_keys  # noqa: E402
from api.auth import mint  # noqa: E402
from api.config import Settings  # noqa: E402
from domain.shared.permissions import Role  # noqa: E402
from domain.shared.ports import Append, Metadata, NewEvent  # noqa: E402
from eventstore.db import connect, create_pool  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402
from eventstore.postgres import PostgresEventStore  # noqa: E402

DB_NAME = "grassroots_fairness_bench"
RENAME = """mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) {
  __typename ... on Error { code message } } }"""
EVENTS = "subscription($after: Int) { events(after: $after) { position eventId type payload } }"
NEXT = re.compile(r'\{"id":"([^"]+)","type":"next","payload":\{"data":\{"events":\{"position":(\d+)')


def catch_ups(url: str, token: str, subscriptions: int, backlog: int, head: int,
              seconds: float, out: Any) -> None:
    """The loaded client (its own process): ``subscriptions`` catch-ups, renewed when done."""
    from websockets.sync.client import connect as ws_connect

    delivered, rounds = 0, 0
    with ws_connect(url, subprotocols=["graphql-transport-ws"], max_size=2**24,  # type: ignore[list-item]
                    open_timeout=60) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(ws.recv(60))["type"] == "connection_ack"
        target: dict[str, int] = {}
        serial = 0

        def subscribe() -> None:
            nonlocal serial
            serial += 1
            op = str(serial)
            target[op] = head
            ws.send(json.dumps({"id": op, "type": "subscribe",
                                "payload": {"query": EVENTS, "variables": {"after": head - backlog}}}))

        for _ in range(subscriptions):
            subscribe()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            text = ws.recv(60)
            fast = NEXT.match(text)  # a result: no full parse, so the client outpaces the server
            if fast is not None:
                delivered += 1
                op, position = fast.group(1), int(fast.group(2))
                if op in target and position >= target[op]:
                    del target[op]
                    ws.send(json.dumps({"id": op, "type": "complete"}))
                    rounds += 1
                    subscribe()
                continue
            msg = json.loads(text)
            if msg["type"] == "ping":
                ws.send(json.dumps({"type": "pong", **({"payload": msg["payload"]} if "payload" in msg else {})}))
                continue
            if msg["type"] != "next" or msg["payload"].get("errors"):
                out.put(("problem", json.dumps(msg)[:300]))
                return
            delivered += 1
            op = msg["id"]
            if op in target and msg["payload"]["data"]["events"]["position"] >= target[op]:
                del target[op]
                ws.send(json.dumps({"id": op, "type": "complete"}))
                rounds += 1
                subscribe()
    out.put(("done", delivered, rounds))


async def probe(seconds: float, call: Any) -> list[float]:
    """Back-to-back calls for ``seconds``: each latency in ms."""
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


async def phase(seconds: float, server: ServerProcess, gql: Gql, org: str) -> dict[str, list[float]]:
    async with httpx.AsyncClient(timeout=60) as client:
        n = 0

        async def healthz() -> None:
            r = await client.get(f"{server.url}/healthz")
            assert r.status_code == 200

        async def rename() -> None:
            nonlocal n
            n += 1
            body = await gql.post(RENAME, {"input": {"id": org, "name": f"基准社区党委{n % 2}"}})
            assert body["data"]["renameOrganization"]["__typename"] == "OrganizationPayload", body

        health, mutation = await asyncio.gather(probe(seconds, healthz), probe(seconds, rename))
    return {"healthz": health, "mutation": mutation}


async def append_backlog(dsn: str, data_dir: Path, count: int) -> int:
    """Append ``count`` events directly, authenticated with the server's append key."""
    install_append_keys(Settings(database_url=dsn, data_dir=data_dir, jwt_secret=SECRET))
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        store, last, left = PostgresEventStore(pool), 0, count
        while left > 0:
            n, stream = min(500, left), uuid4()
            events = [NewEvent(stream, "Bench", v, uuid4(), "Bench.Ticked", 1,
                               {"n": v, "note": "基准事件" * 8}) for v in range(1, n + 1)]
            last = (await store.append(Append(events, Metadata("bench", (), uuid4())))).last_position
            left -= n
        return last
    finally:
        await pool.close()


async def main_async(args: argparse.Namespace, root: Path) -> int:
    import pgserver

    t_start = time.perf_counter()

    def progress(what: str) -> None:
        print(f"[{time.perf_counter() - t_start:5.1f}s] {what}", file=sys.stderr, flush=True)

    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    server: ServerProcess | None = None
    try:
        admin = pg.get_uri()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        await conn.close()
        dsn = with_database(admin, DB_NAME)
        mconn = await connect(dsn)
        await migrate(mconn)
        await mconn.close()
        (root / "server-data").mkdir()
        server = ServerProcess(dsn, root / "server-data", free_port(), args.server_command)
        await server.wait_ready()
        progress(f"server up on {server.url} (pid {server.proc.pid})")
        token = mint(SECRET, subject="bench-fairness", name="Bench", roles=[Role.DISTRICT_ADMIN], scope=None)
        gql = Gql(server.url, token, 2, "httpx")
        district = await establish(gql, "DISTRICT_COMMITTEE", "基准区委", None, None)
        head = await append_backlog(dsn, root / "server-data", args.backlog)
        progress(f"{args.backlog} events appended (head {head})")
        await phase(2, server, gql, district)  # warm-up
        quiet = await phase(args.seconds, server, gql, district)
        progress("quiet phase done")

        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        ws_url = server.url.replace("http://", "ws://") + "/graphql"
        client = ctx.Process(target=catch_ups, args=(ws_url, token, args.subscriptions, args.backlog,
                                                     head, args.seconds + 4, out))
        client.start()
        await asyncio.sleep(2)  # the catch-ups are running
        loaded = await phase(args.seconds, server, gql, district)
        client.join(60)
        result = out.get(timeout=10) if not out.empty() else ("problem", "no result from the client")
        progress("loaded phase done")
        await gql.close()
        report(args, quiet, loaded, result)
        return 0 if result[0] == "done" else 1
    finally:
        if server is not None:
            server.stop()
        pg.cleanup()


def report(args: argparse.Namespace, quiet: dict[str, list[float]], loaded: dict[str, list[float]],
           result: tuple[Any, ...]) -> None:
    print(f"\n## Fairness ({args.subscriptions} catch-ups of {args.backlog} events on one socket,"
          f" {args.seconds:g} s per phase)\n")
    print("| request | quiet p50 / p99 / max ms | with catch-ups p50 / p99 / max ms | p99 ratio |")
    print("|---|---:|---:|---:|")
    for name in ("healthz", "mutation"):
        q, lo = quiet[name], loaded[name]
        print(f"| {name} ({len(q)} / {len(lo)} requests) | {pct(q, .5):.1f} / {pct(q, .99):.1f} /"
              f" {max(q):.1f} | {pct(lo, .5):.1f} / {pct(lo, .99):.1f} / {max(lo):.1f} |"
              f" {pct(lo, .99) / pct(q, .99):.2f} |")
    if result[0] == "done":
        _, delivered, rounds = result
        print(f"\nCatch-ups: {delivered} deliveries in {args.seconds + 4:g} s"
              f" ({delivered / (args.seconds + 4):,.0f}/s), {rounds} catch-ups completed and renewed.")
    else:
        print(f"\nThe catch-up client failed: {result[1]}")
    print(f"\nCommand: `python bench/bench_fairness.py --subscriptions {args.subscriptions}"
          f" --backlog {args.backlog} --seconds {args.seconds:g}`")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--backlog", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--server-command", default=None,
                        help="start the server with this command ({port} is replaced)")
    args = parser.parse_args()
    os.environ.setdefault("GRASSROOTS_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="grassroots-fairness-") as tmp:
        return asyncio.run(main_async(args, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())

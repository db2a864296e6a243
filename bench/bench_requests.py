"""Residents' requests at a district's scale: a year's load, a street's statistics, escalations live.

Run from the repository root (the full year takes a while; the smoke run takes seconds)::

    python bench/bench_requests.py                                          # 30,000 requests
    python bench/bench_requests.py --requests 200 --communities 8 --seconds 2   # smoke

One run, against a throwaway embedded PostgreSQL and the real server (``grassroots serve``) in a
separate process, everything through GraphQL over HTTP and WebSocket:

1. **A year's load**: a district (Longgang: ``--streets`` 11, ``--communities`` 82, a grid each
   and a district department 城管 for every category), then ``--requests`` requests (a district's
   year is about 30,000) from ``--load-clients`` clients, each taken round its loop: half by the
   community (report, take, resolve, feed back, rate, close), half through the department
   (report, escalate, dispatch, accept, resolve, feed back, rate, close). The rate of requests
   and of mutations is reported (a scaled run reports the same rates: the loop is per request).
2. **A street's statistics over a year**: ``requestStatistics(within: <street>, from: a year
   ago, to: now, groupBy: COMMUNITY)`` with every field and the steps, from one client and from
   ``--clients``, ``--seconds`` each: p50 / p99.
3. **Escalation to delivery**: a WebSocket ``events(filter: {eventTypes: ["Request.Escalated"],
   within: <street>})`` subscription while ``--writers`` (16) clients report and escalate
   requests in that street for ``--seconds``: the time from each escalation's commit
   (``recordedAt``) to its delivery, p50 / p99 / max (target: p99 under 100 ms).

Printed: rates, latencies and the exact command. Never checked: the figures are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
import websockets  # noqa: E402
from bench_foundation import (  # noqa: E402
    SECRET,
    Gql,
    Result,
    ServerProcess,
    establish,
    free_port,
    pct,
    run_load,
    with_database,
)
from bench_grids import bounded  # noqa: E402

from api.auth import mint  # noqa: E402
from domain.requests.rules import DEFAULT_CATEGORIES  # noqa: E402
from domain.shared.permissions import Role  # noqa: E402
from eventstore.db import connect  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402

DB_NAME = "grassroots_requests_bench"
DISTRICT = "440307"
"""深圳市龙岗区: streets ``440307SSS000``, communities ``440307SSSCCC``, grids ``...CCC001``."""

REGISTER_GRID = """mutation($input: RegisterGridInput!) { registerGrid(input: $input) {
  __typename ... on GridPayload { grid { id } } ... on Error { code message } } }"""
DEPARTMENT = """mutation($input: RegisterDepartmentInput!) { registerDepartment(input: $input) {
  __typename ... on DepartmentPayload { department { id } } ... on Error { code message } } }"""
STEP = """mutation($input: {input}!) {{ {field}(input: $input) {{
  __typename ... on RequestPayload {{ request {{ id state }} }} ... on Error {{ code message }} }} }}"""
STATISTICS = """query($s: ID!, $from: DateTime!, $to: DateTime!) {
  requestStatistics(within: $s, from: $from, to: $to, groupBy: COMMUNITY) {
    key name received resolved onTime overdueNow reopened rated satisfied merged satisfactionRate onTimeRate
    steps { step count averageHours p90Hours } } }"""
ESCALATIONS = """subscription($s: ID!) { events(filter: {eventTypes: ["Request.Escalated"], within: $s}) {
  position type streamId recordedAt } }"""
COMMUNITY_LOOP = (("takeRequest", {}), ("resolveRequest", {"result": "社区已协调解决"}),
                  ("feedBackRequest", {"note": "电话回访"}), ("rateRequest", {"rating": "SATISFIED"}),
                  ("closeRequest", {}))
DEPARTMENT_LOOP = (("escalateRequest", {"reason": "需街道协调"}), ("dispatchRequest", {}), ("acceptRequest", {}),
                   ("resolveRequest", {"result": "已处理"}), ("feedBackRequest", {}),
                   ("rateRequest", {"rating": "BASICALLY"}), ("closeRequest", {}))


def _input_type(field: str) -> str:
    return field[0].upper() + field[1:] + "Input"


async def step(gql: Gql, field: str, fields: dict[str, Any]) -> dict[str, Any]:
    """One mutation of the loop; RuntimeError with its answer unless it answered RequestPayload."""
    body = await gql.post(STEP.format(input=_input_type(field), field=field), {"input": fields})
    if body.get("errors"):
        raise RuntimeError(f"{field}: {body['errors'][0].get('message')}")
    result: dict[str, Any] = body["data"][field]
    if result["__typename"] != "RequestPayload":
        raise RuntimeError(f"{field}: {result}")
    return result


async def report(gql: Gql, grid: str, n: int) -> str:
    category = DEFAULT_CATEGORIES[n % len(DEFAULT_CATEGORIES)]
    result = await step(gql, "reportRequest", {"gridId": grid, "category": category, "source": "WALK_IN",
                                               "description": f"第{n}号诉求：楼道照明损坏"})
    return str(result["request"]["id"])


class Town:
    """The district as loaded: its streets, communities, grids and department, and the tokens."""

    def __init__(self, url: str, clients: int) -> None:
        self.url, self.clients = url, clients
        admin = mint(SECRET, subject="bench-requests", name="Bench", roles=[Role.DISTRICT_ADMIN], scope=None)
        self.admin = Gql(url, admin, clients, "raw")
        self.streets: list[str] = []
        self.grids: list[tuple[int, str]] = []
        """(street index, grid id) of each community's grid."""
        self.desks: list[Gql] = []
        self.department = ""
        self.department_desk: Gql | None = None

    def desk(self, street: int) -> Gql:
        return self.desks[street]

    async def close(self) -> None:
        for g in (self.admin, *self.desks, *([self.department_desk] if self.department_desk else [])):
            await g.close()


async def build(town: Town, args: argparse.Namespace) -> None:
    district = await establish(town.admin, "DISTRICT_COMMITTEE", "龙岗区委", None, None)
    town.streets = await bounded(args.load_clients, [
        (lambda s=s: establish(town.admin, "STREET_WORKING_COMMITTEE", f"第{s}街道党工委", district,
                               f"{DISTRICT}{s:03d}000")) for s in range(1, args.streets + 1)])
    for s, street in enumerate(town.streets):
        token = mint(SECRET, subject=f"street-{s}", name=f"街道{s}",
                     roles=[Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY], scope=UUID(street))
        town.desks.append(Gql(town.url, token, town.clients, "raw"))

    async def community(i: int) -> tuple[int, str]:
        s, c = i % args.streets, i // args.streets
        cid = await establish(town.admin, "COMMUNITY_COMMITTEE", f"第{s + 1}街道第{c + 1}社区党委", town.streets[s],
                              f"{DISTRICT}{s + 1:03d}{c + 1:03d}")
        body = await town.admin.post(REGISTER_GRID, {"input": {
            "communityId": cid, "code": f"{DISTRICT}{s + 1:03d}{c + 1:03d}001", "name": f"第{c + 1}社区一网格",
            "kind": "RESIDENTIAL", "reason": "网格普查"}})
        return s, str(body["data"]["registerGrid"]["grid"]["id"])

    town.grids = await bounded(args.load_clients, [(lambda i=i: community(i)) for i in range(args.communities)])
    body = await town.admin.post(DEPARTMENT, {"input": {"organizationId": district, "name": "龙岗区城市管理局",
                                                        "code": "城管", "categories": list(DEFAULT_CATEGORIES)}})
    town.department = str(body["data"]["registerDepartment"]["department"]["id"])
    token = mint(SECRET, subject=town.department, name="城管", roles=[Role.DEPARTMENT_HANDLER],
                 scope=UUID(district))
    town.department_desk = Gql(town.url, token, town.clients, "raw")


async def loop(town: Town, n: int) -> int:
    """Request ``n`` round its loop; the number of mutations sent."""
    street, grid = town.grids[n % len(town.grids)]
    desk = town.desk(street)
    rid = await report(desk, grid, n)
    steps = COMMUNITY_LOOP if n % 2 == 0 else DEPARTMENT_LOOP
    for field, extra in steps:
        who = town.department_desk if field in ("acceptRequest",) or (
            field in ("resolveRequest", "feedBackRequest") and steps is DEPARTMENT_LOOP) else desk
        fields = {"requestId": rid, **extra}
        if field == "dispatchRequest":
            fields["departmentId"] = town.department
        assert who is not None
        await step(who, field, fields)
    return 1 + len(steps)


async def load(town: Town, args: argparse.Namespace, progress: Callable[[str], None]) -> tuple[int, int, float]:
    counter = iter(range(args.requests))
    sent = 0
    done = 0
    t0 = time.perf_counter()

    async def worker() -> None:
        nonlocal sent, done
        for n in counter:
            mutations = await loop(town, n)  # awaited first: ``sent += await ...`` would lose updates
            sent += mutations
            done += 1
            if done % max(1, args.requests // 10) == 0:
                progress(f"{done:,} requests ({done / (time.perf_counter() - t0):,.1f}/s)")

    await asyncio.gather(*(worker() for _ in range(args.load_clients)))
    return done, sent, time.perf_counter() - t0


async def escalations(town: Town, args: argparse.Namespace, ws_url: str) -> tuple[list[float], int, float]:
    """Deliveries of escalations in the first street while ``--writers`` clients escalate there."""
    street = town.streets[0]
    grids = [g for s, g in town.grids if s == 0]
    token = mint(SECRET, subject="command-centre", name="指挥中心", roles=[Role.DISTRICT_ADMIN], scope=None)
    ws = await websockets.connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  max_size=2**22, open_timeout=60, ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    if json.loads(await ws.recv()).get("type") != "connection_ack":
        raise RuntimeError("the subscription was not acknowledged")
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": ESCALATIONS, "variables": {"s": street}}}))
    latencies: list[float] = []
    recording = True

    async def receive() -> None:
        async for raw in ws:
            now = time.time()
            msg = json.loads(raw)
            if msg.get("type") == "ping":
                await ws.send('{"type": "pong"}')
                continue
            if msg.get("type") != "next":
                raise RuntimeError(f"subscription ended: {str(raw)[:300]}")
            event = msg["payload"]["data"]["events"]
            if recording:
                latencies.append(now - datetime.fromisoformat(event["recordedAt"]).timestamp())

    listener = asyncio.create_task(receive())
    await asyncio.sleep(0.5)  # subscribed and live
    counter = iter(range(10**9, 2 * 10**9))
    escalated = 0
    deadline = time.perf_counter() + args.seconds

    async def writer() -> None:
        nonlocal escalated
        desk = town.desk(0)
        while time.perf_counter() < deadline:
            n = next(counter)
            rid = await report(desk, grids[n % len(grids)], n)
            await step(desk, "escalateRequest", {"requestId": rid, "reason": "需街道协调"})
            escalated += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(args.writers)))
    elapsed = time.perf_counter() - t0
    limit = time.perf_counter() + 10
    while len(latencies) < escalated and time.perf_counter() < limit:
        await asyncio.sleep(0.05)
    recording = False
    listener.cancel()
    await ws.close()
    return latencies, escalated, elapsed


async def main_async(args: argparse.Namespace, root: Path) -> int:
    import pgserver

    t_start = time.perf_counter()

    def progress(what: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f}s] {what}", file=sys.stderr, flush=True)

    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    server: ServerProcess | None = None
    town: Town | None = None
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
        town = Town(server.url, max(args.clients, args.load_clients, args.writers))
        await build(town, args)
        progress(f"{len(town.streets)} streets, {len(town.grids)} communities with a grid each, 1 department")
        done, sent, seconds = await load(town, args, progress)
        progress(f"{done:,} requests, {sent:,} mutations in {seconds:.1f} s")

        now = datetime.now(UTC)
        variables = {"s": town.streets[0], "from": (now - timedelta(days=365)).isoformat(),
                     "to": (now + timedelta(minutes=1)).isoformat()}

        async def statistics(_: int) -> str | None:
            body = await town.desk(0).post(STATISTICS, variables)
            if body.get("errors"):
                return f"errors: {body['errors'][0].get('message')}"
            return None if body["data"]["requestStatistics"] else "no statistics"

        reads: list[Result] = []
        for clients in (1, args.clients):
            await run_load("warm-up", clients, min(1.0, args.seconds), statistics)
            reads.append(await run_load(f"requestStatistics (a street, a year), {clients} client(s)", clients,
                                        args.seconds, statistics))
            progress(f"{reads[-1].name}: {reads[-1].rate:,.1f}/s")
        latencies, escalated, elapsed = await escalations(town, args, server.url.replace("http://", "ws://")
                                                          + "/graphql")
        progress(f"{escalated} escalations, {len(latencies)} delivered")
        print_report(args, done, sent, seconds, reads, latencies, escalated, elapsed)
        return 0 if all(r.ok and not r.failed for r in reads) and len(latencies) == escalated else 1
    finally:
        if town is not None:
            await town.close()
        if server is not None:
            server.stop()
        pg.cleanup()


def print_report(args: argparse.Namespace, done: int, sent: int, seconds: float, reads: list[Result],
                 latencies: list[float], escalated: int, elapsed: float) -> None:
    print(f"\n## Residents' requests: {args.streets} streets, {args.communities} communities, {done:,} requests\n")
    print(f"A year's load through GraphQL over HTTP, {args.load_clients} clients (half round the community's"
          " loop of 6 mutations, half through the department, 8):\n")
    print("| requests | mutations | seconds | requests/s | mutations/s | a year of 30,000 at this rate |")
    print("|---:|---:|---:|---:|---:|---:|")
    rate = done / seconds if seconds else 0.0
    print(f"| {done:,} | {sent:,} | {seconds:.1f} | {rate:,.1f} | {sent / seconds:,.0f} |"
          f" {30000 / rate / 60 if rate else float('nan'):,.1f} min |")
    print(f"\nThe statistics of one street (~{done // max(1, args.streets):,} requests) over a year, grouped by"
          f" community, {args.seconds:g} s each:\n")
    print("| clients | requests | per second | p50 ms | p99 ms | failed |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r, clients in zip(reads, (1, args.clients), strict=True):
        print(f"| {clients} | {r.ok:,} | {r.rate:,.1f} | {r.ms(.5):.1f} | {r.ms(.99):.1f} |"
              f" {r.failed}{' (' + r.first_error + ')' if r.first_error else ''} |")
    print(f"\nEscalation to the subscription's delivery, {args.writers} concurrent writers for {elapsed:.1f} s"
          f" ({escalated} escalations, {len(latencies)} delivered):\n")
    if latencies:
        print("| p50 ms | p99 ms | max ms | target p99 |")
        print("|---:|---:|---:|---:|")
        print(f"| {pct(latencies, .5) * 1000:.1f} | {pct(latencies, .99) * 1000:.1f} |"
              f" {max(latencies) * 1000:.1f} | < 100 ms |")
    print(f"\nCommand: `python bench/bench_requests.py --requests {args.requests} --streets {args.streets}"
          f" --communities {args.communities} --load-clients {args.load_clients} --clients {args.clients}"
          f" --writers {args.writers} --seconds {args.seconds:g}`")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30000, help="a district's year: about 30,000")
    parser.add_argument("--streets", type=int, default=11, help="Longgang: 11")
    parser.add_argument("--communities", type=int, default=82, help="Longgang: 82 (a grid each)")
    parser.add_argument("--load-clients", type=int, default=8, help="concurrent clients of the load")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients of the statistics reads")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers of the escalation run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each read and escalation run")
    parser.add_argument("--server-command", default=None, help="start the server with this ({port} replaced)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.streets < 1 or args.communities < args.streets or args.requests < 1:
        parser.error("at least one street, a community for every street, and one request")
    root = Path(tempfile.mkdtemp(prefix="requests-bench-"))
    try:
        return asyncio.run(main_async(args, root))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

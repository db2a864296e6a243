"""Grids at Panjin's scale: loading through the API, a community's grids, point lookups.

Run from the repository root (a few minutes at full scale; the smoke run takes seconds)::

    python bench/bench_grids.py                                   # 252 communities, 1,056 grids
    python bench/bench_grids.py --communities 5 --grids 21 --members 100 --seconds 2   # smoke

One run, against a throwaway embedded PostgreSQL and the real server (``grassroots
serve``) in a separate process, everything through GraphQL over HTTP:

1. Load: a district, ``--streets`` streets, ``--communities`` communities and ``--grids``
   grids spread over them (Panjin: 1,056 over 252, four or five each), each with a
   boundary (a community is a square cell, its grids the strips that tile it exactly),
   buildings and counts; then each grid's staff: a leader and a worker (named people with
   phones) and the community's Party-building instructor, who serves all its grids.
   ``--load-clients`` concurrent clients; the rate of each phase and overall is reported.
   Then ``--members`` members, for the members page beside.
2. Reads at ``--clients`` concurrent clients for ``--seconds`` each, in one run:
   ``grids(filter: {within: <community>})`` with nested staff for a random community; the
   same through ``Organization.grids``; the members page (``members(first: 50)`` with home
   organizations, as bench_foundation measures it); ``grids(filter: {containing})`` at a
   random point of the map (a bounding-box prefilter in SQL on an index, then shapely's
   exact test of the few candidates: PostGIS is not in the embedded server); and the point
   lookup again from one client, the latency the issue's target (p99 < 20 ms) speaks of.

Printed: rates, p50/p99 in ms, each read's p99 as a ratio to the members page's, and the
exact command. Never checked: the figures are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
from bench_foundation import (  # noqa: E402
    MEMBERS_PAGE,
    SECRET,
    Gql,
    Result,
    ServerProcess,
    establish,
    free_port,
    register,
    run_load,
    with_database,
)

from api.auth import mint  # noqa: E402
from domain.shared.permissions import Role  # noqa: E402
from eventstore.db import connect  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402

DB_NAME = "grassroots_grids_bench"
DISTRICT = "211103"
"""盘锦市兴隆台区: streets ``211103SSS000``, communities ``211103SSSCCC``, grids ``...CCCGGG``."""
WEST, SOUTH, CELL, PER_ROW = 121.95, 41.05, 0.01, 16
"""The map: community cells of 0.01° (about 1 km) in rows of 16, from (121.95°E, 41.05°N)."""

REGISTER_GRID = """mutation($input: RegisterGridInput!) { registerGrid(input: $input) {
  __typename ... on GridPayload { grid { id } } ... on Error { code message } } }"""
APPOINT = """mutation($input: AppointGridStaffInput!) { appointGridStaff(input: $input) {
  __typename ... on Error { code message } } }"""
GRIDS_WITHIN = """query($c: ID!) { grids(filter: {within: $c}, first: 50) { edges { node {
  code name understaffed staff { role name phone employment } } } } }"""
ORGANIZATION_GRIDS = """query($c: ID!) { node(id: $c) { ... on Organization { name grids(first: 50) {
  edges { node { code name understaffed staff { role name phone employment } } } } } } }"""
CONTAINING = """query($lat: Float!, $lng: Float!) { grids(filter: {containing: {lat: $lat, lng: $lng}}, first: 5) {
  edges { node { code name } } } }"""


def cell(index: int) -> tuple[float, float]:
    """The south-west corner of community ``index``'s cell."""
    return WEST + (index % PER_ROW) * CELL, SOUTH + (index // PER_ROW) * CELL


def strip(index: int, part: int, parts: int) -> dict[str, Any]:
    """Grid ``part`` of ``parts`` of community ``index``: a vertical strip of its cell
    (the strips tile the cell: shared edges, no gaps, no overlaps)."""
    west, south = cell(index)
    w, e = round(west + CELL * part / parts, 7), round(west + CELL * (part + 1) / parts, 7)
    n = round(south + CELL, 7)
    return {"type": "Polygon", "coordinates": [[[w, south], [e, south], [e, n], [w, n], [w, south]]]}


def spread(grids: int, communities: int) -> list[int]:
    """How many grids each community draws: as even as it goes (1,056 / 252: 48 fives, 204 fours)."""
    base, extra = divmod(grids, communities)
    return [base + (1 if i < extra else 0) for i in range(communities)]


async def payload(gql: Gql, query: str, variables: dict[str, Any], field: str) -> dict[str, Any]:
    """The mutation's success payload (``GridPayload``), or RuntimeError with the error it answered."""
    body = await gql.post(query, variables)
    if body.get("errors"):
        raise RuntimeError(f"{field}: {body['errors'][0].get('message')}")
    result: dict[str, Any] = body["data"][field]
    if result["__typename"] != "GridPayload":
        raise RuntimeError(f"{field}: {result}")
    return result


async def bounded(limit: int, jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run ``jobs`` with at most ``limit`` in flight, results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def load(gql: Gql, args: argparse.Namespace, progress: Callable[[str], None]) -> dict[str, Any]:
    """The tree, the grids and their staff through GraphQL; the rate of each phase."""
    phases: dict[str, tuple[int, float]] = {}
    t0 = time.perf_counter()
    district = await establish(gql, "DISTRICT_COMMITTEE", "兴隆台区委", None, None)
    streets = await bounded(args.load_clients, [
        (lambda s=s: establish(gql, "STREET_WORKING_COMMITTEE", f"第{s}街道党工委", district,
                               f"{DISTRICT}{s:03d}000")) for s in range(1, args.streets + 1)])
    per_street = -(-args.communities // args.streets)

    def community(i: int) -> Callable[[], Awaitable[str]]:
        s, c = divmod(i, per_street)
        return lambda: establish(gql, "COMMUNITY_COMMITTEE", f"第{s + 1}街道第{c + 1}社区党委", streets[s],
                                 f"{DISTRICT}{s + 1:03d}{c + 1:03d}")

    communities = await bounded(args.load_clients, [community(i) for i in range(args.communities)])
    phases["organizations"] = (1 + len(streets) + len(communities), time.perf_counter() - t0)
    progress(f"{phases['organizations'][0]} organizations")

    counts = spread(args.grids, args.communities)
    t1 = time.perf_counter()

    def grid(i: int, part: int) -> Callable[[], Awaitable[str]]:
        s, c = divmod(i, per_street)
        code = f"{DISTRICT}{s + 1:03d}{c + 1:03d}{part + 1:03d}"
        buildings = [f"{part + 1}区{b}栋" for b in range(1, 13)]

        async def run() -> str:
            result = await payload(gql, REGISTER_GRID, {"input": {
                "communityId": communities[i], "code": code, "name": f"第{c + 1}社区{part + 1}网格",
                "kind": "RESIDENTIAL" if part % 3 else "MIXED", "households": 300 + part * 20,
                "population": 900 + part * 50, "buildings": buildings, "boundary": strip(i, part, counts[i]),
                "reason": "网格普查"}}, "registerGrid")
            return str(result["grid"]["id"])
        return run

    jobs = [(i, part) for i in range(args.communities) for part in range(counts[i])]
    ids = await bounded(args.load_clients, [grid(i, part) for i, part in jobs])
    grids = {job: gid for job, gid in zip(jobs, ids, strict=True)}
    phases["grids (with boundaries)"] = (len(grids), time.perf_counter() - t1)
    progress(f"{len(grids)} grids")

    t2 = time.perf_counter()

    def staff(n: int, i: int, part: int) -> Callable[[], Awaitable[int]]:
        gid = grids[(i, part)]

        async def run() -> int:  # one grid's posts in turn: appointments to one stream would conflict
            for role, name, phone, employment in (
                    ("LEADER", f"网格长{n}", f"138{n:08d}", None),
                    ("WORKER", f"网格员{n}", f"137{n:08d}", "FULL_TIME" if n % 4 else "PART_TIME"),
                    ("INSTRUCTOR", f"指导员{i}", f"136{i:08d}", None)):
                await payload(gql, APPOINT, {"input": {"gridId": gid, "role": role, "name": name, "phone": phone,
                                                       "employment": employment, "reason": "社区两委会议决定"}},
                              "appointGridStaff")
            return 3
        return run

    done = await bounded(args.load_clients, [staff(n, i, part) for n, (i, part) in enumerate(jobs)])
    phases["staff appointments"] = (sum(done), time.perf_counter() - t2)
    phases["everything (mutations)"] = (sum(n for n, _ in phases.values()), time.perf_counter() - t0)
    progress(f"{sum(done)} appointments")
    return {"phases": phases, "communities": communities, "counts": counts}


async def main_async(args: argparse.Namespace, root: Path) -> int:
    import pgserver

    t_start = time.perf_counter()

    def progress(what: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f}s] {what}", file=sys.stderr, flush=True)

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
        token = mint(SECRET, subject="bench-grids", name="Bench", roles=[Role.DISTRICT_ADMIN], scope=None)
        gql = Gql(server.url, token, max(args.clients, args.load_clients), "raw")
        world = await load(gql, args, progress)
        communities: list[str] = world["communities"]
        members_done = await bounded(args.load_clients, [
            (lambda n=n: register(gql, n, communities[n % len(communities)])) for n in range(args.members)])
        failed = [e for e in members_done if e is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} members not registered: {failed[0]}")
        progress(f"{args.members} members")

        rng = random.Random(11)
        rows = -(-args.communities // PER_ROW)

        def point() -> dict[str, float]:
            """A random point of the map's cells (a point in an empty cell of the last row finds none)."""
            i = rng.randrange(args.communities)
            west, south = cell(i)
            return {"lng": west + rng.random() * CELL, "lat": south + rng.random() * CELL}

        async def ask(query: str, variables: dict[str, Any], check: Callable[[dict[str, Any]], bool]) -> str | None:
            body = await gql.post(query, variables)
            if body.get("errors"):
                return f"errors: {body['errors'][0].get('message')}"
            return None if check(body["data"]) else f"unexpected answer: {str(body['data'])[:200]}"

        def within(_: int) -> Awaitable[str | None]:
            return ask(GRIDS_WITHIN, {"c": rng.choice(communities)}, lambda d: bool(d["grids"]["edges"]))

        def organization_grids(_: int) -> Awaitable[str | None]:
            return ask(ORGANIZATION_GRIDS, {"c": rng.choice(communities)},
                       lambda d: bool(d["node"]["grids"]["edges"]))

        def members_page(_: int) -> Awaitable[str | None]:
            return ask(MEMBERS_PAGE, {}, lambda d: bool(d["members"]["edges"]))

        def containing(_: int) -> Awaitable[str | None]:
            return ask(CONTAINING, point(), lambda d: len(d["grids"]["edges"]) >= 1)

        reads: list[tuple[str, int, Callable[[int], Awaitable[str | None]]]] = [
            ("members(first: 50) with home organizations", args.clients, members_page),
            ("grids(filter: {within: community}) with staff", args.clients, within),
            ("Organization.grids with staff", args.clients, organization_grids),
            ("grids(filter: {containing}) point lookup", args.clients, containing),
            ("grids(filter: {containing}) point lookup, 1 client", 1, containing),
        ]
        results: list[Result] = []
        for name, clients, one in reads:
            await run_load(name, clients, min(1.0, args.seconds), one)  # warm-up
            results.append(await run_load(name, clients, args.seconds, one))
            progress(f"{name}: {results[-1].rate:,.0f}/s")
        await gql.close()
        report(args, world, results, rows)
        return 0 if all(r.ok and not r.failed for r in results) else 1
    finally:
        if server is not None:
            server.stop()
        pg.cleanup()


def report(args: argparse.Namespace, world: dict[str, Any], results: list[Result], rows: int) -> None:
    counts: list[int] = world["counts"]
    print(f"\n## Grids at scale: {args.communities} communities in {args.streets} streets, {sum(counts)} grids"
          f" ({min(counts)}–{max(counts)} each) on a {PER_ROW} × {rows} map, 3 posts each, {args.members} members\n")
    print(f"Load through GraphQL over HTTP, {args.load_clients} clients:\n")
    print("| phase | mutations | seconds | per second |")
    print("|---|---:|---:|---:|")
    for name, (n, seconds) in world["phases"].items():
        print(f"| {name} | {n:,} | {seconds:.1f} | {n / seconds:,.0f} |")
    page = results[0]
    print(f"\nReads, {args.seconds:g} s each:\n")
    print("| read | clients | requests | per second | p50 ms | p99 ms | p99 / members page p99 | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r, clients in zip(results, (args.clients,) * 4 + (1,), strict=True):
        print(f"| {r.name} | {clients} | {r.ok:,} | {r.rate:,.0f} | {r.ms(.5):.1f} | {r.ms(.99):.1f} |"
              f" {r.ms(.99) / page.ms(.99):.2f} | {r.failed}{' (' + r.first_error + ')' if r.first_error else ''} |")
    print("\nPoint lookups: a bounding-box prefilter in SQL (index grids_box on west, east, south, north),"
          " then shapely's exact covers test of the candidates (PostGIS is not in the embedded server).")
    print(f"\nCommand: `python bench/bench_grids.py --communities {args.communities} --grids {args.grids}"
          f" --streets {args.streets} --members {args.members} --clients {args.clients}"
          f" --load-clients {args.load_clients} --seconds {args.seconds:g}`")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--communities", type=int, default=252, help="Panjin: 252")
    parser.add_argument("--grids", type=int, default=1056, help="Panjin: 1,056 (at most 999 per community)")
    parser.add_argument("--streets", type=int, default=21, help="streets the communities are spread over")
    parser.add_argument("--members", type=int, default=500, help="members, for the members page beside")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients of the reads")
    parser.add_argument("--load-clients", type=int, default=8, help="concurrent clients of the load")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each read run")
    parser.add_argument("--server-command", default=None, help="start the server with this ({port} replaced)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.communities < 1 or args.streets < 1 or args.grids < args.communities:
        parser.error("at least one street and community, and a grid for every community")
    if -(-args.grids // args.communities) > 999 or -(-args.communities // args.streets) > 999:
        parser.error("a community holds at most 999 grids and a street 999 communities (3-digit sequences)")
    root = Path(tempfile.mkdtemp(prefix="grids-bench-"))
    try:
        return asyncio.run(main_async(args, root))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

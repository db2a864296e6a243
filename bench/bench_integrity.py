"""Tamper-evidence benchmark: verify throughput and what hashing costs the write path.

Run from the repository root::

    python bench/bench_integrity.py                  # 200,000 events, ~2-3 minutes
    python bench/bench_integrity.py --events 50000 --mutation-seconds 3 --rounds 1  # smoke

Everything happens in one run against a throwaway embedded PostgreSQL (pgserver):

(a) ``verify`` throughput, events per second, over a log of ``--events`` events
    generated with one bulk INSERT (not through the API), hashed by the real hasher
    and checkpointed; beside baselines measured on the same rows in the same run: a
    plain scan of every column inside PostgreSQL, the same rows fetched by asyncpg,
    and bare ``hashlib.sha256`` over the events' canonical bytes.
(b) the write path: ``registerMember`` mutations per second over HTTP against the real
    server (``grassroots serve``) with the background hasher running and with it switched
    off (``GRASSROOTS_HASHER=0``), in ABBA-ordered rounds so drift in machine load hits
    both alike, with the CPU both spend per mutation (server process and PostgreSQL);
    and, the steadier figure on a busy machine, the hasher's own work per event
    (measured alone in (a)) as a share of a mutation's CPU.

The figures are printed, never checked: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
import psutil  # noqa: E402
from bench_foundation import (  # noqa: E402
    SECRET,
    CpuWatch,
    Gql,
    ServerProcess,
    establish,
    free_port,
    register,
    run_load,
    with_database,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from api.auth import mint  # noqa: E402
from domain.shared.permissions import Role  # noqa: E402
from eventstore.db import connect  # noqa: E402
from eventstore.integrity import store as idb  # noqa: E402
from eventstore.integrity.authenticators import AppendKeys  # noqa: E402
from eventstore.integrity.hasher import HASHER_LOCK, LogHasher  # noqa: E402
from eventstore.integrity.verify import verify_log  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402

# Realistic rows: fund, member and organization events with Chinese text, money as
# decimal strings, uuids, a reason on some, one or two roles.
GENERATE = """
INSERT INTO events (stream_id, stream_type, version, event_id, event_type, schema_version,
                    payload, recorded_at, actor, actor_roles, correlation_id, causation_id,
                    command_id, reason)
SELECT md5('s' || (g / 20))::uuid,
       (ARRAY['Fund', 'Member', 'Organization'])[g % 3 + 1],
       g % 20 + 1, gen_random_uuid(),
       (ARRAY['Fund.PaymentRecorded', 'Member.DetailsCorrected',
              'Organization.Renamed'])[g % 3 + 1],
       1,
       jsonb_build_object(
           'amount', to_char((g % 100000) * 1.37, 'FM999999990.00'),
           'projectId', md5('p' || (g / 7))::uuid,
           'memo', '社区党群服务中心“微心愿”项目第' || g || '期',
           'lines', jsonb_build_array(jsonb_build_object('category', '党建工作', 'amount', 120.50),
                                      jsonb_build_object('category', '公共服务', 'amount', 80))),
       timestamptz '2026-01-01 08:00+08' + g * interval '1.337 seconds',
       'user-' || (g % 97),
       CASE WHEN g % 5 = 0 THEN ARRAY['finance_officer', 'community_secretary']
            ELSE ARRAY['finance_officer'] END,
       md5('c' || g)::uuid, CASE WHEN g % 4 = 0 THEN md5('k' || g)::uuid END,
       'cmd-' || g, CASE WHEN g % 3 = 0 THEN '按季度报销，见附件' || g END
FROM generate_series($1::bigint, $2::bigint) AS g
"""


T = TypeVar("T")


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "n/a"


async def timed(coro: Awaitable[T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    value = await coro
    return value, time.perf_counter() - t0


async def build_log(dsn: str, events: int, keys: AppendKeys) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        step = 50_000
        for start in range(1, events + 1, step):
            await conn.execute(GENERATE, start, min(start + step - 1, events))
        elapsed = time.perf_counter() - t0
        await authenticate_log(conn, keys)
        await conn.execute("VACUUM ANALYZE events")
        return elapsed
    finally:
        await conn.close()


async def authenticate_log(conn: asyncpg.Connection, keys: AppendKeys) -> None:
    """Give the bulk-INSERTed rows the append authenticators the application would have
    made (the hasher seals nothing without them), untimed: in production they come with
    each append."""
    rows = await conn.fetch(f"SELECT e.position, {idb.APPEND_DIGEST_SQL} AS d FROM events e")
    async with conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute(
            "UPDATE events e SET append_key_id = $1, append_mac = a.mac"
            " FROM unnest($2::bigint[], $3::bytea[]) AS a(position, mac) WHERE e.position = a.position",
            keys.signing_key_id, [r["position"] for r in rows], [keys.sign(bytes(r["d"])) for r in rows],
        )
        await conn.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")


async def hash_log(dsn: str, key: Ed25519PrivateKey, keys: AppendKeys) -> float:
    conn = await connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", HASHER_LOCK)
        t0 = time.perf_counter()
        await LogHasher(dsn, None, key, page_size=5_000, append_keys=keys).catch_up(conn)
        elapsed = time.perf_counter() - t0
        await conn.execute("SELECT pg_advisory_unlock($1)", HASHER_LOCK)
        await idb.record_checkpoint(conn, key, datetime.now(UTC))
        return elapsed
    finally:
        await conn.close()


async def baselines(dsn: str) -> dict[str, float]:
    """Seconds for a plain scan in PostgreSQL, an asyncpg fetch, and bare sha256."""
    conn = await asyncpg.connect(dsn)
    try:
        found: dict[str, float] = {}
        await conn.fetchval("SELECT count(*) FROM events")  # warm the cache
        _, found["pg_scan"] = await timed(
            conn.fetchval(
                "SELECT sum(length(e.payload::text) + length(e.actor) + e.version) FROM events e"
            )
        )
        t0 = time.perf_counter()
        async with conn.transaction():
            cur = await conn.cursor("SELECT * FROM events ORDER BY position")
            while await cur.fetch(20_000):
                pass
        found["asyncpg_fetch"] = time.perf_counter() - t0
        texts = [
            r["c"].encode()
            for r in await conn.fetch(
                f"SELECT {idb.CANONICAL_SQL} AS c FROM events e ORDER BY position"
            )
        ]
        t0 = time.perf_counter()
        for data in texts:
            hashlib.sha256(b"\x00" + data).digest()
        found["sha256"] = time.perf_counter() - t0
        found["bytes"] = sum(len(t) for t in texts) / len(texts)
        return found
    finally:
        await conn.close()


@dataclass
class Round:
    """One write-path round: the server with or without its hasher."""

    hasher: bool
    rate: float
    cpu_ms: float  # server process + all PostgreSQL processes, per mutation
    events_per_mutation: float
    lag: int


async def write_path(
    admin: str, root: Path, args: argparse.Namespace, postmaster: psutil.Process | None
) -> list[Round]:
    """registerMember rounds against the real server, hasher off and on in turn."""
    results: list[Round] = []
    token = mint(
        SECRET, subject="bench-admin", name="Bench Admin", roles=[Role.DISTRICT_ADMIN], scope=None
    )
    conn = await asyncpg.connect(admin)
    await conn.execute('CREATE DATABASE "write_bench"')
    await conn.close()
    dsn = with_database(admin, "write_bench")
    mconn = await connect(dsn)
    await migrate(mconn)
    await mconn.close()
    community = ""
    n = 0
    for rnd in range(args.rounds):
        # ABBA order (off, on, on, off, ...): a steady drift in machine load or in table
        # size then weighs on both alike.
        for hasher in (False, True) if rnd % 2 == 0 else (True, False):
            data = root / f"server-{rnd}-{int(hasher)}"
            data.mkdir()
            os.environ["GRASSROOTS_HASHER"] = "1" if hasher else "0"
            server = ServerProcess(dsn, data, free_port())
            os.environ.pop("GRASSROOTS_HASHER")
            try:
                await server.wait_ready()
                gql = Gql(server.url, token, args.clients, "raw")
                try:
                    if not community:
                        district = await establish(
                            gql, "DISTRICT_COMMITTEE", "基准区委", None, None
                        )
                        street = await establish(
                            gql,
                            "STREET_WORKING_COMMITTEE",
                            "基准街道党工委",
                            district,
                            "320508019000",
                        )
                        community = await establish(
                            gql, "COMMUNITY_COMMITTEE", "基准社区党委", street, "320508019001"
                        )
                    home = community

                    async def one(i: int, gql: Gql = gql, home: str = home) -> str | None:
                        return await register(gql, i, home)

                    await run_load("warm-up", args.clients, 2.0, one, start=n)
                    n += 100_000
                    before = await head_position(dsn)
                    res = await run_load(
                        "registerMember",
                        args.clients,
                        args.mutation_seconds,
                        one,
                        CpuWatch(server.ps, postmaster),
                        start=n,
                    )
                    appended = await head_position(dsn) - before
                    n += 100_000
                finally:
                    await gql.close()
                lag = 0
                if hasher:
                    await asyncio.sleep(1.0)
                    c = await asyncpg.connect(dsn)
                    lag = await c.fetchval(
                        "SELECT (SELECT coalesce(max(position), 0) FROM events)"
                        " - position FROM hasher_tracking"
                    )
                    await c.close()
                cpu = res.cpu or (0.0, 0.0, 0.0)
                results.append(
                    Round(
                        hasher,
                        res.rate,
                        1000 * (cpu[1] + cpu[2]) / max(res.ok, 1),
                        appended / max(res.ok, 1),
                        lag,
                    )
                )
                print(
                    f"  round {rnd + 1}, hasher {'on ' if hasher else 'off'}: "
                    f"{res.rate:,.1f} mutations/s ({res.failed} failed), "
                    f"{results[-1].cpu_ms:.2f} CPU ms per mutation"
                    + (f", hasher lag {lag} events 1 s later" if hasher else ""),
                    file=sys.stderr,
                    flush=True,
                )
            finally:
                server.stop()
    return results


async def head_position(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    finally:
        await conn.close()


async def main_async(args: argparse.Namespace, root: Path) -> None:
    import pgserver

    load_start = os.getloadavg()
    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        admin = pg.get_uri()
        conn = await asyncpg.connect(admin)
        await conn.execute('CREATE DATABASE "integrity_bench"')
        await conn.close()
        dsn = with_database(admin, "integrity_bench")
        mconn = await connect(dsn)
        await migrate(mconn)
        await mconn.close()
        key = Ed25519PrivateKey.generate()
        appends = AppendKeys.parse(AppendKeys.new_key())

        print(f"generating {args.events:,} events ...", file=sys.stderr, flush=True)
        gen = await build_log(dsn, args.events, appends)
        hashed = await hash_log(dsn, key, appends)
        base = await baselines(dsn)
        runs: list[tuple[str, float, bool]] = []
        plan = [("sql", w, None) for w in args.workers] + [("python", 2, None)]
        plan.append(("sql", max(args.workers), appends))  # and the append authenticators
        for engine, workers, checked in plan:
            report, seconds = await timed(
                verify_log(dsn, key.public_key(), workers=workers, engine=engine,
                           append_keys=checked)
            )
            what = ", append authenticators checked" if checked else ""
            runs.append((f"verify, {engine} engine, {workers} worker(s){what}", seconds, report.ok))
            print(
                f"  {runs[-1][0]}: {rate(report.events, seconds)} events/s "
                f"({report.summary()[:40]})",
                file=sys.stderr,
                flush=True,
            )
        info = pg.get_postmaster_info()
        postmaster = psutil.Process(info.pid) if getattr(info, "pid", None) else None
        writes = [] if args.skip_write_path else await write_path(admin, root, args, postmaster)
    finally:
        pg.cleanup()
    print_report(args, gen, hashed, base, runs, writes, load_start, os.getloadavg())


def print_report(
    args: argparse.Namespace,
    gen: float,
    hashed: float,
    base: dict[str, float],
    runs: list[tuple[str, float, bool]],
    writes: list[Round],
    load_start: tuple[float, ...],
    load_end: tuple[float, ...],
) -> None:
    n = args.events
    best = min(s for name, s, _ in runs if "sql" in name)
    print(
        f"\n## Tamper evidence: {n:,} events, {os.cpu_count()} CPUs, load average "
        f"{load_start[0]:.2f} at start, {load_end[0]:.2f} at end\n"
    )
    print("| measurement | events/s | vs verify (best) | note |\n|---|---:|---:|---|")
    for name, seconds, ok in runs:
        print(
            f"| {name} | {rate(n, seconds)} | {best / seconds:.2f}× | "
            f"{'clean' if ok else 'NOT CLEAN'} |"
        )
    print(
        f"| baseline: plain scan of every row inside PostgreSQL | {rate(n, base['pg_scan'])} | "
        f"{best / base['pg_scan']:.2f}× | `sum(length(payload::text) …)` |"
    )
    print(
        f"| baseline: every row fetched by asyncpg (cursor) | {rate(n, base['asyncpg_fetch'])} | "
        f"{best / base['asyncpg_fetch']:.2f}× | |"
    )
    print(
        f"| baseline: bare hashlib.sha256 of the canonical bytes | {rate(n, base['sha256'])} | "
        f"{best / base['sha256']:.2f}× | {base['bytes']:.0f} bytes per event |"
    )
    print(f"| hasher catch-up (leaves + tree nodes written) | {rate(n, hashed)} | | page 5,000 |")
    print(f"| bulk INSERT generating the log | {rate(n, gen)} | | |")
    if writes:
        print_write_path(args, writes, n / hashed)
    print(f"\nCommand: `python bench/bench_integrity.py {' '.join(sys.argv[1:])}`".rstrip())


def print_write_path(args: argparse.Namespace, writes: list[Round], hash_rate: float) -> None:
    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    off = [r for r in writes if not r.hasher]
    on = [r for r in writes if r.hasher]
    rate_off, rate_on = mean([r.rate for r in off]), mean([r.rate for r in on])
    cpu_off, cpu_on = mean([r.cpu_ms for r in off]), mean([r.cpu_ms for r in on])
    per_mutation = mean([r.events_per_mutation for r in writes])
    # The hasher's own work per event, measured alone in (a), against a mutation's CPU.
    estimate = 100 * per_mutation * (1000 / hash_rate) / cpu_off
    print(
        f"\n| write path: {args.clients} clients, {args.mutation_seconds:g} s rounds, "
        f"{args.rounds} of each, ABBA order | registerMember/s (each round) | "
        "CPU ms per mutation (server + PostgreSQL) |\n|---|---:|---:|"
    )
    for label, rounds, r, c in (
        ("hasher off (`GRASSROOTS_HASHER=0`)", off, rate_off, cpu_off),
        ("hasher on", on, rate_on, cpu_on),
    ):
        each = ", ".join(f"{x.rate:.0f}" for x in rounds)
        print(f"| {label} | {r:,.1f} ({each}) | {c:.2f} |")
    print(
        f"| difference | {100 * (rate_on / rate_off - 1):+.1f} % throughput | "
        f"{100 * (cpu_on / cpu_off - 1):+.1f} % CPU |"
    )
    print(
        f"\nHashing work alone: {1000 / hash_rate * 1000:.1f} µs per event (catch-up rate above) × "
        f"{per_mutation:.2f} events per mutation = {estimate:.2f} % of a mutation's "
        f"{cpu_off:.2f} CPU ms (target < 5 %). Hasher lag 1 s after each 'on' round: "
        f"{max(r.lag for r in on)} events."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument(
        "--workers",
        type=lambda s: [int(x) for x in s.split(",")],
        default=sorted({1, 2, os.cpu_count() or 2, 2 * (os.cpu_count() or 2)}),
        help="verify worker counts to measure, e.g. 1,2,4",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--mutation-seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-write-path", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="grassroots-integrity-bench-"))
    try:
        asyncio.run(main_async(args, root))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

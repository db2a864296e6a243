"""CPU per operation of the GraphQL layer in-process, without HTTP.

Run from the repository root::

    python bench/bench_inprocess.py                  # ~20 s
    python bench/bench_inprocess.py --profile page   # cProfile one run, top functions
    python bench/bench_inprocess.py --count          # SQL statements per operation

It starts a throwaway embedded PostgreSQL, migrates it, runs the projections in this
process (a ``Supervisor``, as ``grassroots serve`` does) and calls ``schema.execute``
directly with a district admin's context for: ``{ me { name } }``, ``registerMember``
(sequential and with 16 concurrent callers) and the ``members(first: 50)`` page of
``bench_foundation.py`` (sequential and 8 concurrent). It prints operations per second
and this process's CPU milliseconds per operation (PostgreSQL not counted). Use it to
compare changes to the GraphQL types, loaders, event store or projections quickly: the
process CPU per operation moves much less with other load on the machine than rates.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
from bench_foundation import ESTABLISH, MEMBERS_PAGE, REGISTER, member_input  # noqa: E402

from api import bootstrap  # noqa: E402
from api.areas import PROJECTIONS  # noqa: E402
from api.config import Settings  # noqa: E402
from api.graphql.core.context import Context, Loaders  # noqa: E402
from api.schema import schema  # noqa: E402
from domain.shared.permissions import Actor, Role  # noqa: E402
from eventstore.db import connect, create_pool  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402
from projections.runtime.supervisor import Supervisor  # noqa: E402

STATEMENTS: Counter[str] = Counter()


def count_statements() -> None:
    """Count every statement asyncpg sends (extended and simple protocol)."""
    extended, simple = asyncpg.Connection._execute, asyncpg.Connection.execute

    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        STATEMENTS[" ".join(query.split())[:90]] += 1
        return await extended(self, query, *args, **kwargs)

    async def counted_simple(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args:
            STATEMENTS["(simple) " + " ".join(query.split())[:80]] += 1
        return await simple(self, query, *args, **kwargs)

    asyncpg.Connection._execute = counted  # type: ignore[method-assign]
    asyncpg.Connection.execute = counted_simple  # type: ignore[method-assign]


async def measure(name: str, op: Callable[[], Awaitable[None]], n: int, concurrency: int,
                  profile: str | None) -> None:
    for _ in range(20):
        await op()
    STATEMENTS.clear()
    profiler = cProfile.Profile() if profile == name else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()

    async def worker(k: int) -> None:
        for _ in range(k):
            await op()

    await asyncio.gather(*[worker(n // concurrency) for _ in range(concurrency)])
    if profiler is not None:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{name:12s} {concurrency:2d} at once: {n / wall:7.0f}/s   "
          f"{1e3 * cpu / n:5.2f} ms CPU per op (this process)")
    for statement, times in STATEMENTS.most_common(20):
        print(f"    {times / n:5.2f}  {statement}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


async def run(admin_dsn: str, args: argparse.Namespace) -> None:
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute("CREATE DATABASE inprocess")
    await admin.close()
    dsn = urlunsplit(urlsplit(admin_dsn)._replace(path="/inprocess"))
    conn = await connect(dsn)
    await migrate(conn)
    await conn.close()
    settings = Settings()
    pool = await create_pool(dsn, min_size=2, max_size=settings.pool_size)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    commands = bootstrap.handling(settings, pool, clock)
    await supervisor.start()
    actor = Actor(subject="bench", name="Bench", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)

    async def execute(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        context = Context(actor=actor, pool=pool, commands=commands, supervisor=supervisor,
                          settings=settings, correlation_id=uuid.uuid4(), loaders=Loaders(pool),
                          clock=clock)
        result = await schema.execute(query, variable_values=variables, context_value=context)
        assert not result.errors and result.data is not None, result.errors
        return result.data

    parent = None
    for kind, name, code in (("DISTRICT_COMMITTEE", "区委", None),
                             ("STREET_WORKING_COMMITTEE", "街道", "320508019000"),
                             ("COMMUNITY_COMMITTEE", "社区", "320508019001")):
        data = await execute(ESTABLISH, {"input": {"kind": kind, "name": name, "parentId": parent,
                                                   "code": code}})
        parent = data["establishOrganization"]["organization"]["id"]
    registered = 0

    async def register() -> None:
        nonlocal registered
        registered += 1
        data = await execute(REGISTER, {"input": member_input(registered, parent)})
        assert data["registerMember"]["__typename"] == "MemberPayload", data

    async def me() -> None:
        await execute("{ me { name } }")

    async def page() -> None:
        await execute(MEMBERS_PAGE)

    try:
        await measure("me", me, 3000, 1, args.profile)
        await measure("mutation", register, 600, 1, args.profile)
        await measure("mutation16", register, 1600, 16, args.profile)
        await measure("page", page, 400, 1, args.profile)
        await measure("page8", page, 800, 8, args.profile)
    finally:
        await supervisor.stop()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=["me", "mutation", "mutation16", "page", "page8"],
                        help="cProfile this measurement and print the top functions")
    parser.add_argument("--count", action="store_true", help="print SQL statements per op")
    args = parser.parse_args()
    if args.count:
        count_statements()
    import pgserver

    with tempfile.TemporaryDirectory(prefix="grassroots-inprocess-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        try:
            try:
                import uvloop
            except ImportError:
                asyncio.run(run(server.get_uri(), args))
            else:
                uvloop.run(run(server.get_uri(), args))
        finally:
            server.cleanup()


if __name__ == "__main__":
    main()

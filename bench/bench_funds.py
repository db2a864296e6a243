"""Auditor queries on a fund with 10,000 movements, beside a baseline from the same run.

    python bench/bench_funds.py [--movements 10000] [--repeat 30]

Builds, in a throwaway embedded PostgreSQL (pgserver), one fund whose stream holds
``--movements`` money movements (allocations, payments and reversals around approved
projects), decided by the real domain model and appended through the real event store,
then projected by the real projections. It times:

- ``as-of``: ``api.audit.fund_as_of`` at the last instant: every event of the fund
  read from the log and its payload folded (domain/funds/ledger.py), and the same with
  ``aggregate=True``: the domain model itself replayed event by event;
- ``balance-on``: ``api.audit.fund_balance_on`` on a mid-year business date;
- ``history page``: one 200-row page of the fund's history with balances (the SQL of
  ``Fund.history``), and the whole ledger (every movement row);
- baseline: fetching the same events with plain ``SELECT * ... ORDER BY version``
  (what any replay must at least pay to read them).

Reports median and p95 in milliseconds, and each as a ratio to the baseline.
Target (issue 3): the as-of query under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from api.areas import PROJECTIONS
from api.audit import fund_as_of, fund_balance_on
from domain.funds.aggregate import AllocationSource, Fund, FundKind, SpendingCategory
from domain.shared import events as ev
from domain.shared.money import ZERO
from domain.shared.ports import Append, Metadata
from eventstore.db import create_pool
from eventstore.integrity.authenticators import AppendKeys
from eventstore.migrate import migrate
from eventstore.postgres import PostgresEventStore
from projections.runtime.supervisor import Supervisor

META = Metadata(actor="bench", actor_roles=("finance_officer",), correlation_id=uuid4())
# As `grassroots serve` does once the app is built: the imported application (api.areas
# brings the schema and every area) stays out of the collector's full passes.
gc.freeze()


def build_fund(movements: int) -> tuple[Fund, list[list[Any]]]:
    """Decide ``movements`` money movements on one fund; return it and event batches."""
    from decimal import Decimal

    fund = Fund(organization_id=uuid4(), year=2026, kind=FundKind.SERVICE_FUND)
    batches: list[list[Any]] = []
    done = 0
    day = date(2026, 1, 1)
    while done < movements:
        fund.allocate(Decimal("10000.00"), AllocationSource.FISCAL_BUDGET, day, f"doc-{done}")
        done += 1
        pid = fund.propose_project(SpendingCategory.PUBLIC_SERVICE, f"project {done}",
                                   Decimal("9000.00"), "community meals", "elderly", "proposer")
        fund.record_project_decision(pid, day, ["a", "b", "c"], "agreed", date(2026, 12, 31))
        fund.approve_project(pid, "approver", None)
        paid: list[Any] = []
        while done < movements and fund.projects[pid].paid + Decimal("100.00") <= Decimal("9000.00"):
            paid.append(fund.record_payment(pid, Decimal("100.00"), day, "payee", f"v-{done}"))
            done += 1
            if done % 50 == 0 and done < movements:
                fund.reverse_payment(paid.pop(), day)
                done += 1
        batches.append(ev.to_new_events(fund))
        day = date(2026, 1, 1) + timedelta(days=(done * 360) // movements)
    assert fund.balance >= ZERO
    return fund, batches


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    await fn()  # warm up
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def main_async(args: argparse.Namespace, root: Path) -> None:
    import pgserver

    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    dsn = pg.get_uri()
    pool = await create_pool(dsn, min_size=2, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn)
    store = PostgresEventStore(pool, append_keys=AppendKeys.parse(AppendKeys.new_key()))
    fund, batches = build_fund(args.movements)
    for batch in batches:
        await store.append(Append(batch, META))
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    head = await store.head()
    await supervisor.wait_for(head, timeout=600)
    await supervisor.stop()
    events = await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", fund.id)
    moves = await pool.fetchval(
        "SELECT count(*) FROM fund_movements WHERE fund_id = $1 AND movement IS NOT NULL", fund.id)
    now = datetime.now(UTC)

    async def baseline() -> None:
        await pool.fetch("SELECT * FROM events WHERE stream_id = $1 ORDER BY version", fund.id)

    async def as_of() -> None:
        state = await fund_as_of(pool, fund.id, now)
        assert state is not None and state.balance == fund.balance

    async def as_of_aggregate() -> None:
        state = await fund_as_of(pool, fund.id, now, aggregate=True)
        assert state is not None and state.balance == fund.balance

    async def balance_on() -> None:
        await fund_balance_on(pool, fund.id, date(2026, 6, 30))

    async def history_page() -> None:
        rows = await pool.fetch(
            "SELECT e.*, m.movement, m.amount, m.balance_after, m.business_date FROM events e"
            " JOIN fund_movements m ON m.fund_id = e.stream_id AND m.version = e.version"
            " WHERE e.stream_id = $1 AND e.version > $2 ORDER BY e.version LIMIT 201",
            fund.id, events // 2)
        assert rows

    async def ledger() -> None:
        await pool.fetch("SELECT * FROM fund_movements WHERE fund_id = $1 AND movement IS NOT NULL"
                         " ORDER BY version", fund.id)

    results = {}
    for name, fn in (("baseline: SELECT the fund's events", baseline), ("as-of (fold)", as_of),
                     ("as-of (aggregate replay)", as_of_aggregate),
                     ("balance-on (fold)", balance_on), ("history page (200 rows)", history_page),
                     ("whole ledger", ledger)):
        results[name] = await timed(fn, args.repeat)
    await pool.close()
    pg.cleanup()

    base = statistics.median(results["baseline: SELECT the fund's events"])
    print(f"fund with {moves} money movements in {events} events; {args.repeat} runs each\n")
    print(f"{'query':38} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
    for name, values in results.items():
        med = statistics.median(values)
        p95 = sorted(values)[int(0.95 * (len(values) - 1))]
        print(f"{name:38} {med:10.1f} {p95:8.1f} {med / base:11.2f}")
    target = statistics.median(results["as-of (fold)"])
    print(f"\nas-of target < 50 ms: {'met' if target < 50 else 'missed'} ({target:.1f} ms)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--movements", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="grassroots-bench-funds-"))
    try:
        asyncio.run(main_async(args, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

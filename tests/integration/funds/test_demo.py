"""The demo district loads through the real handlers, once."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from api.areas import PROJECTIONS
from api.cli.demo import load_demo
from api.disclosure import verify
from domain.shared.errors import AlreadyExists
from projections.runtime.supervisor import Supervisor


async def test_the_demo_district_has_a_year_of_fund_activity_and_loads_once(
    dsn: str, pool: asyncpg.Pool
) -> None:
    result = await load_demo(pool, today=date(2026, 11, 21))
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    try:
        head = await pool.fetchval("SELECT max(position) FROM events")
        assert await supervisor.wait_for(head, timeout=30) >= head
    finally:
        await supervisor.stop()
    funds = await pool.fetch("SELECT * FROM funds ORDER BY organization_id")
    assert len(funds) == len(result.funds) == 4
    assert all(f["balance"] >= 0 and f["available"] >= 0 for f in funds)
    assert await pool.fetchval("SELECT count(*) FROM fund_movements WHERE movement = 'REVERSAL'") == 1
    assert await pool.fetchval("SELECT count(*) FROM projects WHERE state = 'DISCLOSED'") == 8
    # Each fund's first half-year was disclosed (公示), and the log confirms every digest.
    assert await pool.fetchval("SELECT count(*) FROM fund_disclosures WHERE period = '2026-H1'") == 4
    checked = await verify(pool, result.funds[0], "2026-H1")
    assert checked is not None and checked.ok and not checked.changed_since
    # One community stays below the 120,000.00 minimum, for the compliance query.
    assert sorted(f["allocated"] for f in funds)[0] < 120000
    with pytest.raises(AlreadyExists):
        await load_demo(pool, today=date(2026, 11, 21))

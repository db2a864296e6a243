"""The demo loads through the real handlers: deterministic, resumable, and once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import asyncpg
import pytest

from api.areas import PROJECTIONS
from api.cli.demo import load_demo
from api.disclosure import verify
from projections.runtime.supervisor import Supervisor


class Interrupted(Exception):
    """The run stopped half-way."""


async def test_the_small_demo_has_a_year_of_activity_and_a_second_run_appends_nothing(
    dsn: str, pool: asyncpg.Pool
) -> None:
    def stop_after(n: int) -> Callable[[int], None]:
        done = [0]

        def step(k: int) -> None:
            done[0] += k
            if done[0] == n:
                raise Interrupted

        return step

    # Interrupted half-way (Ctrl-C, a crash), then resumed: the same commands, nothing twice.
    with pytest.raises(ExceptionGroup) as stopped:
        await load_demo(pool, today=date(2026, 11, 21), scale="small", seed=7, progress=stop_after(300))
    assert stopped.group_contains(Interrupted)
    result = await load_demo(pool, scale="small", seed=7)
    assert not result.complete_before and 0 < result.appended <= result.commands - 300
    assert await pool.fetchval("SELECT count(*) FROM (SELECT command_id FROM events WHERE command_id LIKE"
                               " 'demo:%' GROUP BY command_id, stream_id, version HAVING count(*) > 1) d") == 0
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    try:
        head = await pool.fetchval("SELECT max(position) FROM events")
        assert await supervisor.wait_for(head, timeout=30) >= head
    finally:
        await supervisor.stop()
    # One street, four communities with their branches, 60 members (and 5 shop keepers), grids with their staff.
    assert await pool.fetchval("SELECT count(*) FROM organizations WHERE kind LIKE 'COMMUNITY_%'") == 4
    assert await pool.fetchval("SELECT count(*) FROM members") == 60 + 5
    assert result.counts["Member.Registered"] == 60 + 5
    assert 8 <= result.counts["Grid.Registered"] <= 12
    assert result.counts["Member.TransferAccepted"] >= 1 and result.counts["Member.TransferExpired"] >= 1
    assert result.counts["Member.DuesPaid"] > 60 and result.counts["Fund.GrantReceived"] == 2
    funds = await pool.fetch("SELECT * FROM funds WHERE kind = 'SERVICE_FUND' ORDER BY organization_id")
    assert len(funds) == len(result.funds) == 4
    assert all(f["balance"] >= 0 and f["available"] >= 0 for f in funds)
    assert await pool.fetchval("SELECT count(*) FROM fund_movements WHERE movement = 'REVERSAL'") == 1
    # Each fund's first half-year was disclosed (公示), and the log confirms every digest.
    assert await pool.fetchval("SELECT count(*) FROM fund_disclosures WHERE period = '2026-H1'") == 4
    checked = await verify(pool, result.funds[2], "2026-H1")  # (funds 0 and 1 got red-fund grants since)
    assert checked is not None and checked.ok and not checked.changed_since
    # One community stays below the 120,000.00 minimum, for the compliance query.
    assert sorted(f["allocated"] for f in funds)[0] < 120000
    # Projects vary from community to community (a catalogue, not the same four everywhere).
    titles = await pool.fetch("SELECT funds.organization_id, array_agg(title ORDER BY title) AS t FROM projects"
                              " JOIN funds ON funds.id = projects.fund_id GROUP BY funds.organization_id")
    assert len({tuple(r["t"]) for r in titles}) == len(titles) == 4
    # Residents' requests in every state, through the district's and the street's departments.
    assert result.counts["Department.Registered"] == 5
    assert result.counts["Request.Reported"] == 48 + 4 + 2  # 12 a community, its merged duplicates, 2 orders
    states = dict(await pool.fetch("SELECT state, count(*) FROM requests GROUP BY state"))
    assert set(states) == {"REPORTED", "TAKEN", "ESCALATED", "DISPATCHED", "ACCEPTED", "RESOLVED", "RATED",
                           "CLOSED"}, states
    assert result.counts["Request.Reopened"] == 4 and result.counts["Request.MergedInto"] == 4
    assert await pool.fetchval("SELECT count(*) FROM events WHERE event_type = 'Request.Escalated'"
                               " AND actor = 'system:request-escalation'") == 4
    assert result.counts["ServiceOrder.Claimed"] == 2
    # The business district's demonstration shops: a quota of 4, a fifth refused (registered again), 4 plaques.
    assert result.counts["SelectionRound.Opened"] == 1 and result.counts["Shop.Registered"] == 5
    assert result.counts["Shop.PlaqueAwarded"] == 4 and result.counts["Shop.ObjectionResolved"] == 1
    shops = dict(await pool.fetch("SELECT state, count(*) FROM shops GROUP BY state"))
    assert shops == {"AWARDED": 4, "REGISTERED": 1}, shops
    head = await pool.fetchval("SELECT max(position) FROM events")
    again = await load_demo(pool, scale="small", seed=7)
    assert again.complete_before and again.appended == 0 and again.counts == result.counts
    assert (again.district, again.communities, again.funds, again.member, again.grid) == (
        result.district, result.communities, result.funds, result.member, result.grid)
    assert await pool.fetchval("SELECT max(position) FROM events") == head

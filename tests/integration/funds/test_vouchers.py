"""Voucher numbers are a set rule of the append transaction, in PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID, uuid4

import asyncpg
import pytest

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.funds.errors import VoucherAlreadyUsed
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from tests.integration.support import FINANCE, commands, req


async def test_two_payments_racing_on_one_voucher_record_one_and_claim_it(pool: asyncpg.Pool) -> None:
    f = commands(pool)
    K = OrganizationKind
    district = (await f.establish_organization(req(), K.DISTRICT_COMMITTEE, "相城区委", None)).id
    street = (await f.establish_organization(req(), K.STREET_WORKING_COMMITTEE, "元和街道党工委", district,
                                             "320507001000")).id
    community = (await f.establish_organization(req(), K.COMMUNITY_COMMITTEE, "御窑社区党委", street,
                                                "320507001003")).id
    fin = Request(FINANCE, uuid4())
    fund = (await f.open_fund(fin, community, 2026, FundKind.SERVICE_FUND)).id
    await f.allocate_funds(fin, fund, "60000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 10), "相财3号")
    projects = []
    for title in ("助餐点", "读书角"):
        out = await f.propose_project(fin, fund, SpendingCategory.PUBLIC_SERVICE, title, "9000.00", "便民服务", "居民")
        pid = UUID(out.extra["project_id"])
        await f.record_project_decision(fin, fund, pid, date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
        await f.approve_project(req(), fund, pid)
        projects.append(pid)

    async def pay(pid: UUID) -> object:
        try:
            return await f.record_payment(Request(FINANCE, uuid4()), fund, pid, "3000.00", date(2026, 2, 10),
                                          "服务公司", "记-2026-031")
        except VoucherAlreadyUsed as exc:
            return exc

    outcomes = await asyncio.gather(*(pay(p) for p in projects))
    refused = [o for o in outcomes if isinstance(o, VoucherAlreadyUsed)]
    assert len(refused) == 1 and refused[0].field == "voucherNo"
    paid = [o for o in outcomes if not isinstance(o, VoucherAlreadyUsed)]
    payment_id = UUID(paid[0].extra["payment_id"])  # type: ignore[attr-defined]
    claims = await pool.fetch("SELECT key, owner FROM claims WHERE scope = 'fund voucher'")
    assert [(r["key"], r["owner"]) for r in claims] == [(f"{fund}/记-2026-031", payment_id)]
    assert await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1"
                               " AND event_type = 'Fund.PaymentRecorded'", fund) == 1


async def test_a_voucher_claimed_in_the_store_is_refused_even_if_the_stream_does_not_show_it(
    pool: asyncpg.Pool,
) -> None:
    # The claim, not only the aggregate's memory, holds the rule: a claim held by another
    # payment (as a concurrent writer's commit leaves it) refuses the append with the
    # area's error on the voucher field.
    f = commands(pool)
    K = OrganizationKind
    district = (await f.establish_organization(req(), K.DISTRICT_COMMITTEE, "吴中区委", None)).id
    street = (await f.establish_organization(req(), K.STREET_WORKING_COMMITTEE, "长桥街道党工委", district,
                                             "320506002000")).id
    community = (await f.establish_organization(req(), K.COMMUNITY_BRANCH, "龙西社区党支部", street,
                                                "320506002004")).id
    fin = Request(FINANCE, uuid4())
    fund = (await f.open_fund(fin, community, 2026, FundKind.SERVICE_FUND)).id
    await f.allocate_funds(fin, fund, "20000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 10), "吴财1号")
    out = await f.propose_project(fin, fund, SpendingCategory.PARTY_BUILDING, "党课", "2000.00", "党课教材", "党员")
    pid = UUID(out.extra["project_id"])
    await f.record_project_decision(fin, fund, pid, date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
    await f.approve_project(req(), fund, pid)
    await pool.execute("INSERT INTO claims (scope, key, owner) VALUES ('fund voucher', $1, $2)",
                       f"{fund}/pz-9", uuid4())
    with pytest.raises(VoucherAlreadyUsed) as exc:
        await f.record_payment(fin, fund, pid, "100.00", date(2026, 2, 10), "书店", "PZ-9")
    assert exc.value.field == "voucherNo"

"""``fundShortfalls``: the minimum is a fiscal guarantee, set by tier and per grid branch."""

from __future__ import annotations

import asyncpg

from api.config import FundSettings, Settings
from domain.funds.aggregate import AllocationSource
from domain.organizations.aggregate import OrganizationKind
from tests.integration.funds.support import community, query, service_fund, settle, street
from tests.integration.support import commands, req

S = AllocationSource
SHORTFALLS = """query($year: Int!) { fundShortfalls(year: $year) { organization { name } allocated counted
                 tier gridBranches minimum shortfall } }"""


async def test_sponsorship_does_not_fill_the_fiscal_minimum_and_tiers_set_their_own(
    dsn: str, pool: asyncpg.Pool
) -> None:
    f = commands(pool)
    ids = await street(f)
    sponsored = await community(f, ids["street"], "定慧寺社区党委", "320508021001")
    central = await community(f, ids["street"], "滚绣社区党委", "320508021002")
    covered = await community(f, ids["street"], "唐家巷社区党委", "320508021003")
    gridded = await community(f, ids["street"], "官太尉社区党委", "320508021004")
    await service_fund(f, sponsored, ("20000.00", S.FISCAL_BUDGET), ("100000.00", S.UNIT_SPONSORSHIP))
    await service_fund(f, central, ("150000.00", S.FISCAL_BUDGET), ("30000.00", S.FISCAL_SUBSIDY))
    await service_fund(f, covered, ("100000.00", S.FISCAL_BUDGET), ("20000.00", S.FISCAL_SUBSIDY),
                       ("5000.00", S.DUES_ALLOCATION))
    await service_fund(f, gridded, ("120000.00", S.FISCAL_BUDGET))
    for n in (1, 2):
        await f.establish_organization(req(), OrganizationKind.GRID_BRANCH, f"第{n}网格党支部", gridded)
    await settle(dsn, "organizations", "funds", "fund_movements")
    settings = Settings(funds=FundSettings(
        minimum_tiers={"central": "200000"}, minimum_tier_of={"320508021002": "central"},
        minimum_per_grid_branch="3000"))

    data = await query(pool, SHORTFALLS, settings=settings, year=2026)

    assert data["fundShortfalls"] == [
        {"organization": {"name": "官太尉社区党委"}, "allocated": "120000.00", "counted": "120000.00",
         "tier": "default", "gridBranches": 2, "minimum": "126000.00", "shortfall": "6000.00"},
        {"organization": {"name": "定慧寺社区党委"}, "allocated": "120000.00", "counted": "20000.00",
         "tier": "default", "gridBranches": 0, "minimum": "120000.00", "shortfall": "100000.00"},
        {"organization": {"name": "滚绣社区党委"}, "allocated": "180000.00", "counted": "180000.00",
         "tier": "central", "gridBranches": 0, "minimum": "200000.00", "shortfall": "20000.00"},
    ]


async def test_an_organization_id_assigns_a_tier_and_the_counted_sources_are_configurable(
    dsn: str, pool: asyncpg.Pool
) -> None:
    f = commands(pool)
    ids = await street(f, "320508022")
    only = await community(f, ids["street"], "南园社区党委", "320508022001")
    await service_fund(f, only, ("90000.00", S.FISCAL_BUDGET), ("40000.00", S.FISCAL_SUBSIDY))
    await settle(dsn, "organizations", "funds", "fund_movements")
    budget_only = Settings(funds=FundSettings(minimum_tiers={"small": "100000"},
                                              minimum_tier_of={str(only): "small"},
                                              minimum_sources=frozenset({S.FISCAL_BUDGET})))
    data = await query(pool, SHORTFALLS, settings=budget_only, year=2026)
    assert [(r["tier"], r["counted"], r["shortfall"]) for r in data["fundShortfalls"]] == [
        ("small", "90000.00", "10000.00")]
    assert (await query(pool, SHORTFALLS, year=2026))["fundShortfalls"] == []

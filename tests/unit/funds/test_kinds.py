"""Fund kinds are local policy: which may be opened, what each pays for, whether it carries over."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.config import Settings
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory, YearEnd
from domain.funds.handlers import FundRules
from domain.funds.kinds import FundKinds, KindPolicy
from domain.organizations.directory import AggregateDirectory
from domain.shared.errors import ForbiddenPurpose, InvalidInput
from domain.shared.permissions import Role
from tests.unit.fakes import actor, req, world
from tests.unit.funds.test_funds import Funds
from tests.usecases import UseCases

C = SpendingCategory


async def _with(rules: FundRules) -> tuple[Funds, UseCases]:
    w = await world()
    f = UseCases.build(w.store, AggregateDirectory(w.store), w.clock, {FundRules: rules})
    return Funds(w, f, w.east), f


async def test_a_welfare_fund_pays_for_services_and_returns_its_balance_at_year_end() -> None:
    s, f = await _with(FundRules(kinds=Settings.from_env({}).funds.kind_rules))
    fin = actor(Role.FINANCE_OFFICER, scope=s.w.east, subject="finance-east")
    fund = (await f.open_fund(req(fin), s.w.east, 2026, FundKind.WELFARE_FUND)).id
    await f.allocate_funds(req(fin), fund, "150000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 5), "惠民1号")
    with pytest.raises(ForbiddenPurpose, match="WELFARE_FUND pays only for PUBLIC_SERVICE, OTHER_SERVICE"):
        await f.propose_project(req(fin), fund, C.PARTY_BUILDING, "党课", "3000.00", "党员教育", "党员")
    await f.propose_project(req(fin), fund, C.PUBLIC_SERVICE, "应急救助", "3000.00", "困难群众应急救助", "困难户")
    late = UseCases.build(s.w.store, AggregateDirectory(s.w.store), lambda: datetime(2027, 1, 3, tzinfo=UTC),
                          {FundRules: FundRules(kinds=Settings.from_env({}).funds.kind_rules)})
    with pytest.raises(InvalidInput, match="never carries over") as exc:
        await late.close_fiscal_year(req(fin), fund, date(2026, 12, 31), YearEnd.CARRY_OVER)
    assert exc.value.field == "yearEnd"


async def test_a_kind_not_in_use_cannot_be_opened_but_the_configured_ones_can() -> None:
    kinds = "SERVICE_FUND=PARTY_BUILDING,PUBLIC_SERVICE;WORK_FUND=PARTY_BUILDING"
    rules = FundRules(kinds=Settings.from_env({"GRASSROOTS_FUND_KINDS": kinds}).funds.kind_rules)
    s, f = await _with(rules)
    fin = actor(Role.FINANCE_OFFICER, scope=s.w.east, subject="finance-east")
    with pytest.raises(InvalidInput, match="RED_FUND is not a fund kind in use") as exc:
        await f.open_fund(req(fin), s.w.east, 2026, FundKind.RED_FUND)
    assert exc.value.field == "kind"
    work = (await f.open_fund(req(fin), s.w.east, 2026, FundKind.WORK_FUND)).id
    with pytest.raises(ForbiddenPurpose):
        await f.propose_project(req(fin), work, C.SELF_GOVERNANCE, "议事会", "800.00", "居民议事", "居民")


def test_a_kind_may_allow_only_what_earmarked_money_pays_for() -> None:
    with pytest.raises(ValueError, match="never pays for OFFICE_COSTS"):
        KindPolicy(frozenset({C.OFFICE_COSTS}))
    assert FundKinds().policy(FundKind.SERVICE_FUND).carry_over is True
    assert FundKinds({}).policy(FundKind.WELFARE_FUND).allowed == frozenset({C.PUBLIC_SERVICE, C.OTHER_SERVICE})


async def test_the_existing_kinds_keep_working_with_the_defaults() -> None:
    s, f = await _with(FundRules())
    fin = actor(Role.FINANCE_OFFICER, scope=s.w.east, subject="finance-east")
    for kind in (FundKind.SERVICE_FUND, FundKind.RED_FUND):
        fund = (await f.open_fund(req(fin), s.w.east, 2026, kind)).id
        await f.propose_project(req(fin), fund, C.SELF_GOVERNANCE, "议事会", "800.00", "居民议事", "居民")

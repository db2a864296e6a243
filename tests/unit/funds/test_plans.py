"""A community's yearly plan: the two committees propose, the residents' assembly resolves, the
street approves or sends back; amendments are new versions; projects link to its lines."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.funds.plans import FundPlan, LineInput, PlanExceedsFunds, PlanState, PlanStepNotAllowed, plan_id
from domain.shared import events as ev
from domain.shared.errors import ForbiddenPurpose, FundClosed, InvalidInput, NotAuthorized, NotFound
from domain.shared.permissions import Actor, Role
from tests.unit.fakes import World, actor, req, world

C = SpendingCategory
MEAL = LineInput("老年助餐点", C.PUBLIC_SERVICE, "40000.00")
LECTURE = LineInput("党课进小区", C.PARTY_BUILDING, "15000")


@dataclass
class Planning:
    w: World
    fund: UUID
    secretary: Actor
    street: Actor


async def planning(kind: FundKind = FundKind.SERVICE_FUND) -> Planning:
    w = await world()
    w.clock.now = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="secretary-east")
    fin = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    fund = (await w.commands.open_fund(req(fin), w.east, 2026, kind)).id
    return Planning(w, fund, secretary, actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin"))


async def plan(p: Planning) -> FundPlan:
    found = ev.replay(FundPlan, await p.w.store.read_stream(plan_id(p.fund)))
    assert isinstance(found, FundPlan)
    return found


async def proposed(p: Planning, *lines: LineInput) -> int:
    out = await p.w.commands.propose_fund_plan(req(p.secretary), p.fund, lines or (MEAL, LECTURE),
                                               date(2026, 3, 2), "两委会议一致同意")
    return int(out.extra["version"])


async def assembled(p: Planning, *lines: LineInput) -> int:
    version = await proposed(p, *lines)
    await p.w.commands.record_plan_assembly(req(p.secretary), p.fund, version, date(2026, 3, 10), 37,
                                            "居民代表会议表决通过")
    return version


async def test_a_plan_is_proposed_resolved_by_the_assembly_and_approved_by_the_street() -> None:
    p = await planning()
    version = await assembled(p)
    await p.w.commands.approve_fund_plan(req(p.street), p.fund, version, "同意")
    types = [e.event_type for e in await p.w.store.read_stream(plan_id(p.fund))]
    assert types == ["FundPlan.Started", "FundPlan.VersionProposed", "FundPlan.AssemblyRecorded",
                     "FundPlan.VersionApproved"]
    state = await plan(p)
    assert state.approved is not None and state.approved.number == 1
    assert state.approved.total == Decimal("55000.00")
    assert [(line.title, line.amount) for line in state.approved.lines] == [
        ("老年助餐点", Decimal("40000.00")), ("党课进小区", Decimal("15000.00"))]


async def test_steps_out_of_order_are_refused() -> None:
    p = await planning()
    with pytest.raises(NotFound):  # nothing proposed yet
        await p.w.commands.record_plan_assembly(req(p.secretary), p.fund, 1, date(2026, 3, 10), 20, "通过")
    version = await proposed(p)
    with pytest.raises(PlanStepNotAllowed):  # the street decides after the assembly
        await p.w.commands.approve_fund_plan(req(p.street), p.fund, version)
    with pytest.raises(PlanStepNotAllowed):  # an amendment waits for the version in progress
        await proposed(p, MEAL)
    with pytest.raises(InvalidInput):  # the assembly follows the committees' meeting
        await p.w.commands.record_plan_assembly(req(p.secretary), p.fund, version, date(2026, 3, 1), 20, "通过")
    with pytest.raises(NotFound):
        await p.w.commands.record_plan_assembly(req(p.secretary), p.fund, 2, date(2026, 3, 10), 20, "通过")
    assert (await plan(p)).latest.state is PlanState.PROPOSED  # type: ignore[union-attr]


async def test_only_the_street_strictly_above_and_never_the_proposer_approves() -> None:
    p = await planning()
    version = await assembled(p)
    with pytest.raises(NotAuthorized):  # a community decides nothing about its own plan from inside
        await p.w.commands.approve_fund_plan(req(p.secretary), p.fund, version)
    own = actor(Role.STREET_ADMIN, scope=p.w.east, subject="street-admin-at-east")
    with pytest.raises(NotAuthorized):  # structural: from strictly above the community
        await p.w.commands.approve_fund_plan(req(own), p.fund, version)
    both = actor(Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, scope=p.w.street, subject="secretary-east")
    with pytest.raises(NotAuthorized, match="proposed"):
        await p.w.commands.approve_fund_plan(req(both), p.fund, version)


async def test_a_returned_plan_is_amended_and_the_approved_version_stays_in_force() -> None:
    p = await planning()
    first = await assembled(p)
    await p.w.commands.approve_fund_plan(req(p.street), p.fund, first)
    kept = (await plan(p)).versions[0].lines[0].id
    # An amendment: the meal line kept (and grown), the lecture dropped, a new line.
    second = await assembled(p, LineInput("老年助餐点", C.PUBLIC_SERVICE, "45000.00", kept),
                             LineInput("楼道议事会", C.SELF_GOVERNANCE, "8000.00"))
    assert second == 2
    state = await plan(p)
    assert state.approved is not None and state.approved.number == 1  # v2 is not yet approved
    with pytest.raises(InvalidInput, match="reason"):
        await p.w.commands.return_fund_plan(req(p.street), p.fund, second, " ")
    await p.w.commands.return_fund_plan(req(p.street), p.fund, second, "助餐点金额依据不足")
    returned = (await p.w.store.read_stream(plan_id(p.fund)))[-1]
    assert (returned.event_type, returned.reason) == ("FundPlan.VersionReturned", "助餐点金额依据不足")
    with pytest.raises(PlanStepNotAllowed):
        await p.w.commands.approve_fund_plan(req(p.street), p.fund, second)
    third = await assembled(p, LineInput("老年助餐点", C.PUBLIC_SERVICE, "42000.00", kept))
    with pytest.raises(PlanStepNotAllowed, match="superseded"):
        await p.w.commands.approve_fund_plan(req(p.street), p.fund, second)
    await p.w.commands.approve_fund_plan(req(p.street), p.fund, third)
    state = await plan(p)
    assert [v.state for v in state.versions] == [PlanState.APPROVED, PlanState.RETURNED, PlanState.APPROVED]
    assert state.approved is state.versions[2] and state.approved.lines[0].id == kept


async def test_a_plan_above_the_money_the_fund_can_count_on_is_refused() -> None:
    p = await planning()
    # Nothing allocated yet: a service fund counts on its tier's minimum (120,000 by default).
    with pytest.raises(PlanExceedsFunds, match=r"120000\.00"):
        await proposed(p, LineInput("社区食堂", C.PUBLIC_SERVICE, "120000.01"))
    fin = actor(Role.FINANCE_OFFICER, scope=p.w.east, subject="finance-east")
    await p.w.commands.allocate_funds(req(fin), p.fund, "150000.00", AllocationSource.FISCAL_BUDGET,
                                      date(2026, 1, 15), "龙财〔2026〕3号")
    assert await proposed(p, LineInput("社区食堂", C.PUBLIC_SERVICE, "150000.00")) == 1
    assert not [e for e in p.w.store.events if e.event_type == "FundPlan.VersionProposed"
                and e.payload["total"] == "120000.01"]


async def test_a_plan_of_another_kind_counts_only_what_it_received() -> None:
    p = await planning(FundKind.WELFARE_FUND)
    with pytest.raises(PlanExceedsFunds):
        await proposed(p, LineInput("应急救助", C.PUBLIC_SERVICE, "100.00"))
    with pytest.raises(ForbiddenPurpose):  # a welfare fund pays for public and other services only
        await proposed(p, LineInput("党课", C.PARTY_BUILDING, "100.00"))


async def test_lines_are_checked() -> None:
    p = await planning()
    with pytest.raises(ForbiddenPurpose):
        await proposed(p, LineInput("办公桌椅", C.OFFICE_COSTS, "3000.00"))
    with pytest.raises(InvalidInput):
        await proposed(p, LineInput(" ", C.PUBLIC_SERVICE, "3000.00"))
    with pytest.raises(InvalidInput):
        await proposed(p, LineInput("助餐", C.PUBLIC_SERVICE, "3000.001"))
    with pytest.raises(NotFound):  # a kept line must exist in an earlier version
        await proposed(p, LineInput("助餐", C.PUBLIC_SERVICE, "3000.00", uuid4()))
    with pytest.raises(InvalidInput):
        await p.w.commands.propose_fund_plan(req(p.secretary), p.fund, (), date(2026, 3, 2), "同意")
    with pytest.raises(InvalidInput):  # the meeting has happened
        await p.w.commands.propose_fund_plan(req(p.secretary), p.fund, (MEAL,), date(2026, 3, 21), "同意")
    assert await p.w.store.read_stream(plan_id(p.fund)) == []


async def test_a_closed_funds_plan_takes_no_proposal() -> None:
    p = await planning()
    fin = actor(Role.FINANCE_OFFICER, scope=p.w.east, subject="finance-east")
    p.w.clock.now = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    await p.w.commands.close_fiscal_year(req(fin), p.fund, date(2026, 12, 31))
    with pytest.raises(FundClosed):
        await proposed(p)


async def test_projects_link_to_a_line_of_the_approved_plan() -> None:
    p = await planning()
    fin = actor(Role.FINANCE_OFFICER, scope=p.w.east, subject="finance-east")
    project = UUID((await p.w.commands.propose_project(req(fin), p.fund, C.PUBLIC_SERVICE, "助餐点设备", "9000.00",
                                                       "为老人助餐点购置餐具", "独居老人")).extra["project_id"])
    version = await assembled(p)
    line = (await plan(p)).versions[0].lines[0].id
    with pytest.raises(PlanStepNotAllowed):  # not approved yet
        await p.w.commands.link_project_to_plan(req(fin), p.fund, project, line)
    await p.w.commands.approve_fund_plan(req(p.street), p.fund, version)
    with pytest.raises(NotFound):
        await p.w.commands.link_project_to_plan(req(fin), p.fund, project, uuid4())
    with pytest.raises(NotFound):  # a project of another fund (or none)
        await p.w.commands.link_project_to_plan(req(fin), p.fund, uuid4(), line)
    with pytest.raises(InvalidInput):  # nothing to unlink
        await p.w.commands.link_project_to_plan(req(fin), p.fund, project, None)
    await p.w.commands.link_project_to_plan(req(fin), p.fund, project, line)
    with pytest.raises(InvalidInput):
        await p.w.commands.link_project_to_plan(req(fin), p.fund, project, line)
    other = (await plan(p)).versions[0].lines[1].id
    await p.w.commands.link_project_to_plan(req(fin), p.fund, project, other)
    last = (await p.w.store.read_stream(plan_id(p.fund)))[-1]
    assert last.payload["previous_line_id"] == str(line) and last.payload["line_id"] == str(other)
    assert (await plan(p)).links == {project: other}
    await p.w.commands.link_project_to_plan(req(fin), p.fund, project, None)
    assert (await plan(p)).links == {}


async def test_two_proposals_racing_for_a_new_plan_make_one_version() -> None:
    p = await planning()
    first, second = await asyncio.gather(proposed(p, MEAL), proposed(p, LECTURE), return_exceptions=True)
    outcomes = sorted([first, second], key=lambda o: isinstance(o, BaseException))
    assert outcomes[0] == 1 and isinstance(outcomes[1], PlanStepNotAllowed)
    assert len((await plan(p)).versions) == 1

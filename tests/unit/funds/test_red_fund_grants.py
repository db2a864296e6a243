"""The red fund (红色基金): its sources, and grants that move money between two ledgers in
one append, into a community's fund or straight to a project, within the granting subtree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.funds.aggregate import AllocationSource, Fund, FundKind, SpendingCategory
from domain.funds.ledger import BALANCE_ON_FIELDS, FOLD_FIELDS, FundFigures, balance_on
from domain.organizations.aggregate import OrganizationKind
from domain.shared import events as ev
from domain.shared.errors import (
    FundClosed,
    InsufficientFunds,
    InvalidInput,
    NotAuthorized,
    NotFound,
    ProjectNotAllowed,
)
from domain.shared.permissions import Actor, Role
from tests.unit.fakes import World, actor, req, world


@dataclass
class Red:
    w: World
    red: UUID
    service: UUID
    street_finance: Actor
    east_finance: Actor


async def red_fund() -> Red:
    w = await world()
    w.clock.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    street_finance = actor(Role.FINANCE_OFFICER, scope=w.street, subject="finance-street")
    east_finance = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    red = (await w.commands.open_fund(req(street_finance), w.street, 2026, FundKind.RED_FUND)).id
    for amount, source, on in (("30000.00", AllocationSource.DUES_ALLOCATION, date(2026, 1, 20)),
                               ("50000.00", AllocationSource.FISCAL_SUBSIDY, date(2026, 2, 1)),
                               ("15000.00", AllocationSource.UNIT_SPONSORSHIP, date(2026, 3, 1)),
                               ("2000.00", AllocationSource.DONATION, date(2026, 3, 5))):
        await w.commands.allocate_funds(req(street_finance), red, amount, source, on, f"望街〔2026〕{on.day}号")
    service = (await w.commands.open_fund(req(east_finance), w.east, 2026, FundKind.SERVICE_FUND)).id
    return Red(w, red, service, street_finance, east_finance)


async def state(r: Red, fid: UUID) -> Fund:
    found = ev.replay(Fund, await r.w.store.read_stream(fid))
    assert found is not None
    return found


async def test_a_grant_into_a_communitys_fund_is_one_append_on_both_ledgers() -> None:
    r = await red_fund()
    before = len(r.w.store.events)
    out = await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.service, "12000.00",
                                                 date(2026, 4, 1), "望街〔2026〕18号", reason="助老服务")
    appended = r.w.store.events[before:]
    assert [(e.stream_id, e.event_type) for e in appended] == [
        (r.red, "Fund.GrantMade"), (r.service, "Fund.GrantReceived")]
    assert len({e.correlation_id for e in appended}) == 1
    assert appended[0].payload["grant_id"] == appended[1].payload["grant_id"] == out.extra["grant_id"]
    assert (appended[0].payload["to_fund_id"], appended[1].payload["from_fund_id"]) == (str(r.service), str(r.red))
    red, service = await state(r, r.red), await state(r, r.service)
    assert (red.balance, service.balance) == (Decimal("85000.00"), Decimal("12000.00"))
    assert (red.balance_on(date(2026, 3, 31)), red.balance_on(date(2026, 4, 1))) == (
        Decimal("97000.00"), Decimal("85000.00"))
    assert service.balance_on(date(2026, 4, 1)) == Decimal("12000.00")
    for fid, agg in ((r.red, red), (r.service, service)):
        rows = list(await r.w.store.read_stream(fid))
        folded = FundFigures().fold((x.version, x.position, x.event_type,
                                     {k: x.payload.get(k) for k in FOLD_FIELDS}) for x in rows)
        assert (folded.allocated, folded.moved_out, folded.balance) == (
            agg.allocated, agg.paid_out_at_close, agg.balance)
        on = date(2026, 4, 1)
        picked = ((x.event_type, {k: x.payload.get(k) for k in BALANCE_ON_FIELDS}) for x in rows)
        assert balance_on(picked, on) == agg.balance_on(on)


async def test_a_grant_can_go_straight_to_an_open_project_of_the_receiving_fund() -> None:
    r = await red_fund()
    pid = UUID((await r.w.commands.propose_project(
        req(r.east_finance), r.service, SpendingCategory.PARTY_BUILDING, "红色阵地讲解员培训", "8000.00",
        "培训社区讲解员", "讲解员 20 人")).extra["project_id"])
    await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.service, "8000.00", date(2026, 5, 1),
                                           "望街〔2026〕21号", pid)
    received = r.w.store.events[-1]
    assert (received.event_type, received.payload["project_id"]) == ("Fund.GrantReceived", str(pid))
    with pytest.raises(NotFound):
        await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.service, "1.00", date(2026, 5, 1),
                                               "望街〔2026〕22号", r.red)
    await r.w.commands.cancel_project(req(r.east_finance), r.service, pid, "改由区里组织")
    with pytest.raises(ProjectNotAllowed):
        await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.service, "1.00", date(2026, 5, 2),
                                               "望街〔2026〕23号", pid)


async def test_grants_are_refused_beyond_the_available_money_and_before_the_money_arrived() -> None:
    r = await red_fund()
    before = len(r.w.store.events)
    with pytest.raises(InsufficientFunds, match="available"):
        await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.service, "97000.01",
                                               date(2026, 4, 1), "望街〔2026〕30号")
    with pytest.raises(InsufficientFunds, match="cannot precede"):
        await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.service, "40000.00",
                                               date(2026, 1, 25), "望街〔2026〕31号")
    with pytest.raises(InvalidInput):
        await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.service, "1.00",
                                               date(2026, 7, 1), "望街〔2026〕32号")  # ahead of today
    with pytest.raises(InvalidInput, match="grantFromRedFund"):
        await r.w.commands.allocate_funds(req(r.east_finance), r.service, "1.00", AllocationSource.RED_FUND_GRANT,
                                          date(2026, 4, 1), "x")
    assert len(r.w.store.events) == before


async def test_only_a_red_fund_grants_and_only_within_its_organizations_subtree() -> None:
    r = await red_fund()
    w = r.w
    other_street = (await w.commands.establish_organization(
        req(w.admin), OrganizationKind.STREET_WORKING_COMMITTEE, "海湾街道党工委", w.district, "211403003000")).id
    district_finance = actor(Role.FINANCE_OFFICER, scope=w.district, subject="finance-district")
    elsewhere = (await w.commands.open_fund(req(district_finance), other_street, 2026, FundKind.SERVICE_FUND)).id
    before = len(w.store.events)
    with pytest.raises(NotAuthorized, match="subtree"):
        await w.commands.grant_from_red_fund(req(district_finance), r.red, elsewhere, "100.00", date(2026, 4, 1),
                                             "望街〔2026〕40号")
    with pytest.raises(NotAuthorized):  # the receiving community's officer does not spend the street's pot
        await w.commands.grant_from_red_fund(req(r.east_finance), r.red, r.service, "100.00", date(2026, 4, 1),
                                             "望街〔2026〕41号")
    with pytest.raises(NotAuthorized):
        await w.commands.grant_from_red_fund(req(actor(Role.STREET_ADMIN, scope=w.district, subject="sa")), r.red,
                                             r.service, "100.00", date(2026, 4, 1), "望街〔2026〕42号")
    with pytest.raises(InvalidInput, match="red fund"):
        await w.commands.grant_from_red_fund(req(r.east_finance), r.service, r.service, "1.00", date(2026, 4, 1),
                                             "x")
    with pytest.raises(InvalidInput, match="itself"):
        await w.commands.grant_from_red_fund(req(r.street_finance), r.red, r.red, "1.00", date(2026, 4, 1), "x")
    assert len(w.store.events) == before


async def test_a_closed_receiving_fund_takes_no_grant() -> None:
    r = await red_fund()
    old = (await r.w.commands.open_fund(req(r.east_finance), r.w.east, 2025, FundKind.SERVICE_FUND)).id
    await r.w.commands.close_fiscal_year(req(r.east_finance), old, date(2025, 12, 31))
    with pytest.raises((FundClosed, InvalidInput)):
        await r.w.commands.grant_from_red_fund(req(r.street_finance), r.red, old, "1.00", date(2026, 4, 1), "x")



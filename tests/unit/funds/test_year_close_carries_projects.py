"""No project spans two years: closing a year carries approved, not fully paid projects,
with their unpaid commitments, into next year's fund in one append; open ones keep it open."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.funds.aggregate import Fund, FundKind, ProjectState, SpendingCategory, YearEnd, fund_id
from domain.funds.errors import ProjectsStillOpen
from domain.funds.ledger import BALANCE_ON_FIELDS, FOLD_FIELDS, FundFigures, balance_on
from domain.shared import events as ev
from domain.shared.errors import FundClosed, ProjectNotAllowed
from tests.unit.fakes import req
from tests.unit.funds.test_funds import Funds, approved_project, funds

ZERO_ = Decimal("0.00")


async def proposed(s: Funds, title: str, amount: str) -> UUID:
    out = await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.PARTY_BUILDING, title, amount,
                                    "组织党员学习", "党员 80 人")
    return UUID(out.extra["project_id"])


async def replayed(s: Funds, fid: UUID) -> Fund:
    found = ev.replay(Fund, await s.w.store.read_stream(fid))
    assert found is not None
    return found


async def test_the_year_cannot_close_while_a_project_is_open_and_the_error_names_them_all() -> None:
    s = await funds("120000.00")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    first = await proposed(s, "红色观影", "800.00")
    paid_up = await approved_project(s, "2000.00")
    await s.f.record_payment(req(s.finance), s.fund, paid_up, "2000.00", date(2026, 5, 6), "影院", "PZ-0506")
    before = len(s.w.store.events)
    with pytest.raises(ProjectsStillOpen) as refused:
        await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31), YearEnd.CARRY_OVER)
    assert isinstance(refused.value, ProjectNotAllowed) and refused.value.code == "PROJECTS_STILL_OPEN"
    assert "红色观影" in refused.value.message and "老年助餐点" in refused.value.message
    assert str(first) in refused.value.message and str(paid_up) in refused.value.message
    assert [pid for pid, _ in refused.value.projects] == [str(first), str(paid_up)]
    assert len(s.w.store.events) == before


async def test_closing_carries_an_approved_unpaid_project_and_its_commitment_into_next_year() -> None:
    s = await funds("120000.00")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    pid = await approved_project(s, "30000.00")
    await s.f.record_payment(req(s.finance), s.fund, pid, "10000.00", date(2026, 11, 20), "餐饮公司", "PZ-1120")
    before = len(s.w.store.events)
    out = await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31), YearEnd.CARRY_OVER)
    appended = s.w.store.events[before:]
    assert [e.event_type for e in appended] == [
        "Fund.ProjectCarriedOut", "Fund.YearClosed", "Fund.Opened", "Fund.Allocated", "Fund.ProjectCarriedIn"]
    assert len({e.correlation_id for e in appended}) == 1  # one command, one append
    nxt_id = fund_id(s.w.east, 2027, FundKind.SERVICE_FUND)
    assert out.extra["next_fund_id"] == str(nxt_id)
    assert (out.extra["moved"], out.extra["carried"], out.extra["carried_projects"]) == (
        "90000.00", "20000.00", [str(pid)])
    old, nxt = await replayed(s, s.fund), await replayed(s, nxt_id)
    assert (old.closed, old.balance, old.committed, pid in old.projects) == (True, Decimal("0.00"), ZERO_, False)
    p = nxt.projects[pid]
    assert (p.state, p.amount, p.approved_amount, p.paid, p.commitment) == (
        ProjectState.APPROVED, Decimal("30000.00"), Decimal("30000.00"), Decimal("10000.00"), Decimal("20000.00"))
    assert (nxt.balance, nxt.committed, nxt.available) == (
        Decimal("110000.00"), Decimal("20000.00"), Decimal("90000.00"))
    assert old.balance_on(date(2026, 12, 30)) == Decimal("110000.00")
    assert nxt.balance_on(date(2027, 1, 1)) == Decimal("110000.00")
    # The project goes on in 2027: paid up to what was approved in all, then finished there.
    await s.f.record_payment(req(s.finance), nxt_id, pid, "20000.00", date(2027, 1, 3), "餐饮公司", "PZ-0103")
    with pytest.raises(FundClosed):
        await s.f.record_payment(req(s.finance), s.fund, pid, "1.00", date(2026, 12, 31), "餐饮公司", "PZ-X")
    assert (await replayed(s, nxt_id)).projects[pid].paid == Decimal("30000.00")


async def test_returning_the_balance_still_carries_the_commitments_and_returns_only_the_rest() -> None:
    """结转 and 结余: money promised to an unfinished project follows it; the surplus goes back."""
    s = await funds("50000.00")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    pid = await approved_project(s, "8000.00")
    out = await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31), YearEnd.RETURN)
    nxt_id = fund_id(s.w.east, 2027, FundKind.SERVICE_FUND)
    assert (out.extra["moved"], out.extra["carried"], out.extra["next_fund_id"]) == ("42000.00", "8000.00", str(nxt_id))
    nxt = await replayed(s, nxt_id)
    assert (nxt.balance, nxt.committed, [e.event_type for e in s.w.store.events[-2:]]) == (
        Decimal("8000.00"), Decimal("8000.00"), ["Fund.Opened", "Fund.ProjectCarriedIn"])
    assert nxt.projects[pid].commitment == Decimal("8000.00")


async def test_an_accepted_project_with_money_still_to_pay_follows_as_accepted_and_can_be_disclosed() -> None:
    s = await funds("40000.00")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    pid = await approved_project(s, "6000.00")
    await s.f.record_payment(req(s.finance), s.fund, pid, "5000.00", date(2026, 9, 1), "甲", "PZ-0901")
    await s.f.accept_project(req(s.finance), s.fund, pid, date(2026, 9, 30))
    existing = (await s.f.open_fund(req(s.finance), s.w.east, 2027, FundKind.SERVICE_FUND)).id
    await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31))
    nxt = await replayed(s, existing)
    assert (nxt.projects[pid].state, nxt.projects[pid].accepted_on) == (ProjectState.ACCEPTED, date(2026, 9, 30))
    await s.f.publish_project_disclosure(req(s.finance), existing, pid, "公示：支出 5000.00 元", date(2027, 1, 4))
    assert (await replayed(s, existing)).committed == ZERO_


async def test_the_fold_agrees_with_the_aggregate_across_a_carried_project() -> None:
    s = await funds("70000.00")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    pid = await approved_project(s, "12000.00")
    await s.f.record_payment(req(s.finance), s.fund, pid, "2000.00", date(2026, 6, 1), "甲", "PZ-0601")
    await s.f.close_fiscal_year(req(s.finance), s.fund, date(2027, 1, 2), YearEnd.CARRY_OVER)
    for fid in (s.fund, fund_id(s.w.east, 2027, FundKind.SERVICE_FUND)):
        rows = list(await s.w.store.read_stream(fid))
        agg = ev.replay(Fund, rows)
        assert agg is not None
        text = [(r.version, r.position, r.event_type,
                 {k: None if r.payload.get(k) is None else str(r.payload[k]) for k in FOLD_FIELDS}) for r in rows]
        folded = FundFigures().fold(text)
        assert (folded.allocated, folded.committed, folded.moved_out, folded.balance) == (
            agg.allocated, agg.committed, agg.paid_out_at_close, agg.balance)
        assert {k: (p.state, p.amount, p.approved, p.paid) for k, p in folded.projects.items()} == {
            str(k): (p.state.value, p.amount, p.approved_amount, p.paid) for k, p in agg.projects.items()}
        for day in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)):
            picked = [(r.event_type, {k: r.payload.get(k) for k in BALANCE_ON_FIELDS}) for r in rows]
            assert balance_on(picked, day) == agg.balance_on(day), (fid, day)

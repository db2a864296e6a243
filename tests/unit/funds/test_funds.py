"""Funds, projects and inspections: given events, when a command, then events or a typed error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.funds.aggregate import AllocationSource, Fund, FundKind, ProjectState, SpendingCategory, YearEnd
from domain.inspections.aggregate import Severity
from domain.shared import events as ev
from domain.shared.errors import (
    AlreadyExists,
    AmountExceedsApproval,
    ForbiddenPurpose,
    FundClosed,
    InspectionNotAllowed,
    InsufficientFunds,
    InvalidInput,
    NotAuthorized,
    NotFound,
    ProjectNotAllowed,
)
from domain.shared.permissions import Role
from tests.unit.fakes import World, actor, req, world
from tests.usecases import UseCases


@dataclass
class Funds:
    w: World
    f: UseCases
    fund: UUID

    @property
    def finance(self):  # type: ignore[no-untyped-def]
        return actor(Role.FINANCE_OFFICER, scope=self.w.east, subject="finance-east")

    @property
    def street_admin(self):  # type: ignore[no-untyped-def]
        return actor(Role.STREET_ADMIN, scope=self.w.street, subject="street-admin")

    async def state(self) -> Fund:
        found = ev.replay(Fund, await self.w.store.read_stream(self.fund))
        assert found is not None
        return found

    def types(self) -> list[str]:
        return [e.event_type for e in self.w.store.events if e.stream_id == self.fund]


async def funds(allocated: str | None = "120000.00") -> Funds:
    w = await world()
    f = w.commands
    finance = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    fund = (await f.open_fund(req(finance), w.east, 2026, FundKind.SERVICE_FUND)).id
    if allocated:
        await f.allocate_funds(req(finance), fund, allocated, AllocationSource.FISCAL_BUDGET,
                               date(2026, 1, 15), "龙财〔2026〕3号")
    return Funds(w, f, fund)


async def approved_project(s: Funds, amount: str = "30000.00") -> UUID:
    out = await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.PUBLIC_SERVICE,
                                    "老年助餐点", amount, "为社区独居老人提供午餐", "独居老人 42 人")
    pid = UUID(out.extra["project_id"])
    await s.f.record_project_decision(req(s.finance), s.fund, pid, date(2026, 2, 20),
                                      ["王书记", "李委员", "张委员"], "同意实施")
    await s.f.approve_project(req(s.street_admin), s.fund, pid)
    return pid


async def test_a_project_runs_from_proposal_to_disclosure_and_its_money_moves_exactly() -> None:
    s = await funds()
    pid = await approved_project(s)
    await s.f.record_payment(req(s.finance), s.fund, pid, "12000.50", date(2026, 3, 1), "餐饮公司", "PZ-001")
    fund = await s.state()
    assert (fund.balance, fund.committed, fund.available) == (
        Decimal("107999.50"), Decimal("17999.50"), Decimal("90000.00"))
    await s.f.accept_project(req(s.finance), s.fund, pid, date(2026, 3, 2))
    await s.f.publish_project_disclosure(req(s.finance), s.fund, pid, "公示：支出 12000.50 元")
    fund = await s.state()
    assert fund.projects[pid].state is ProjectState.DISCLOSED
    assert (fund.balance, fund.committed) == (Decimal("107999.50"), Decimal("0.00"))
    assert s.types() == [
        "Fund.Opened", "Fund.Allocated", "Fund.ProjectProposed", "Fund.ProjectDecisionRecorded",
        "Fund.ProjectApproved", "Fund.PaymentRecorded", "Fund.ProjectAccepted",
        "Fund.DisclosurePublished",
    ]


async def test_paying_staff_salaries_is_refused_and_nothing_is_recorded() -> None:
    s = await funds()
    before = len(s.w.store.events)
    with pytest.raises(ForbiddenPurpose):
        await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.STAFF_PAY, "社工工资",
                                  "5000.00", "发放三月工资", "社工 3 人")
    with pytest.raises(ForbiddenPurpose):
        await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.PUBLIC_SERVICE,
                                  "服务提升", "5000.00", "发放社工奖金", "社工 3 人")
    assert len(s.w.store.events) == before


async def test_approval_counts_unpaid_commitments_so_the_fund_never_goes_below_zero() -> None:
    s = await funds("50000.00")
    await approved_project(s, "30000.00")
    out = await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.PARTY_BUILDING,
                                    "党课教材", "25000.00", "购买党课教材", "党员 300 人")
    pid = UUID(out.extra["project_id"])
    await s.f.record_project_decision(req(s.finance), s.fund, pid, date(2026, 2, 21),
                                      ["王书记", "李委员", "张委员"], "同意")
    with pytest.raises(InsufficientFunds, match=r"20000\.00 is available"):
        await s.f.approve_project(req(s.street_admin), s.fund, pid)
    await s.f.approve_project(req(s.street_admin), s.fund, pid, "20000.00")
    assert (await s.state()).available == Decimal("0.00")


async def test_payments_stop_at_the_approved_amount() -> None:
    s = await funds()
    pid = await approved_project(s, "1000.00")
    await s.f.record_payment(req(s.finance), s.fund, pid, "600.00", date(2026, 3, 1), "甲", "V1")
    with pytest.raises(AmountExceedsApproval):
        await s.f.record_payment(req(s.finance), s.fund, pid, "400.01", date(2026, 3, 1), "甲", "V2")


async def test_a_reversal_is_a_new_event_that_restores_the_balance_and_the_commitment() -> None:
    s = await funds()
    pid = await approved_project(s, "1000.00")
    paid = await s.f.record_payment(req(s.finance), s.fund, pid, "600.00", date(2026, 3, 1), "甲", "V1")
    payment = UUID(paid.extra["payment_id"])
    await s.f.reverse_payment(req(s.finance), s.fund, payment, "重复支付", date(2026, 3, 2))
    fund = await s.state()
    assert (fund.balance, fund.committed) == (Decimal("120000.00"), Decimal("1000.00"))
    reversal = s.w.store.events[-1]
    assert reversal.event_type == "Fund.PaymentReversed"
    assert reversal.payload["payment_id"] == str(payment) and reversal.reason == "重复支付"
    with pytest.raises(ProjectNotAllowed):
        await s.f.reverse_payment(req(s.finance), s.fund, payment, "again", date(2026, 3, 2))


async def test_the_proposer_cannot_approve_and_a_finance_officer_never_approves() -> None:
    s = await funds()
    out = await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.PUBLIC_SERVICE, "义诊",
                                    "800.00", "社区义诊", "居民")
    pid = UUID(out.extra["project_id"])
    await s.f.record_project_decision(req(s.finance), s.fund, pid, date(2026, 2, 1),
                                      ["甲", "乙", "丙"], "同意")
    with pytest.raises(NotAuthorized):
        await s.f.approve_project(req(s.finance), s.fund, pid)
    both = actor(Role.STREET_ADMIN, Role.FINANCE_OFFICER, scope=s.w.street, subject="finance-east")
    with pytest.raises(NotAuthorized, match="proposed"):
        await s.f.approve_project(req(both), s.fund, pid)


async def test_an_approval_needs_a_recorded_collective_decision() -> None:
    s = await funds()
    out = await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.SELF_GOVERNANCE,
                                    "楼道议事会", "300.00", "议事会茶歇", "居民代表")
    with pytest.raises(ProjectNotAllowed):
        await s.f.approve_project(req(s.street_admin), s.fund, UUID(out.extra["project_id"]))
    with pytest.raises(InvalidInput, match="three attendees"):
        await s.f.record_project_decision(req(s.finance), s.fund, UUID(out.extra["project_id"]),
                                          date(2026, 2, 1), ["甲", "乙"], "同意")


async def test_amounts_are_exact_two_decimal_strings() -> None:
    s = await funds(None)
    for bad in ("12.345", "-1.00", "0", "abc", "NaN"):
        with pytest.raises(InvalidInput):
            await s.f.allocate_funds(req(s.finance), s.fund, bad, AllocationSource.DUES_ALLOCATION,
                                     date(2026, 2, 1), "党费〔2026〕1号")
    with pytest.raises(InvalidInput):
        await s.f.allocate_funds(req(s.finance), s.fund, 0.1, AllocationSource.DUES_ALLOCATION,  # type: ignore[arg-type]
                                 date(2026, 2, 1), "党费〔2026〕1号")
    await s.f.allocate_funds(req(s.finance), s.fund, "0.10", AllocationSource.DUES_ALLOCATION,
                             date(2026, 2, 1), "党费〔2026〕1号")
    await s.f.allocate_funds(req(s.finance), s.fund, "0.20", AllocationSource.UNIT_SPONSORSHIP,
                             date(2026, 2, 1), "赞助协议 7")
    assert (await s.state()).balance == Decimal("0.30")


async def test_one_fund_per_organization_year_and_kind() -> None:
    s = await funds()
    with pytest.raises(AlreadyExists):
        await s.f.open_fund(req(s.finance), s.w.east, 2026, FundKind.SERVICE_FUND)
    await s.f.open_fund(req(s.finance), s.w.east, 2026, FundKind.RED_FUND)


async def test_closing_the_year_carries_the_balance_into_next_years_fund_atomically() -> None:
    s = await funds("120000.00")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    pid = await approved_project(s, "20000.00")
    await s.f.record_payment(req(s.finance), s.fund, pid, "20000.00", date(2026, 3, 1), "甲", "V1")
    with pytest.raises(ProjectNotAllowed, match="still open"):
        await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31))
    await s.f.accept_project(req(s.finance), s.fund, pid, date(2026, 3, 2))
    await s.f.publish_project_disclosure(req(s.finance), s.fund, pid, "公示")
    before = len(s.w.store.events)
    out = await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31), YearEnd.CARRY_OVER)
    appended = s.w.store.events[before:]
    assert [e.event_type for e in appended] == ["Fund.YearClosed", "Fund.Opened", "Fund.Allocated"]
    assert len({e.correlation_id for e in appended}) == 1
    nxt = ev.replay(Fund, await s.w.store.read_stream(UUID(out.extra["next_fund_id"])))
    assert nxt is not None and (nxt.year, nxt.balance) == (2027, Decimal("100000.00"))
    assert (await s.state()).balance == Decimal("0.00")
    with pytest.raises(FundClosed):
        await s.f.allocate_funds(req(s.finance), s.fund, "1.00", AllocationSource.FISCAL_BUDGET,
                                 date(2026, 12, 31), "late")


async def test_returning_the_balance_opens_no_next_fund() -> None:
    s = await funds("500.00")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    out = await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31), YearEnd.RETURN)
    assert out.extra["next_fund_id"] is None and out.extra["moved"] == "500.00"
    assert s.types()[-1] == "Fund.YearClosed"


async def test_an_inspection_records_findings_on_real_projects_and_closes_only_when_verified() -> None:
    s = await funds()
    pid = await approved_project(s)
    district = actor(Role.DISTRICT_ADMIN, scope=s.w.district, subject="inspector")
    insp = (await s.f.open_inspection(req(district), "2026 专项督查", fund_id=s.fund)).id
    with pytest.raises(NotFound):
        await s.f.record_inspection_finding(req(district), insp, "虚报", Severity.MAJOR,
                                            project_ids=[s.fund])
    finding = await s.f.record_inspection_finding(req(district), insp, "台账不全", Severity.MINOR,
                                                  project_ids=[pid])
    with pytest.raises(InspectionNotAllowed):
        await s.f.close_inspection(req(district), insp, "结束")
    await s.f.record_rectification(req(s.finance), insp, UUID(finding.extra["finding_id"]), "已补齐台账")
    await s.f.verify_rectification(req(district), insp, UUID(finding.extra["finding_id"]))
    await s.f.close_inspection(req(district), insp, "整改完毕")
    with pytest.raises(NotAuthorized):
        await s.f.open_inspection(req(s.finance), "自查", fund_id=s.fund)


async def test_auditors_change_no_fund() -> None:
    s = await funds()
    auditor = actor(Role.AUDITOR, scope=None, subject="auditor")
    with pytest.raises(NotAuthorized):
        await s.f.allocate_funds(req(auditor), s.fund, "1.00", AllocationSource.FISCAL_BUDGET,
                                 date(2026, 2, 1), "x")


async def test_folding_the_recorded_payloads_gives_the_aggregates_figures() -> None:
    """domain/funds/ledger.py must never drift from domain/funds/aggregate.py."""
    from domain.funds.ledger import FundFigures

    s = await funds("50000.00")
    pid = await approved_project(s, "30000.00")
    paid = await s.f.record_payment(req(s.finance), s.fund, pid, "1000.00", date(2026, 3, 1), "甲", "V1")
    await s.f.record_payment(req(s.finance), s.fund, pid, "2500.55", date(2026, 3, 1), "甲", "V2")
    await s.f.reverse_payment(req(s.finance), s.fund, UUID(paid.extra["payment_id"]), "错付", date(2026, 3, 2))
    await s.f.accept_project(req(s.finance), s.fund, pid, date(2026, 3, 2))
    other = await approved_project(s, "4000.00")
    await s.f.cancel_project(req(s.finance), s.fund, other, "取消")
    await s.f.publish_project_disclosure(req(s.finance), s.fund, pid, "公示")
    s.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31), YearEnd.RETURN)
    rows = [e for e in s.w.store.events if e.stream_id == s.fund]
    fund = await s.state()
    for n in range(1, len(rows) + 1):
        replayed = ev.replay(Fund, rows[:n])
        folded = FundFigures().fold((r.version, r.position, r.event_type, r.payload) for r in rows[:n])
        assert replayed is not None
        assert (folded.balance, folded.committed, folded.available, folded.paid, folded.closed) == (
            replayed.balance, replayed.committed, replayed.available, replayed.paid, replayed.closed), n
        assert {k: (p.state, p.paid) for k, p in folded.projects.items()} == {
            str(k): (p.state.value, p.paid) for k, p in replayed.projects.items()}, n
    assert fund.closed and fund.balance == Decimal("0.00")


async def test_a_payment_cannot_precede_the_money_it_spends() -> None:
    s = await funds(None)
    await s.f.allocate_funds(req(s.finance), s.fund, "1000.00", AllocationSource.FISCAL_BUDGET,
                             date(2026, 2, 1), "doc")
    out = await s.f.propose_project(req(s.finance), s.fund, SpendingCategory.PUBLIC_SERVICE, "义诊",
                                    "800.00", "社区义诊", "居民")
    pid = UUID(out.extra["project_id"])
    await s.f.record_project_decision(req(s.finance), s.fund, pid, date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
    await s.f.approve_project(req(s.street_admin), s.fund, pid)
    with pytest.raises(InsufficientFunds, match="cannot precede"):
        await s.f.record_payment(req(s.finance), s.fund, pid, "800.00", date(2026, 1, 10), "甲", "V1")
    await s.f.record_payment(req(s.finance), s.fund, pid, "800.00", date(2026, 2, 1), "甲", "V1")
    assert (await s.state()).balance_on(date(2026, 1, 31)) == Decimal("0.00")


async def test_a_year_closes_only_after_its_last_day_and_totals_stay_bounded() -> None:
    s = await funds("10.00")
    with pytest.raises(InvalidInput, match="31 December"):
        await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="in total"):
        for _ in range(2):
            await s.f.allocate_funds(req(s.finance), s.fund, "100000000000.00",
                                     AllocationSource.FISCAL_BUDGET, date(2026, 2, 1), "huge")
    with pytest.raises(InvalidInput):
        await s.f.allocate_funds(req(s.finance), s.fund, "1e30", AllocationSource.FISCAL_BUDGET,
                                 date(2026, 2, 1), "exponent")


async def test_a_year_is_not_closed_ahead_of_time() -> None:
    s = await funds("500.00")
    with pytest.raises(InvalidInput, match="ahead of time"):
        await s.f.close_fiscal_year(req(s.finance), s.fund, date(2026, 12, 31), YearEnd.RETURN)
    assert s.types()[-1] == "Fund.Allocated"

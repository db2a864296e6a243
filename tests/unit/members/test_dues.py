"""Dues (党费): the yearly assessment by band, reductions in two steps, payments that
advance the paid-through month (given events, when a command, then events or a typed
error; in-memory store, the clock at 2 March 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.members.dues import DuesCategory, DuesRules, assessed_amount, parse_bands
from domain.members.errors import DuesLate, DuesNotAllowed, MemberExited
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from eventstore.personal_keys import is_sealed
from tests.unit.fakes import World, actor, req, world
from tests.unit.members.test_members_and_transfers import register

E, R = DuesCategory.EMPLOYED, DuesCategory.RETIRED


@pytest.mark.parametrize(("category", "income", "amount"), [
    (E, "2999.99", "15.00"), (E, "3000.00", "15.00"), (E, "3000.01", "30.00"), (E, "5000.00", "50.00"),
    (E, "8000.00", "120.00"), (E, "10000.00", "150.00"), (E, "10000.01", "200.00"), (E, "4321.87", "43.22"),
    (E, "1234.50", "6.17"), (R, "5000.00", "25.00"), (R, "5000.01", "50.00"), (R, "3333.33", "16.67"),
    (DuesCategory.STUDENT, None, "0.20"), (DuesCategory.MINIMUM_ALLOWANCE, None, "0.20"),
])
def test_the_monthly_amount_is_the_whole_income_at_its_bands_rate_in_exact_fen(
        category: DuesCategory, income: str | None, amount: str) -> None:
    got, _ = assessed_amount(DuesRules(), category, None if income is None else Decimal(income))
    assert str(got) == amount


def test_bands_are_configuration_and_malformed_ones_are_refused() -> None:
    rules = DuesRules(employed=parse_bands("4000:0.5,*:1"))
    assert assessed_amount(rules, E, Decimal("4000.00"))[0] == Decimal("20.00")
    for bad in ("3000:0.5", "5000:1,3000:0.5,*:2", "x:1,*:2", "3000:150,*:2", ""):
        with pytest.raises(ValueError):
            parse_bands(bad)


def dues_events(w: World) -> list[str]:
    return [e.event_type for e in w.store.events if e.event_type.startswith("Member.Dues")]


async def assessed(w: World, serial: int, income: str = "8000.00", **kw: object):  # type: ignore[no-untyped-def]
    member = await register(w, w.west, serial=serial, dues_paid_through=date(2025, 12, 1), **kw)
    await w.commands.assess_member_dues(req(w.admin), member, 2026, E, income)
    return member


async def test_assessment_fixes_the_year_and_seals_the_declared_income() -> None:
    w = await world()
    member = await assessed(w, 51)
    stored = w.store.events[-1]
    assert stored.event_type == "Member.DuesAssessed"
    assert is_sealed(stored.payload["declared_income"])  # only ciphertext in the log
    (read,) = [e for e in await w.store.read_stream(member) if e.event_type == "Member.DuesAssessed"]
    assert read.payload["declared_income"] == "8000.00"
    assert read.payload["monthly_amount"] == "120.00" and read.payload["basis"] == "1.5% of 8000.00"
    with pytest.raises(DuesNotAllowed):  # once a year: a change is a reduction
        await w.commands.assess_member_dues(req(w.admin), member, 2026, E, "3000.00")
    with pytest.raises(InvalidInput):
        await w.commands.assess_member_dues(req(w.admin), member, 2028, E, "3000.00")
    with pytest.raises(InvalidInput):  # an employed member's dues need the income
        await w.commands.assess_member_dues(req(w.admin), member, 2027, E, None)


async def test_erasing_personal_data_erases_the_declared_income() -> None:
    w = await world()
    member = await assessed(w, 52)
    await w.commands.erase_member_personal_data(req(w.admin), member, "依本人申请")
    (read,) = [e for e in await w.store.read_stream(member) if e.event_type == "Member.DuesAssessed"]
    assert read.payload["declared_income"] is None
    assert read.payload["monthly_amount"] == "120.00"  # what was due stays: it is no personal data


async def test_paying_three_months_advances_the_paid_through_month() -> None:
    w = await world()
    member = await assessed(w, 53)
    with pytest.raises(InvalidInput) as wrong:  # the amount is exactly what the months cost
        await w.commands.record_dues_payment(req(w.admin), member, 3, "300.00")
    assert "cost 360.00" in str(wrong.value)
    await w.commands.record_dues_payment(req(w.admin), member, 3, "360.00", date(2026, 3, 2))
    paid = w.store.events[-1].payload
    assert (paid["first_month"], paid["through_month"], paid["amount"]) == ("2026-01-01", "2026-03-01", "360.00")
    assert paid["home_organization_id"] == str(w.west) and paid["late_reason"] is None
    await w.commands.record_dues_payment(req(w.admin), member, 1, "120.00")
    assert w.store.events[-1].payload["through_month"] == "2026-04-01"


async def test_paid_through_never_passes_the_prepayment_allowance() -> None:
    w = await world()
    member = await assessed(w, 54)
    await w.commands.assess_member_dues(req(w.admin), member, 2027, DuesCategory.RETIRED, "4000.00")
    w.commands.handling.services[DuesRules] = DuesRules(prepay_months=3)
    with pytest.raises(DuesNotAllowed):  # through June: past March + 3
        await w.commands.record_dues_payment(req(w.admin), member, 7, "840.00")
    await w.commands.record_dues_payment(req(w.admin), member, 6, "720.00")
    w.commands.handling.services[DuesRules] = DuesRules()
    # across the year: December at 2026's amount, January at 2027's
    await w.commands.record_dues_payment(req(w.admin), member, 7, str(6 * 120 + 20) + ".00")
    assert w.store.events[-1].payload["through_month"] == "2027-01-01"


async def test_a_month_of_a_year_without_assessment_cannot_be_paid() -> None:
    w = await world()
    member = await assessed(w, 55)
    await w.commands.record_dues_payment(req(w.admin), member, 12, "1440.00")  # through December 2026
    with pytest.raises(DuesNotAllowed):
        await w.commands.record_dues_payment(req(w.admin), member, 1, "120.00")  # January 2027: no assessment


async def test_paying_more_than_six_months_late_needs_a_recorded_reason() -> None:
    w = await world()
    member = await register(w, w.west, serial=56, dues_paid_through=date(2025, 7, 1))
    await w.commands.assess_member_dues(req(w.admin), member, 2025, E, "2000.00")
    await w.commands.assess_member_dues(req(w.admin), member, 2026, E, "2000.00")
    with pytest.raises(DuesLate):  # August 2025 is seven months back in March 2026
        await w.commands.record_dues_payment(req(w.admin), member, 1, "10.00")
    await w.commands.record_dues_payment(req(w.admin), member, 1, "10.00", late_reason="外出务工期间未能交纳")
    assert w.store.events[-1].payload["late_reason"] == "外出务工期间未能交纳"
    assert w.store.events[-1].reason == "外出务工期间未能交纳"
    await w.commands.record_dues_payment(req(w.admin), member, 1, "10.00")  # September: six back, in time
    assert w.store.events[-1].payload["late_reason"] is None


async def test_a_reduction_is_the_branchs_decision_approved_by_the_level_above() -> None:
    w = await world()
    member = await assessed(w, 57)
    branch = actor(Role.COMMUNITY_SECRETARY, scope=w.west, subject="west-secretary")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    with pytest.raises(InvalidInput):  # a reduction lowers the amount
        await w.commands.propose_dues_reduction(req(branch), member, 2026, "150.00", date(2026, 2, 20),
                                                "海月支委〔2026〕6号", "家庭困难")
    await w.commands.propose_dues_reduction(req(branch), member, 2026, "0.00", date(2026, 2, 20),
                                            "海月支委〔2026〕6号", "重病住院")
    with pytest.raises(DuesNotAllowed):
        await w.commands.propose_dues_reduction(req(branch), member, 2026, "10.00", date(2026, 2, 21),
                                                "海月支委〔2026〕7号", "再议")
    with pytest.raises(NotAuthorized):  # the branch does not approve its own decision
        await w.commands.approve_dues_reduction(req(branch), member, 2026)
    await w.commands.record_dues_payment(req(w.admin), member, 1, "120.00")  # not reduced before approval
    await w.commands.approve_dues_reduction(req(street), member, 2026, "同意免交")
    await w.commands.record_dues_payment(req(w.admin), member, 2, "0.00")  # exempted: the months cost nothing
    assert dues_events(w) == ["Member.DuesAssessed", "Member.DuesReductionProposed", "Member.DuesPaid",
                              "Member.DuesReductionApproved", "Member.DuesPaid"]
    with pytest.raises(DuesNotAllowed):
        await w.commands.reject_dues_reduction(req(street), member, 2026, "无待决")


async def test_a_rejected_reduction_keeps_the_assessed_amount() -> None:
    w = await world()
    member = await assessed(w, 58, income="4000.00")
    await w.commands.propose_dues_reduction(req(w.admin), member, 2026, "20.00", date(2026, 2, 20),
                                            "海月支委〔2026〕8号", "收入减少")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    await w.commands.reject_dues_reduction(req(street), member, 2026, "材料不足")
    await w.commands.record_dues_payment(req(w.admin), member, 1, "40.00")


async def test_an_exited_member_pays_no_dues() -> None:
    w = await world()
    member = await assessed(w, 59)
    await w.commands.record_member_death(req(w.admin), member, date(2026, 2, 27))
    with pytest.raises(MemberExited):
        await w.commands.record_dues_payment(req(w.admin), member, 1, "120.00")

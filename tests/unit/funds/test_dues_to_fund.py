"""Dues passed up (党费上缴) and allocated to a red fund (党费划拨), and the stricter uses of
dues money (given events, when a command, then events or a typed error; in-memory store,
the clock at 2 March 2026). The west branch's members pay their dues; the branch remits
them to the street; the street allocates them to a red fund of its subtree."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from api.config import ConfigError, Settings
from domain.funds.aggregate import AllocationSource, Fund, FundKind, SpendingCategory, YearEnd, fund_id
from domain.funds.dues_account import DuesAccount, DuesCollections, dues_account_id
from domain.funds.dues_money import DuesMoneyRules, PaymentUse, parse_uses
from domain.funds.errors import DuesMoneyRestricted, DuesNotAvailable
from domain.funds.handlers import FundRules
from domain.members.dues import DuesCategory
from domain.shared import events as ev
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Actor, Role
from domain.shared.ports import EventStore, RecordedEvent
from domain.shared.upcasting import upcast
from tests.unit.fakes import World, actor, req, world
from tests.unit.members.test_members_and_transfers import register
from tests.usecases import UseCases


@dataclass
class Dues:
    w: World
    west_finance: Actor
    street_finance: Actor


async def collected(services: dict[type, object] | None = None) -> Dues:
    """Two west members paid January and February: 240.00 and 100.00 collected by the branch."""
    w = await world()
    if services:
        w.commands = UseCases.build(w.store, w.commands.directory, w.clock, services)
    for serial, income in ((61, "8000.00"), (62, "5000.00")):
        member = await register(w, w.west, serial=serial, dues_paid_through=date(2025, 12, 1))
        await w.commands.assess_member_dues(req(w.admin), member, 2026, DuesCategory.EMPLOYED, income)
        monthly = Decimal(income) * (Decimal("0.015") if income == "8000.00" else Decimal("0.01"))
        await w.commands.record_dues_payment(req(w.admin), member, 2, f"{monthly * 2:.2f}", date(2026, 3, 1))
    return Dues(w, actor(Role.FINANCE_OFFICER, scope=w.west, subject="finance-west"),
                actor(Role.FINANCE_OFFICER, scope=w.street, subject="finance-street"))


async def account(w: World, organization: UUID, year: int = 2026) -> DuesAccount:
    found = ev.replay(DuesAccount, await w.store.read_stream(dues_account_id(organization, year)))
    assert found is not None
    return found


async def fund(w: World, fid: UUID) -> Fund:
    found = ev.replay(Fund, await w.store.read_stream(fid))
    assert found is not None
    return found


def appended(w: World, before: int) -> list[RecordedEvent]:
    return w.store.events[before:]


async def test_a_branch_remits_its_collected_dues_to_the_street_both_accounts_in_one_append() -> None:
    d = await collected()
    before = len(d.w.store.events)
    out = await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (1, 2), "300.00", "望支〔2026〕1号")
    rows = appended(d.w, before)
    assert [(e.stream_id, e.event_type) for e in rows] == [
        (dues_account_id(d.w.west, 2026), "DuesAccount.Opened"),
        (dues_account_id(d.w.west, 2026), "DuesAccount.Remitted"),
        (dues_account_id(d.w.street, 2026), "DuesAccount.Opened"),
        (dues_account_id(d.w.street, 2026), "DuesAccount.RemittanceReceived")]
    assert len({e.correlation_id for e in rows}) == 1
    assert rows[1].payload["to_organization_id"] == str(d.w.street) and rows[1].payload["months"] == [1, 2]
    assert rows[3].payload["remittance_id"] == rows[1].payload["remittance_id"] == out.extra["remittance_id"]
    assert (await account(d.w, d.w.west)).remitted == (await account(d.w, d.w.street)).received == Decimal("300.00")


async def test_a_remittance_never_exceeds_what_was_collected_and_not_yet_remitted() -> None:
    d = await collected()
    await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (1,), "300.00", "望支〔2026〕1号")
    before = len(d.w.store.events)
    with pytest.raises(DuesNotAvailable, match=r"40\.00 \(collected 340\.00 \+ received 0\.00 − remitted 300\.00"):
        await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (2,), "40.01", "望支〔2026〕2号")
    with pytest.raises(DuesNotAvailable):  # nothing was collected in 2025
        await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2025, (12,), "1.00", "望支〔2025〕9号")
    with pytest.raises(InvalidInput, match="begun"):  # April has not begun on 2 March
        await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (4,), "1.00", "望支〔2026〕3号")
    with pytest.raises(InvalidInput, match="no level above"):
        await d.w.commands.remit_dues(req(actor(Role.FINANCE_OFFICER, subject="finance-district")), d.w.district,
                                      2026, (1,), "1.00", "龙委〔2026〕1号")
    with pytest.raises(NotAuthorized):  # another community's finance officer
        await d.w.commands.remit_dues(req(actor(Role.FINANCE_OFFICER, scope=d.w.east)), d.w.west, 2026, (2,),
                                      "1.00", "x")
    assert len(d.w.store.events) == before
    await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (2,), "40.00", "望支〔2026〕2号")
    assert (await account(d.w, d.w.west)).held(Decimal("340.00")) == Decimal("0.00")


async def test_allocating_held_dues_puts_a_dues_allocation_on_the_red_fund_in_one_append() -> None:
    d = await collected()
    await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (1, 2), "340.00", "望支〔2026〕1号")
    east_finance = actor(Role.FINANCE_OFFICER, scope=d.w.east, subject="finance-east")
    red = (await d.w.commands.open_fund(req(east_finance), d.w.east, 2026, FundKind.RED_FUND)).id
    before = len(d.w.store.events)
    out = await d.w.commands.allocate_dues_to_red_fund(req(d.street_finance), d.w.street, red, "200.00",
                                                       date(2026, 3, 2), "望街〔2026〕党费 4 号")
    rows = appended(d.w, before)
    assert [(e.stream_id, e.event_type) for e in rows] == [
        (dues_account_id(d.w.street, 2026), "DuesAccount.AllocatedToRedFund"), (red, "Fund.Allocated")]
    assert rows[1].payload["source"] == "DUES_ALLOCATION" and rows[1].payload["effective_on"] == "2026-03-02"
    assert rows[0].payload["allocation_id"] == rows[1].payload["allocation_id"] == out.extra["allocation_id"]
    assert (await fund(d.w, red)).dues_available == Decimal("200.00")
    with pytest.raises(DuesNotAvailable):  # 140.00 left at the street
        await d.w.commands.allocate_dues_to_red_fund(req(d.street_finance), d.w.street, red, "140.01",
                                                     date(2026, 3, 2), "望街〔2026〕党费 5 号")
    service = (await d.w.commands.open_fund(req(east_finance), d.w.east, 2026, FundKind.SERVICE_FUND)).id
    with pytest.raises(InvalidInput, match="red fund"):
        await d.w.commands.allocate_dues_to_red_fund(req(d.street_finance), d.w.street, service, "10.00",
                                                     date(2026, 3, 2), "望街〔2026〕党费 6 号")
    district_finance = actor(Role.FINANCE_OFFICER, subject="finance-district")
    above = (await d.w.commands.open_fund(req(district_finance), d.w.district, 2026, FundKind.RED_FUND)).id
    with pytest.raises(NotAuthorized, match="subtree"):  # never up or sideways
        await d.w.commands.allocate_dues_to_red_fund(req(d.street_finance), d.w.street, above, "10.00",
                                                     date(2026, 3, 2), "望街〔2026〕党费 7 号")
    with pytest.raises(NotAuthorized):  # a secretary keeps no ledger
        await d.w.commands.allocate_dues_to_red_fund(req(actor(Role.COMMUNITY_SECRETARY, scope=d.w.street)),
                                                     d.w.street, red, "10.00", date(2026, 3, 2), "x")


async def red_fund_with_dues(services: dict[type, object] | None = None,
                             project: bool = True) -> tuple[Dues, UUID, UUID | None]:
    """East's red fund: 1,000.00 of fiscal subsidy and 300.00 of dues; one approved project of 1,300.00."""
    d = await collected(services)
    await d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (1, 2), "340.00", "望支〔2026〕1号")
    east_finance = actor(Role.FINANCE_OFFICER, scope=d.w.east, subject="finance-east")
    red = (await d.w.commands.open_fund(req(east_finance), d.w.east, 2026, FundKind.RED_FUND)).id
    await d.w.commands.allocate_funds(req(east_finance), red, "1000.00", AllocationSource.FISCAL_SUBSIDY,
                                      date(2026, 1, 10), "望财〔2026〕2号")
    await d.w.commands.allocate_dues_to_red_fund(req(d.street_finance), d.w.street, red, "300.00",
                                                 date(2026, 1, 20), "望街〔2026〕党费 1 号")
    d.west_finance = east_finance  # the payer from here on
    if not project:
        return d, red, None
    out = await d.w.commands.propose_project(req(east_finance), red, SpendingCategory.PARTY_BUILDING, "党员冬训",
                                             "1300.00", "党员冬训与学习资料", "党员 80 人")
    pid = UUID(out.extra["project_id"])
    await d.w.commands.record_project_decision(req(east_finance), red, pid, date(2026, 2, 20),
                                               ["王书记", "李委员", "张委员"], "同意")
    await d.w.commands.approve_project(req(actor(Role.STREET_ADMIN, scope=d.w.street, subject="street")), red, pid)
    return d, red, pid


async def test_dues_money_is_spent_last_and_only_for_its_uses_and_the_refusal_names_the_rule() -> None:
    d, red, pid = await red_fund_with_dues()
    assert pid is not None
    pay = d.w.commands.record_payment
    await pay(req(d.west_finance), red, pid, "1000.00", date(2026, 2, 25), "平江文具店", "PZ-0")
    assert d.w.store.events[-1].payload["from_dues"] == "0.00"  # other money first: no use asked for
    with pytest.raises(DuesMoneyRestricted, match="name the payment's use"):
        await pay(req(d.west_finance), red, pid, "100.00", date(2026, 2, 25), "平江文具店", "PZ-1")
    await pay(req(d.west_finance), red, pid, "100.00", date(2026, 2, 25), "新华书店", "PZ-1",
              PaymentUse.STUDY_MATERIALS)
    assert d.w.store.events[-1].payload["from_dues"] == "100.00"
    state = await fund(d.w, red)
    assert (state.balance, state.dues_available) == (Decimal("200.00"), Decimal("200.00"))
    before = len(d.w.store.events)
    with pytest.raises(DuesMoneyRestricted, match=r"rule dues-money-uses \(党费使用范围\).*OFFICE_EQUIPMENT"):
        await pay(req(d.west_finance), red, pid, "150.00", date(2026, 3, 1), "家具厂", "PZ-2",
                  PaymentUse.OFFICE_EQUIPMENT)
    with pytest.raises(DuesMoneyRestricted, match="name the payment's use"):
        await pay(req(d.west_finance), red, pid, "150.00", date(2026, 3, 1), "家具厂", "PZ-2")
    assert len(d.w.store.events) == before
    await pay(req(d.west_finance), red, pid, "150.00", date(2026, 3, 1), "党校", "PZ-3", PaymentUse.TRAINING)
    assert (d.w.store.events[-1].payload["use"], d.w.store.events[-1].payload["from_dues"]) == ("TRAINING", "150.00")
    assert (await fund(d.w, red)).dues_available == Decimal("50.00")
    payment = UUID(d.w.store.events[-1].payload["payment_id"])
    await d.w.commands.reverse_payment(req(d.west_finance), red, payment, "开错单位", date(2026, 3, 2))
    assert d.w.store.events[-1].payload["from_dues"] == "150.00"
    assert (await fund(d.w, red)).dues_available == Decimal("200.00")


async def test_the_uses_dues_money_pays_for_are_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_uses(" training, Disaster_Relief,training") == (PaymentUse.TRAINING, PaymentUse.DISASTER_RELIEF)
    for bad in ("", "furniture", "training,,x"):
        with pytest.raises(ValueError):
            parse_uses(bad)
    assert Settings().funds.dues_money_rules == DuesMoneyRules()  # the five uses of the default
    monkeypatch.setenv("GRASSROOTS_DUES_MONEY_USES", "disaster_relief")
    assert Settings().funds.dues_money_rules.uses == (PaymentUse.DISASTER_RELIEF,)
    monkeypatch.setenv("GRASSROOTS_DUES_MONEY_USES", "office_furniture")
    with pytest.raises(ConfigError, match="GRASSROOTS_DUES_MONEY_USES"):
        Settings()
    only_relief = FundRules(dues_money=DuesMoneyRules((PaymentUse.DISASTER_RELIEF,)))
    d, red, pid = await red_fund_with_dues({FundRules: only_relief})
    assert pid is not None
    with pytest.raises(DuesMoneyRestricted, match="only for DISASTER_RELIEF"):
        await d.w.commands.record_payment(req(d.west_finance), red, pid, "1300.00", date(2026, 2, 25), "党校",
                                          "PZ-1", PaymentUse.TRAINING)
    await d.w.commands.record_payment(req(d.west_finance), red, pid, "1300.00", date(2026, 2, 25), "救灾物资",
                                      "PZ-1", PaymentUse.DISASTER_RELIEF)


async def test_a_grant_carries_the_dues_money_it_draws_on_as_dues_money() -> None:
    d, red, _ = await red_fund_with_dues(project=False)
    service = (await d.w.commands.open_fund(req(d.west_finance), d.w.east, 2026, FundKind.SERVICE_FUND)).id
    # Red funds grant down their subtree: east's own red fund to east's service fund.
    await d.w.commands.grant_from_red_fund(req(d.west_finance), red, service, "1200.00", date(2026, 2, 1),
                                           "仙社〔2026〕1号")
    made, received = d.w.store.events[-2:]
    assert (made.payload["from_dues"], received.payload["from_dues"]) == ("200.00", "200.00")
    red_state, service_state = await fund(d.w, red), await fund(d.w, service)
    assert (red_state.dues_available, service_state.dues_available) == (Decimal("100.00"), Decimal("200.00"))


def test_payments_and_grants_recorded_before_dues_money_was_told_apart_drew_on_none() -> None:
    v1 = {"payment_id": "p", "project_id": "q", "amount": "10.00", "paid_on": "2025-05-01", "payee": "甲",
          "voucher_no": "V1"}
    assert upcast("Fund.PaymentRecorded", 1, v1) == (2, {**v1, "use": None, "from_dues": "0.00"})
    for source, dues in (("DUES_ALLOCATION", "10.00"), ("CARRIED_OVER", "0.00"), ("FISCAL_BUDGET", "0.00")):
        assert upcast("Fund.Allocated", 1, {"amount": "10.00", "source": source})[1]["dues"] == dues
    for event_type in ("Fund.PaymentReversed", "Fund.GrantMade", "Fund.GrantReceived"):
        version, payload = upcast(event_type, 1, {"amount": "10.00"})
        assert (version, payload["from_dues"]) == (2, "0.00")


class Interleaving(DuesCollections):
    """Yields while reading the collections, so that two commands read the same account."""

    calls = 0

    async def collected(self, store: EventStore, organization_id: UUID, year: int) -> Decimal:
        self.calls += 1
        await asyncio.sleep(0)
        return await super().collected(store, organization_id, year)


async def test_two_remittances_racing_for_the_same_dues_cannot_both_commit() -> None:
    collections = Interleaving()
    d = await collected({DuesCollections: collections})
    results = await asyncio.gather(*(
        d.w.commands.remit_dues(req(d.west_finance), d.w.west, 2026, (1, 2), "200.00", f"望支〔2026〕{n}号")
        for n in (1, 2)), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["DuesNotAvailable", "Outcome"]
    assert collections.calls == 3  # both read 340.00 held; the loser's append conflicted, its retry was refused
    assert (await account(d.w, d.w.west)).remitted == (await account(d.w, d.w.street)).received == Decimal("200.00")


async def test_dues_money_carried_into_next_year_stays_dues_money() -> None:
    d, red, _ = await red_fund_with_dues(project=False)
    d.w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    await d.w.commands.close_fiscal_year(req(d.west_finance), red, date(2026, 12, 31), YearEnd.CARRY_OVER)
    carried = d.w.store.events[-1]
    assert (carried.event_type, carried.payload["amount"], carried.payload["dues"]) == (
        "Fund.Allocated", "1300.00", "300.00")
    following = await fund(d.w, fund_id(d.w.east, 2027, FundKind.RED_FUND))
    assert (following.balance, following.dues_available) == (Decimal("1300.00"), Decimal("300.00"))

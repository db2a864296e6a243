"""A voucher pays once per fund: given a payment, when another names its voucher, then
``VoucherAlreadyUsed`` and nothing is recorded."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.funds.aggregate import AllocationSource, FundKind
from domain.funds.errors import VoucherAlreadyUsed
from domain.shared.errors import AlreadyExists
from tests.unit.fakes import req
from tests.unit.funds.test_funds import Funds, approved_project, funds


async def test_a_second_payment_on_the_same_voucher_is_refused_and_nothing_is_recorded() -> None:
    s = await funds()
    pid = await approved_project(s)
    await s.f.record_payment(req(s.finance), s.fund, pid, "1000.00", date(2026, 3, 1), "餐饮公司", "记-0012")
    before = len(s.w.store.events)
    with pytest.raises(VoucherAlreadyUsed) as exc:
        await s.f.record_payment(req(s.finance), s.fund, pid, "1000.00", date(2026, 3, 1), "餐饮公司",
                                 " 记－００１２ ")
    assert exc.value.field == "voucherNo" and exc.value.code == "VOUCHER_ALREADY_USED"
    assert isinstance(exc.value, AlreadyExists)
    assert len(s.w.store.events) == before


async def test_a_reversed_payment_keeps_its_voucher() -> None:
    s = await funds()
    pid = await approved_project(s)
    paid = await s.f.record_payment(req(s.finance), s.fund, pid, "500.00", date(2026, 3, 1), "印刷厂", "PZ-7")
    await s.f.reverse_payment(req(s.finance), s.fund, UUID(paid.extra["payment_id"]), "金额有误", date(2026, 3, 2))
    with pytest.raises(VoucherAlreadyUsed):
        await s.f.record_payment(req(s.finance), s.fund, pid, "450.00", date(2026, 3, 2), "印刷厂", "pz-7")
    await s.f.record_payment(req(s.finance), s.fund, pid, "450.00", date(2026, 3, 2), "印刷厂", "PZ-8")


async def test_another_fund_may_use_the_same_voucher_number() -> None:
    s = await funds()
    pid = await approved_project(s)
    await s.f.record_payment(req(s.finance), s.fund, pid, "800.00", date(2026, 3, 1), "书店", "V-1")
    other = await s.f.open_fund(req(s.finance), s.w.east, 2026, FundKind.RED_FUND)
    await s.f.allocate_funds(req(s.finance), other.id, "5000.00", AllocationSource.UNIT_SPONSORSHIP,
                             date(2026, 1, 20), "赞助协议 1")
    red = Funds(s.w, s.f, other.id)
    rid = await approved_project(red, "900.00")
    await s.f.record_payment(req(s.finance), other.id, rid, "800.00", date(2026, 3, 1), "书店", "V-1")

"""Public disclosure per period (公示): the period's table, its canonical form and digest, and
``recordFundDisclosure``, which records the digest so that anyone can later prove what was
published."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.funds.disclosure import (
    FORMAT,
    Period,
    canonical,
    digest,
    disclosure_table,
    parse_period,
    published_digest,
    table_of,
)
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Actor, Role
from tests.unit.fakes import World, actor, req, world


@dataclass
class Ledger:
    w: World
    fund: UUID
    project: UUID
    payments: list[str]
    finance: Actor


async def ledger() -> Ledger:
    """A 2026 fund: 80,000 in January, a project paid 6,000 in March and 9,000 in May, 30,000
    more in August."""
    w = await world()
    w.clock.now = datetime(2026, 9, 10, 9, 0, tzinfo=UTC)
    finance = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-1")
    fund = (await w.commands.open_fund(req(finance), w.east, 2026, FundKind.SERVICE_FUND)).id
    await w.commands.allocate_funds(req(finance), fund, "80000.00", AllocationSource.FISCAL_BUDGET,
                                    date(2026, 1, 12), "龙财〔2026〕3号")
    project = UUID((await w.commands.propose_project(
        req(finance), fund, SpendingCategory.PUBLIC_SERVICE, "老年助餐点", "20000.00", "为独居老人提供午餐",
        "独居老人 42 人")).extra["project_id"])
    await w.commands.record_project_decision(req(finance), fund, project, date(2026, 2, 3),
                                             ("书记", "副书记", "纪检委员"), "一致同意")
    await w.commands.approve_project(req(street), fund, project)
    payments = []
    for amount, on, voucher in (("6000.00", date(2026, 3, 2), "记-0301"), ("9000.00", date(2026, 5, 20), "记-0520")):
        out = await w.commands.record_payment(req(finance), fund, project, amount, on, "平江服务社", voucher)
        payments.append(out.extra["payment_id"])
    await w.commands.allocate_funds(req(finance), fund, "30000.00", AllocationSource.FISCAL_SUBSIDY,
                                    date(2026, 8, 3), "龙财〔2026〕41号")
    return Ledger(w, fund, project, payments, finance)


def rows(events: list) -> list[tuple[int, str, dict]]:  # type: ignore[type-arg]
    return [(e.version, e.event_type, e.payload) for e in events]


def test_periods_are_years_halves_quarters_and_months() -> None:
    assert parse_period("2026-H1") == Period("2026-H1", date(2026, 1, 1), date(2026, 6, 30))
    assert parse_period("2026-h2") == Period("2026-H2", date(2026, 7, 1), date(2026, 12, 31))
    assert parse_period("2026-Q2") == Period("2026-Q2", date(2026, 4, 1), date(2026, 6, 30))
    assert parse_period("2024-02") == Period("2024-02", date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period(" 2026 ") == Period("2026", date(2026, 1, 1), date(2026, 12, 31))
    for bad in ("2026-H3", "2026-13", "2026-Q0", "26-H1", "2026H1", "1999", ""):
        with pytest.raises(InvalidInput) as refused:
            parse_period(bad)
        assert refused.value.field == "period"


async def test_the_table_of_a_half_year_has_its_lines_opening_and_closing_balance() -> None:
    lg = await ledger()
    table = disclosure_table(lg.fund, rows(await lg.w.store.read_stream(lg.fund)), parse_period("2026-H1"))
    assert table["format"] == FORMAT
    assert table["period"] == {"label": "2026-H1", "from": "2026-01-01", "to": "2026-06-30"}
    assert (table["opening_balance"], table["closing_balance"]) == ("0.00", "65000.00")
    assert (table["received"], table["spent"]) == ("80000.00", "15000.00")
    assert [(m["date"], m["kind"], m["amount"], m["balance_after"], m["reference"]) for m in table["movements"]] == [
        ("2026-01-12", "ALLOCATION", "80000.00", "80000.00", "龙财〔2026〕3号"),
        ("2026-03-02", "PAYMENT", "-6000.00", "74000.00", "记-0301"),
        ("2026-05-20", "PAYMENT", "-9000.00", "65000.00", "记-0520")]
    assert table["movements"][1]["payee"] == "平江服务社"
    [project] = table["projects"]
    assert (project["title"], project["state"], project["approved"], project["paid_in_period"]) == (
        "老年助餐点", "APPROVED", "20000.00", "15000.00")
    h2 = disclosure_table(lg.fund, rows(await lg.w.store.read_stream(lg.fund)), parse_period("2026-H2"))
    assert (h2["opening_balance"], h2["closing_balance"], len(h2["movements"])) == ("65000.00", "95000.00", 1)
    assert h2["projects"][0]["paid_in_period"] == "0.00"
    assert h2["projects"][0]["paid_to_period_end"] == "15000.00"


async def test_the_canonical_form_is_sorted_compact_utf8_and_its_digest_is_sha256() -> None:
    lg = await ledger()
    table = disclosure_table(lg.fund, rows(await lg.w.store.read_stream(lg.fund)), parse_period("2026-Q1"))
    data = canonical(table)
    assert data.startswith(b'{"closing_balance":"74000.00","covers_version":')
    assert "老年助餐点".encode() in data and b"\\u" not in data and b" " not in data
    assert digest(table) == hashlib.sha256(data).hexdigest()
    pretty = json.dumps(table, ensure_ascii=True, indent=2).encode()
    assert published_digest(pretty) == published_digest(b"\xef\xbb\xbf" + data) == digest(table)
    tampered = json.loads(data)
    tampered["movements"][1]["amount"] = "-600.00"
    assert published_digest(json.dumps(tampered).encode()) != digest(table)
    with pytest.raises(InvalidInput):
        published_digest(data.replace(b'"74000.00"', b"74000.00"))


async def test_record_fund_disclosure_records_the_digest_of_the_table_as_the_log_stood() -> None:
    lg = await ledger()
    before = await lg.w.store.read_stream(lg.fund)
    out = await lg.w.commands.record_fund_disclosure(req(lg.finance), lg.fund, "2026-H1", date(2026, 7, 5),
                                                     "社区公示栏")
    stream = await lg.w.store.read_stream(lg.fund)
    event = stream[-1]
    assert event.event_type == "Fund.PeriodDisclosed"
    expected = digest(disclosure_table(lg.fund, rows(before), parse_period("2026-H1")))
    assert event.payload["digest"] == out.extra["digest"] == expected
    assert (event.payload["covers_version"], event.payload["period_from"], event.payload["period_to"]) == (
        len(before), "2026-01-01", "2026-06-30")
    assert (event.payload["opening_balance"], event.payload["closing_balance"]) == ("0.00", "65000.00")
    recomputed = table_of(lg.fund, rows(stream), parse_period("2026-H1"), event.payload["covers_version"])
    assert digest(recomputed) == expected


async def test_a_correction_changes_the_table_and_the_period_is_disclosed_again_both_kept() -> None:
    lg = await ledger()
    first = await lg.w.commands.record_fund_disclosure(req(lg.finance), lg.fund, "2026-H1", date(2026, 7, 5), "公示栏")
    await lg.w.commands.reverse_payment(req(lg.finance), lg.fund, UUID(lg.payments[1]), "重复支付",
                                        date(2026, 6, 1))
    second = await lg.w.commands.record_fund_disclosure(req(lg.finance), lg.fund, "2026-H1", date(2026, 9, 10),
                                                        "https://example.org/公示")
    assert first.extra["digest"] != second.extra["digest"]
    disclosed = [e for e in await lg.w.store.read_stream(lg.fund) if e.event_type == "Fund.PeriodDisclosed"]
    assert [e.payload["digest"] for e in disclosed] == [first.extra["digest"], second.extra["digest"]]
    assert disclosed[1].payload["closing_balance"] == "74000.00"


async def test_a_disclosure_is_refused_before_its_period_ends_outside_the_fund_year_or_out_of_scope() -> None:
    lg = await ledger()
    stream = len(await lg.w.store.read_stream(lg.fund))
    refusals = (
        (lg.finance, "2026-H2", date(2026, 9, 1), "公示栏", "publishedOn"),
        (lg.finance, "2026-Q1", date(2026, 3, 31), "公示栏", "publishedOn"),
        (lg.finance, "2025", date(2026, 1, 5), "公示栏", "period"),
        (lg.finance, "2026-Q1", date(2026, 9, 11), "公示栏", "publishedOn"),  # after today
        (lg.finance, "2026-Q1", date(2026, 4, 2), "   ", "place"),
        (lg.finance, "2026-Q5", date(2026, 4, 2), "公示栏", "period"),
    )
    for who, period, on, place, field in refusals:
        with pytest.raises(InvalidInput) as refused:
            await lg.w.commands.record_fund_disclosure(req(who), lg.fund, period, on, place)
        assert refused.value.field == field, (period, on, place)
    west = actor(Role.FINANCE_OFFICER, scope=lg.w.west, subject="finance-west")
    auditor = actor(Role.AUDITOR, scope=lg.w.district, subject="auditor-1")
    for who in (west, auditor):
        with pytest.raises(NotAuthorized):
            await lg.w.commands.record_fund_disclosure(req(who), lg.fund, "2026-Q1", date(2026, 4, 2), "公示栏")
    assert len(await lg.w.store.read_stream(lg.fund)) == stream

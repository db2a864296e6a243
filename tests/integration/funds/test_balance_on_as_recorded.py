"""Bitemporal balances: the balance on business date D as the log knew it at recorded instant K.

A reversal recorded later (dated back to a day before it was entered) changes the balance
on D for every K after it was recorded, and for no K before; the command line answers the
same. The property over random histories is in ``test_money_rules_agree.py``
(``check_balance_on_as_recorded``): for every recorded instant, the SQL fold equals the
aggregate replayed from the events recorded by then.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest
from typer.testing import CliRunner

from api.audit import fund_balance_on
from api.cli.main import app
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from tests.integration.support import ACTOR, commands
from tests.unit.fakes import Clock


def _req(who: Actor = ACTOR) -> Request:
    return Request(who, uuid4())


async def _recorded_at(pool: asyncpg.Pool, position: int) -> datetime:
    found = await pool.fetchval("SELECT recorded_at FROM events WHERE position = $1", position)
    assert isinstance(found, datetime)
    return found


async def _reversed_later(pool: asyncpg.Pool) -> tuple[UUID, datetime, datetime]:
    """A 3 March payment recorded, then (later) reversed as of 5 March: the fund, the
    instant the payment was recorded and the instant its reversal was."""
    clock = Clock(datetime(2026, 3, 20, 9, 0, tzinfo=UTC))
    uc = commands(pool, clock)
    K = OrganizationKind
    district = (await uc.establish_organization(_req(), K.DISTRICT_COMMITTEE, "吴中区委", None)).id
    street = (await uc.establish_organization(_req(), K.STREET_WORKING_COMMITTEE, "长桥街道党工委", district,
                                              "320506004000")).id
    community = (await uc.establish_organization(_req(), K.COMMUNITY_COMMITTEE, "龙西社区党委", street,
                                                 "320506004001")).id
    finance = Actor("finance-longxi", "F", frozenset({Role.FINANCE_OFFICER}), community)
    street_admin = Actor("street-changqiao", "S", frozenset({Role.STREET_ADMIN}), street)
    fund = (await uc.open_fund(_req(finance), community, 2026, FundKind.SERVICE_FUND)).id
    await uc.allocate_funds(_req(finance), fund, "60000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 10),
                            "吴财〔2026〕5号")
    pid = UUID((await uc.propose_project(_req(finance), fund, SpendingCategory.PUBLIC_SERVICE, "助老理发",
                                         "4000.00", "为高龄老人上门理发", "高龄老人 60 人")).extra["project_id"])
    await uc.record_project_decision(_req(finance), fund, pid, date(2026, 2, 2), ("钱书记", "孙委员", "周委员"),
                                     "同意")
    await uc.approve_project(_req(street_admin), fund, pid)
    paid = await uc.record_payment(_req(finance), fund, pid, "1500.00", date(2026, 3, 3), "理发店", "PZ-0303")
    reversal = await uc.reverse_payment(_req(finance), fund, UUID(paid.extra["payment_id"]), "重复支付",
                                        date(2026, 3, 5))
    return fund, await _recorded_at(pool, paid.position), await _recorded_at(pool, reversal.position)


async def test_a_reversal_changes_the_balance_as_known_after_it_was_recorded_not_before(
        pool: asyncpg.Pool) -> None:
    fund, paid_at, reversed_at = await _reversed_later(pool)
    assert reversed_at > paid_at
    day = date(2026, 3, 31)
    assert await fund_balance_on(pool, fund, day, paid_at) == Decimal("58500.00")
    assert await fund_balance_on(pool, fund, day, reversed_at - timedelta(microseconds=1)) == Decimal("58500.00")
    assert await fund_balance_on(pool, fund, day, reversed_at) == Decimal("60000.00")
    assert await fund_balance_on(pool, fund, day) == Decimal("60000.00")
    # The business axis still holds: on 4 March the payment stood, whenever asked.
    assert await fund_balance_on(pool, fund, date(2026, 3, 4), reversed_at) == Decimal("58500.00")
    assert await fund_balance_on(pool, fund, date(2026, 3, 2), paid_at) == Decimal("60000.00")
    first = await pool.fetchval("SELECT min(recorded_at) FROM events WHERE stream_id = $1", fund)
    assert await fund_balance_on(pool, fund, day, first - timedelta(microseconds=1)) is None


async def test_the_command_line_answers_as_recorded_at_an_instant(
        pool: asyncpg.Pool, dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fund, paid_at, reversed_at = await _reversed_later(pool)
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setenv("GRASSROOTS_JWT_SECRET", "cli-secret-" + "z" * 40)
    cli = CliRunner()

    def ask(*extra: str) -> str:
        out = cli.invoke(app, ["fund", "balance-on", str(fund), "--on", "2026-03-31", *extra])
        assert out.exit_code == 0, out.output
        return out.stdout.strip()

    # The command runs its own event loop: in a thread, beside this test's.
    assert await asyncio.to_thread(ask, "--as-recorded-at", paid_at.isoformat()) == "58500.00"
    assert await asyncio.to_thread(ask, "--as-recorded-at", reversed_at.isoformat()) == "60000.00"
    assert await asyncio.to_thread(ask) == "60000.00"
    before = await asyncio.to_thread(cli.invoke, app, [
        "fund", "balance-on", str(fund), "--on", "2026-03-31", "--as-recorded-at", "2000-01-01T00:00:00+00:00"])
    assert before.exit_code == 1 and "had no events by" in before.output

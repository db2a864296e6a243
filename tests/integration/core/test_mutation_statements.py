"""Mutations cost a fixed, small number of statements on the request path.

Each mutation is run through the real schema with the real command handling on a
pool that logs every statement it sends (the read models run on their own
connections, as in the server). The counts are pinned so that a second read of a
stream, or a lookup the handler does not need, shows up as a failure; the breakdown is
in the assertion message.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from api import bootstrap
from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.graphql.schema import schema
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from eventstore.db import create_pool
from projections.runtime.supervisor import Supervisor
from tests.integration.support import FINANCE, build_world, commands, register

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ADMIN = Actor(subject="counted-admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
FINANCE_OFFICER = Actor(subject="counted-finance", name="财务", roles=frozenset({Role.FINANCE_OFFICER}),
                        scope=None)


@dataclass
class Counted:
    """A request pool of one connection that records every statement sent through it."""

    pool: asyncpg.Pool
    statements: list[str]

    def take(self) -> list[str]:
        taken, self.statements[:] = list(self.statements), []
        return taken


@pytest.fixture
async def counted(dsn: str, pool: asyncpg.Pool) -> AsyncIterator[tuple[Counted, Supervisor]]:
    statements: list[str] = []

    def log(record: Any) -> None:
        statements.append(" ".join(record.query.split())[:70])

    async def setup(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(log)

    request_pool = await create_pool(dsn, min_size=1, max_size=1, setup=setup)
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    try:
        yield Counted(request_pool, statements), supervisor
    finally:
        await supervisor.stop()
        await request_pool.close()


async def _mutate(c: Counted, supervisor: Supervisor, actor: Actor, query: str) -> dict[str, Any]:
    settings = Settings()
    context = Context(actor=actor, pool=c.pool, commands=bootstrap.handling(settings, c.pool, lambda: NOW),
                      supervisor=supervisor, settings=settings, correlation_id=uuid.uuid4(),
                      loaders=Loaders(c.pool), clock=lambda: NOW)
    result = await schema.execute(query, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    (payload,) = result.data.values()
    assert "code" not in payload, payload
    return payload  # type: ignore[no-any-return]


async def _settled(supervisor: Supervisor, pool: asyncpg.Pool) -> None:
    head = await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
    assert await supervisor.wait_for(head, 10) >= head


async def test_request_member_transfer_costs_at_most_six_statements(
    pool: asyncpg.Pool, counted: tuple[Counted, Supervisor],
) -> None:
    c, supervisor = counted
    cmds = commands(pool)
    ids = await build_world(cmds)
    first = (await register(cmds, ids["west"], "陈静", "32050819850101011")).id
    second = (await register(cmds, ids["west"], "刘洋", "32050819850101022")).id
    await _settled(supervisor, pool)

    def request(member: uuid.UUID, key: str = "") -> str:
        with_key = f', idempotencyKey: "{key}"' if key else ""
        return (f'mutation {{ requestMemberTransfer(input: {{memberId: "{member}", toOrganizationId: '
                f'"{ids["east"]}", scope: WITHIN_CITY, reason: "工作调动"{with_key}}}) {{ __typename '
                "... on TransferPayload { transfer { id state } } ... on Error { code message } } }")

    await _mutate(c, supervisor, ADMIN, request(first))  # warms the connection's statement cache
    c.take()
    done = await _mutate(c, supervisor, ADMIN, request(second))
    sent = c.take()
    assert done["transfer"]["state"] == "REQUESTED"
    # The member's stream, the home's path (authorization), the target's stream, the
    # append, and the transfer row for the payload.
    assert len(sent) <= 6, "\n".join(sent)


async def test_record_payment_costs_at_most_five_statements(
    pool: asyncpg.Pool, counted: tuple[Counted, Supervisor],
) -> None:
    c, supervisor = counted
    cmds = commands(pool)
    ids = await build_world(cmds)
    fin = Request(FINANCE, uuid.uuid4())
    fund = (await cmds.open_fund(fin, ids["east"], 2026, FundKind.SERVICE_FUND)).id
    await cmds.allocate_funds(fin, fund, "50000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 10), "文1")
    out = await cmds.propose_project(fin, fund, SpendingCategory.PUBLIC_SERVICE, "助老", "20000.00", "助老", "老人")
    project = out.extra["project_id"]
    await cmds.record_project_decision(fin, fund, uuid.UUID(project), date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
    await cmds.approve_project(Request(ADMIN, uuid.uuid4()), fund, uuid.UUID(project))
    await _settled(supervisor, pool)

    def pay(voucher: str) -> str:
        return (f'mutation {{ recordPayment(input: {{projectId: "{project}", amount: "1000.00", '
                f'paidOn: "2026-02-20", payee: "餐饮公司", voucherNo: "{voucher}"}}) {{ __typename '
                "... on ProjectPayload { paymentId project { paid } } ... on Error { code message } } }")

    await _mutate(c, supervisor, FINANCE_OFFICER, pay("V-1"))
    c.take()
    done = await _mutate(c, supervisor, FINANCE_OFFICER, pay("V-2"))
    sent = c.take()
    assert done["project"]["paid"] == "2000.00"
    # The project's fund and path, the fund's stream, the append, and the project for
    # the payload.
    assert len(sent) <= 5, "\n".join(sent)

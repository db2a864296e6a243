"""What the funds integration tests share: a small district, GraphQL over the read models."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from tests.integration.support import FINANCE, NOW, catch_up, req
from tests.usecases import UseCases

AUDITOR = Actor(subject="auditor", name="审计", roles=frozenset({Role.AUDITOR}), scope=None)


def fin() -> Request:
    return Request(FINANCE, uuid4())


class Settled:
    """The read models were caught up before the query (``settle``)."""

    async def position(self) -> int:
        return 0


async def settle(dsn: str, *names: str) -> None:
    for name in names or ("organizations", "funds", "fund_movements", "inspections"):
        await catch_up(dsn, PROJECTIONS[name])


async def query(pool: asyncpg.Pool, document: str, actor: Actor = AUDITOR, settings: Settings | None = None,
                now: datetime = NOW, **variables: Any) -> dict[str, Any]:
    context = Context(actor=actor, pool=pool, commands=None, supervisor=Settled(),  # type: ignore[arg-type]
                      settings=settings or Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool),
                      clock=lambda: now)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    return result.data


async def street(cmds: UseCases, prefix: str = "320508021") -> dict[str, UUID]:
    """A district and one street (division code ``prefix`` + 000)."""
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    s = (await cmds.establish_organization(req(), K.STREET_WORKING_COMMITTEE, "双塔街道党工委", district,
                                           prefix + "000")).id
    return {"district": district, "street": s}


async def community(cmds: UseCases, street_id: UUID, name: str, code: str) -> UUID:
    return (await cmds.establish_organization(req(), OrganizationKind.COMMUNITY_COMMITTEE, name, street_id,
                                              code)).id


async def service_fund(cmds: UseCases, org: UUID, *allocations: tuple[str, AllocationSource],
                       year: int = 2026, kind: FundKind = FundKind.SERVICE_FUND) -> UUID:
    fund = (await cmds.open_fund(fin(), org, year, kind)).id
    for n, (amount, source) in enumerate(allocations, 1):
        await cmds.allocate_funds(fin(), fund, amount, source, date(year, 1, 10), f"拨款{n}号")
    return fund


async def approved(cmds: UseCases, fund: UUID, amount: str, title: str = "助餐点",
                   category: SpendingCategory = SpendingCategory.PUBLIC_SERVICE) -> UUID:
    out = await cmds.propose_project(fin(), fund, category, title, amount, "为居民服务", "居民")
    pid = UUID(out.extra["project_id"])
    await cmds.record_project_decision(fin(), fund, pid, date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
    await cmds.approve_project(req(), fund, pid)
    return pid

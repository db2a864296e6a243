"""``grassroots demo``: a small demo district to explore, with a year of fund activity.

Everything goes through the real command handlers, so the log holds exactly what a
district would have recorded: who did what, when and why. Figures follow DOMAIN.md:
a street with four communities, each with a service fund of at least the yearly
minimum, projects paid through the year, a reversal and an inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg

from api.areas import DOMAIN_AREAS
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.funds.commands import (
    AcceptProject,
    AllocateFunds,
    ApproveProject,
    OpenFund,
    ProposeProject,
    PublishProjectDisclosure,
    RecordPayment,
    RecordProjectDecision,
    ReversePayment,
)
from domain.funds.disclosure import RecordFundDisclosure
from domain.inspections.aggregate import Severity
from domain.inspections.commands import OpenInspection, RecordInspectionFinding
from domain.organizations.aggregate import OrganizationKind as K
from domain.organizations.commands import EstablishOrganization
from domain.organizations.directory import AggregateDirectory
from domain.shared.area import build_handling
from domain.shared.commands import Command, Outcome, Request
from domain.shared.errors import AlreadyExists
from domain.shared.permissions import Actor, Role
from eventstore.postgres import PostgresEventStore

ADMIN = Actor("demo-district-admin", "区委组织部 王主任", frozenset({Role.DISTRICT_ADMIN}), None)
COMMUNITIES = (
    ("平江新村社区党委", "320508019001", K.COMMUNITY_COMMITTEE),
    ("钮家巷社区党支部", "320508019002", K.COMMUNITY_BRANCH),
    ("大儒巷社区党总支", "320508019003", K.COMMUNITY_GENERAL_BRANCH),
    ("菉葭巷社区党委", "320508019004", K.COMMUNITY_COMMITTEE),
)
PROJECTS = (
    (SpendingCategory.PUBLIC_SERVICE, "老年助餐点", "为独居老人提供午餐", "独居老人 42 人", "36000.00"),
    (SpendingCategory.PARTY_BUILDING, "红色微党课", "党课教材与场地布置", "党员 320 人", "12000.00"),
    (SpendingCategory.SELF_GOVERNANCE, "楼道议事会", "议事会物料与公示栏", "居民 1,200 户", "8000.00"),
    (SpendingCategory.OTHER_SERVICE, "暑期托管班", "志愿者交通与餐费", "学龄儿童 60 人", "15000.00"),
)


@dataclass
class DemoResult:
    """What the demo created."""

    district: UUID
    street: UUID
    communities: list[UUID]
    funds: list[UUID]


async def load_demo(pool: asyncpg.Pool, today: date | None = None) -> DemoResult:
    """Create the demo district; raises AlreadyExists if it was loaded before."""
    today = today or datetime.now(UTC).date()
    year = today.year
    store = PostgresEventStore(pool)
    handling = build_handling(DOMAIN_AREAS, store, AggregateDirectory(store), lambda: datetime.now(UTC))

    async def run(command: Command, actor: Actor = ADMIN) -> Outcome:
        return await handling.run(command, Request(actor, uuid4()))

    if await pool.fetchval("SELECT true FROM claims WHERE scope = 'organization.code' AND key = $1",
                           "320508019000"):
        raise AlreadyExists("the demo district is already loaded")
    district = (await run(EstablishOrganization(K.DISTRICT_COMMITTEE, "姑苏区委", None))).id
    street = (await run(EstablishOrganization(
        K.STREET_WORKING_COMMITTEE, "平江街道党工委", district, "320508019000"))).id
    street_admin = Actor("demo-street-admin", "平江街道 李书记", frozenset({Role.STREET_ADMIN}), street)
    communities, funds = [], []
    for n, (name, code, kind) in enumerate(COMMUNITIES):
        community = (await run(EstablishOrganization(kind, name, street, code))).id
        communities.append(community)
        finance = Actor(f"demo-finance-{n + 1}", f"{name} 财务", frozenset({Role.FINANCE_OFFICER}),
                        community)
        fund = (await run(OpenFund(community, year, FundKind.SERVICE_FUND), finance)).id
        funds.append(fund)
        # The last community gets less than the minimum: something for the compliance query.
        budget = "90000.00" if n == len(COMMUNITIES) - 1 else "120000.00"
        await run(AllocateFunds(fund, budget, AllocationSource.FISCAL_BUDGET, date(year, 1, 15),
                                f"苏财〔{year}〕{3 + n}号"), finance)
        if date(year, 7, 10) <= today:
            await run(AllocateFunds(fund, "20000.00", AllocationSource.DUES_ALLOCATION, date(year, 7, 10),
                                    f"党费〔{year}〕{7 + n}号"), finance)
        for m, (category, title, purpose, who, amount) in enumerate(PROJECTS):
            start = date(year, 2 + 2 * m, 10)
            if start > today:
                break
            out = await run(ProposeProject(fund, category, title, amount, purpose, who), finance)
            pid = UUID(out.extra["project_id"])
            await run(RecordProjectDecision(fund, pid, start, ("党委书记", "副书记", "纪检委员", "居民代表"),
                                            "一致同意"), finance)
            await run(ApproveProject(fund, pid), street_admin)
            half = (Decimal(amount) / 2).quantize(Decimal("0.01"))
            for k in range(2):
                paid_on = min(start + timedelta(days=20 + 30 * k), today)
                await run(RecordPayment(fund, pid, str(half), paid_on, "苏州平江服务有限公司",
                                        f"PZ-{year}-{n}{m}{k}"), finance)
                if n == 1 and m == 0 and k == 0:
                    # A payment entered twice by mistake, reversed by a new event.
                    dup = await run(RecordPayment(fund, pid, "100.00", paid_on, "苏州平江服务有限公司",
                                                  f"PZ-{year}-{n}{m}{k}-dup"), finance)
                    await run(ReversePayment(fund, UUID(dup.extra["payment_id"]), "重复录入凭证", paid_on),
                              finance)
            accepted = min(start + timedelta(days=60), today)
            await run(AcceptProject(fund, pid, accepted), finance)
            if m % 2 == 0:
                await run(PublishProjectDisclosure(fund, pid, f"{title} 支出 {amount} 元，已验收", accepted),
                          finance)
        if date(year, 7, 1) <= today:
            # The first half-year's table posted on the notice board (公示), its digest recorded:
            # `grassroots fund disclosure <fund> --period <year>-H1` renders the sheet.
            await run(RecordFundDisclosure(fund, f"{year}-H1", min(date(year, 7, 5), today), "社区公示栏"), finance)
    insp = (await run(OpenInspection(f"{year} 年为民服务专项经费督查", organization_id=street))).id
    await run(RecordInspectionFinding(insp, "项目公示未按期张贴", Severity.MINOR))
    return DemoResult(district, street, communities, funds)

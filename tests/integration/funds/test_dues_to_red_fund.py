"""Dues from members to a red fund on real PostgreSQL, through GraphQL and the real wiring
(``api.bootstrap``: the collection figure from the ``dues`` read model): members pay their
dues at a grid branch, the branch remits them to its community and the community to the
street, the street allocates them to its red fund, where they show as DUES_ALLOCATION;
dues money then pays for training and refuses office furniture, naming the rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from api import bootstrap
from api.areas import PROJECTIONS
from api.config import Settings
from api.export import Selection, csv_lines, jsonl_lines
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.funds.aggregate import FundKind, SpendingCategory
from domain.funds.dues_account import dues_account_id
from domain.members.dues import DuesCategory
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from projections.runtime.supervisor import Supervisor
from tests.integration.support import commands, register, req

SETTINGS = Settings()
NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


def who(role: Role, scope: UUID | None, subject: str) -> Actor:
    return Actor(subject=subject, name=subject, roles=frozenset({role}), scope=scope)


@pytest.fixture
async def supervisor(dsn: str, pool: asyncpg.Pool) -> AsyncIterator[Supervisor]:
    running = Supervisor(dsn, pool, PROJECTIONS)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def gql(pool: asyncpg.Pool, supervisor: Supervisor, actor: Actor, document: str, **variables: Any) -> Any:
    clock = lambda: NOW  # noqa: E731
    context = Context(actor=actor, pool=pool, commands=bootstrap.handling(SETTINGS, pool, clock),
                      supervisor=supervisor, settings=SETTINGS, correlation_id=uuid4(), loaders=Loaders(pool),
                      clock=clock)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    (data,) = result.data.values()  # type: ignore[union-attr]
    return data


async def settled(pool: asyncpg.Pool, supervisor: Supervisor) -> None:
    head = await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
    assert await supervisor.wait_for(head, 10) >= head


REMIT = """mutation($o: ID!, $amount: Money!, $doc: String!) {
  remitDues(input: {organizationId: $o, year: 2026, months: [3], amount: $amount, documentNo: $doc}) {
    __typename ... on Error { code message }
    ... on RemittancePayload { account { remitted held } toAccount { received held } } } }"""

ALLOCATE = """mutation($o: ID!, $f: ID!, $amount: Money!) {
  allocateDuesToRedFund(input: {fromOrganizationId: $o, fundId: $f, amount: $amount, allocatedOn: "2026-03-09",
                                documentNo: "金街〔2026〕党费 3 号"}) {
    __typename ... on Error { code message }
    ... on DuesAllocationPayload { account { allocated held } fund { balance duesAvailable } } } }"""

PAY = """mutation($p: ID!, $use: PaymentUse!, $voucher: String!) {
  recordPayment(input: {projectId: $p, amount: "120.00", paidOn: "2026-03-10", payee: "金阊党校",
                        voucherNo: $voucher, use: $use}) {
    __typename ... on Error { code message }
    ... on ProjectPayload { fund { balance duesAvailable } } } }"""


async def test_members_dues_reach_the_red_fund_and_pay_only_for_their_uses(
        pool: asyncpg.Pool, supervisor: Supervisor) -> None:
    cmds = commands(pool, lambda: NOW)
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    street = (await cmds.establish_organization(req(), K.STREET_WORKING_COMMITTEE, "金阊街道党工委", district,
                                                "320508022000")).id
    community = (await cmds.establish_organization(req(), K.COMMUNITY_COMMITTEE, "彩香社区党委", street,
                                                   "320508022004")).id
    branch = (await cmds.establish_organization(req(), K.GRID_BRANCH, "彩香一网格党支部", community)).id
    # Two members, paid through February: March's dues, 120.00 and 150.00 for three months.
    for name, prefix, income, months, amount in (("沈佳怡", "32050819790412011", "8000.00", 1, "120.00"),
                                                 ("顾明", "32050819790412012", "5000.00", 3, "150.00")):
        member = (await register(cmds, branch, name, prefix)).id
        await cmds.assess_member_dues(req(), member, 2026, DuesCategory.EMPLOYED, income)
        await cmds.record_dues_payment(req(), member, months, amount, date(2026, 3, 5))
    street_finance = who(Role.FINANCE_OFFICER, street, "finance-street")
    red = (await cmds.open_fund(Request(street_finance, uuid4()), street, 2026, FundKind.RED_FUND)).id
    await settled(pool, supervisor)

    branch_finance = who(Role.FINANCE_OFFICER, branch, "finance-branch")
    over = await gql(pool, supervisor, branch_finance, REMIT, o=str(branch), amount="270.01", doc="彩一〔2026〕1号")
    assert (over["__typename"], over["code"]) == ("DuesNotAvailable", "DUES_NOT_AVAILABLE"), over
    assert "collected 270.00" in over["message"]
    up = await gql(pool, supervisor, branch_finance, REMIT, o=str(branch), amount="270.00", doc="彩一〔2026〕1号")
    # The community's account lies outside the branch's scope.
    assert (up["account"], up["toAccount"]) == ({"remitted": "270.00", "held": "0.00"}, None), up
    community_finance = who(Role.FINANCE_OFFICER, community, "finance-community")
    up = await gql(pool, supervisor, community_finance, REMIT, o=str(community), amount="270.00", doc="彩社〔2026〕2号")
    assert up["account"] == {"remitted": "270.00", "held": "0.00"}, up

    out = await gql(pool, supervisor, street_finance, ALLOCATE, o=str(street), f=str(red), amount="200.00")
    assert out == {"__typename": "DuesAllocationPayload", "account": {"allocated": "200.00", "held": "70.00"},
                   "fund": {"balance": "200.00", "duesAvailable": "200.00"}}, out
    totals = await gql(pool, supervisor, who(Role.AUDITOR, district, "auditor"), """query($o: ID!) {
        redFund(organizationId: $o) { years { year sources { source amount } } } }""", o=str(street))
    (year,) = totals["years"]
    assert (year["year"], year["sources"][0]) == (2026, {"source": "DUES_ALLOCATION", "amount": "200.00"})
    assert {s["amount"] for s in year["sources"][1:]} == {"0.00"}
    account = await gql(pool, supervisor, who(Role.AUDITOR, district, "auditor"), """query($o: ID!) {
        duesAccount(organizationId: $o, year: 2026) { collected received remitted allocated held
          entries { entry amount months fundId documentNo } } }""", o=str(street))
    assert account == {"collected": "0.00", "received": "270.00", "remitted": "0.00", "allocated": "200.00",
                       "held": "70.00", "entries": [
                           {"entry": "RECEIVED", "amount": "270.00", "months": [3], "fundId": None,
                            "documentNo": "彩社〔2026〕2号"},
                           {"entry": "ALLOCATED", "amount": "200.00", "months": None, "fundId": str(red),
                            "documentNo": "金街〔2026〕党费 3 号"}]}
    by_month = await gql(pool, supervisor, branch_finance, """query($o: ID!) {
        duesAccount(organizationId: $o, year: 2026) { collectedByMonth { month amount members } } }""", o=str(branch))
    assert by_month["collectedByMonth"] == [{"month": "2026-03-01", "amount": "270.00", "members": 2}]

    # The red fund holds dues money only: a project paying from it pays from dues.
    proposed = await cmds.propose_project(Request(street_finance, uuid4()), red, SpendingCategory.PARTY_BUILDING,
                                          "党员学习室", "200.00", "党员冬训与学习室", "党员 60 人")
    project = UUID(proposed.extra["project_id"])
    await cmds.record_project_decision(Request(street_finance, uuid4()), red, project, date(2026, 3, 9),
                                       ("王书记", "李委员", "张委员"), "同意")
    await cmds.approve_project(Request(who(Role.DISTRICT_ADMIN, district, "district-admin"), uuid4()), red, project)
    await settled(pool, supervisor)
    furniture = await gql(pool, supervisor, street_finance, PAY, p=str(project), use="OFFICE_EQUIPMENT", voucher="PZ-1")
    assert (furniture["__typename"], furniture["code"]) == ("DuesMoneyRestricted", "DUES_MONEY_RESTRICTED")
    assert "rule dues-money-uses (党费使用范围)" in furniture["message"] and "OFFICE_EQUIPMENT" in furniture["message"]
    training = await gql(pool, supervisor, street_finance, PAY, p=str(project), use="TRAINING", voucher="PZ-1")
    assert training == {"__typename": "ProjectPayload", "fund": {"balance": "80.00", "duesAvailable": "80.00"}}

    # The subtree's evidence export holds the dues accounts' streams whole, beside the funds'.
    async with pool.acquire() as conn:
        streams = set(await Selection(organization_id=street).streams(conn))
        evidence = [line async for line in jsonl_lines(conn, Selection(organization_id=street))]
        table = "".join([line async for line in csv_lines(conn, Selection(organization_id=street))])
    assert {red, *(dues_account_id(o, 2026) for o in (street, community, branch))} <= streams
    for event_type in ("DuesAccount.Remitted", "DuesAccount.RemittanceReceived", "DuesAccount.AllocatedToRedFund"):
        assert any(event_type in line for line in evidence) and event_type in table, event_type

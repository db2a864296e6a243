"""Dues and the six-month review on real PostgreSQL: the read models (``members``, ``dues``),
the collection totals, masking of the declared income, and the review flag as of a clock.

The commands run with the clock at 1 March 2026; the queries run with clocks of their own
(the review is computed when read, from the evidence the events left in the read model).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.members.dues import ActivityKind, DuesCategory
from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import Actor, Role
from projections.runtime.rebuild import rebuild
from tests.integration.support import catch_up, commands, register, req

SETTINGS = Settings()


class Settled:
    """The supervisor's one duty for a query: the position the read models reflect."""

    async def position(self) -> int:
        return 0


async def query(pool: asyncpg.Pool, actor: Actor, document: str, today: date, **variables: Any) -> Any:
    clock = lambda: datetime(today.year, today.month, today.day, 9, tzinfo=UTC)  # noqa: E731
    context = Context(actor=actor, pool=pool, commands=None, supervisor=Settled(), settings=SETTINGS,  # type: ignore[arg-type]
                      correlation_id=uuid4(), loaders=Loaders(pool), clock=clock)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    return result.data


def who(role: Role, scope: UUID | None = None) -> Actor:
    return Actor(subject=role.value, name=role.value, roles=frozenset({role}), scope=scope)


async def tree(pool: asyncpg.Pool) -> tuple[Any, UUID, UUID, UUID]:
    cmds = commands(pool)
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    street = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "金阊街道党工委", district, "320508022000")).id
    community = (await cmds.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "彩香社区党委", street, "320508022004")).id
    branch = (await cmds.establish_organization(req(), K.GRID_BRANCH, "彩香一网格党支部", community)).id
    return cmds, street, community, branch


async def settled(dsn: str) -> None:
    for name in ("organizations", "members", "dues"):
        await catch_up(dsn, PROJECTIONS[name])


MEMBER = """query($id: ID!) { member(id: $id) { duesPaidThrough dues { paidThrough lastPaidOn
  years { year category declaredIncome assessedAmount basis reducedTo monthlyAmount
          pendingReduction { monthlyAmount decisionReference } }
  payments(year: 2026) { paidOn firstMonth throughMonth months amount lateReason } } } }"""


async def test_dues_read_back_with_the_income_masked_for_readers_without_need(dsn: str, pool: asyncpg.Pool) -> None:
    cmds, street, community, branch = await tree(pool)
    member = (await register(cmds, branch, "沈佳怡", "32050819790412011")).id  # paid through February 2026
    await cmds.assess_member_dues(req(), member, 2026, DuesCategory.EMPLOYED, "8000.00")
    await cmds.record_dues_payment(req(), member, 3, "360.00", date(2026, 3, 1))
    await cmds.propose_dues_reduction(req(), member, 2026, "60.00", date(2026, 3, 1), "彩香一网格〔2026〕2号", "减薪")
    await settled(dsn)

    admin = await query(pool, who(Role.COMMUNITY_SECRETARY, community), MEMBER, date(2026, 3, 1), id=str(member))
    dues = admin["member"]["dues"]
    assert admin["member"]["duesPaidThrough"] == dues["paidThrough"] == "2026-05-01"
    assert dues["lastPaidOn"] == "2026-03-01"
    assert dues["years"] == [{"year": 2026, "category": "EMPLOYED", "declaredIncome": "8000.00",
                              "assessedAmount": "120.00", "basis": "1.5% of 8000.00", "reducedTo": None,
                              "monthlyAmount": "120.00",
                              "pendingReduction": {"monthlyAmount": "60.00",
                                                   "decisionReference": "彩香一网格〔2026〕2号"}}]
    assert dues["payments"] == [{"paidOn": "2026-03-01", "firstMonth": "2026-03-01", "throughMonth": "2026-05-01",
                                 "months": 3, "amount": "360.00", "lateReason": None}]
    auditor = await query(pool, who(Role.AUDITOR, street), MEMBER, date(2026, 3, 1), id=str(member))
    assert set(auditor["member"]["dues"]["years"][0]["declaredIncome"]) == {"*"}  # none of it shows
    assert auditor["member"]["dues"]["years"][0]["monthlyAmount"] == "120.00"

    sealed = await pool.fetchval("SELECT payload->'declared_income' FROM events WHERE event_type ="
                                 " 'Member.DuesAssessed' AND stream_id = $1", member)
    assert "8000" not in sealed  # the log holds only ciphertext

    await cmds.erase_member_personal_data(req(), member, "依本人申请")
    await settled(dsn)
    erased = await query(pool, who(Role.DISTRICT_ADMIN), MEMBER, date(2026, 3, 1), id=str(member))
    assert erased["member"]["dues"]["years"][0]["declaredIncome"] is None


COLLECTION = """query($o: ID!, $subtree: Boolean!) { duesCollection(organizationId: $o, year: 2026, subtree: $subtree)
  { month amount payments members } }"""


async def test_collection_totals_per_organization_and_month(dsn: str, pool: asyncpg.Pool) -> None:
    cmds, _, community, branch = await tree(pool)
    a = (await register(cmds, branch, "陆文静", "32050819790412022")).id
    b = (await register(cmds, community, "顾建平", "32050819790412033")).id
    for member, income in ((a, "4000.00"), (b, "12000.00")):
        await cmds.assess_member_dues(req(), member, 2026, DuesCategory.EMPLOYED, income)
    await cmds.record_dues_payment(req(), a, 1, "40.00", date(2026, 2, 27))
    await cmds.record_dues_payment(req(), a, 1, "40.00", date(2026, 3, 1))
    await cmds.record_dues_payment(req(), b, 3, "720.00", date(2026, 3, 1))
    await settled(dsn)
    secretary = who(Role.COMMUNITY_SECRETARY, community)
    whole = await query(pool, secretary, COLLECTION, date(2026, 3, 1), o=str(community), subtree=True)
    assert whole["duesCollection"] == [
        {"month": "2026-02-01", "amount": "40.00", "payments": 1, "members": 1},
        {"month": "2026-03-01", "amount": "760.00", "payments": 2, "members": 2}]
    own = await query(pool, secretary, COLLECTION, date(2026, 3, 1), o=str(community), subtree=False)
    assert own["duesCollection"] == [{"month": "2026-03-01", "amount": "720.00", "payments": 1, "members": 1}]
    outside = await query(pool, who(Role.COMMUNITY_SECRETARY, branch), COLLECTION, date(2026, 3, 1),
                          o=str(community), subtree=True)
    assert outside["duesCollection"] == []

    before = await pool.fetch("SELECT * FROM dues_payments ORDER BY position")
    await rebuild(dsn, PROJECTIONS["dues"])
    assert await pool.fetch("SELECT * FROM dues_payments ORDER BY position") == before


FLAGGED = """query($b: ID!) { members(filter: {within: $b, flaggedForReview: true}) { edges { node { name
  reviewFlag { inactiveSince months lastPartyLifeOn lastAssignedWorkOn lastDuesPaidOn duesPaidThrough } } } } }"""


async def test_six_months_without_party_life_dues_or_work_raise_the_review_flag(
        dsn: str, pool: asyncpg.Pool) -> None:
    cmds, _, _, branch = await tree(pool)
    idle = (await register(cmds, branch, "钱志明", "32050819790412044")).id  # paid through February 2026
    attends = (await register(cmds, branch, "许丽萍", "32050819790412055")).id
    await cmds.record_member_activity(req(), attends, ActivityKind.PARTY_LIFE, date(2026, 2, 27), "二月主题党日")
    works = (await register(cmds, branch, "何建军", "32050819790412066")).id
    await cmds.record_member_activity(req(), works, ActivityKind.ASSIGNED_WORK, date(2026, 3, 1), "入户走访")
    await settled(dsn)
    secretary = who(Role.COMMUNITY_SECRETARY, branch)

    # August 2026: March to July, five full months since February: nobody yet.
    assert (await query(pool, secretary, FLAGGED, date(2026, 8, 31), b=str(branch)))["members"]["edges"] == []
    # September: six full months (March to August) without evidence for the idle member and
    # the one who attended in February; the one who worked in March keeps a month.
    flagged = await query(pool, secretary, FLAGGED, date(2026, 9, 1), b=str(branch))
    assert {e["node"]["name"]: e["node"]["reviewFlag"] for e in flagged["members"]["edges"]} == {
        "钱志明": {"inactiveSince": "2026-03-01", "months": 6, "lastPartyLifeOn": None, "lastAssignedWorkOn": None,
                "lastDuesPaidOn": None, "duesPaidThrough": "2026-02-01"},
        "许丽萍": {"inactiveSince": "2026-03-01", "months": 6, "lastPartyLifeOn": "2026-02-27",
                "lastAssignedWorkOn": None, "lastDuesPaidOn": None, "duesPaidThrough": "2026-02-01"}}

    # A dues payment is evidence too; the flag never removes anyone: the member stays.
    await cmds.assess_member_dues(req(), idle, 2026, DuesCategory.RETIRED, "3000.00")
    await cmds.record_dues_payment(req(), idle, 1, "15.00", date(2026, 3, 1))
    await settled(dsn)
    flagged = await query(pool, secretary, FLAGGED, date(2026, 9, 1), b=str(branch))
    assert [e["node"]["name"] for e in flagged["members"]["edges"]] == ["许丽萍"]
    assert await pool.fetchval("SELECT exit_kind FROM members WHERE id = $1", idle) is None

"""Mutations cost a fixed, small number of statements on the request path.

Each mutation of the schema is run through the real schema with the real command
handling on a pool of one connection that logs every statement it sends (the read
models run on their own connections, as in the server). Each runs twice: once to warm
the connection's prepared-statement cache, then a distinct but equivalent change (a
second member, a second payment, ...) whose statements are counted. The counts are
pinned exactly in ``EXPECTED`` so that a second read of a stream, or a lookup the
handler does not need, shows up as a failure (and a saving as a reminder to lower the
pin); the statements are in the assertion message. A mutation added to the schema
without a pinned count fails ``test_every_mutation_is_pinned``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from graphql import GraphQLObjectType, GraphQLUnionType, get_named_type

from api import bootstrap
from api.areas import PROJECTIONS
from api.config import IntegritySettings, Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from api.signing import signing_key
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.grids.aggregate import StaffRole
from domain.inspections.aggregate import Severity
from domain.members.aggregate import TransferScope
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from eventstore.db import create_pool
from eventstore.integrity.hasher import checkpoint_now
from projections.runtime.supervisor import Supervisor
from tests.integration.funds.disclosure_statements import DISCLOSURE_CASES, DISCLOSURE_EXPECTED
from tests.integration.funds.plan_statements import PLAN_CASES, PLAN_EXPECTED
from tests.integration.grids.statements import GRID_CASES, GRID_EXPECTED
from tests.integration.members.engagement_statements import ENGAGEMENT_CASES, ENGAGEMENT_EXPECTED
from tests.integration.members.statements import DUES_CASES, DUES_EXPECTED
from tests.integration.members.transfer_statements import TRANSFER_CASES, TRANSFER_EXPECTED
from tests.integration.requests.statements import REQUEST_CASES, REQUEST_EXPECTED
from tests.integration.shops.statements import SHOP_CASES, SHOP_EXPECTED
from tests.integration.support import FINANCE, build_world, commands, id_number, register, req
from tests.usecases import UseCases

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ADMIN = Actor(subject="counted-admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
FINANCE_OFFICER = Actor(subject="counted-finance", name="财务", roles=frozenset({Role.FINANCE_OFFICER}),
                        scope=None)
SETTINGS = Settings(integrity=IntegritySettings(signing_key="11" * 32))
"""A fixed checkpoint key, so that no key file is generated into the data directory."""


def _mutation_root() -> GraphQLObjectType:
    root = schema._schema.mutation_type
    assert root is not None
    return root


MUTATIONS = list(_mutation_root().fields)
"""Every mutation of the schema, by its GraphQL name."""

# The statements each mutation sends on a warm connection, as measured on the second
# run (without an idempotency key; a key adds its recall before the handler runs).
# "stream" is an aggregate's events, read to decide; "path" an organization's path in
# the read model, for authorization; "append" the one call that writes the events;
# "row" a read-model row for the payload (for members and transfers also the
# organization that decides whether the payload is within your scope).
EXPECTED: dict[str, int] = {
    # the parent's path, the parent's stream (its kind, not dissolved), append, row
    "establishOrganization": 4,
    # path, stream, append, row
    "renameOrganization": 4,
    # the path and stream of both the organization and its new parent, append, row
    "moveOrganization": 6,
    # path, stream, append, row
    "dissolveOrganization": 4,
    # the home's path and stream (not dissolved), append, member row and home row
    "registerMember": 5,
    # member stream, home path, append, member row and home row
    "correctMemberDetails": 5,
    # member stream, home path, append, member row and home row
    "convertMemberToFull": 5,
    # member stream, home path, append (which destroys the member's keys), member row and home row
    "eraseMemberPersonalData": 5,
    # member stream, home path, append (which releases the home claim), member row and home row
    "recordMemberDeath": 5,
    "recordMemberWithdrawal": 5,
    "expelMember": 5,
    # member stream, home path, append, member row and home row
    "proposeMemberRemoval": 5,
    # member stream, home path (from strictly above it), append, member row and home row
    "approveMemberRemoval": 5,
    "rejectMemberRemoval": 5,
    # member stream, home path, the home's stream (its division code, for the scope), the
    # target's stream, append, transfer row and its organization
    "requestMemberTransfer": 7,
    # the transfer row (its member), member stream, home path, the issuer's letter
    # register (its stream: the next serial), append, transfer row and its organization
    "issueTransferLetter": 7,
    # as for the first letter: the transfer row (its member), member stream, home path, the
    # issuer's letter register, append, transfer row and its organization
    "reissueTransferLetter": 7,
    # the transfer row (its member), member stream, the receiver's path and stream (not
    # dissolved), append, transfer row and its organization
    "acceptMemberTransfer": 7,
    # the transfer row (its member), member stream, the receiver's path, append, transfer
    # row and its organization
    "returnMemberTransfer": 6,
    # the transfer row (its member), member stream, home path, append, transfer row and
    # its organization
    "withdrawMemberTransfer": 6,
    # the transfer row (its member), member stream, home path, append, transfer row and
    # its organization
    "expireMemberTransfer": 6,
    # the transfer row (its member), member stream, home path, append, transfer row and
    # its organization
    "confirmTransferReceipt": 6,
    # the organization's path and stream (not dissolved), the fund's stream (its id comes
    # from organization, year and kind: one of each), append, fund row
    "openFund": 5,
    # fund stream, path, append, fund row
    "allocateFunds": 4,
    # fund stream, path, next year's fund stream, append (both streams at once), fund row
    "closeFiscalYear": 5,
    # red fund stream, path, receiving fund stream, its path (the subtree rule), append
    # (both streams at once), red fund row
    "grantFromRedFund": 6,
    # path, the sender's and the receiver's dues accounts, what the sender collected (dues_payments),
    # append (both accounts at once), the sender's organization (the read rule) and account (one statement)
    "remitDues": 7,
    # path, red fund stream, its path (the subtree rule), the dues account, what was collected,
    # append (account and fund at once), fund row
    "allocateDuesToRedFund": 7,
    # fund stream, path, append, project row
    "proposeProject": 4,
    # the project's fund (projects row), fund stream, path, append, project row
    "recordProjectDecision": 5,
    # the project's fund (projects row), fund stream, path, append, project row
    "approveProject": 5,
    # the project's fund (projects row), fund stream, path, append, project row
    "rejectProject": 5,
    # the project's fund (projects row), fund stream, path, append, project row
    "cancelProject": 5,
    # the project's fund (projects row), fund stream, path, append, project row
    "recordPayment": 5,
    # fund stream (the input names the fund), path, append, project row
    "reversePayment": 4,
    # the project's fund (projects row), fund stream, path, append, project row
    "acceptProject": 5,
    # the project's fund (projects row), fund stream, path, append, project row
    "publishProjectDisclosure": 5,
    # fund stream (its organization), path, the organization's stream, append, row
    "openInspection": 5,
    # inspection stream, path, the cited fund's stream, that fund's organization's path
    # (inside the inspected one?), append, row
    "recordInspectionFinding": 6,
    # inspection stream, path, append, row
    "recordRectification": 4,
    # inspection stream, path, append, row
    "verifyRectification": 4,
    # inspection stream, path, append, row
    "rejectRectification": 4,
    # inspection stream, path, append, row
    "closeInspection": 4,
    # path, the log's head (startAfter: from now on), the secret, append, row
    "registerWebhook": 5,
    # webhook stream, path, append, row
    "pauseWebhook": 4,
    # webhook stream, path, append, row
    "resumeWebhook": 4,
    # webhook stream, path, append, row (the secret goes with the removal's projection)
    "removeWebhook": 4,
    # the community's path and stream (a community, not dissolved), append, grid row
    "registerGrid": 4,
    # grid stream, path, append, grid row
    "updateGridDetails": 4,
    # grid stream, path, append, grid row
    "retireGrid": 4,
    # grid stream, path, append, grid row
    "appointGridStaff": 4,
    # grid stream, path, append, grid row
    "replaceGridStaff": 4,
    # grid stream, path, append, grid row
    "removeGridStaff": 4,
    # grid stream, path, append, a row per new grid (2) and the retired one
    "splitGrid": 6,
    # each grid's stream and path (2 × 2), append, the new grid's row and the two retired ones
    "mergeGrids": 8,
    # grid stream, path, the target's path and stream, append, the new row and the retired one
    "moveGrid": 7,
    # grid stream, path, the branch's stream (a GRID_BRANCH of the grid's community), append, grid row
    "linkGridBranch": 5,
    # grid stream, path, append, grid row
    "unlinkGridBranch": 4,
    # grid stream, path, the other grid's stream, append (both grids), grid row
    "reassignGridBuilding": 5,
    # grid stream, path, append, grid row
    "correctGridCode": 4,
    # BEGIN, the hasher's tree size (locked), the root's nodes, the last leaf's
    # position, the checkpoint, COMMIT (nothing waits for or runs the hasher)
    "recordCheckpoint": 6,
}
EXPECTED.update(SHOP_EXPECTED)  # the shops area pins its own (tests/integration/shops/statements.py)
EXPECTED.update(DUES_EXPECTED)  # and the members area its dues' (tests/integration/members/statements.py)
EXPECTED.update(ENGAGEMENT_EXPECTED)  # and its mobile cards', reports', hours' and appraisals'
EXPECTED.update(GRID_EXPECTED)  # and the grids area its residences' and households' (tests/integration/grids)
EXPECTED.update(REQUEST_EXPECTED)  # and the requests area its own (tests/integration/requests/statements.py)
EXPECTED.update(TRANSFER_EXPECTED)  # and its transfers' and Party life's (transfer_statements.py)
EXPECTED.update(PLAN_EXPECTED)  # and the funds area its plans' and reports' (tests/integration/funds)
EXPECTED.update(DISCLOSURE_EXPECTED)  # and its period disclosure's (disclosure_statements.py)


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


async def _mutate(c: Counted, supervisor: Supervisor, actor: Actor, query: str,
                  clock: Callable[[], datetime] = lambda: NOW) -> dict[str, Any]:
    context = Context(actor=actor, pool=c.pool, commands=bootstrap.handling(SETTINGS, c.pool, clock),
                      supervisor=supervisor, settings=SETTINGS, correlation_id=uuid.uuid4(),
                      loaders=Loaders(c.pool), clock=clock)
    result = await schema.execute(query, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    (payload,) = result.data.values()
    assert "code" not in payload, payload
    return payload  # type: ignore[no-any-return]


async def _settled(supervisor: Supervisor, pool: asyncpg.Pool) -> None:
    head = await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
    assert await supervisor.wait_for(head, 10) >= head


# -- the documents ----------------------------------------------------------------------

SELECTIONS = {
    "OrganizationPayload": "organization { id name status }",
    "MemberPayload": "member { id name standing }",
    "TransferPayload": "transfer { id state }",
    "FundPayload": "fund { id status allocated balance }",
    "GrantPayload": "grantId fund { id status allocated balance }",
    "RemittancePayload": "remittanceId account { remitted held }",
    "DuesAllocationPayload": "allocationId fund { id allocated duesAvailable }",
    "ProjectPayload": "paymentId project { id state paid }",
    "InspectionPayload": "findingId inspection { id state }",
    "WebhookRegistration": "secret webhook { id status }",
    "WebhookPayload": "webhook { id status }",
    "CheckpointPayload": "position checkpoint { id treeSize }",
    "GridPayload": "assignmentId grid { id code status understaffed }",
    "RedrawingPayload": "grids { id code } retired { id status } staff { assignmentId newAssignmentId }",
}
"""What each payload asks for: the changed object's own fields, nothing nested."""


@dataclass(frozen=True)
class Bare:
    """A GraphQL enum value in ``doc``'s input, written bare rather than quoted."""

    name: str


def _payload_type(mutation: str) -> str:
    result = get_named_type(_mutation_root().fields[mutation].type)  # the result union
    assert isinstance(result, GraphQLUnionType), result
    return str(result.types[0].name)


def doc(mutation: str, **fields: Any) -> str:
    """The mutation with ``fields`` as its input, asking for its payload's own fields."""
    def literal(value: Any) -> str:
        if isinstance(value, Bare):
            return value.name
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, list | tuple):
            return "[" + ", ".join(literal(v) for v in value) + "]"
        return '"' + str(value) + '"'

    args = ", ".join(f"{k}: {literal(v)}" for k, v in fields.items())
    payload = _payload_type(mutation)
    return (f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename "
            f"... on {payload} {{ {SELECTIONS[payload]} }} ... on Error {{ code message }} }} }}")


# -- the cases: the world each mutation needs, and its two runs --------------------------


@dataclass
class Case:
    actor: Actor
    warm: str
    """The first run: warms the connection's statement cache (not counted)."""
    measured: str
    """The second run: a distinct but equivalent change, counted."""
    done: Callable[[dict[str, Any]], bool]
    """Whether the measured payload shows the change."""
    clock: Callable[[], datetime] = lambda: NOW


Setup = Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Case]]
CASES: dict[str, Setup] = {}


def case(mutation: str) -> Callable[[Setup], Setup]:
    def add(setup: Setup) -> Setup:
        assert mutation not in CASES, f"two cases for {mutation}"
        CASES[mutation] = setup
        return setup
    return add


def fin() -> Request:
    return Request(FINANCE, uuid.uuid4())


async def _members(cmds: UseCases, home: uuid.UUID, n: int = 2) -> list[uuid.UUID]:
    names = ["陈静", "刘洋", "周敏", "吴磊"]
    return [(await register(cmds, home, names[i], f"3205081985010{i + 1:02d}00")).id for i in range(n)]


async def _transfers(cmds: UseCases, ids: dict[str, uuid.UUID], stage: str) -> list[uuid.UUID]:
    """Two transfers of new members from west to east, taken to ``stage``."""
    transfers = []
    for member in await _members(cmds, ids["west"]):
        out = await cmds.request_member_transfer(req(), member, ids["east"], TransferScope.WITHIN_CITY, "工作调动")
        transfer = uuid.UUID(out.extra["transfer_id"])
        if stage in ("issued", "accepted"):
            await cmds.issue_transfer_letter(req(), member, transfer)
        if stage == "accepted":
            await cmds.accept_member_transfer(req(), member, transfer)
        transfers.append(transfer)
    return transfers


async def _fund(cmds: UseCases, ids: dict[str, uuid.UUID], kind: FundKind = FundKind.SERVICE_FUND) -> uuid.UUID:
    fund: uuid.UUID = (await cmds.open_fund(fin(), ids["east"], 2026, kind)).id
    await cmds.allocate_funds(fin(), fund, "100000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 10), "文1")
    return fund


STAGES = ("proposed", "decided", "approved", "paid", "accepted")


async def _projects(cmds: UseCases, fund: uuid.UUID, stage: str, n: int = 2) -> list[uuid.UUID]:
    """``n`` projects of ``fund`` taken to ``stage``."""
    projects = []
    for i in range(n):
        out = await cmds.propose_project(fin(), fund, SpendingCategory.PUBLIC_SERVICE, f"助老{i}", "20000.00",
                                         "助老", "老人")
        project = uuid.UUID(out.extra["project_id"])
        reached = STAGES.index(stage)
        if reached >= 1:
            await cmds.record_project_decision(fin(), fund, project, date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
        if reached >= 2:
            await cmds.approve_project(req(), fund, project)
        if reached >= 3:
            await cmds.record_payment(fin(), fund, project, "5000.00", date(2026, 2, 10), "餐饮公司", f"P{i}")
        if reached >= 4:
            await cmds.accept_project(fin(), fund, project, date(2026, 2, 20))
        projects.append(project)
    return projects


async def _webhooks(cmds: UseCases, ids: dict[str, uuid.UUID], paused: bool = False) -> list[uuid.UUID]:
    hooks = []
    for i in range(2):
        hook = (await cmds.register_webhook(req(), url=f"https://grid-centre.example.cn/hook{i}",
                                            organization_id=ids["street"], stream_types=["Member"])).outcome.id
        if paused:
            await cmds.pause_webhook(req(), hook, "receiver upgrade")
        hooks.append(hook)
    return hooks


def _state(key: str, value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda payload: payload[key] is not None and payload[key]["state"] == value


def _status(key: str, value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda payload: payload[key] is not None and payload[key]["status"] == value


# Organizations.


@case("establishOrganization")
async def _establish(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    def grid(name: str) -> str:
        return doc("establishOrganization", kind=Bare("GRID_BRANCH"), name=name, parentId=ids["east"])
    return Case(ADMIN, grid("第二网格党支部"), grid("第三网格党支部"), _status("organization", "ACTIVE"))


@case("renameOrganization")
async def _rename(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    return Case(ADMIN, doc("renameOrganization", id=ids["west"], name="钮家巷社区第二党支部"),
                doc("renameOrganization", id=ids["grid"], name="第一网格第二党支部"),
                lambda p: p["organization"]["name"] == "第一网格第二党支部")


@case("moveOrganization")
async def _move(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    return Case(ADMIN, doc("moveOrganization", id=ids["west"], newParentId=ids["street2"]),
                doc("moveOrganization", id=ids["east"], newParentId=ids["street"]),
                _status("organization", "ACTIVE"))


@case("dissolveOrganization")
async def _dissolve(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    empty = [(await cmds.establish_organization(req(), OrganizationKind.GRID_BRANCH, name, ids["east"])).id
             for name in ("第八网格党支部", "第九网格党支部")]
    return Case(ADMIN, doc("dissolveOrganization", id=empty[0], reason="合并"),
                doc("dissolveOrganization", id=empty[1], reason="合并"), _status("organization", "DISSOLVED"))


# Members and transfers.


@case("registerMember")
async def _register(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    def member(name: str, prefix: str) -> str:
        return doc("registerMember", name=name, gender=Bare("MALE"), birthDate="1985-01-01", ethnicity="汉族",
                   idNumber=id_number(prefix), standing=Bare("PROBATIONARY"), joinedOn="2025-07-01",
                   homeOrganizationId=ids["west"])
    return Case(ADMIN, member("陈静", "32050819850101011"), member("刘洋", "32050819850101022"),
                lambda p: p["member"]["name"] == "刘洋")


@case("correctMemberDetails")
async def _correct(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    return Case(ADMIN, doc("correctMemberDetails", id=ids["m1"], reason="录入错误", name="李秀瑛"),
                doc("correctMemberDetails", id=ids["m2"], reason="录入错误", name="王健国"),
                lambda p: p["member"]["name"] == "王健国")


@case("convertMemberToFull")
async def _convert(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _members(cmds, ids["west"])
    return Case(ADMIN, doc("convertMemberToFull", id=first, reason="预备期满"),
                doc("convertMemberToFull", id=second, reason="预备期满"),
                lambda p: p["member"]["standing"] == "FULL")


@case("eraseMemberPersonalData")
async def _erase(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _members(cmds, ids["west"])
    return Case(ADMIN, doc("eraseMemberPersonalData", id=first, reason="依申请删除"),
                doc("eraseMemberPersonalData", id=second, reason="依申请删除"),
                lambda p: p["__typename"] == "MemberPayload" and p["member"]["id"] == str(second))


def _member_is(member: uuid.UUID) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["__typename"] == "MemberPayload" and p["member"]["id"] == str(member)


@case("recordMemberDeath")
async def _death(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _members(cmds, ids["west"])
    return Case(ADMIN, doc("recordMemberDeath", id=first, diedOn="2026-02-20"),
                doc("recordMemberDeath", id=second, diedOn="2026-02-21"), _member_is(second))


@case("recordMemberWithdrawal")
async def _withdrawal(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _members(cmds, ids["west"])
    return Case(ADMIN, doc("recordMemberWithdrawal", id=first, withdrewOn="2026-02-20", reason="本人申请"),
                doc("recordMemberWithdrawal", id=second, withdrewOn="2026-02-21", reason="本人申请"),
                _member_is(second))


@case("expelMember")
async def _expel(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _members(cmds, ids["west"])
    return Case(ADMIN, doc("expelMember", id=first, decidedOn="2026-02-20", decisionReference="姑纪〔2026〕1号"),
                doc("expelMember", id=second, decidedOn="2026-02-21", decisionReference="姑纪〔2026〕2号"),
                _member_is(second))


@case("proposeMemberRemoval")
async def _propose_removal(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _members(cmds, ids["west"])

    def propose(member: uuid.UUID) -> str:
        return doc("proposeMemberRemoval", id=member, decidedOn="2026-02-20", decisionReference="支委〔2026〕1号",
                   reason="连续六个月未参加组织生活")
    return Case(ADMIN, propose(first), propose(second), _member_is(second))


async def _removals_proposed(cmds: UseCases, ids: dict[str, uuid.UUID]) -> list[uuid.UUID]:
    members = await _members(cmds, ids["west"])
    for member in members:
        await cmds.propose_member_removal(req(), member, date(2026, 2, 20), "支委〔2026〕1号", "不交党费")
    return members


@case("approveMemberRemoval")
async def _approve_removal(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _removals_proposed(cmds, ids)
    return Case(ADMIN, doc("approveMemberRemoval", id=first), doc("approveMemberRemoval", id=second),
                _member_is(second))


@case("rejectMemberRemoval")
async def _reject_removal(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _removals_proposed(cmds, ids)
    return Case(ADMIN, doc("rejectMemberRemoval", id=first, reason="已改正"),
                doc("rejectMemberRemoval", id=second, reason="已改正"), _member_is(second))


@case("requestMemberTransfer")
async def _request(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _members(cmds, ids["west"])

    def request(member: uuid.UUID) -> str:
        return doc("requestMemberTransfer", memberId=member, toOrganizationId=ids["east"],
                   scope=Bare("WITHIN_CITY"), reason="工作调动")
    return Case(ADMIN, request(first), request(second), _state("transfer", "REQUESTED"))


@case("issueTransferLetter")
async def _issue(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _transfers(cmds, ids, "requested")
    return Case(ADMIN, doc("issueTransferLetter", transferId=first), doc("issueTransferLetter", transferId=second),
                _state("transfer", "LETTER_ISSUED"))


@case("reissueTransferLetter")
async def _reissue(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _transfers(cmds, ids, "issued")
    return Case(ADMIN, doc("reissueTransferLetter", transferId=first, reason="遗失"),
                doc("reissueTransferLetter", transferId=second, reason="遗失"), _state("transfer", "LETTER_ISSUED"))


@case("acceptMemberTransfer")
async def _accept(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _transfers(cmds, ids, "issued")
    return Case(ADMIN, doc("acceptMemberTransfer", transferId=first),
                doc("acceptMemberTransfer", transferId=second), _state("transfer", "ACCEPTED"))


@case("returnMemberTransfer")
async def _return(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _transfers(cmds, ids, "issued")
    return Case(ADMIN, doc("returnMemberTransfer", transferId=first, reason="材料不全"),
                doc("returnMemberTransfer", transferId=second, reason="材料不全"), _state("transfer", "RETURNED"))


@case("withdrawMemberTransfer")
async def _withdraw(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _transfers(cmds, ids, "issued")
    return Case(ADMIN, doc("withdrawMemberTransfer", transferId=first, reason="不再调动"),
                doc("withdrawMemberTransfer", transferId=second, reason="不再调动"),
                _state("transfer", "WITHDRAWN"))


@case("expireMemberTransfer")
async def _expire(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _transfers(cmds, ids, "issued")
    later = NOW + timedelta(days=12)  # within the city a letter is valid 10 days
    return Case(ADMIN, doc("expireMemberTransfer", transferId=first), doc("expireMemberTransfer", transferId=second),
                _state("transfer", "EXPIRED"), clock=lambda: later)


@case("confirmTransferReceipt")
async def _confirm(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _transfers(cmds, ids, "accepted")
    return Case(ADMIN, doc("confirmTransferReceipt", transferId=first),
                doc("confirmTransferReceipt", transferId=second),
                _state("transfer", "RECEIPT_CONFIRMED"))


# Funds and projects.


@case("openFund")
async def _open_fund(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    def open_(kind: str) -> str:
        return doc("openFund", organizationId=ids["east"], year=2026, kind=Bare(kind))
    return Case(FINANCE_OFFICER, open_("SERVICE_FUND"), open_("RED_FUND"), _status("fund", "OPEN"))


@case("allocateFunds")
async def _allocate(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    fund = await _fund(cmds, ids)

    def allocate(document: str) -> str:
        return doc("allocateFunds", fundId=fund, amount="500.00", source=Bare("UNIT_SPONSORSHIP"),
                   effectiveOn="2026-02-01", documentNo=document)
    return Case(FINANCE_OFFICER, allocate("赞助协议 7"), allocate("赞助协议 8"),
                lambda p: p["fund"]["allocated"] == "101000.00")


@case("closeFiscalYear")
async def _close_year(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    # Two funds of the same organization and year, each carried into next year's fund.
    service, red = await _fund(cmds, ids), await _fund(cmds, ids, FundKind.RED_FUND)

    def close(fund: uuid.UUID) -> str:
        return doc("closeFiscalYear", fundId=fund, closedOn="2026-12-31", yearEnd=Bare("CARRY_OVER"))
    january = datetime(2027, 1, 4, tzinfo=UTC)
    return Case(FINANCE_OFFICER, close(service), close(red), _status("fund", "CLOSED"), clock=lambda: january)


@case("grantFromRedFund")
async def _grant(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    # build_world moves the east community under street2: that street's red fund grants to it.
    red = (await cmds.open_fund(fin(), ids["street2"], 2026, FundKind.RED_FUND)).id
    await cmds.allocate_funds(fin(), red, "60000.00", AllocationSource.DUES_ALLOCATION, date(2026, 1, 10), "党费划拨 1")
    service = await _fund(cmds, ids)

    def grant(document: str) -> str:
        return doc("grantFromRedFund", fundId=red, toFundId=service, amount="5000.00", grantedOn="2026-02-01",
                   documentNo=document)
    return Case(FINANCE_OFFICER, grant("平街〔2026〕3号"), grant("平街〔2026〕4号"),
                lambda p: p["fund"]["balance"] == "50000.00")


@case("remitDues")
async def _remit(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    # build_world: west collected 120.00 in March 2026 (m2's payment).
    def remit(amount: str) -> str:
        return doc("remitDues", organizationId=ids["west"], year=2026, months=[1, 2], amount=amount,
                   documentNo=f"钮支〔2026〕{amount}")
    return Case(FINANCE_OFFICER, remit("10.00"), remit("20.00"), lambda p: p["account"]["remitted"] == "30.00")


@case("allocateDuesToRedFund")
async def _allocate_dues(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    red = (await cmds.open_fund(fin(), ids["west"], 2026, FundKind.RED_FUND)).id

    def allocate(amount: str) -> str:
        return doc("allocateDuesToRedFund", fromOrganizationId=ids["west"], fundId=red, amount=amount,
                   allocatedOn="2026-03-01", documentNo=f"钮支划拨{amount}")
    return Case(FINANCE_OFFICER, allocate("10.00"), allocate("20.00"),
                lambda p: p["fund"]["duesAvailable"] == "30.00")


@case("proposeProject")
async def _propose(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    fund = await _fund(cmds, ids)

    def propose(title: str) -> str:
        return doc("proposeProject", fundId=fund, category=Bare("PARTY_BUILDING"), title=title, amount="2500.00",
                   purpose="购买党课教材", beneficiaries="党员 300 人")
    return Case(FINANCE_OFFICER, propose("党课教材"), propose("党课场地"), _state("project", "PROPOSED"))


@case("recordProjectDecision")
async def _decide(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _projects(cmds, await _fund(cmds, ids), "proposed")

    def decide(project: uuid.UUID) -> str:
        return doc("recordProjectDecision", projectId=project, meetingOn="2026-02-20",
                   attendees=["王书记", "李委员", "张委员"], resolution="同意实施")
    return Case(FINANCE_OFFICER, decide(first), decide(second), _state("project", "DECIDED"))


@case("approveProject")
async def _approve(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _projects(cmds, await _fund(cmds, ids), "decided")
    return Case(ADMIN, doc("approveProject", projectId=first), doc("approveProject", projectId=second),
                _state("project", "APPROVED"))


@case("rejectProject")
async def _reject(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _projects(cmds, await _fund(cmds, ids), "decided")
    return Case(ADMIN, doc("rejectProject", projectId=first, reason="预算不足"),
                doc("rejectProject", projectId=second, reason="预算不足"), _state("project", "REJECTED"))


@case("cancelProject")
async def _cancel(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _projects(cmds, await _fund(cmds, ids), "approved")
    return Case(FINANCE_OFFICER, doc("cancelProject", projectId=first, reason="场地取消"),
                doc("cancelProject", projectId=second, reason="场地取消"), _state("project", "CANCELLED"))


@case("recordPayment")
async def _pay(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    (project,) = await _projects(cmds, await _fund(cmds, ids), "approved", n=1)

    def pay(voucher: str) -> str:
        return doc("recordPayment", projectId=project, amount="1000.00", paidOn="2026-02-20", payee="餐饮公司",
                   voucherNo=voucher)
    return Case(FINANCE_OFFICER, pay("V-1"), pay("V-2"), lambda p: p["project"]["paid"] == "2000.00")


@case("reversePayment")
async def _reverse(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    fund = await _fund(cmds, ids)
    (project,) = await _projects(cmds, fund, "approved", n=1)
    payments = [(await cmds.record_payment(fin(), fund, project, "1000.00", date(2026, 2, 10), "餐饮公司", v))
                .extra["payment_id"] for v in ("V-1", "V-2")]

    def reverse(payment: str) -> str:
        return doc("reversePayment", fundId=fund, paymentId=payment, reason="重复支付", reversedOn="2026-02-21")
    return Case(FINANCE_OFFICER, reverse(payments[0]), reverse(payments[1]),
                lambda p: p["project"]["paid"] == "0.00")


@case("acceptProject")
async def _accept_project(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _projects(cmds, await _fund(cmds, ids), "paid")
    return Case(FINANCE_OFFICER, doc("acceptProject", projectId=first, acceptedOn="2026-02-25"),
                doc("acceptProject", projectId=second, acceptedOn="2026-02-25"), _state("project", "ACCEPTED"))


@case("publishProjectDisclosure")
async def _publish(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _projects(cmds, await _fund(cmds, ids), "accepted")

    def publish(project: uuid.UUID) -> str:
        return doc("publishProjectDisclosure", projectId=project, summary="公示：支出 5000.00 元")
    return Case(FINANCE_OFFICER, publish(first), publish(second), _state("project", "DISCLOSED"))


# Inspections.


async def _inspections(cmds: UseCases, ids: dict[str, uuid.UUID]) -> tuple[list[uuid.UUID], uuid.UUID]:
    """Two open inspections, of two funds, and an approved project of the first fund."""
    service, red = await _fund(cmds, ids), await _fund(cmds, ids, FundKind.RED_FUND)
    (project,) = await _projects(cmds, service, "approved", n=1)
    opened = [(await cmds.open_inspection(req(), "专项督查", fund_id=f)).id for f in (service, red)]
    return opened, project


@case("openInspection")
async def _open_inspection(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    service, red = await _fund(cmds, ids), await _fund(cmds, ids, FundKind.RED_FUND)
    return Case(ADMIN, doc("openInspection", title="专项督查", fundId=service),
                doc("openInspection", title="专项督查", fundId=red), _state("inspection", "OPEN"))


@case("recordInspectionFinding")
async def _finding(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    (inspection, _), project = await _inspections(cmds, ids)

    def finding(description: str) -> str:
        return doc("recordInspectionFinding", inspectionId=inspection, description=description,
                   severity=Bare("MINOR"), projectIds=[project])
    return Case(ADMIN, finding("台账不全"), finding("票据不全"), lambda p: p["findingId"] is not None)


@case("recordRectification")
async def _rectify(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    (inspection, _), project = await _inspections(cmds, ids)
    findings = [(await cmds.record_inspection_finding(req(), inspection, what, Severity.MINOR,
                                                      project_ids=(project,))).extra["finding_id"]
                for what in ("台账不全", "票据不全")]

    def rectify(finding: str) -> str:
        return doc("recordRectification", inspectionId=inspection, findingId=finding, description="已补齐")
    return Case(FINANCE_OFFICER, rectify(findings[0]), rectify(findings[1]), lambda p: p["findingId"] is not None)


async def _rectified(cmds: UseCases, ids: dict[str, uuid.UUID]) -> tuple[uuid.UUID, list[str]]:
    """An inspection with two findings whose rectifications await verification."""
    (inspection, _), project = await _inspections(cmds, ids)
    findings = []
    for what in ("虚报人数", "票据不全"):
        finding = (await cmds.record_inspection_finding(req(), inspection, what, Severity.MAJOR,
                                                        project_ids=(project,))).extra["finding_id"]
        await cmds.record_rectification(Request(FINANCE_OFFICER, uuid.uuid4()), inspection, uuid.UUID(finding),
                                        "已整改")
        findings.append(finding)
    return inspection, findings


@case("verifyRectification")
async def _verify_rectification(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    inspection, findings = await _rectified(cmds, ids)

    def verify(finding: str) -> str:
        return doc("verifyRectification", inspectionId=inspection, findingId=finding)
    return Case(ADMIN, verify(findings[0]), verify(findings[1]), lambda p: p["findingId"] is not None)


@case("rejectRectification")
async def _reject_rectification(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    inspection, findings = await _rectified(cmds, ids)

    def reject(finding: str) -> str:
        return doc("rejectRectification", inspectionId=inspection, findingId=finding, reason="未附凭证")
    return Case(ADMIN, reject(findings[0]), reject(findings[1]), lambda p: p["findingId"] is not None)


@case("closeInspection")
async def _close_inspection(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    (first, second), _ = await _inspections(cmds, ids)
    return Case(ADMIN, doc("closeInspection", inspectionId=first, conclusion="未发现问题"),
                doc("closeInspection", inspectionId=second, conclusion="未发现问题"), _state("inspection", "CLOSED"))


# Webhooks.


@case("registerWebhook")
async def _register_webhook(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    def hook(path: str) -> str:
        return doc("registerWebhook", url=f"https://grid-centre.example.cn/{path}", organizationId=ids["street"],
                   eventTypes=["Member.TransferRequested"], description="网格通知")
    return Case(ADMIN, hook("a"), hook("b"), lambda p: p["secret"] != "" and p["webhook"]["status"] == "ACTIVE")


@case("pauseWebhook")
async def _pause(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _webhooks(cmds, ids)
    return Case(ADMIN, doc("pauseWebhook", id=first, reason="接收方维护"),
                doc("pauseWebhook", id=second, reason="接收方维护"), _status("webhook", "PAUSED"))


@case("resumeWebhook")
async def _resume(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _webhooks(cmds, ids, paused=True)
    return Case(ADMIN, doc("resumeWebhook", id=first), doc("resumeWebhook", id=second),
                _status("webhook", "ACTIVE"))


@case("removeWebhook")
async def _remove(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _webhooks(cmds, ids)
    return Case(ADMIN, doc("removeWebhook", id=first, reason="不再需要"),
                doc("removeWebhook", id=second, reason="不再需要"), _status("webhook", "REMOVED"))


# Grids.


async def _grids(cmds: UseCases, ids: dict[str, uuid.UUID], n: int = 2, staffed: bool = False) -> list[uuid.UUID]:
    """``n`` grids of the east community (code 320508019001...), with a leader each if ``staffed``."""
    made = []
    for i in range(n):
        grid = (await cmds.register_grid(req(), ids["east"], f"320508019001{i + 1:03d}", f"第{i + 1}网格",
                                         "RESIDENTIAL", buildings=(f"{i + 1}栋",))).id
        if staffed:
            await cmds.appoint_grid_staff(req(), grid, StaffRole.LEADER, "任命", name=f"网格长{i}",
                                          phone=f"1384000{i:04d}")
        made.append(grid)
    return made


async def _leaders(cmds: UseCases, grids: list[uuid.UUID]) -> list[str]:
    found = []
    for grid in grids:
        rows = await cmds.store.read_stream(grid)  # type: ignore[attr-defined]
        found.append(next(r.payload["assignment_id"] for r in rows if r.event_type == "Grid.StaffAppointed"))
    return found


def _grid_done(status: str = "ACTIVE") -> Callable[[dict[str, Any]], bool]:
    return lambda payload: payload["grid"] is not None and payload["grid"]["status"] == status


@case("registerGrid")
async def _register_grid(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    def register_(seq: str) -> str:
        return doc("registerGrid", communityId=ids["east"], code=f"320508019001{seq}", name=f"第{seq}网格",
                   kind="RESIDENTIAL", buildings=["1栋"])
    return Case(ADMIN, register_("011"), register_("012"), _grid_done())


@case("updateGridDetails")
async def _update_grid(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids)
    return Case(ADMIN, doc("updateGridDetails", gridId=first, reason="更名", name="甲网格"),
                doc("updateGridDetails", gridId=second, reason="更名", name="乙网格"), _grid_done())


@case("retireGrid")
async def _retire_grid(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids, staffed=True)
    return Case(ADMIN, doc("retireGrid", gridId=first, reason="撤销"), doc("retireGrid", gridId=second, reason="撤销"),
                _grid_done("RETIRED"))


@case("appointGridStaff")
async def _appoint(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids)

    def appoint(grid: uuid.UUID, phone: str) -> str:
        return doc("appointGridStaff", gridId=grid, role=Bare("LEADER"), reason="任命", name="王建华", phone=phone)
    return Case(ADMIN, appoint(first, "13840001111"), appoint(second, "13840002222"),
                lambda p: p["assignmentId"] is not None)


@case("replaceGridStaff")
async def _replace_staff(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    grids = await _grids(cmds, ids, staffed=True)
    first, second = await _leaders(cmds, grids)

    def replace(grid: uuid.UUID, assignment: str, phone: str) -> str:
        return doc("replaceGridStaff", gridId=grid, assignmentId=assignment, reason="调整", name="李娜", phone=phone)
    return Case(ADMIN, replace(grids[0], first, "13840005555"), replace(grids[1], second, "13840006666"),
                lambda p: p["assignmentId"] is not None)


@case("removeGridStaff")
async def _remove_staff(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    grids = await _grids(cmds, ids, staffed=True)
    first, second = await _leaders(cmds, grids)
    return Case(ADMIN, doc("removeGridStaff", gridId=grids[0], assignmentId=first, reason="辞职"),
                doc("removeGridStaff", gridId=grids[1], assignmentId=second, reason="辞职"),
                lambda p: p["grid"]["understaffed"] is True)


@case("splitGrid")
async def _split(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids)

    def split(grid: uuid.UUID, building: str, seqs: tuple[str, str]) -> str:
        parts = ", ".join(f'{{code: "320508019001{seq}", name: "片区{seq}"{b}}}' for seq, b in
                          zip(seqs, (f', buildings: ["{building}"]', ""), strict=True))
        return (f'mutation {{ splitGrid(input: {{gridId: "{grid}", reason: "拆分", parts: [{parts}]}}) {{ __typename'
                f' ... on RedrawingPayload {{ {SELECTIONS["RedrawingPayload"]} }}'
                ' ... on Error { code message } } }')
    return Case(ADMIN, split(first, "1栋", ("021", "022")), split(second, "2栋", ("023", "024")),
                lambda p: len(p["grids"]) == 2 and p["retired"][0]["status"] == "RETIRED")


@case("mergeGrids")
async def _merge(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    grids = await _grids(cmds, ids, n=4)

    def merge(pair: list[uuid.UUID], seq: str, buildings: str) -> str:
        return (f'mutation {{ mergeGrids(input: {{gridIds: ["{pair[0]}", "{pair[1]}"], reason: "合并", into: {{code:'
                f' "320508019001{seq}", name: "合并{seq}", buildings: [{buildings}]}}}}) {{ __typename ... on'
                f' RedrawingPayload {{ {SELECTIONS["RedrawingPayload"]} }} ... on Error {{ code message }} }} }}')
    return Case(ADMIN, merge(grids[:2], "031", '"1栋", "2栋"'), merge(grids[2:], "032", '"3栋", "4栋"'),
                lambda p: len(p["grids"]) == 1 and len(p["retired"]) == 2)


@case("moveGrid")
async def _move_grid(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids, staffed=True)

    def move(grid: uuid.UUID, seq: str) -> str:
        return doc("moveGrid", gridId=grid, toCommunityId=ids["west"], code=f"320508019002{seq}", reason="区划调整")
    return Case(ADMIN, move(first, "041"), move(second, "042"),
                lambda p: len(p["grids"]) == 1 and len(p["staff"]) == 1 and p["staff"][0]["newAssignmentId"])


async def _branch(cmds: UseCases, ids: dict[str, uuid.UUID]) -> uuid.UUID:
    return (await cmds.establish_organization(req(), OrganizationKind.GRID_BRANCH, "网格党支部", ids["east"])).id


@case("linkGridBranch")
async def _link_branch(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids)
    branch = await _branch(cmds, ids)
    return Case(ADMIN, doc("linkGridBranch", gridId=first, branchId=branch),
                doc("linkGridBranch", gridId=second, branchId=branch), _grid_done())


@case("unlinkGridBranch")
async def _unlink_branch(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    grids = await _grids(cmds, ids)
    branch = await _branch(cmds, ids)
    for grid in grids:
        await cmds.link_grid_branch(req(), grid, branch)
    return Case(ADMIN, doc("unlinkGridBranch", gridId=grids[0], reason="调整"),
                doc("unlinkGridBranch", gridId=grids[1], reason="调整"), _grid_done())


@case("correctGridCode")
async def _correct_code(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids)
    return Case(ADMIN, doc("correctGridCode", gridId=first, code="320508019001051", reason="录入错误"),
                doc("correctGridCode", gridId=second, code="320508019001052", reason="录入错误"),
                lambda p: p["grid"]["code"] == "320508019001052")


@case("reassignGridBuilding")
async def _reassign_building(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    first, second = await _grids(cmds, ids)
    return Case(ADMIN, doc("reassignGridBuilding", gridId=first, building="1栋", toGridId=second, reason="调整"),
                doc("reassignGridBuilding", gridId=second, building="2栋", toGridId=first, reason="调整"),
                _grid_done())


# Shops: their cases live beside the area's tests (tests/integration/shops/statements.py).


def _shop_case(setup: Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Any]]) -> Setup:
    async def run(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
        return Case(*await setup(cmds, ids))
    return run


for _mutation, _setup in SHOP_CASES.items():
    case(_mutation)(_shop_case(_setup))
for _mutation, _setup in DUES_CASES.items():
    case(_mutation)(_shop_case(_setup))
for _mutation, _setup in ENGAGEMENT_CASES.items():
    case(_mutation)(_shop_case(_setup))
for _mutation, _setup in GRID_CASES.items():
    case(_mutation)(_shop_case(_setup))
for _mutation, _setup in REQUEST_CASES.items():
    case(_mutation)(_shop_case(_setup))
for _mutation, _setup in TRANSFER_CASES.items():
    case(_mutation)(_shop_case(_setup))
for _mutation, _setup in PLAN_CASES.items():
    case(_mutation)(_shop_case(_setup))
for _mutation, _setup in DISCLOSURE_CASES.items():
    case(_mutation)(_shop_case(_setup))


# Integrity.


@case("recordCheckpoint")
async def _checkpoint(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Case:
    # waitForHead: false signs the tree as the hasher left it, without first hashing up to
    # the head (no hasher runs here: with true the request would hash the log itself, as
    # many statements as there are unhashed pages). The log is hashed beforehand, as a
    # running server's hasher would have, so the tree the checkpoint signs is not empty.
    async with cmds.store.pool.acquire() as conn:  # type: ignore[attr-defined]
        await checkpoint_now(conn, signing_key(SETTINGS), now=NOW)
    checkpoint = doc("recordCheckpoint", waitForHead=False)
    return Case(ADMIN, checkpoint, checkpoint, lambda p: p["checkpoint"]["treeSize"] > 0)


# -- the tests ---------------------------------------------------------------------------


def test_every_mutation_is_pinned() -> None:
    assert len(MUTATIONS) == len(set(MUTATIONS))
    assert set(EXPECTED) == set(MUTATIONS), (
        f"without a pinned count: {sorted(set(MUTATIONS) - set(EXPECTED))}; "
        f"not in the schema: {sorted(set(EXPECTED) - set(MUTATIONS))}")
    assert set(CASES) == set(MUTATIONS), f"without a case: {sorted(set(MUTATIONS) - set(CASES))}"


@pytest.mark.parametrize("mutation", EXPECTED)
async def test_a_mutation_costs_its_pinned_statements(
    mutation: str, pool: asyncpg.Pool, counted: tuple[Counted, Supervisor],
) -> None:
    c, supervisor = counted
    cmds = commands(pool)
    ids = await build_world(cmds)
    setup = CASES.get(mutation)
    if setup is None:
        pytest.fail(f"{mutation} has no case in CASES")
    run = await setup(cmds, ids)
    await _settled(supervisor, pool)

    await _mutate(c, supervisor, run.actor, run.warm, run.clock)  # warms the connection's statement cache
    c.take()
    done = await _mutate(c, supervisor, run.actor, run.measured, run.clock)
    sent = c.take()
    assert run.done(done), done
    listing = "\n".join(f"  {i}. {s}" for i, s in enumerate(sent, 1))
    assert len(sent) == EXPECTED[mutation], (
        f"{mutation} sent {len(sent)} statements, pinned {EXPECTED[mutation]}:\n{listing}")

"""Every command type, every field: a reused idempotency key with other input is refused.

For each command of every area in ``DOMAIN_AREAS`` a builder prepares the world the
command needs and returns a valid instance. The command runs once under a key, runs
again unchanged (the same outcome, ``replayed``, nothing appended), and then once more
per field with only that field changed, derived from the field's type hint: each of
those must be refused with ``IdempotencyKeyReused`` and append nothing.

A command without a builder fails ``test_every_command_has_a_builder``, and a field of
a type ``different`` cannot change fails its command's case, so new inputs are covered
as they are added.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from api.areas import DOMAIN_AREAS
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory, YearEnd
from domain.funds.commands import (
    AcceptProject,
    AllocateFunds,
    ApproveProject,
    CancelProject,
    CloseFiscalYear,
    GrantFromRedFund,
    OpenFund,
    ProposeProject,
    PublishProjectDisclosure,
    RecordPayment,
    RecordProjectDecision,
    RejectProject,
    ReversePayment,
)
from domain.funds.disclosure import RecordFundDisclosure
from domain.grids.aggregate import StaffRole
from domain.grids.commands import (
    AppointGridStaff,
    CorrectGridCode,
    GridPart,
    LinkGridBranch,
    MergeGrids,
    MoveGrid,
    ReassignGridBuilding,
    RegisterGrid,
    RemoveGridStaff,
    ReplaceGridStaff,
    RetireGrid,
    SplitGrid,
    UnlinkGridBranch,
    UpdateGridDetails,
)
from domain.inspections.aggregate import Severity
from domain.inspections.commands import (
    CloseInspection,
    OpenInspection,
    RecordInspectionFinding,
    RecordRectification,
    RejectRectification,
    VerifyRectification,
)
from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.commands import (
    AcceptMemberTransfer,
    ApproveMemberRemoval,
    ConfirmTransferReceipt,
    ConvertMemberToFull,
    CorrectMemberDetails,
    EraseMemberPersonalData,
    ExpelMember,
    ExpireMemberTransfer,
    IssueTransferLetter,
    ProposeMemberRemoval,
    RecordMemberDeath,
    RecordMemberWithdrawal,
    RegisterMember,
    ReissueTransferLetter,
    RejectMemberRemoval,
    RequestMemberTransfer,
    ReturnMemberTransfer,
    WithdrawMemberTransfer,
)
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.commands import (
    DissolveOrganization,
    EstablishOrganization,
    MoveOrganization,
    RenameOrganization,
)
from domain.shared.commands import Command, Outcome, Request
from domain.shared.errors import IdempotencyKeyReused
from domain.shared.permissions import Actor, Role
from domain.webhooks.commands import (
    PauseFailingWebhook,
    PauseWebhook,
    RegisterWebhook,
    RemoveWebhook,
    ResumeWebhook,
)
from domain.webhooks.handlers import SYSTEM_ACTOR, WebhookSecrets
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req, world
from tests.unit.funds.dues_builders import DUES_FUND_BUILDERS
from tests.unit.funds.plan_builders import PLAN_BUILDERS
from tests.unit.grids.builders import GRID_BUILDERS
from tests.unit.members.builders import DUES_BUILDERS
from tests.unit.members.engagement_builders import ENGAGEMENT_BUILDERS
from tests.unit.members.transfer_builders import TRANSFER_BUILDERS
from tests.unit.requests.builders import REQUEST_BUILDERS
from tests.unit.shops.builders import SHOP_BUILDERS

ALL_COMMANDS: tuple[type[Command], ...] = tuple(c for area in DOMAIN_AREAS for c in area.commands)
PRIVATE = {"secret"}
"""Outcome keys returned to the first caller only, never kept with the key."""


# --- the world each command needs ------------------------------------------------------


@dataclass
class Secrets:
    held: dict[UUID, str] = field(default_factory=dict)

    async def put(self, webhook_id: UUID, secret: str) -> None:
        self.held[webhook_id] = secret

    async def get(self, webhook_id: UUID) -> str | None:
        return self.held.get(webhook_id)

    async def delete(self, webhook_id: UUID) -> None:
        self.held.pop(webhook_id, None)


def finance(w: World) -> Actor:
    return actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")


def street_admin(w: World) -> Actor:
    return actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")


def inspector(w: World) -> Actor:
    return actor(Role.DISTRICT_ADMIN, scope=w.district, subject="inspector")


async def run(w: World, who: Actor, command: Command) -> Outcome:
    return await w.commands.run(command, req(who))


async def member(w: World) -> UUID:
    return (await run(w, w.admin, RegisterMember(
        "赵志强", Gender.MALE, date(1968, 9, 3), "满族", id_number("211403196809030", 7), "15840001234",
        Standing.PROBATIONARY, date(2025, 7, 1), w.east))).id


async def requested(w: World) -> tuple[UUID, UUID]:
    m = await member(w)
    out = await run(w, w.admin, RequestMemberTransfer(m, w.west, TransferScope.WITHIN_CITY, "工作调动"))
    return m, UUID(out.extra["transfer_id"])


async def issued(w: World) -> tuple[UUID, UUID]:
    m, t = await requested(w)
    await run(w, w.admin, IssueTransferLetter(m, t))
    return m, t


async def fund(w: World) -> UUID:
    f = (await run(w, finance(w), OpenFund(w.east, 2026, FundKind.SERVICE_FUND))).id
    await run(w, finance(w), AllocateFunds(f, "120000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 15),
                                           "龙财〔2026〕3号"))
    return f


async def proposed(w: World) -> tuple[UUID, UUID]:
    f = await fund(w)
    out = await run(w, finance(w), ProposeProject(f, SpendingCategory.PUBLIC_SERVICE, "老年助餐点", "30000.00",
                                                  "为社区独居老人提供午餐", "独居老人 42 人"))
    return f, UUID(out.extra["project_id"])


async def decided(w: World) -> tuple[UUID, UUID]:
    f, p = await proposed(w)
    await run(w, finance(w), RecordProjectDecision(f, p, date(2026, 2, 20), ("王书记", "李委员", "张委员"),
                                                   "同意实施"))
    return f, p


async def approved(w: World) -> tuple[UUID, UUID]:
    f, p = await decided(w)
    await run(w, street_admin(w), ApproveProject(f, p))
    return f, p


async def paid(w: World) -> tuple[UUID, UUID, UUID]:
    f, p = await approved(w)
    out = await run(w, finance(w), RecordPayment(f, p, "12000.50", date(2026, 3, 1), "餐饮公司", "PZ-001"))
    return f, p, UUID(out.extra["payment_id"])


async def inspection(w: World) -> tuple[UUID, UUID]:
    f, p = await approved(w)
    return (await run(w, inspector(w), OpenInspection("2026 专项督查", fund_id=f))).id, p


async def webhook(w: World) -> UUID:
    return (await run(w, w.admin, RegisterWebhook("https://grid.example.cn/hook", organization_id=w.street,
                                                  secret="s" * 20))).id


# --- one builder per command: the world it needs, who runs it, a valid instance ----------

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
BUILDERS: dict[type[Command], Builder] = {}


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        assert cls not in BUILDERS, f"two builders for {cls.__name__}"
        BUILDERS[cls] = builder
        return builder

    return register


@builds(EstablishOrganization)
async def _establish(w: World) -> tuple[Actor, Command]:
    return w.admin, EstablishOrganization(OrganizationKind.COMMUNITY_COMMITTEE, "望海社区党委", w.street,
                                          "211403002003")


@builds(RenameOrganization)
async def _rename(w: World) -> tuple[Actor, Command]:
    return w.admin, RenameOrganization(w.west, "海月社区党委")


@builds(MoveOrganization)
async def _move(w: World) -> tuple[Actor, Command]:
    other = (await run(w, w.admin, EstablishOrganization(
        OrganizationKind.STREET_WORKING_COMMITTEE, "双树街道党工委", w.district, "211403003000"))).id
    return w.admin, MoveOrganization(w.west, other)


@builds(DissolveOrganization)
async def _dissolve(w: World) -> tuple[Actor, Command]:
    return w.admin, DissolveOrganization(w.west, "并入仙山社区")


@builds(RegisterMember)
async def _register(w: World) -> tuple[Actor, Command]:
    return w.admin, RegisterMember("钱秀兰", Gender.FEMALE, date(1975, 4, 12), "汉族",
                                   id_number("211403197504120", 21), None, Standing.FULL, date(2001, 7, 1),
                                   w.west, date(2026, 2, 1))


@builds(CorrectMemberDetails)
async def _correct(w: World) -> tuple[Actor, Command]:
    return w.admin, CorrectMemberDetails(await member(w), "录入错误", name="赵智强")


@builds(ConvertMemberToFull)
async def _convert(w: World) -> tuple[Actor, Command]:
    return w.admin, ConvertMemberToFull(await member(w), date(2026, 3, 1), "预备期满")


@builds(EraseMemberPersonalData)
async def _erase(w: World) -> tuple[Actor, Command]:
    return w.admin, EraseMemberPersonalData(await member(w), "依本人申请删除个人信息")


@builds(RequestMemberTransfer)
async def _request(w: World) -> tuple[Actor, Command]:
    return w.admin, RequestMemberTransfer(await member(w), w.west, TransferScope.WITHIN_CITY, "工作调动")


@builds(IssueTransferLetter)
async def _issue(w: World) -> tuple[Actor, Command]:
    return w.admin, IssueTransferLetter(*await requested(w))


@builds(AcceptMemberTransfer)
async def _accept(w: World) -> tuple[Actor, Command]:
    return w.admin, AcceptMemberTransfer(*await issued(w))


@builds(ReturnMemberTransfer)
async def _return(w: World) -> tuple[Actor, Command]:
    return w.admin, ReturnMemberTransfer(*await issued(w), reason="档案材料不全")


@builds(WithdrawMemberTransfer)
async def _withdraw(w: World) -> tuple[Actor, Command]:
    return w.admin, WithdrawMemberTransfer(*await issued(w), reason="不再调动")


@builds(ExpireMemberTransfer)
async def _expire(w: World) -> tuple[Actor, Command]:
    m, t = await issued(w)
    w.clock.advance(12)  # within the city a letter is valid 10 days
    return w.admin, ExpireMemberTransfer(m, t)


@builds(ConfirmTransferReceipt)
async def _confirm(w: World) -> tuple[Actor, Command]:
    m, t = await issued(w)
    await run(w, w.admin, AcceptMemberTransfer(m, t))
    return w.admin, ConfirmTransferReceipt(m, t)


@builds(ReissueTransferLetter)
async def _reissue(w: World) -> tuple[Actor, Command]:
    return w.admin, ReissueTransferLetter(*await issued(w), reason="本人遗失介绍信", validity_days=5)


@builds(RecordMemberDeath)
async def _death(w: World) -> tuple[Actor, Command]:
    return w.admin, RecordMemberDeath(await member(w), date(2026, 2, 27), "家属告知")


@builds(RecordMemberWithdrawal)
async def _withdrawal(w: World) -> tuple[Actor, Command]:
    return w.admin, RecordMemberWithdrawal(await member(w), date(2026, 2, 26), "本人申请退党")


@builds(ExpelMember)
async def _expel(w: World) -> tuple[Actor, Command]:
    return w.admin, ExpelMember(await member(w), date(2026, 2, 25), "龙纪处〔2026〕9号", "严重违纪")


async def removal_proposed(w: World) -> UUID:
    m = await member(w)
    await run(w, w.admin, ProposeMemberRemoval(m, date(2026, 2, 20), "仙山支委〔2026〕2号", "连续六个月未参加组织生活"))
    return m


@builds(ProposeMemberRemoval)
async def _propose_removal(w: World) -> tuple[Actor, Command]:
    return w.admin, ProposeMemberRemoval(await member(w), date(2026, 2, 20), "仙山支委〔2026〕2号", "不交党费")


@builds(ApproveMemberRemoval)
async def _approve_removal(w: World) -> tuple[Actor, Command]:
    return street_admin(w), ApproveMemberRemoval(await removal_proposed(w), date(2026, 3, 1), "同意除名")


@builds(RejectMemberRemoval)
async def _reject_removal(w: World) -> tuple[Actor, Command]:
    return street_admin(w), RejectMemberRemoval(await removal_proposed(w), "本人已改正")


@builds(OpenFund)
async def _open_fund(w: World) -> tuple[Actor, Command]:
    return finance(w), OpenFund(w.east, 2026, FundKind.RED_FUND)


@builds(AllocateFunds)
async def _allocate(w: World) -> tuple[Actor, Command]:
    return finance(w), AllocateFunds(await fund(w), "500.00", AllocationSource.UNIT_SPONSORSHIP,
                                     date(2026, 2, 1), "赞助协议 7")


@builds(CloseFiscalYear)
async def _close_year(w: World) -> tuple[Actor, Command]:
    f = await fund(w)
    w.clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    return finance(w), CloseFiscalYear(f, date(2026, 12, 31), YearEnd.CARRY_OVER, "年度结转")


@builds(GrantFromRedFund)
async def _grant(w: World) -> tuple[Actor, Command]:
    street_finance = actor(Role.FINANCE_OFFICER, scope=w.street, subject="finance-street")
    red = (await run(w, street_finance, OpenFund(w.street, 2026, FundKind.RED_FUND))).id
    await run(w, street_finance, AllocateFunds(red, "20000.00", AllocationSource.DUES_ALLOCATION, date(2026, 1, 20),
                                               "望街〔2026〕2号"))
    f, p = await proposed(w)
    return street_finance, GrantFromRedFund(red, f, "3000.00", date(2026, 2, 25), "望街〔2026〕9号", p, "助餐补贴")


@builds(RecordFundDisclosure)
async def _disclose_period(w: World) -> tuple[Actor, Command]:
    return finance(w), RecordFundDisclosure(await fund(w), "2026-01", date(2026, 2, 5), "社区公示栏")


@builds(ProposeProject)
async def _propose(w: World) -> tuple[Actor, Command]:
    return finance(w), ProposeProject(await fund(w), SpendingCategory.PARTY_BUILDING, "党课教材", "2500.00",
                                      "购买党课教材", "党员 300 人")


@builds(RecordProjectDecision)
async def _decide(w: World) -> tuple[Actor, Command]:
    return finance(w), RecordProjectDecision(*await proposed(w), date(2026, 2, 20), ("王书记", "李委员", "张委员"),
                                             "同意实施")


@builds(ApproveProject)
async def _approve(w: World) -> tuple[Actor, Command]:
    return street_admin(w), ApproveProject(*await decided(w))


@builds(RejectProject)
async def _reject(w: World) -> tuple[Actor, Command]:
    return street_admin(w), RejectProject(*await decided(w), reason="预算不足")


@builds(CancelProject)
async def _cancel(w: World) -> tuple[Actor, Command]:
    return finance(w), CancelProject(*await approved(w), reason="场地取消")


@builds(RecordPayment)
async def _pay(w: World) -> tuple[Actor, Command]:
    return finance(w), RecordPayment(*await approved(w), "12000.50", date(2026, 3, 1), "餐饮公司", "PZ-001")


@builds(ReversePayment)
async def _reverse(w: World) -> tuple[Actor, Command]:
    f, _, payment = await paid(w)
    return finance(w), ReversePayment(f, payment, "重复支付", date(2026, 3, 2))


@builds(AcceptProject)
async def _accept_project(w: World) -> tuple[Actor, Command]:
    f, p, _ = await paid(w)
    return finance(w), AcceptProject(f, p, date(2026, 3, 2))


@builds(PublishProjectDisclosure)
async def _publish(w: World) -> tuple[Actor, Command]:
    f, p, _ = await paid(w)
    await run(w, finance(w), AcceptProject(f, p, date(2026, 3, 2)))
    return finance(w), PublishProjectDisclosure(f, p, "公示：支出 12000.50 元")


@builds(OpenInspection)
async def _open_inspection(w: World) -> tuple[Actor, Command]:
    return inspector(w), OpenInspection("2026 专项督查", fund_id=await fund(w))


@builds(RecordInspectionFinding)
async def _finding(w: World) -> tuple[Actor, Command]:
    i, p = await inspection(w)
    return inspector(w), RecordInspectionFinding(i, "台账不全", Severity.MINOR, project_ids=(p,))


@builds(RecordRectification)
async def _rectify(w: World) -> tuple[Actor, Command]:
    i, p = await inspection(w)
    out = await run(w, inspector(w), RecordInspectionFinding(i, "台账不全", Severity.MINOR, project_ids=(p,)))
    return finance(w), RecordRectification(i, UUID(out.extra["finding_id"]), "已补齐台账")


async def _rectified(w: World) -> tuple[UUID, UUID]:
    """An inspection with one finding whose rectification awaits verification."""
    i, p = await inspection(w)
    out = await run(w, inspector(w), RecordInspectionFinding(i, "虚报人数", Severity.MAJOR, project_ids=(p,)))
    finding = UUID(out.extra["finding_id"])
    await run(w, finance(w), RecordRectification(i, finding, "退回多报金额"))
    return i, finding


@builds(VerifyRectification)
async def _verify_rectification(w: World) -> tuple[Actor, Command]:
    i, finding = await _rectified(w)
    return inspector(w), VerifyRectification(i, finding)


@builds(RejectRectification)
async def _reject_rectification(w: World) -> tuple[Actor, Command]:
    i, finding = await _rectified(w)
    return inspector(w), RejectRectification(i, finding, "未附凭证")


@builds(CloseInspection)
async def _close_inspection(w: World) -> tuple[Actor, Command]:
    i, _ = await inspection(w)
    return inspector(w), CloseInspection(i, "未发现问题", date(2026, 3, 2))


@builds(RegisterWebhook)
async def _register_webhook(w: World) -> tuple[Actor, Command]:
    return w.admin, RegisterWebhook("https://grid.example.cn/hook", organization_id=w.street,
                                    event_types=("Member.TransferRequested",), description="网格通知")


@builds(PauseWebhook)
async def _pause(w: World) -> tuple[Actor, Command]:
    return w.admin, PauseWebhook(await webhook(w), "接收方维护")


@builds(ResumeWebhook)
async def _resume(w: World) -> tuple[Actor, Command]:
    hook = await webhook(w)
    await run(w, w.admin, PauseWebhook(hook, "接收方维护"))
    return w.admin, ResumeWebhook(hook)


@builds(RemoveWebhook)
async def _remove(w: World) -> tuple[Actor, Command]:
    return w.admin, RemoveWebhook(await webhook(w))


@builds(PauseFailingWebhook)
async def _pause_failing(w: World) -> tuple[Actor, Command]:
    return SYSTEM_ACTOR, PauseFailingWebhook(await webhook(w), "8 consecutive failures")


GRID_CODE = "211403002001"
"""The east community's division code: its grids' codes start with it."""


def square(west: float, south: float, size: float = 0.01) -> str:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


async def grid(w: World, seq: str = "001", buildings: tuple[str, ...] = ("1栋", "2栋")) -> UUID:
    return (await run(w, w.admin, RegisterGrid(w.east, GRID_CODE + seq, f"第{seq}网格", "RESIDENTIAL",
                                               buildings=buildings, boundary=square(122.07, 41.12)))).id


async def staffed(w: World) -> tuple[UUID, UUID]:
    g = await grid(w)
    out = await run(w, w.admin, AppointGridStaff(g, StaffRole.LEADER, "社区两委委员", name="王建华",
                                                 phone="13840001111"))
    return g, UUID(out.extra["assignment_id"])


@builds(RegisterGrid)
async def _register_grid(w: World) -> tuple[Actor, Command]:
    return w.admin, RegisterGrid(w.east, GRID_CODE + "001", "第一网格", "RESIDENTIAL", households=320,
                                 population=900, buildings=("1栋", "2栋"), boundary=square(122.07, 41.12),
                                 reason="网格普查")


@builds(UpdateGridDetails)
async def _update_grid(w: World) -> tuple[Actor, Command]:
    return w.admin, UpdateGridDetails(await grid(w), "更正", name="仙山一网格", households=330)


@builds(RetireGrid)
async def _retire_grid(w: World) -> tuple[Actor, Command]:
    return w.admin, RetireGrid(await grid(w), "并入新网格")


@builds(AppointGridStaff)
async def _appoint(w: World) -> tuple[Actor, Command]:
    return w.admin, AppointGridStaff(await grid(w), StaffRole.WORKER, "专职网格员", name="李娜", phone="13840002222")


@builds(ReplaceGridStaff)
async def _replace_staff(w: World) -> tuple[Actor, Command]:
    return w.admin, ReplaceGridStaff(*await staffed(w), "工作调整", name="张伟", phone="13840003333")


@builds(RemoveGridStaff)
async def _remove_staff(w: World) -> tuple[Actor, Command]:
    return w.admin, RemoveGridStaff(*await staffed(w), "辞职")


@builds(SplitGrid)
async def _split(w: World) -> tuple[Actor, Command]:
    g, leader = await staffed(w)
    return w.admin, SplitGrid(g, (GridPart(GRID_CODE + "002", "西片", buildings=("1栋",), staff_ids=(leader,)),
                                  GridPart(GRID_CODE + "003", "东片", buildings=("2栋",))), "人口增长")


@builds(MergeGrids)
async def _merge(w: World) -> tuple[Actor, Command]:
    a, b = await grid(w, "001", ("1栋",)), await grid(w, "002", ("2栋",))
    return w.admin, MergeGrids((a, b), GridPart(GRID_CODE + "003", "合并网格", buildings=("1栋", "2栋")), "合并")


@builds(MoveGrid)
async def _move_grid(w: World) -> tuple[Actor, Command]:
    return street_admin(w), MoveGrid(await grid(w), w.west, "211403002002001", "区划调整")


async def grid_branch(w: World) -> UUID:
    return (await run(w, w.admin, EstablishOrganization(OrganizationKind.GRID_BRANCH, "第一网格党支部", w.east))).id


@builds(CorrectGridCode)
async def _correct_code(w: World) -> tuple[Actor, Command]:
    return w.admin, CorrectGridCode(await grid(w), GRID_CODE + "009", "录入错误")


@builds(LinkGridBranch)
async def _link_branch(w: World) -> tuple[Actor, Command]:
    return w.admin, LinkGridBranch(await grid(w), await grid_branch(w), "支部建在网格上")


@builds(UnlinkGridBranch)
async def _unlink_branch(w: World) -> tuple[Actor, Command]:
    g = await grid(w)
    await run(w, w.admin, LinkGridBranch(g, await grid_branch(w)))
    return w.admin, UnlinkGridBranch(g, "支部调整")


@builds(ReassignGridBuilding)
async def _reassign_building(w: World) -> tuple[Actor, Command]:
    a, b = await grid(w, "001", ("1栋", "2栋")), await grid(w, "002", ("3栋",))
    return w.admin, ReassignGridBuilding(a, "2栋", b, "道路改造")


BUILDERS.update(SHOP_BUILDERS)  # the shops area keeps its builders beside its tests (tests/unit/shops)
BUILDERS.update(DUES_BUILDERS)  # and the members area its dues commands' (tests/unit/members)
BUILDERS.update(ENGAGEMENT_BUILDERS)  # and its mobile cards', reports', volunteer hours' and appraisals'
BUILDERS.update(REQUEST_BUILDERS)  # and the requests area its own (tests/unit/requests)
BUILDERS.update(GRID_BUILDERS)  # and the grids area its residences', building groups' and households'
BUILDERS.update(TRANSFER_BUILDERS)  # and its transfers' and Party life's (tests/unit/members)
BUILDERS.update(PLAN_BUILDERS)  # and the funds area its plans' and reports' (tests/unit/funds)
BUILDERS.update(DUES_FUND_BUILDERS)  # and its dues remittances' and allocations' (tests/unit/funds)


# --- another value of a field's type, from its type hint ------------------------------


def _options(hint: Any) -> list[Any] | None:
    """The non-None members of a union hint, or None if ``hint`` is no union."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(hint) if a is not type(None)]
    return None


def _is_money(options: list[Any]) -> bool:
    return str in options and Decimal in options  # ``Amount = str | Decimal``


def example(hint: Any) -> Any:
    """Some value of the type ``hint`` (what a field left None is changed to)."""
    options = _options(hint)
    if options is not None:
        return "1.00" if _is_money(options) else example(options[0])
    if typing.get_origin(hint) is tuple:
        return (example(typing.get_args(hint)[0]),)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    if dataclasses.is_dataclass(hint):  # a part of a command: its required fields
        inner = typing.get_type_hints(hint)
        return hint(**{f.name: example(inner[f.name]) for f in dataclasses.fields(hint)  # type: ignore[operator]
                       if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING})
    simple: dict[Any, Callable[[], Any]] = {
        bool: lambda: True, int: lambda: 1, float: lambda: 1.5, str: lambda: "x", UUID: uuid4,
        date: lambda: date(2026, 3, 1), Decimal: lambda: Decimal("1.00"),
    }
    if hint in simple:
        return simple[hint]()
    raise TypeError(f"no example of {hint!r}: teach example() this type")


def different(value: Any, hint: Any) -> Any:
    """Another valid-typed value for a field of type ``hint`` that holds ``value``."""
    options = _options(hint)
    if options is not None:
        if value is None:
            return example(hint)
        if _is_money(options):
            return f"{Decimal(value) + Decimal('1.00'):.2f}" if isinstance(value, str) else value + Decimal("1.00")
        held = next(a for a in options if isinstance(value, typing.get_origin(a) or a))
        return different(value, held)
    if typing.get_origin(hint) is tuple:
        element, rest = typing.get_args(hint)
        assert rest is Ellipsis, f"a fixed-length tuple field {hint!r}"
        return (*value, example(element))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(m for m in hint if m is not value)
    if dataclasses.is_dataclass(hint):  # a part of a command: its first field changed
        first = dataclasses.fields(hint)[0]
        return dataclasses.replace(value, **{first.name: different(getattr(value, first.name),
                                                                   typing.get_type_hints(hint)[first.name])})
    if hint is bool:
        return not value
    if hint is int:
        return value + 1
    if hint is float:
        return value + 0.5
    if hint is str:
        return value + "x"
    if hint is UUID:
        return uuid4()
    if hint is date:
        return value + timedelta(days=1)
    if hint is datetime:  # a service order's start
        return value + timedelta(hours=1)
    if hint is Decimal:
        return value + Decimal("1.00")
    raise TypeError(f"no way to change a field of type {hint!r}: teach different() this type")


# --- the tests --------------------------------------------------------------------------


async def prepared_world() -> tuple[World, Secrets]:
    w = await world()
    secrets = Secrets()
    w.commands.handling.services[WebhookSecrets] = secrets
    return w, secrets


def test_every_command_has_a_builder() -> None:
    assert len(set(ALL_COMMANDS)) == len(ALL_COMMANDS)
    actions = [c.action for c in ALL_COMMANDS]
    assert len(set(actions)) == len(actions), "two commands share an action (and so a fingerprint prefix)"
    missing = {c.__name__ for c in ALL_COMMANDS} - {c.__name__ for c in BUILDERS}
    extra = {c.__name__ for c in BUILDERS} - {c.__name__ for c in ALL_COMMANDS}
    assert set(BUILDERS) == set(ALL_COMMANDS), f"without a builder: {missing}; not listed: {extra}"


@pytest.mark.parametrize("cls", ALL_COMMANDS, ids=lambda c: c.action)
async def test_a_reused_key_with_any_field_changed_is_refused(cls: type[Command]) -> None:
    builder = BUILDERS.get(cls)
    if builder is None:
        pytest.fail(f"{cls.__name__} has no builder in BUILDERS")
    w, secrets = await prepared_world()
    who, command = await builder(w)
    assert type(command) is cls
    key = f"k-{cls.action}"

    before = len(w.store.events)
    first = await w.commands.run(command, Request(who, uuid4(), idempotency_key=key))
    assert not first.replayed and len(w.store.events) > before

    def stored() -> tuple[int, int, dict[UUID, str]]:
        return len(w.store.events), len(w.store.keys), dict(secrets.held)

    after_first = stored()
    again = await w.commands.run(command, Request(who, uuid4(), idempotency_key=key))
    assert again.replayed
    assert (again.id, again.position) == (first.id, first.position)
    assert again.extra == {k: v for k, v in first.extra.items() if k not in PRIVATE}
    assert stored() == after_first

    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    assert fields, f"{cls.__name__} has no fields"
    missed: list[str] = []
    for f in fields:
        value = getattr(command, f.name)
        other = different(value, hints[f.name])
        assert other != value, f"different() gave {f.name} the same value {value!r}"
        changed = dataclasses.replace(command, **{f.name: other})
        try:
            outcome = await w.commands.run(changed, Request(who, uuid4(), idempotency_key=key))
        except IdempotencyKeyReused as exc:
            assert exc.field == "idempotencyKey"
        except Exception as exc:  # name the field, then fail below
            missed.append(f"{f.name}={other!r}: {type(exc).__name__}: {exc}")
        else:
            missed.append(f"{f.name}={other!r}: accepted (replayed={outcome.replayed})")
        assert stored() == after_first, f"changing {f.name} stored something"
    assert not missed, f"{cls.__name__}: a changed field under key {key!r} was not refused: {missed}"

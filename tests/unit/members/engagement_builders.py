"""A valid instance of every command of mobile members, dual reporting, volunteer hours and the
appraisal, with the world it needs, for ``tests/unit/core/test_idempotency_every_command.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from uuid import UUID, uuid4

from domain.members import engagement_commands as ec
from domain.members.aggregate import Gender, Standing
from domain.members.appraisal import AppraisalRating
from domain.members.dues import DuesCategory
from domain.members.transfers import ExternalOrganization
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Command
from domain.shared.permissions import Actor, Role
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
ENGAGEMENT_BUILDERS: dict[type[Command], Builder] = {}


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        ENGAGEMENT_BUILDERS[cls] = fn
        return fn
    return add


async def in_service(w: World) -> UUID:
    """A member of the west community in service (dues assessed as EMPLOYED for 2026)."""
    member = (await w.commands.register_member(
        req(w.admin), "郑晓燕", Gender.FEMALE, date(1985, 3, 8), "汉族", id_number("211403198503080", 5), None,
        Standing.FULL, date(2012, 7, 1), w.west, date(2025, 12, 1))).id
    await w.commands.assess_member_dues(req(w.admin), member, 2026, DuesCategory.EMPLOYED, "5000.00")
    return member


async def carded(w: World) -> UUID:
    member = await in_service(w)
    await w.commands.issue_mobile_card(req(w.admin), member, "YK-2025-0042", date(2025, 6, 1),
                                       inflow_organization_id=w.east)
    return member


def own(member: UUID, w: World) -> Actor:
    return actor(Role.MEMBER, scope=w.street, subject=str(member))


async def pending(w: World) -> tuple[UUID, UUID]:
    member, entry = await in_service(w), uuid4()
    await w.commands.log_volunteer_hours(req(own(member, w)), member, entry, "垃圾分类督导", date(2026, 2, 3), "2.5")
    return member, entry


@builds(ec.IssueMobileCard)
async def _issue(w: World) -> tuple[Actor, Command]:
    kunshan = ExternalOrganization("昆山市花桥镇流动党员党支部", "江苏省", "苏州市")
    return w.admin, ec.IssueMobileCard(await in_service(w), "YK-2026-0007", date(2026, 2, 1), None, kunshan, "外出务工")


@builds(ec.ReviewMobileCard)
async def _review(w: World) -> tuple[Actor, Command]:
    return w.admin, ec.ReviewMobileCard(await carded(w), date(2026, 2, 20))


@builds(ec.CloseMobileCard)
async def _close(w: World) -> tuple[Actor, Command]:
    return w.admin, ec.CloseMobileCard(await carded(w), date(2026, 2, 25), "返乡")


@builds(ec.ReportToResidenceCommunity)
async def _report(w: World) -> tuple[Actor, Command]:
    return w.admin, ec.ReportToResidenceCommunity(await in_service(w), w.east, date(2026, 1, 12), ("助老服务",))


@builds(ec.ReportUnitToResidenceCommunity)
async def _unit_report(w: World) -> tuple[Actor, Command]:
    park = (await w.commands.establish_organization(req(w.admin), OrganizationKind.PARK_COMMITTEE, "数字产业园党委",
                                                    w.street)).id
    return w.admin, ec.ReportUnitToResidenceCommunity(park, w.east, date(2026, 1, 9), ("结对共建",))


@builds(ec.LogVolunteerHours)
async def _log(w: World) -> tuple[Actor, Command]:
    member = await in_service(w)
    return own(member, w), ec.LogVolunteerHours(member, uuid4(), "助老服务", date(2026, 2, 10), "3.0")


@builds(ec.ConfirmVolunteerHours)
async def _confirm(w: World) -> tuple[Actor, Command]:
    member, entry = await pending(w)
    return w.admin, ec.ConfirmVolunteerHours(member, entry)


@builds(ec.RejectVolunteerHours)
async def _reject(w: World) -> tuple[Actor, Command]:
    member, entry = await pending(w)
    return w.admin, ec.RejectVolunteerHours(member, entry, "无人证明")


@builds(ec.AppraiseMember)
async def _appraise(w: World) -> tuple[Actor, Command]:
    return w.admin, ec.AppraiseMember(await in_service(w), 2025, AppraisalRating.BASICALLY_QUALIFIED,
                                      date(2026, 1, 15), "年度评议")

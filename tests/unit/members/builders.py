"""A valid instance of every dues command with the world it needs, for the cross-cutting
tests over every command (``tests/unit/core/test_idempotency_every_command.py`` and
``test_ids_of_another_kind.py`` take them into their ``BUILDERS``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from uuid import UUID

from domain.members import commands as mc
from domain.members.aggregate import Gender, Standing
from domain.members.dues import ActivityKind, DuesCategory
from domain.shared.commands import Command
from domain.shared.permissions import Actor, Role
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
DUES_BUILDERS: dict[type[Command], Builder] = {}


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        DUES_BUILDERS[cls] = fn
        return fn
    return add


async def assessed(w: World) -> UUID:
    """A member of the east community, paid through December 2025, assessed for 2026."""
    member = (await w.commands.register_member(
        req(w.admin), "孙丽华", Gender.FEMALE, date(1980, 5, 6), "汉族", id_number("211403198005060", 3), None,
        Standing.FULL, date(2010, 7, 1), w.east, date(2025, 12, 1))).id
    await w.commands.assess_member_dues(req(w.admin), member, 2026, DuesCategory.EMPLOYED, "6000.00")
    return member


def street_admin(w: World) -> Actor:
    return actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")


async def reduction_proposed(w: World) -> UUID:
    member = await assessed(w)
    await w.commands.propose_dues_reduction(req(w.admin), member, 2026, "30.00", date(2026, 2, 20),
                                            "仙山支委〔2026〕9号", "失业")
    return member


@builds(mc.AssessMemberDues)
async def _assess(w: World) -> tuple[Actor, Command]:
    member = await assessed(w)
    return w.admin, mc.AssessMemberDues(member, 2025, DuesCategory.RETIRED, "4800.00", "年初核定")


@builds(mc.ProposeDuesReduction)
async def _propose(w: World) -> tuple[Actor, Command]:
    return w.admin, mc.ProposeDuesReduction(await assessed(w), 2026, "40.00", date(2026, 2, 21),
                                            "仙山支委〔2026〕10号", "家庭困难")


@builds(mc.ApproveDuesReduction)
async def _approve(w: World) -> tuple[Actor, Command]:
    return street_admin(w), mc.ApproveDuesReduction(await reduction_proposed(w), 2026, "同意")


@builds(mc.RejectDuesReduction)
async def _reject(w: World) -> tuple[Actor, Command]:
    return street_admin(w), mc.RejectDuesReduction(await reduction_proposed(w), 2026, "材料不全")


@builds(mc.RecordDuesPayment)
async def _pay(w: World) -> tuple[Actor, Command]:
    return w.admin, mc.RecordDuesPayment(await assessed(w), 3, "270.00", date(2026, 3, 1), None)


@builds(mc.RecordMemberActivity)
async def _activity(w: World) -> tuple[Actor, Command]:
    return w.admin, mc.RecordMemberActivity(await assessed(w), ActivityKind.PARTY_LIFE, date(2026, 2, 28),
                                            "二月主题党日")

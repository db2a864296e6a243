"""A valid instance of every command of transfers, completed, and of Party life, with the
world it needs, for the cross-cutting tests over every command
(``tests/unit/core/test_idempotency_every_command.py`` takes them into its ``BUILDERS``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from uuid import UUID

from domain.members import transfer_commands as tc
from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.party_life import MeetingKind
from domain.members.party_life_handlers import RecordPartyLifeMeeting
from domain.members.transfers import ExternalOrganization
from domain.shared.commands import Command
from domain.shared.permissions import Actor, Role
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
TRANSFER_BUILDERS: dict[type[Command], Builder] = {}


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        TRANSFER_BUILDERS[cls] = fn
        return fn
    return add


def street_admin(w: World) -> Actor:
    return actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")


async def member(w: World, serial: int = 31) -> UUID:
    return (await w.commands.register_member(
        req(w.admin), "周凤英", Gender.FEMALE, date(1975, 11, 2), "汉族", id_number("211403197511020", serial), None,
        Standing.FULL, date(2001, 7, 1), w.west, date(2026, 2, 1))).id


async def requested(w: World) -> tuple[UUID, UUID]:
    m = await member(w)
    out = await w.commands.request_member_transfer(req(w.admin), m, w.east, TransferScope.WITHIN_CITY, "搬家")
    return m, UUID(out.extra["transfer_id"])


async def accepted(w: World) -> tuple[UUID, UUID]:
    m, t = await requested(w)
    await w.commands.issue_transfer_letter(req(w.admin), m, t)
    await w.commands.accept_member_transfer(req(w.admin), m, t)
    return m, t


async def proposed(w: World) -> tuple[UUID, UUID]:
    m, t = await accepted(w)
    await w.commands.propose_transfer_revocation(req(w.admin), m, t, w.east, "错转")
    return m, t


@builds(tc.RegisterIncomingTransfer)
async def _incoming(w: World) -> tuple[Actor, Command]:
    return w.admin, tc.RegisterIncomingTransfer(
        w.west, ExternalOrganization("深圳市南山区粤海街道党工委", "广东省", "深圳市", "440305007000"),
        TransferScope.ACROSS_PROVINCES, "粤组转〔2026〕0417", date(2026, 2, 20), date(2026, 5, 20), "黄嘉欣",
        Gender.FEMALE, date(1991, 4, 12), "汉族", id_number("440305199104120", 32), "13800138000", Standing.FULL,
        date(2015, 6, 30), date(2026, 2, 1), "随迁")


@builds(tc.ApproveMemberTransfer)
async def _approve(w: World) -> tuple[Actor, Command]:
    m, t = await requested(w)
    return street_admin(w), tc.ApproveMemberTransfer(m, t, date(2026, 3, 1), "同意")


@builds(tc.RejectMemberTransfer)
async def _reject(w: World) -> tuple[Actor, Command]:
    m, t = await requested(w)
    return street_admin(w), tc.RejectMemberTransfer(m, t, "手续不全")


@builds(tc.ProposeTransferRevocation)
async def _propose(w: World) -> tuple[Actor, Command]:
    m, t = await accepted(w)
    return w.admin, tc.ProposeTransferRevocation(m, t, w.east, "错转")


@builds(tc.ApproveTransferRevocation)
async def _approve_revocation(w: World) -> tuple[Actor, Command]:
    m, t = await proposed(w)
    return street_admin(w), tc.ApproveTransferRevocation(m, t, "同意撤销")


@builds(tc.RejectTransferRevocation)
async def _reject_revocation(w: World) -> tuple[Actor, Command]:
    m, t = await proposed(w)
    return street_admin(w), tc.RejectTransferRevocation(m, t, "转接无误")


@builds(RecordPartyLifeMeeting)
async def _meeting(w: World) -> tuple[Actor, Command]:
    a, b = await member(w, 33), await member(w, 34)
    return w.admin, RecordPartyLifeMeeting(w.west, MeetingKind.THEME_DAY, date(2026, 2, 26), "二月主题党日", (a,),
                                           (b,), ())

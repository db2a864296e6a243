"""A valid instance of every shops command with the world it needs, for the cross-cutting
tests over every command (``tests/unit/core/test_idempotency_every_command.py`` and
``test_ids_of_another_kind.py`` take them into their ``BUILDERS``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from uuid import UUID

from domain.shared.commands import Command
from domain.shared.permissions import Actor
from domain.shops import commands as sc
from domain.shops.aggregate import Channel
from tests.unit.fakes import World, req
from tests.unit.shops.support import attestations, credit_code, district

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
SHOP_BUILDERS: dict[type[Command], Builder] = {}
SCORES = (("SERVICE_QUALITY", 28), ("INTEGRITY", 27), ("MEMBER_DUTIES", 18), ("COMPLAINTS", 17))


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        SHOP_BUILDERS[cls] = fn
        return fn
    return add


async def _at(w: World, stage: str) -> tuple[UUID, Actor, Actor, Actor]:
    """A shop at ``stage`` and (secretary, street admin, district admin)."""
    d = await district(w)
    shop = await d.to(stage, await d.round())
    return shop, d.secretary, d.street_admin, w.admin


@builds(sc.OpenSelectionRound)
async def _open_round(w: World) -> tuple[Actor, Command]:
    d = await district(w)
    return w.admin, sc.OpenSelectionRound(d.committee, 2026, 24, 7, date(2026, 1, 5))


@builds(sc.RegisterShop)
async def _register(w: World) -> tuple[Actor, Command]:
    d = await district(w)
    return d.secretary, sc.RegisterShop(d.committee, "红星饭店", credit_code(7001), date(2029, 6, 30), "兴隆街7号",
                                        "CATERING", owner_member_id=await d.member(), operator_account="op-7",
                                        longitude=122.05, latitude=41.1)


@builds(sc.ApplyShop)
async def _apply(w: World) -> tuple[Actor, Command]:
    d = await district(w)
    r = await d.round()
    return d.secretary, sc.ApplyShop(await d.shop(), r, attestations(), date(2026, 3, 1))


@builds(sc.RecommendShop)
async def _recommend(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, _ = await _at(w, "applied")
    return secretary, sc.RecommendShop(shop, "诚信经营", date(2026, 3, 2))


@builds(sc.PreReviewShop)
async def _pre_review(w: World) -> tuple[Actor, Command]:
    shop, _, street, _ = await _at(w, "recommended")
    return street, sc.PreReviewShop(shop, "材料齐全", date(2026, 3, 2))


@builds(sc.ApproveShop)
async def _approve(w: World) -> tuple[Actor, Command]:
    shop, _, _, admin = await _at(w, "pre_reviewed")
    return admin, sc.ApproveShop(shop, date(2026, 3, 2))


@builds(sc.SignShopPledge)
async def _pledge(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, _ = await _at(w, "approved")
    return secretary, sc.SignShopPledge(shop, date(2026, 3, 2))


@builds(sc.FileShopObjection)
async def _object(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, _ = await _at(w, "in_notice")
    return secretary, sc.FileShopObjection(shop, "价格不实", date(2026, 3, 2))


@builds(sc.ResolveShopObjection)
async def _resolve(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, admin = await _at(w, "in_notice")
    out = await w.commands.run(sc.FileShopObjection(shop, "价格不实"), req(secretary))
    return admin, sc.ResolveShopObjection(shop, UUID(out.extra["objection_id"]), False, "不属实", date(2026, 3, 2))


@builds(sc.RefuseShop)
async def _refuse(w: World) -> tuple[Actor, Command]:
    shop, _, _, admin = await _at(w, "approved")
    return admin, sc.RefuseShop(shop, "经营者放弃", date(2026, 3, 2))


@builds(sc.AwardShopPlaque)
async def _award(w: World) -> tuple[Actor, Command]:
    shop, _, _, admin = await _at(w, "in_notice")
    w.clock.advance(10)
    return admin, sc.AwardShopPlaque(shop, "JA-2026-900", date(2026, 3, 10))


@builds(sc.RevokeShop)
async def _revoke(w: World) -> tuple[Actor, Command]:
    shop, _, _, admin = await _at(w, "awarded")
    return admin, sc.RevokeShop(shop, "违规经营", date(2026, 3, 12))


@builds(sc.RecoverShopPlaque)
async def _recover(w: World) -> tuple[Actor, Command]:
    shop, _, street, _ = await _at(w, "revoked")
    return street, sc.RecoverShopPlaque(shop, "王芳", date(2026, 3, 12))


@builds(sc.RecordShopComplaint)
async def _complain(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, _ = await _at(w, "awarded")
    return secretary, sc.RecordShopComplaint(shop, Channel.HOTLINE_12345, "缺斤少两", "张先生", "13840005555",
                                             date(2026, 3, 12))


async def _complaint(w: World) -> tuple[UUID, UUID, Actor, Actor]:
    shop, secretary, street, admin = await _at(w, "awarded")
    out = await w.commands.run(sc.RecordShopComplaint(shop, Channel.VISIT, "缺斤少两"), req(secretary))
    return shop, UUID(out.extra["complaint_id"]), street, admin


@builds(sc.InvestigateShopComplaint)
async def _investigate(w: World) -> tuple[Actor, Command]:
    shop, complaint, street, _ = await _complaint(w)
    return street, sc.InvestigateShopComplaint(shop, complaint, "调查组", date(2026, 3, 12))


@builds(sc.ConcludeShopComplaint)
async def _conclude(w: World) -> tuple[Actor, Command]:
    shop, complaint, _, admin = await _complaint(w)
    return admin, sc.ConcludeShopComplaint(shop, complaint, False, False, "不属实", date(2026, 3, 12))


@builds(sc.ScoreShopQuarter)
async def _score(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, _ = await _at(w, "awarded")
    return secretary, sc.ScoreShopQuarter(shop, 2026, 1, SCORES, date(2026, 3, 12))


@builds(sc.ReviewShopYear)
async def _review(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, admin = await _at(w, "awarded")
    await w.commands.run(sc.ScoreShopQuarter(shop, 2026, 1, SCORES), req(secretary))
    return admin, sc.ReviewShopYear(shop, 2026, date(2026, 3, 12))


@builds(sc.EraseShopComplaintPersonalData)
async def _erase_complainant(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, admin = await _at(w, "awarded")
    out = await w.commands.run(sc.RecordShopComplaint(shop, Channel.HOTLINE_12345, "缺斤少两", "张先生",
                                                      "13840005555"), req(secretary))
    return admin, sc.EraseShopComplaintPersonalData(shop, UUID(out.extra["complaint_id"]), "依本人申请删除")


@builds(sc.CloseSelectionRound)
async def _close_round(w: World) -> tuple[Actor, Command]:
    _, _, _, admin = await _at(w, "awarded")
    round_id = next(e.stream_id for e in w.store.events if e.event_type == "SelectionRound.Opened")
    return admin, sc.CloseSelectionRound(round_id, date(2026, 3, 12))


@builds(sc.UpdateShopDetails)
async def _update_details(w: World) -> tuple[Actor, Command]:
    shop, secretary, _, _ = await _at(w, "awarded")
    return secretary, sc.UpdateShopDetails(shop, date(2032, 6, 30), "兴隆街99号", "CATERING", 122.08, 41.13)

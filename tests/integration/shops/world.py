"""The shops' part of ``tests.integration.support.build_world``: something for every shops table.

A business-district committee under the world's street with its 2026 round, three shops
awarded (one drew an objection that was dismissed, one a complaint and a quarter's
score), one revoked with its plaque recovered. Every step is dated before the world's
NOW (1 March 2026), so the notice has run. Kept free of ``tests.integration.support``'s
imports, which it serves.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shops.aggregate import Channel
from domain.shops.licence import Attestation, Attested, credit_check_character
from tests.usecases import UseCases

_ADMIN = Actor(subject="t", name="T", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
_SECRETARY = Actor(subject="bd", name="BD", roles=frozenset({Role.BUSINESS_DISTRICT_SECRETARY}), scope=None)
_STREET = Actor(subject="st", name="ST", roles=frozenset({Role.STREET_ADMIN}), scope=None)
_ON = date(2026, 2, 2)


def _r(who: Actor = _ADMIN) -> Request:
    return Request(who, uuid4())


async def build_shops(cmds: UseCases, street: UUID, member: UUID) -> dict[str, UUID]:
    """``member``, a full member in good standing, owns two shops and answers for an operator's
    third (no member is added: the world's member counts stay as its tests know them)."""
    committee = (await cmds.establish_organization(_r(), OrganizationKind.BUSINESS_DISTRICT_COMMITTEE,
                                                   "观前商圈党委", street)).id
    round_id = (await cmds.open_selection_round(_r(), committee, 2026, 24, None, date(2026, 1, 5))).id
    attested = tuple(Attestation(c, True, "观信证1号") for c in Attested)
    shops = []
    for i in range(3):
        owner = {"owner_member_id": member} if i < 2 else {"operator_name": "周经营", "responsible_member_id": member}
        body = f"92320508MA{9_000_000 + i:07d}"
        code = body + credit_check_character(body)
        shop = (await cmds.register_shop(_r(_SECRETARY), committee, f"观前示范店{i}", code,
                                         date(2030, 6, 30), f"观前街{i}号", "RETAIL", **owner,
                                         longitude=120.62, latitude=31.31)).id
        await cmds.apply_shop(_r(_SECRETARY), shop, round_id, attested, _ON)
        await cmds.recommend_shop(_r(_SECRETARY), shop, "推荐", _ON)
        await cmds.pre_review_shop(_r(_STREET), shop, "初审", _ON)
        await cmds.approve_shop(_r(), shop, _ON)
        await cmds.sign_shop_pledge(_r(_SECRETARY), shop, _ON)
        if i == 0:
            out = await cmds.file_shop_objection(_r(_SECRETARY), shop, "价格不实", date(2026, 2, 3))
            await cmds.resolve_shop_objection(_r(), shop, UUID(out.extra["objection_id"]), False, "不属实",
                                              date(2026, 2, 4))
        await cmds.award_shop_plaque(_r(), shop, f"GQ-2026-{i + 1:03d}", date(2026, 2, 10))
        shops.append(shop)
    await cmds.record_shop_complaint(_r(_SECRETARY), shops[1], Channel.HOTLINE_12345, "缺斤少两", "张先生",
                                     "13850009903", date(2026, 2, 12))
    scores = (("SERVICE_QUALITY", 28), ("INTEGRITY", 27), ("MEMBER_DUTIES", 18), ("COMPLAINTS", 17))
    await cmds.score_shop_quarter(_r(_SECRETARY), shops[1], 2026, 1, scores)
    await cmds.revoke_shop(_r(), shops[2], "违规经营", date(2026, 2, 20))
    await cmds.recover_shop_plaque(_r(_STREET), shops[2], "街道组织办", date(2026, 2, 25))
    return {"shop_committee": committee, "round": round_id, "shop1": shops[0], "shop2": shops[1],
            "shop3": shops[2]}

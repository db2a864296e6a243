"""A business district with members, shops and a round, taken to any step (in-memory world)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import count
from uuid import UUID

from domain.members.aggregate import Gender, Standing
from domain.members.commands import RegisterMember
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.commands import EstablishOrganization
from domain.shared.commands import Command, Outcome
from domain.shared.permissions import Actor, Role
from domain.shops.aggregate import Channel
from domain.shops.commands import (
    ApplyShop,
    ApproveShop,
    AwardShopPlaque,
    OpenSelectionRound,
    PreReviewShop,
    RecommendShop,
    RecordShopComplaint,
    RegisterShop,
    RevokeShop,
    SignShopPledge,
)
from domain.shops.licence import Attestation, Attested, credit_check_character
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req

_serials = count(1)
STAGES = ("registered", "applied", "recommended", "pre_reviewed", "approved", "in_notice", "awarded", "revoked")


def credit_code(n: int) -> str:
    """A valid unified social credit code (an individual business, 92, in Panjin's 211403)."""
    body = f"92211403MA{n % 10_000_000:07d}"
    return body + credit_check_character(body)


def attestations(holds: bool = True, document: str = "辽公证〔2026〕12号") -> tuple[Attestation, ...]:
    return tuple(Attestation(c, holds if c is Attested.NO_CRIMINAL_PENALTY else True, document) for c in Attested)


@dataclass
class District:
    """The business district of a world, and who acts in it."""

    w: World
    committee: UUID
    """A business-district committee (商圈党委) under the street."""
    secretary: Actor
    street_admin: Actor

    async def run(self, who: Actor, command: Command) -> Outcome:
        return await self.w.commands.run(command, req(who))

    async def member(self, standing: Standing = Standing.FULL, dues: date | None = date(2026, 2, 1)) -> UUID:
        n = next(_serials)
        return (await self.run(self.w.admin, RegisterMember(
            f"党员{n}", Gender.FEMALE, date(1980, 5, 6), "汉族", id_number("211403198005060", n), None, standing,
            date(2010, 7, 1), self.committee, dues))).id

    async def round(self, year: int = 2026, quota: int = 24, notice_days: int | None = None) -> UUID:
        return (await self.run(self.w.admin, OpenSelectionRound(self.committee, year, quota, notice_days,
                                                                date(year, 1, 5)))).id

    async def shop(self, member: UUID | None = None, **kw: object) -> UUID:
        n = next(_serials)
        owner = member or await self.member()
        fields: dict[str, object] = {"owner_member_id": owner, "longitude": 122.07, "latitude": 41.12, **kw}
        return (await self.run(self.secretary, RegisterShop(
            self.committee, f"红心便利店{n}", credit_code(n), date(2029, 12, 31), f"兴隆街{n}号", "RETAIL",
            **fields))).id  # type: ignore[arg-type]

    async def to(self, stage: str, round_id: UUID, shop: UUID | None = None) -> UUID:
        """A shop taken to ``stage`` in the round (a new one unless given)."""
        s = shop or await self.shop()
        steps: list[tuple[Actor, Command]] = [
            (self.secretary, ApplyShop(s, round_id, attestations())),
            (self.secretary, RecommendShop(s, "社区推荐")),
            (self.street_admin, PreReviewShop(s, "初审通过")),
            (self.w.admin, ApproveShop(s)),
            (self.secretary, SignShopPledge(s)),
        ]
        reached = STAGES.index(stage)
        for who, command in steps[:reached]:
            await self.run(who, command)
        if reached >= STAGES.index("awarded"):
            self.w.clock.advance(10)
            await self.run(self.w.admin, AwardShopPlaque(s, f"JA-2026-{next(_serials):04d}"))
        if reached >= STAGES.index("revoked"):
            await self.run(self.w.admin, RevokeShop(s, "经营者违规"))
        return s

    async def complaint(self, shop: UUID) -> UUID:
        out = await self.run(self.secretary, RecordShopComplaint(shop, Channel.HOTLINE_12345, "短斤少两",
                                                                 "李女士", "13840009999"))
        return UUID(out.extra["complaint_id"])


async def district(w: World) -> District:
    committee = (await w.commands.run(EstablishOrganization(
        OrganizationKind.BUSINESS_DISTRICT_COMMITTEE, "建安商圈党委", w.street), req(w.admin))).id
    return District(w, committee, actor(Role.BUSINESS_DISTRICT_SECRETARY, scope=committee, subject="bd-secretary"),
                    actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin"))

"""Members around the east community, for service orders: one who belongs to it, one who lives in
a nearby grid of it, one who reported to it (双报到), one from the west community; and an order."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from domain.grids.commands import RegisterGrid
from domain.grids.residence import AssignMemberResidence
from domain.members.aggregate import Gender, Member, Standing
from domain.members.commands import RegisterMember
from domain.members.engagement_commands import ReportToResidenceCommunity
from domain.requests.order_commands import PublishServiceOrder
from domain.shared import events as ev
from domain.shared.permissions import Actor, Role
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req
from tests.unit.requests.support import Place, place

_serial = itertools.count(11)
STARTS = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)


@dataclass
class Neighbours:
    p: Place
    belongs: UUID
    """Home: the east community."""
    nearby: UUID
    """Home: the street; lives in another grid of the east community."""
    reported: UUID
    """Home: the street; reported to the east community this year."""
    outsider: UUID
    """Home: the west community; neither lives in nor reported to the east one."""

    def token(self, member: UUID, scope: UUID | None = None) -> Actor:
        return actor(Role.MEMBER, scope=scope or self.p.w.street, subject=str(member))

    async def member(self, mid: UUID) -> Member:
        found = ev.replay(Member, await self.p.w.store.read_stream(mid))
        assert isinstance(found, Member)
        return found

    async def order(self, **kw: object) -> UUID:
        rid = await self.p.report(category="ELDERLY_CARE", description="独居老人需要陪同就医")
        fields: dict[str, object] = {"title": "陪同王奶奶就医", "starts_at": STARTS, "place": "仙山社区3栋",
                                     "hours_expected": "2.0"}
        fields.update(kw)
        return (await self.p.run(self.p.secretary, PublishServiceOrder(rid, **fields))).id  # type: ignore[arg-type]


async def _member(p: Place, name: str, home: UUID) -> UUID:
    return (await p.run(p.w.admin, RegisterMember(name, Gender.FEMALE, date(1985, 6, 1), "汉族",
                                                  id_number("211403198506010", next(_serial)), None,
                                                  Standing.FULL, date(2010, 7, 1), home))).id


async def neighbours(w: World | None = None) -> Neighbours:
    """The members around the east community, in ``w`` (a fresh world if none)."""
    p = await place(w)
    w = p.w
    nearby_grid = (await p.run(w.admin, RegisterGrid(w.east, "211403002001002", "仙山二网格", "RESIDENTIAL"))).id
    belongs = await _member(p, "李春梅", w.east)
    nearby = await _member(p, "赵海燕", w.street)
    reported = await _member(p, "钱晓红", w.street)
    outsider = await _member(p, "孙丽华", w.west)
    await p.run(p.secretary, AssignMemberResidence(nearby, nearby_grid, "在职党员居住地"))
    await p.run(w.admin, ReportToResidenceCommunity(reported, w.east, w.clock.now.date()))
    return Neighbours(p, belongs, nearby, reported, outsider)


__all__ = ["STARTS", "Neighbours", "neighbours", "req"]

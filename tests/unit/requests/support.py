"""A district with a street, two communities, a grid and the departments a street dispatches to,
with the actors of each step: the unit tests' world of residents' requests."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.grids.commands import RegisterGrid
from domain.requests import commands as rc
from domain.requests.aggregate import Request, Source
from domain.requests.rules import Attachment
from domain.shared import events as ev
from domain.shared.commands import Outcome
from domain.shared.permissions import Actor, Role
from tests.unit.fakes import World, actor, req, world

PHOTO = Attachment("https://oss.example.cn/photos/road-7.jpg", "9f" * 32)


@dataclass
class Place:
    w: World
    grid: UUID
    secretary: Actor
    """The east community's secretary."""
    street_admin: Actor
    grid_worker: Actor
    hotline: Actor
    traffic: UUID
    """交通: the street's department for roads."""
    urban: UUID
    """城管: the district's urban-management department (roads and environment)."""

    def handler(self, department: UUID) -> Actor:
        """A department handler's token: the department's owner as scope, its id as subject."""
        owner = self.w.street if department == self.traffic else self.w.district
        return actor(Role.DEPARTMENT_HANDLER, scope=owner, subject=str(department))

    async def run(self, who: Actor, command: object) -> Outcome:
        return await self.w.commands.run(command, req(who))  # type: ignore[arg-type]

    async def report(self, **kw: object) -> UUID:
        fields: dict[str, object] = {"category": "ROADS", "description": "人民路 12 号门前路面塌陷",
                                     "source": Source.GRID_REPORT, "attachments": (PHOTO,)}
        fields.update(kw)
        return (await self.run(self.grid_worker, rc.ReportRequest(self.grid, **fields))).id  # type: ignore[arg-type]

    async def request(self, rid: UUID) -> Request:
        rows = await self.w.store.read_stream(rid)
        found = ev.replay(Request, rows)
        assert found is not None
        return found

    async def at_street(self) -> UUID:
        rid = await self.report()
        await self.run(self.secretary, rc.EscalateRequest(rid, "需要街道协调"))
        return rid

    async def accepted_by_urban(self) -> UUID:
        rid = await self.at_street()
        await self.run(self.street_admin, rc.DispatchRequest(rid, self.urban))
        await self.run(self.handler(self.urban), rc.AcceptRequest(rid))
        return rid


async def place(w: World | None = None) -> Place:
    """The place, in ``w`` (a fresh world if none)."""
    w = w or await world()
    grid = (await w.commands.run(RegisterGrid(w.east, "211403002001001", "仙山一网格", "RESIDENTIAL"),
                                 req(w.admin))).id
    street_admin = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    traffic = (await w.commands.run(rc.RegisterDepartment(w.street, "望海寺街道交通办", "交通", ("ROADS",)),
                                    req(street_admin))).id
    urban = (await w.commands.run(rc.RegisterDepartment(w.district, "龙港区城市管理局", "城管",
                                                        ("ROADS", "ENVIRONMENT")), req(w.admin))).id
    return Place(w, grid, actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="secretary-east"), street_admin,
                 actor(Role.GRID_WORKER, scope=w.east, subject=f"worker-{uuid4().hex[:6]}"),
                 actor(Role.INTEGRATION, scope=w.district, subject="hotline-12345"), traffic, urban)

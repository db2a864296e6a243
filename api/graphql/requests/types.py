"""Object types of residents' requests, their steps and the departments they go to."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
import strawberry
from strawberry.scalars import JSON

from api.graphql.core.context import Info
from api.graphql.core.relay import Node
from api.graphql.grids.types import Grid, grid
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.requests.aggregate import Level, Rating, RequestState, Source
from domain.requests.rules import Urgency
from domain.shared.permissions import Actor, Role
from domain.shared.privacy import may_see_personal_data, visible

strawberry.enum(RequestState, description="Where a request stands in the loop: REPORTED (the community responds),"
                                          " TAKEN (the community handles it), ESCALATED (the street dispatches it),"
                                          " DISPATCHED (the department accepts or sends it back), ACCEPTED (the"
                                          " department resolves it), RESOLVED (to be fed back), FED_BACK (the"
                                          " resident's rating awaited), RATED (to be closed), CLOSED.")
strawberry.enum(Source, name="RequestSource",
                description="How a request came in: a grid worker's report (网格上传), a resident's order through an"
                            " integration (12345), a walk-in.")
strawberry.enum(Rating, name="RequestRating",
                description="The resident's rating: satisfied, basically satisfied, not satisfied (reopens).")
strawberry.enum(Level, name="RequestLevel",
                description="Who holds a request (or resolved it): the community, the street, the district, a"
                            " department.")
strawberry.enum(Urgency, name="RequestUrgency",
                description="How soon a request must be handled; each step's deadline depends on it.")


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def handles(actor: Actor, row: asyncpg.Record) -> bool:
    """Whether ``actor`` handles the request (and so sees its resident unmasked): the roles that see
    personal data, or the department handler of the department it is with."""
    if may_see_personal_data(actor):
        return True
    department = row["department_id"]
    return Role.DEPARTMENT_HANDLER in actor.roles and department is not None and actor.subject == str(department)


@strawberry.type(description="A functional department (职能部门) of a street or district, which residents' requests"
                             " of the categories it handles are dispatched to.")
class Department(Node):
    row: strawberry.Private[asyncpg.Record]
    name: str = strawberry.field(description="Its name, e.g. 望海寺街道城管科.")
    code: str = strawberry.field(description="The short code dispatchers know it by (交通, 城管, 民政); unique within"
                                             " its street or district, never reused.")
    categories: list[str] = strawberry.field(description="The request categories it handles.")
    status: str = strawberry.field(description="ACTIVE, or RETIRED (takes no dispatch).")
    registered_at: datetime = strawberry.field(description="When it was registered.")
    retired_at: datetime | None = strawberry.field(description="When it was retired.")

    @strawberry.field(description="The street working committee or district committee it belongs to.")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])


def department(r: asyncpg.Record) -> Department:
    return Department(id=_id(r["id"]), row=r, name=r["name"], code=r["code"], categories=list(r["categories"]),
                      status=r["status"], registered_at=r["registered_at"], retired_at=r["retired_at"])


@strawberry.type(description="A file attached to a request by reference: it stays in the caller's storage.")
class RequestAttachment:
    url: str = strawberry.field(description="Where the file is (http or https).")
    sha256: str = strawberry.field(description="Its SHA-256 digest (64 hexadecimal digits), to check what the URL"
                                               " serves.")


@strawberry.type(description="One step of a request's history: what happened, when, who did it and why.")
class RequestStep:
    type: str = strawberry.field(description="The event without its stream type: Reported, Taken, Escalated,"
                                             " Dispatched, Accepted, SentBack, Resolved, FedBack, Rated, Reopened,"
                                             " Closed, MergedInto, DuplicateMerged.")
    at: datetime = strawberry.field(description="When the step was taken.")
    actor: str = strawberry.field(description="Token subject of whoever took it (`system:request-escalation` for"
                                              " the escalation sweep).")
    actor_roles: list[str] = strawberry.field(description="The roles the actor held.")
    reason: str | None = strawberry.field(description="The reason stated (an escalation's, a send-back's; the"
                                                      " sweep's states the rule that was broken).")
    department_id: strawberry.ID | None = strawberry.field(description="The department the step concerns, if any.")
    position: int = strawberry.field(description="Log position of the event.")
    detail: JSON = strawberry.field(description="The event's data (deadline `due_at`, `level`, `rating`, `result`,"
                                                " ...).")


def step(r: asyncpg.Record) -> RequestStep:
    return RequestStep(type=r["type"], at=r["at"], actor=r["actor"], actor_roles=list(r["actor_roles"]),
                       reason=r["reason"], department_id=_id(r["department_id"]) if r["department_id"] else None,
                       position=r["position"], detail=_json(r["detail"]))


@strawberry.type(description="A resident's request (诉求) in a grid and where it stands in the loop: reported, taken"
                             " or escalated by the community, dispatched by the street, accepted or sent back by a"
                             " department, resolved, fed back, rated, closed. The resident's name and phone are"
                             " personal data: masked unless you handle the request, erasable.")
class Request(Node):
    row: strawberry.Private[asyncpg.Record]
    state: RequestState = strawberry.field(description="Where it stands.")
    level: Level = strawberry.field(description="Who holds it (or whose attention an escalation called).")
    category: str = strawberry.field(description="Its category (`GRASSROOTS_REQUEST_CATEGORIES`).")
    description: str = strawberry.field(description="What it is about.")
    urgency: Urgency = strawberry.field(description="How urgent it is.")
    source: Source = strawberry.field(description="How it came in.")
    latitude: float | None = strawberry.field(description="Where, if a point was given (WGS-84).")
    longitude: float | None = strawberry.field(description="Where, if a point was given (WGS-84).")
    address: str | None = strawberry.field(description="The address given.")
    external_ref: str | None = strawberry.field(description="The integration's own number (a 12345 ticket).")
    reported_at: datetime = strawberry.field(description="When it was reported.")
    reported_by: str = strawberry.field(description="Who reported it (a grid worker, an integration, a secretary).")
    due_at: datetime | None = strawberry.field(description="When the current step is due; null once resolved.")
    due_step: str | None = strawberry.field(description="The step whose deadline runs: respond, handle, dispatch,"
                                                        " accept or resolve.")
    escalations: int = strawberry.field(description="How often it was escalated (by hand or by the sweep).")
    reopen_count: int = strawberry.field(description="How often a NOT_SATISFIED rating reopened it.")
    rating: Rating | None = strawberry.field(description="The resident's latest rating (null once reopened).")
    result: str | None = strawberry.field(description="The latest result it was resolved with.")
    resolved_by: Level | None = strawberry.field(description="Who resolved it last.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved last.")
    closed_at: datetime | None = strawberry.field(description="When it was closed (or merged).")
    merged_into_id: strawberry.ID | None = strawberry.field(description="The request this duplicate was merged into.")
    version: int = strawberry.field(description="Version of its stream.")

    @strawberry.field(description="Whether the current step is past its deadline (by the server's clock).")
    def overdue(self, info: Info) -> bool:
        due = self.row["due_at"]
        return due is not None and due < info.context.clock()

    @strawberry.field(description="Files attached by reference.")
    def attachments(self) -> list[RequestAttachment]:
        return [RequestAttachment(url=a["url"], sha256=a["sha256"]) for a in _json(self.row["attachments"])]

    @strawberry.field(description="The resident's name: `****` unless you handle the request; null once erased.")
    def resident_name(self, info: Info) -> str | None:
        value = self.row["resident_name"]
        return value if handles(info.context.actor, self.row) else visible("resident_name", value, _NOBODY)

    @strawberry.field(description="The resident's phone: masked unless you handle the request; null once erased.")
    def phone(self, info: Info) -> str | None:
        value = self.row["phone"]
        return value if handles(info.context.actor, self.row) else visible("phone", value, _NOBODY)

    @strawberry.field(description="When the resident's name and phone were erased (`eraseRequestPersonalData`).")
    def personal_data_erased_at(self) -> datetime | None:
        return self.row["personal_data_erased_at"]  # type: ignore[no-any-return]

    @strawberry.field(description="The grid it lies in (its community's, so within your scope as the request is).")
    async def grid(self, info: Info) -> Grid | None:
        row = await info.context.loaders.grid.load(self.row["grid_id"])  # one batch per page
        return grid(row) if row is not None else None

    @strawberry.field(description="The grid's community.")
    async def community(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])

    @strawberry.field(description="The department it is with (dispatched or accepted), if any.")
    async def department(self, info: Info) -> Department | None:
        if self.row["department_id"] is None:
            return None
        row = await info.context.loaders.department.load(self.row["department_id"])
        return department(row) if row is not None else None

    @strawberry.field(description="Every step taken on it, oldest first: who, when and why.")
    async def steps(self, info: Info) -> list[RequestStep]:
        return [step(r) for r in await info.context.loaders.steps_of_request.load(self.row["id"])]


_NOBODY = Actor(subject="", name="", roles=frozenset(), scope=None)
"""A viewer with no right to personal data: ``visible`` masks for it."""


def request(r: asyncpg.Record) -> Request:
    return Request(
        id=_id(r["id"]), row=r, state=RequestState(r["state"]), level=Level(r["level"]), category=r["category"],
        description=r["description"], urgency=Urgency(r["urgency"]), source=Source(r["source"]),
        latitude=r["latitude"], longitude=r["longitude"], address=r["address"], external_ref=r["external_ref"],
        reported_at=r["reported_at"], reported_by=r["reported_by"], due_at=r["due_at"], due_step=r["due_step"],
        escalations=r["escalations"], reopen_count=r["reopen_count"],
        rating=Rating(r["rating"]) if r["rating"] else None, result=r["result"],
        resolved_by=Level(r["resolved_by"]) if r["resolved_by"] else None, resolved_at=r["resolved_at"],
        closed_at=r["closed_at"], merged_into_id=_id(r["merged_into"]) if r["merged_into"] else None,
        version=r["version"])

"""Party life (组织生活, ``domain.members.party_life``): record meetings, list them, and see
which branches are behind the required counts (``partyLife``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.loading import via_loader
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.members.errors import MemberExited
from api.graphql.members.mutations import _KEY
from api.graphql.members.types import Member, load_member
from api.graphql.organizations.errors import OrganizationDissolved
from api.graphql.organizations.types import Organization, organization_or_none
from domain.members.party_life import (
    BRANCH_KINDS,
    MAX_ATTENDANCE,
    MeetingKind,
    Period,
    parse_period,
    required_in,
)
from domain.members.party_life_handlers import RecordPartyLifeMeeting
from domain.shared.commands import Outcome
from domain.shared.errors import InvalidInput
from domain.shared.permissions import may_read

strawberry.enum(MeetingKind, description="A meeting of the 三会一课 (branch general meeting 支部党员大会, branch"
                                         " committee meeting 支部委员会, Party group meeting 党小组会, Party lecture"
                                         " 党课) or the monthly theme day (主题党日).")

_KIND = {m.value: m for m in MeetingKind}


@strawberry.type(description="A meeting of Party life, as the organization that held it recorded it. Attending"
                             " counts as Party life for the six-month review (`Member.reviewFlag`).")
class PartyLifeMeeting:
    row: strawberry.Private[asyncpg.Record]
    id: strawberry.ID = strawberry.field(description="The meeting's id (its stream).")
    kind: MeetingKind = strawberry.field(description="Which meeting.")
    held_on: date = strawberry.field(description="The date it was held.")
    topic: str = strawberry.field(description="Its topic.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")

    def __init__(self, row: asyncpg.Record) -> None:
        self.row, self.id = row, strawberry.ID(str(row["id"]))
        self.kind, self.held_on, self.topic = _KIND[row["kind"]], row["held_on"], row["topic"]
        self.recorded_at = row["recorded_at"]

    @strawberry.field(description="The organization that held it.")
    def organization(self, info: Info) -> Organization | None:
        return via_loader(info.context.loaders.organization, self.row["organization_id"], organization_or_none)

    async def _members(self, info: Info, column: str) -> list[Member]:
        found = [await load_member(info, mid) for mid in self.row[column]]
        return [m for m in found if m is not None]

    @strawberry.field(description="The members who attended (those within your scope).")
    async def attended(self, info: Info) -> list[Member]:
        return await self._members(info, "attended")

    @strawberry.field(description="The members absent with leave (请假; those within your scope).")
    async def absent_with_leave(self, info: Info) -> list[Member]:
        return await self._members(info, "absent_with_leave")

    @strawberry.field(description="The members absent without leave (those within your scope).")
    async def absent_without_leave(self, info: Info) -> list[Member]:
        return await self._members(info, "absent_without_leave")


@strawberry.type(description="A branch behind on one kind of meeting in a period: held fewer than required.")
class PartyLifeShortfall:
    row: strawberry.Private[asyncpg.Record]
    kind: MeetingKind = strawberry.field(description="The kind of meeting.")
    required: int = strawberry.field(description="Meetings the period requires (`GRASSROOTS_PARTY_LIFE_REQUIRED`).")
    held: int = strawberry.field(description="Meetings held in the period, at the branch or an organization below it.")

    def __init__(self, row: asyncpg.Record) -> None:
        self.row, self.kind, self.required, self.held = row, _KIND[row["kind"]], row["required"], row["held"]

    @strawberry.field(description="The branch (支部).")
    def organization(self, info: Info) -> Organization | None:
        return via_loader(info.context.loaders.organization, self.row["organization_id"], organization_or_none)


@strawberry.type(description="The meeting as the read model has it after the change.")
class PartyLifeMeetingPayload:
    meeting: PartyLifeMeeting | None = strawberry.field(description="The recorded meeting.")
    position: int = strawberry.field(description="Log position of the change.")


RecordResult = result_union("RecordPartyLifeMeetingResult", PartyLifeMeetingPayload, MemberExited,
                            OrganizationDissolved)


@strawberry.input(description="Record a meeting of Party life with its attendance.")
class RecordPartyLifeMeetingInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization that held it.")
    kind: MeetingKind = strawberry.field(description="Which meeting.")
    held_on: date = strawberry.field(description="The date: not ahead of today.")
    topic: str = strawberry.field(description="The topic: 1–200 characters.")
    attended: list[strawberry.ID] = strawberry.field(
        description=f"Members who attended (at least one); with the absent, at most {MAX_ATTENDANCE} members, each"
                    " named once, whose home is the organization or one above it.")
    absent_with_leave: list[strawberry.ID] = strawberry.field(
        default_factory=list, description=f"Members absent with leave (请假): at most {MAX_ATTENDANCE} named in all.")
    absent_without_leave: list[strawberry.ID] = strawberry.field(
        default_factory=list, description=f"Members absent without leave: at most {MAX_ATTENDANCE} named in all.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


def _ids(values: list[strawberry.ID], field: str) -> tuple[UUID, ...]:
    return tuple(parse_id(v, field) for v in values[:MAX_ATTENDANCE + 1])


def _payload(info: Info) -> Callable[[Outcome], Awaitable[PartyLifeMeetingPayload]]:
    async def present(o: Outcome) -> PartyLifeMeetingPayload:
        row = await info.context.pool.fetchrow("SELECT * FROM party_life_meetings WHERE id = $1", o.id)
        return PartyLifeMeetingPayload(meeting=None if row is None else PartyLifeMeeting(row), position=o.position)
    return present


@strawberry.type(description="Record Party life.")
class PartyLifeMutations:
    @strawberry.mutation(description="Record a meeting of the 三会一课 or a theme day with who attended and who was"
                                     " absent (with or without leave): attendance is Party life for the six-month"
                                     " review.")
    async def record_party_life_meeting(self, info: Info, input: RecordPartyLifeMeetingInput) -> RecordResult:
        return await execute(info, input, lambda: RecordPartyLifeMeeting(
            organization_id=parse_id(input.organization_id, "organizationId"), kind=input.kind,
            held_on=input.held_on, topic=input.topic, attended=_ids(input.attended, "attended"),
            absent_with_leave=_ids(input.absent_with_leave, "absentWithLeave"),
            absent_without_leave=_ids(input.absent_without_leave, "absentWithoutLeave")), _payload(info))


def _period(text: str) -> Period:
    """A query's period argument (a bad one is a GraphQL error naming the argument)."""
    try:
        return parse_period(text[:20])
    except InvalidInput as exc:
        raise ValueError(f"period: {exc}") from None


_SHORTFALLS = """SELECT * FROM (
    SELECT o.id AS organization_id, o.name, k.kind, k.required,
           (SELECT count(*) FROM party_life_meetings m JOIN organizations mo ON mo.id = m.organization_id
             WHERE mo.path @> ARRAY[o.id] AND m.kind = k.kind AND m.held_on BETWEEN {start} AND {end})::int AS held
      FROM organizations o CROSS JOIN unnest({kinds}::text[], {counts}::int[]) AS k(kind, required)
     WHERE o.path @> ARRAY[{within}::uuid] AND o.kind = ANY({branches}::text[]) AND o.established_on <= {end}
       AND (o.dissolved_on IS NULL OR o.dissolved_on > {end})) s"""


@strawberry.input(description="Narrow a list of meetings of Party life.")
class PartyLifeMeetingFilter:
    within: strawberry.ID | None = strawberry.field(
        default=None, description="Meetings held by organizations in this organization's subtree.")
    period: str | None = strawberry.field(
        default=None, description="Held in this month (`2026-03`) or quarter (`2026-Q1`): at most 7 characters.")
    kind: MeetingKind | None = strawberry.field(default=None, description="Only this kind.")
    attended_by: strawberry.ID | None = strawberry.field(default=None, description="Attended by this member.")


@strawberry.type(description="Read Party life.")
class PartyLifeQueries:
    @strawberry.field(description="Branches (支部) within `within` behind on Party life in `period` (a month"
                                  " `2026-03` or a quarter `2026-Q1`): one row per branch and kind held fewer times"
                                  " than required, by branch name. A month judges the monthly kinds; a quarter the"
                                  " quarterly ones and the monthly ones three times over.")
    async def party_life(
        self, info: Info,
        within: Annotated[strawberry.ID, strawberry.argument(description="The subtree whose branches are judged.")],
        period: Annotated[str, strawberry.argument(description="A month (`2026-03`) or a quarter (`2026-Q1`).")],
        first: int | None = None, after: str | None = None,
    ) -> Connection[PartyLifeShortfall]:
        root = argument_id(within, "within")
        p = _period(period)
        org = await info.context.loaders.organization.load(root)
        c = views.Conditions()
        if org is None or not may_read(info.context.actor, org["path"]):
            c.add("false")
        required = required_in(info.context.settings.members.party_life_rules, p)
        select = _SHORTFALLS.format(
            start=c.next_arg(p.start), end=c.next_arg(p.end), kinds=c.next_arg([k.value for k in required]),
            counts=c.next_arg(list(required.values())), within=c.next_arg(root),
            branches=c.next_arg(sorted(k.value for k in BRANCH_KINDS)))
        c.add("held < required")
        page = await views.page(info.context.pool, select, c, ("name", "organization_id", "kind"),
                                views.decode_cursor(after, 3), info.context.page_size(first))
        return connection(page, PartyLifeShortfall, lambda r: (r["name"], str(r["organization_id"]), r["kind"]))

    @strawberry.field(description="Meetings of Party life held at organizations within your scope, newest first:"
                                  " within a subtree, in a period (`2026-03`, `2026-Q1`), of a kind, or attended by"
                                  " a member (`attendedBy`).")
    async def party_life_meetings(self, info: Info, filter: PartyLifeMeetingFilter | None = None,
                                  first: int | None = None, after: str | None = None,
                                  ) -> Connection[PartyLifeMeeting]:
        f = filter or PartyLifeMeetingFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.period is not None:
            p = _period(f.period)
            c.add("held_on BETWEEN ? AND ?", p.start, p.end)
        if f.kind is not None:
            c.add("kind = ?", f.kind.value)
        if f.attended_by is not None:  # a member's Party life attendance
            c.add("attended @> ARRAY[?::uuid]", argument_id(f.attended_by, "attendedBy"))
        page = await views.page(info.context.pool, "SELECT * FROM party_life_meetings", c, ("held_on", "id"),
                                views.decode_cursor(after, 2), info.context.page_size(first), descending=True)
        return connection(page, PartyLifeMeeting, lambda r: (r["held_on"].isoformat(), str(r["id"])))

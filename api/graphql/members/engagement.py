"""Mutations of mobile members, dual reporting, volunteer hours and the yearly appraisal."""

from __future__ import annotations

from datetime import date

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.loading import via_loader
from api.graphql.core.relay import Connection, argument_id, connection
from api.graphql.members.engagement_types import AppraisalRating, VolunteerEntry, entry_of
from api.graphql.members.errors import (
    AppraisalNotAllowed,
    MemberExited,
    MobileCardNotAllowed,
    MobileCardNumberTaken,
    ReportNotAllowed,
    VolunteerHoursNotAllowed,
)
from api.graphql.members.mutations import _KEY, _VERSION, ExternalOrganizationInput, MemberPayload, _member_payload
from api.graphql.organizations.errors import OrganizationDissolved
from api.graphql.organizations.types import Organization, organization_or_none
from domain.members.engagement_commands import (
    AppraiseMember,
    CloseMobileCard,
    ConfirmVolunteerHours,
    IssueMobileCard,
    LogVolunteerHours,
    RejectVolunteerHours,
    ReportToResidenceCommunity,
    ReportUnitToResidenceCommunity,
    ReviewMobileCard,
)
from domain.members.transfers import ExternalOrganization
from domain.shared.commands import Outcome
from domain.shared.permissions import may_read

IssueCardResult = result_union("IssueMobileCardResult", MemberPayload, MobileCardNotAllowed, MobileCardNumberTaken,
                               MemberExited, OrganizationDissolved)
ReviewCardResult = result_union("ReviewMobileCardResult", MemberPayload, MobileCardNotAllowed, MemberExited)
CloseCardResult = result_union("CloseMobileCardResult", MemberPayload, MobileCardNotAllowed)
ReportResult = result_union("ReportToResidenceCommunityResult", MemberPayload, ReportNotAllowed, MemberExited,
                            OrganizationDissolved)
LogHoursResult = result_union("LogVolunteerHoursResult", MemberPayload, VolunteerHoursNotAllowed, MemberExited)
ConfirmHoursResult = result_union("ConfirmVolunteerHoursResult", MemberPayload, VolunteerHoursNotAllowed,
                                  MemberExited)
RejectHoursResult = result_union("RejectVolunteerHoursResult", MemberPayload, VolunteerHoursNotAllowed, MemberExited)
AppraiseResult = result_union("AppraiseMemberResult", MemberPayload, AppraisalNotAllowed, MemberExited)

_REASON = "Recorded; at most 500 characters."


@strawberry.input(description="Give a member an activity card (流动党员活动证) naming the inflow organization.")
class IssueMobileCardInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    number: str = strawberry.field(description="The number the county organization department gave: 4–32 letters,"
                                               " digits and dashes (upper-cased); never given twice.")
    issued_on: date = strawberry.field(description="The issue date: not ahead of today.")
    inflow_organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The inflow organization of the tree (not the home); or give `inflowExternal`.")
    inflow_external: ExternalOrganizationInput | None = strawberry.field(
        default=None, description="The inflow organization outside the system (exactly one of the two).")
    reason: str | None = strawberry.field(default=None, description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record the yearly review (年审) of a member's open activity card.")
class ReviewMobileCardInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    reviewed_on: date = strawberry.field(description="The review date: once per calendar year, not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record a mobile member's return: the card is closed.")
class CloseMobileCardInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    returned_on: date = strawberry.field(description="The return date: not ahead of today.")
    reason: str | None = strawberry.field(default=None, description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record a member's report to the community where they live (双报到).")
class ReportToResidenceCommunityInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    community_id: strawberry.ID = strawberry.field(
        description="The community (社区党委, 党总支 or 党支部) of the tree.")
    reported_on: date = strawberry.field(description="The report date (its year is the year reported for).")
    needs: list[str] = strawberry.field(default_factory=list, description="The needs (服务需求) the member takes on: at"
                                                                          " most 10, each 1–100 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Log volunteer hours of a member.")
class LogVolunteerHoursInput:
    member_id: strawberry.ID = strawberry.field(description="The member (with a MEMBER token: yourself).")
    entry_id: strawberry.ID = strawberry.field(description="A new id for the entry, chosen by the client (a repeat is"
                                                           " refused, never counted twice).")
    activity: str = strawberry.field(description="The activity (the project): 1–100 characters.")
    on: date = strawberry.field(description="The date of the service: not ahead of today.")
    hours: str = strawberry.field(description="Hours with at most one decimal place, 0.1–24 (`2.5`).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Confirm a volunteer entry the member logged.")
class ConfirmVolunteerHoursInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    entry_id: strawberry.ID = strawberry.field(description="The pending entry.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Reject a volunteer entry the member logged, with a reason.")
class RejectVolunteerHoursInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    entry_id: strawberry.ID = strawberry.field(description="The pending entry.")
    reason: str = strawberry.field(description="Why not (recorded; 1–500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record a member's yearly rating (民主评议党员).")
class AppraiseMemberInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    year: int = strawberry.field(description="The year rated: from the joining year to this one; once.")
    rating: AppraisalRating = strawberry.field(
        description="The rating; qualified or better is checked against the rules.")
    appraised_on: date = strawberry.field(description="The date of the branch's appraisal: in or after the year.")
    reason: str | None = strawberry.field(default=None, description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


def _external(given: ExternalOrganizationInput | None) -> ExternalOrganization | None:
    return None if given is None else ExternalOrganization(name=given.name, province=given.province,
                                                           city=given.city, code=given.code)


@strawberry.type(description="Mobile members, dual reporting, volunteer hours and the yearly appraisal.")
class EngagementMutations:
    @strawberry.mutation(description="Give a member an activity card (流动党员活动证): the member takes part in Party"
                                     " life at the inflow organization (of the tree or outside it) and keeps the"
                                     " home, where they vote. One open card at a time.")
    async def issue_mobile_card(self, info: Info, input: IssueMobileCardInput) -> IssueCardResult:
        return await execute(info, input, lambda: IssueMobileCard(
            member_id=parse_id(input.id, "id"), number=input.number, issued_on=input.issued_on,
            inflow_organization_id=parse_opt_id(input.inflow_organization_id, "inflowOrganizationId"),
            inflow_external=_external(input.inflow_external), reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="Record the yearly review (年审) of the member's open card; a card not reviewed"
                                     " for a year shows `reviewOverdue`.")
    async def review_mobile_card(self, info: Info, input: ReviewMobileCardInput) -> ReviewCardResult:
        return await execute(info, input, lambda: ReviewMobileCard(
            member_id=parse_id(input.id, "id"), reviewed_on=input.reviewed_on), _member_payload(info))

    @strawberry.mutation(description="Record the mobile member's return: the card is closed (its number is never"
                                     " given again).")
    async def close_mobile_card(self, info: Info, input: CloseMobileCardInput) -> CloseCardResult:
        return await execute(info, input, lambda: CloseMobileCard(
            member_id=parse_id(input.id, "id"), returned_on=input.returned_on, reason=input.reason),
            _member_payload(info))

    @strawberry.mutation(description="Record a member's report to the community where they live (双报到), once a"
                                     " year; taken at the member's home or at the community. After"
                                     " `GRASSROOTS_REPORTING_DEADLINE` it counts and is marked late.")
    async def report_to_residence_community(self, info: Info, input: ReportToResidenceCommunityInput,
                                            ) -> ReportResult:
        return await execute(info, input, lambda: ReportToResidenceCommunity(
            member_id=parse_id(input.member_id, "memberId"), community_id=parse_id(input.community_id, "communityId"),
            reported_on=input.reported_on, needs=tuple(input.needs)), _member_payload(info))

    @strawberry.mutation(description="Log volunteer hours: a member's own (MEMBER token) wait for the community's"
                                     " confirmation; the community's or the home's count at once.")
    async def log_volunteer_hours(self, info: Info, input: LogVolunteerHoursInput) -> LogHoursResult:
        return await execute(info, input, lambda: LogVolunteerHours(
            member_id=parse_id(input.member_id, "memberId"), entry_id=parse_id(input.entry_id, "entryId"),
            activity=input.activity, on=input.on, hours=input.hours), _member_payload(info))

    @strawberry.mutation(description="Confirm hours the member logged: at the community the member reported to that"
                                     " year, or at the home. Only confirmed hours count.")
    async def confirm_volunteer_hours(self, info: Info, input: ConfirmVolunteerHoursInput) -> ConfirmHoursResult:
        return await execute(info, input, lambda: ConfirmVolunteerHours(
            member_id=parse_id(input.member_id, "memberId"), entry_id=parse_id(input.entry_id, "entryId")),
            _member_payload(info))

    @strawberry.mutation(description="Reject hours the member logged, with a reason: they never count.")
    async def reject_volunteer_hours(self, info: Info, input: RejectVolunteerHoursInput) -> RejectHoursResult:
        return await execute(info, input, lambda: RejectVolunteerHours(
            member_id=parse_id(input.member_id, "memberId"), entry_id=parse_id(input.entry_id, "entryId"),
            reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="Record the branch's yearly rating at the member's home. Qualified or better is"
                                     " refused (`AppraisalNotAllowed`, naming the rule and the figures) for a member"
                                     " in service who did not report where they live that year, or below the"
                                     " volunteer minimum; once a year.")
    async def appraise_member(self, info: Info, input: AppraiseMemberInput) -> AppraiseResult:
        return await execute(info, input, lambda: AppraiseMember(
            member_id=parse_id(input.member_id, "memberId"), year=input.year, rating=input.rating,
            appraised_on=input.appraised_on, reason=input.reason), _member_payload(info))


@strawberry.type(description="A volunteer entry a member logged, waiting for the community's confirmation.")
class VolunteerEntryToConfirm:
    member_id: strawberry.ID = strawberry.field(description="The member who logged it.")
    member_name: str = strawberry.field(description="The member's name.")
    entry: VolunteerEntry = strawberry.field(description="The entry.")


_TO_CONFIRM = "SELECT v.*, m.name AS member_name FROM volunteer_entries v JOIN members m ON m.id = v.member_id"
_WITHIN = "IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])"


def _to_confirm(r: asyncpg.Record) -> VolunteerEntryToConfirm:
    return VolunteerEntryToConfirm(member_id=strawberry.ID(str(r["member_id"])), member_name=r["member_name"],
                                   entry=entry_of(r))


@strawberry.type(description="Read volunteer hours waiting for confirmation.")
class EngagementQueries:
    @strawberry.field(description="Volunteer hours members logged that wait for confirmation by this organization"
                                  " (and its subtree): of members whose home lies there, or who reported for the"
                                  " entry's year to a community there. By date. Empty outside your scope.")
    async def volunteer_hours_to_confirm(self, info: Info, organization_id: strawberry.ID, first: int | None = None,
                                         after: str | None = None) -> Connection[VolunteerEntryToConfirm]:
        oid = argument_id(organization_id, "organizationId")
        org = await info.context.loaders.organization.load(oid)
        key = views.decode_cursor(after, 2)
        if org is None or not may_read(info.context.actor, org["path"]):
            return connection(views.Page([], False), _to_confirm, lambda r: ())
        c = views.Conditions()
        c.add("v.state = 'PENDING' AND m.exited_on IS NULL")
        c.add(f"(m.home_organization_id {_WITHIN} OR EXISTS (SELECT 1 FROM residence_reports r WHERE"
              f" r.member_id = v.member_id AND r.year = v.year AND r.community_id {_WITHIN}))", oid, oid)
        page = await views.page(info.context.pool, _TO_CONFIRM, c, ("v.on_date", "v.entry_id"), key,
                                info.context.page_size(first))
        return connection(page, _to_confirm, lambda r: (r["on_date"].isoformat(), str(r["entry_id"])))


@strawberry.type(description="A resident unit's (驻区单位) yearly report to the community where it lies (双报到).")
class UnitReport:
    row: strawberry.Private[asyncpg.Record]
    year: int = strawberry.field(description="The year it is for.")
    reported_on: date = strawberry.field(description="The date of the report.")
    needs: list[str] = strawberry.field(description="The needs (服务需求) the unit took on.")
    late: bool = strawberry.field(description="Reported after the year's deadline (`GRASSROOTS_REPORTING_DEADLINE`).")

    def __init__(self, row: asyncpg.Record) -> None:
        self.row, self.year, self.reported_on = row, row["year"], row["reported_on"]
        self.needs, self.late = list(row["needs"]), row["late"]

    @strawberry.field(description="The unit that reported; null outside your scope.")
    def organization(self, info: Info) -> Organization | None:
        return _visible_organization(info, self.row["organization_id"])

    @strawberry.field(description="The community reported to; null outside your scope.")
    def community(self, info: Info) -> Organization | None:
        return _visible_organization(info, self.row["community_id"])


def _visible_organization(info: Info, oid: object) -> Organization | None:
    def present(row: asyncpg.Record | None) -> Organization | None:
        return organization_or_none(row) if row is not None and may_read(info.context.actor, row["path"]) else None
    return via_loader(info.context.loaders.organization, oid, present)


@strawberry.type(description="A resident unit's report, as recorded.")
class UnitReportPayload:
    report: UnitReport | None = strawberry.field(description="The report; null if neither the unit nor the"
                                                             " community lies within your scope.")
    position: int = strawberry.field(description="Log position of the change.")


UnitReportResult = result_union("ReportUnitToResidenceCommunityResult", UnitReportPayload, ReportNotAllowed,
                                OrganizationDissolved)
_UNIT_REPORT = "SELECT * FROM unit_reports WHERE organization_id = $1 AND year = $2"


async def _readable(info: Info, row: asyncpg.Record | None) -> bool:
    if row is None:
        return False
    for oid in (row["organization_id"], row["community_id"]):
        org = await info.context.loaders.organization.load(oid)
        if org is not None and may_read(info.context.actor, org["path"]):
            return True
    return False


@strawberry.input(description="Record a resident unit's (驻区单位) report to the community where it lies.")
class ReportUnitToResidenceCommunityInput:
    organization_id: strawberry.ID = strawberry.field(description="The unit: an organization of the tree that is"
                                                                  " no district, street, community or part of one.")
    community_id: strawberry.ID = strawberry.field(description="The community reported to.")
    reported_on: date = strawberry.field(description="The report date (its year is the year reported for).")
    needs: list[str] = strawberry.field(default_factory=list, description="The needs the unit takes on: at most 10,"
                                                                          " each 1–100 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="Resident units' reports.")
class UnitReportMutations:
    @strawberry.mutation(description="Record a resident unit's yearly report to the community where it lies (双报到);"
                                     " taken at the unit or at the community; once a year.")
    async def report_unit_to_residence_community(self, info: Info, input: ReportUnitToResidenceCommunityInput,
                                                 ) -> UnitReportResult:
        oid = parse_id(input.organization_id, "organizationId")

        async def present(o: Outcome) -> UnitReportPayload:
            row = await info.context.pool.fetchrow(_UNIT_REPORT, oid, input.reported_on.year)
            return UnitReportPayload(report=UnitReport(row) if await _readable(info, row) else None,
                                     position=o.position)
        return await execute(info, input, lambda: ReportUnitToResidenceCommunity(
            organization_id=oid, community_id=parse_id(input.community_id, "communityId"),
            reported_on=input.reported_on, needs=tuple(input.needs)), present)


@strawberry.type(description="Read resident units' reports.")
class UnitReportQueries:
    @strawberry.field(description="The reports resident units made to this community for `year`, by date. Empty"
                                  " outside your scope.")
    async def unit_reports(self, info: Info, community_id: strawberry.ID, year: int) -> list[UnitReport]:
        cid = argument_id(community_id, "communityId")
        org = await info.context.loaders.organization.load(cid)
        if org is None or not may_read(info.context.actor, org["path"]):
            return []
        rows = await info.context.pool.fetch("SELECT * FROM unit_reports WHERE community_id = $1 AND year = $2"
                                             " ORDER BY reported_on, organization_id", cid, year)
        return [UnitReport(r) for r in rows]

"""Object types of mobile members, dual reporting, volunteer hours and the appraisal, and the
fields they add to ``Member`` (``mobileCard``, ``reports``, ``volunteerHours``, ``appraisals``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import asyncpg
import strawberry

from api.graphql.core.context import Info
from api.graphql.core.loading import via_loader
from api.graphql.members.types import ExternalOrganization
from api.graphql.organizations.types import Organization, organization_or_none
from domain.members.appraisal import AppraisalRating
from domain.members.mobile import review_due_on
from domain.members.volunteering import VolunteerState
from domain.shared.permissions import may_read

strawberry.enum(AppraisalRating, description="The yearly appraisal's rating (民主评议党员): excellent 优秀,"
                                             " qualified 合格, basically qualified 基本合格, unqualified 不合格.")
strawberry.enum(VolunteerState, description="Where a volunteer entry stands: pending (logged by the member,"
                                            " not counted yet), confirmed (counts) or rejected.")

_RATING = {m.value: m for m in AppraisalRating}
_VSTATE = {m.value: m for m in VolunteerState}


def _hours(value: Decimal) -> str:
    return f"{value:.1f}"


def _organization(info: Info, oid: object) -> Organization | None:
    """The organization, if it lies within your scope."""
    def present(row: asyncpg.Record | None) -> Organization | None:
        return organization_or_none(row) if row is not None and may_read(info.context.actor, row["path"]) else None
    return via_loader(info.context.loaders.organization, oid, present)


@strawberry.type(description="A mobile member's activity card (流动党员活动证): the member takes part in Party life at"
                             " the inflow organization and keeps the home (the outflow organization), where they"
                             " vote.")
class MobileCard:
    row: strawberry.Private[asyncpg.Record]
    number: str = strawberry.field(description="The number the county organization department gave.")
    issued_on: date = strawberry.field(description="The date the card was issued.")
    last_reviewed_on: date | None = strawberry.field(description="The latest yearly review (年审); null if none yet.")
    closed_on: date | None = strawberry.field(description="The date the member returned and the card was closed;"
                                                          " null while it is open.")

    def __init__(self, row: asyncpg.Record) -> None:
        self.row, self.number, self.issued_on = row, row["number"], row["issued_on"]
        self.last_reviewed_on, self.closed_on = row["last_reviewed_on"], row["closed_on"]

    @strawberry.field(description="The last day before the card is overdue for its yearly review: a year after the"
                                  " latest review, or after the issue.")
    def review_due_on(self) -> date:
        return review_due_on(self.row["issued_on"], self.row["last_reviewed_on"])

    @strawberry.field(description="Open and not reviewed (nor issued) within the last year, as of today.")
    def review_overdue(self, info: Info) -> bool:
        return self.row["closed_on"] is None and self.review_due_on() < info.context.today()

    @strawberry.field(description="The outflow organization: the member's home when the card was issued. Null"
                                  " outside your scope.")
    def outflow_organization(self, info: Info) -> Organization | None:
        return _organization(info, self.row["outflow_organization_id"])

    @strawberry.field(description="The inflow organization of the tree; null if it lies outside the system"
                                  " (`inflowExternal`) or outside your scope.")
    def inflow_organization(self, info: Info) -> Organization | None:
        oid = self.row["inflow_organization_id"]
        return None if oid is None else _organization(info, oid)

    @strawberry.field(description="The inflow organization outside the system; null for one of the tree.")
    def inflow_external(self) -> ExternalOrganization | None:
        r = self.row
        if r["inflow_name"] is None:
            return None
        return ExternalOrganization(name=r["inflow_name"], code=r["inflow_code"], province=r["inflow_province"],
                                    city=r["inflow_city"])


@strawberry.type(description="A year's report to the community where the member lives (双报到).")
class ResidenceReport:
    row: strawberry.Private[asyncpg.Record]
    year: int = strawberry.field(description="The year it is for.")
    reported_on: date = strawberry.field(description="The date of the report.")
    needs: list[str] = strawberry.field(description="The needs (服务需求) the member took on.")
    late: bool = strawberry.field(description="Reported after the year's deadline (`GRASSROOTS_REPORTING_DEADLINE`).")

    def __init__(self, row: asyncpg.Record) -> None:
        self.row, self.year, self.reported_on = row, row["year"], row["reported_on"]
        self.needs, self.late = list(row["needs"]), row["late"]

    @strawberry.field(description="The community reported to; null outside your scope.")
    def community(self, info: Info) -> Organization | None:
        return _organization(info, self.row["community_id"])


@strawberry.type(description="One volunteer entry (志愿服务).")
class VolunteerEntry:
    entry_id: strawberry.ID = strawberry.field(description="The entry's id (as logged).")
    activity: str = strawberry.field(description="The activity (the project).")
    on: date = strawberry.field(description="The date of the service.")
    hours: str = strawberry.field(description="Hours, one decimal place (`2.5`).")
    state: VolunteerState = strawberry.field(description="Pending, confirmed or rejected.")
    source: str | None = strawberry.field(
        description="Where confirmed hours came from: `MEMBER` (logged by the member, confirmed by the community),"
                    " `COMMUNITY` (logged by the community), or another area's (`SERVICE_ORDER`); null while"
                    " pending or once rejected.")
    reference: str | None = strawberry.field(description="The contributing area's reference (an order); else null.")
    logged_by: str = strawberry.field(description="The token subject that logged it.")
    decided_by: str | None = strawberry.field(description="The token subject that confirmed or rejected it.")
    decided_at: datetime | None = strawberry.field(description="When it was confirmed or rejected.")
    reject_reason: str | None = strawberry.field(description="Why it was rejected; null otherwise.")


def entry_of(r: asyncpg.Record) -> VolunteerEntry:
    return VolunteerEntry(entry_id=strawberry.ID(str(r["entry_id"])), activity=r["activity"], on=r["on_date"],
                          hours=_hours(r["hours"]), state=_VSTATE[r["state"]], source=r["source"],
                          reference=r["reference"], logged_by=r["logged_by"], decided_by=r["decided_by"],
                          decided_at=r["decided_at"], reject_reason=r["reject_reason"])


@strawberry.type(description="A member's volunteer hours in one year against the yearly minimum.")
class VolunteerYear:
    year: int = strawberry.field(description="The year.")
    confirmed_hours: str = strawberry.field(description="Confirmed hours (only these count), one decimal place.")
    pending_hours: str = strawberry.field(description="Hours logged by the member, waiting for confirmation.")
    projects: int = strawberry.field(description="Distinct activities among the confirmed entries.")
    minimum_hours: str = strawberry.field(description="The yearly minimum (`GRASSROOTS_VOLUNTEER_MIN_HOURS`).")
    minimum_projects: int = strawberry.field(description="The yearly minimum of projects"
                                                         " (`GRASSROOTS_VOLUNTEER_MIN_PROJECTS`).")
    below_minimum: bool = strawberry.field(description="Below either minimum: the appraisal then rates at most"
                                                       " basically qualified.")
    entries: list[VolunteerEntry] = strawberry.field(description="The year's entries, by date.")


def volunteer_year(rows: list[asyncpg.Record], year: int, info: Info) -> VolunteerYear:
    mine = [r for r in rows if r["year"] == year]
    confirmed = [r for r in mine if r["state"] == "CONFIRMED"]
    hours = sum((r["hours"] for r in confirmed), Decimal("0.0"))
    projects = len({r["activity"].casefold() for r in confirmed})
    rules = info.context.settings.members.volunteer_rules
    return VolunteerYear(year=year, confirmed_hours=_hours(hours),
                         pending_hours=_hours(sum((r["hours"] for r in mine if r["state"] == "PENDING"),
                                                  Decimal("0.0"))),
                         projects=projects, minimum_hours=_hours(rules.min_hours),
                         minimum_projects=rules.min_projects,
                         below_minimum=hours < rules.min_hours or projects < rules.min_projects,
                         entries=[entry_of(r) for r in mine])


@strawberry.type(description="A year's democratic appraisal (民主评议党员), with the figures its rules were checked"
                             " against.")
class Appraisal:
    year: int = strawberry.field(description="The year rated.")
    rating: AppraisalRating = strawberry.field(description="The rating.")
    appraised_on: date = strawberry.field(description="The date of the branch's appraisal.")
    volunteer_hours: str = strawberry.field(description="Confirmed volunteer hours of the year when rated.")
    volunteer_projects: int = strawberry.field(description="Distinct volunteer projects of the year when rated.")
    reported: bool = strawberry.field(description="Whether the member had reported where they live that year.")
    in_service: bool = strawberry.field(description="In service that year (dues assessed as EMPLOYED).")


def _appraisal(r: asyncpg.Record) -> Appraisal:
    return Appraisal(year=r["year"], rating=_RATING[r["rating"]], appraised_on=r["appraised_on"],
                     volunteer_hours=_hours(r["volunteer_hours"]), volunteer_projects=r["volunteer_projects"],
                     reported=r["reported"], in_service=r["in_service"])


@strawberry.type
class MemberEngagement:
    """The fields of ``Member`` about mobile cards, reports, volunteer hours and appraisals."""

    @strawberry.field(description="The member's activity card (流动党员活动证): the open one, else the latest closed;"
                                  " null if never mobile.")
    def mobile_card(self, info: Info) -> MobileCard | None:
        row: asyncpg.Record = self.row  # type: ignore[attr-defined]  # self is the Member
        return via_loader(info.context.loaders.mobile_cards_of_member, row["id"],
                          lambda rows: MobileCard(rows[-1]) if rows else None)

    @strawberry.field(description="The member's yearly reports where they live (双报到), oldest first.")
    def reports(self, info: Info) -> list[ResidenceReport]:
        row: asyncpg.Record = self.row  # type: ignore[attr-defined]
        return via_loader(info.context.loaders.reports_of_member, row["id"],
                          lambda rows: [ResidenceReport(r) for r in rows])

    @strawberry.field(description="The member's volunteer hours in `year` against the yearly minimum.")
    def volunteer_hours(self, info: Info, year: int) -> VolunteerYear:
        row: asyncpg.Record = self.row  # type: ignore[attr-defined]
        return via_loader(info.context.loaders.volunteer_entries_of_member, row["id"],
                          lambda rows: volunteer_year(rows, year, info))

    @strawberry.field(description="The member's yearly appraisals, oldest first.")
    def appraisals(self, info: Info) -> list[Appraisal]:
        row: asyncpg.Record = self.row  # type: ignore[attr-defined]
        return via_loader(info.context.loaders.appraisals_of_member, row["id"],
                          lambda rows: [_appraisal(r) for r in rows])

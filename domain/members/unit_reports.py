"""Resident units (驻区单位) reporting to the community where they lie (双报到), as organizations.

A unit of the tree (a park committee, a business-district committee, a joint branch: kinds
that are neither the district, a street, a community nor a community's own grid branches,
groups and households) reports once a year to a community (``UnitReport.Reported``), with
the date and the needs it takes on, late after the year's deadline as a member's report is
(``domain.members.reporting``). One report per unit and year: the stream id is the natural
key (``unit_report_id``), so a second report, even a concurrent one, finds the first.

Pure rules: no I/O.
"""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.organizations.aggregate import COMMUNITY_KINDS, OrganizationKind

UNIT_REPORT_NAMESPACE = uuid.UUID("4f7b8a10-5d2c-4e51-9a43-2b1e6c0d7f93")
K = OrganizationKind
NOT_RESIDENT_UNITS = COMMUNITY_KINDS | {K.DISTRICT_COMMITTEE, K.STREET_WORKING_COMMITTEE, K.GRID_BRANCH,
                                        K.BUILDING_GROUP, K.MEMBER_CENTRAL_HOUSEHOLD}
"""Kinds that are no resident unit: the tree's levels and a community's own parts."""


def unit_report_id(organization_id: UUID, year: int) -> UUID:
    return uuid.uuid5(UNIT_REPORT_NAMESPACE, f"{organization_id}/{year}")


class UnitReport(Aggregate):
    """A resident unit's report for one year to the community where it lies."""

    class Reported(Aggregate.Created):
        organization_id: UUID
        year: int
        community_id: UUID
        reported_on: date
        needs: list[str]
        late: bool

    @event(Reported)
    def __init__(self, organization_id: UUID, year: int, community_id: UUID, reported_on: date, needs: list[str],
                 late: bool) -> None:
        self.organization_id, self.year, self.community_id = organization_id, year, community_id
        self.reported_on, self.needs, self.late = reported_on, needs, late

    @classmethod
    def create_id(cls, organization_id: UUID, year: int, **_: object) -> UUID:
        return unit_report_id(organization_id, year)

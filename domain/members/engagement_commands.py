"""Commands of mobile members, dual reporting, volunteer hours and the yearly appraisal
(``domain.members.mobile``, ``.reporting``, ``.volunteering``, ``.appraisal``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.members.appraisal import AppraisalRating
from domain.members.transfers import ExternalOrganization
from domain.shared.commands import Command
from domain.shared.permissions import ADMINS, Role

Hours = str | Decimal
"""Hours as the client writes them (``"2.5"``) or as code holds them (``Decimal``)."""


@dataclass(frozen=True)
class IssueMobileCard(Command):
    """Give a member an activity card (流动党员活动证) with the inflow organization: one of the
    tree (``inflow_organization_id``) or outside the system (``inflow_external``), exactly one."""

    action = "issueMobileCard"
    allowed = ADMINS
    member_id: UUID
    number: str
    """The number the county organization department gave (unique for ever)."""
    issued_on: date
    inflow_organization_id: UUID | None = None
    inflow_external: ExternalOrganization | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ReviewMobileCard(Command):
    """The card's yearly review (年审)."""

    action = "reviewMobileCard"
    allowed = ADMINS
    member_id: UUID
    reviewed_on: date


@dataclass(frozen=True)
class CloseMobileCard(Command):
    """The mobile member returned: the card is closed."""

    action = "closeMobileCard"
    allowed = ADMINS
    member_id: UUID
    returned_on: date
    reason: str | None = None


@dataclass(frozen=True)
class ReportToResidenceCommunity(Command):
    """An in-service member reports to the community where they live (双报到), once a year;
    taken at the member's home or at the community."""

    action = "reportToResidenceCommunity"
    allowed = ADMINS
    member_id: UUID
    community_id: UUID
    reported_on: date
    needs: tuple[str, ...] = ()
    """The needs (服务需求) the member takes on: at most 10 short texts."""


@dataclass(frozen=True)
class LogVolunteerHours(Command):
    """Volunteer hours: logged by the member themselves (``MEMBER``: pending until confirmed),
    or by the community or the home (confirmed at once)."""

    action = "logVolunteerHours"
    allowed = ADMINS | {Role.MEMBER}
    member_id: UUID
    entry_id: UUID
    """The entry's id, the client's (a repeat with the same id is refused, not counted twice)."""
    activity: str
    on: date
    hours: Hours


@dataclass(frozen=True)
class ConfirmVolunteerHours(Command):
    """Confirm an entry the member logged: by the community the member reported to that year,
    or the home (their secretaries and those above)."""

    action = "confirmVolunteerHours"
    allowed = ADMINS
    member_id: UUID
    entry_id: UUID


@dataclass(frozen=True)
class RejectVolunteerHours(Command):
    """Refuse an entry the member logged, with a reason."""

    action = "rejectVolunteerHours"
    allowed = ADMINS
    member_id: UUID
    entry_id: UUID
    reason: str


@dataclass(frozen=True)
class AppraiseMember(Command):
    """The branch's yearly rating of a member (民主评议党员), at the member's home."""

    action = "appraiseMember"
    allowed = ADMINS
    member_id: UUID
    year: int
    rating: AppraisalRating
    appraised_on: date
    reason: str | None = None


@dataclass(frozen=True)
class ReportUnitToResidenceCommunity(Command):
    """A resident unit (驻区单位, an organization of the tree) reports to the community where it
    lies, once a year; taken at the unit or at the community."""

    action = "reportUnitToResidenceCommunity"
    allowed = ADMINS
    organization_id: UUID
    community_id: UUID
    reported_on: date
    needs: tuple[str, ...] = ()

"""Use cases of mobile members, dual reporting, volunteer hours and the appraisal:
authorize → load → decide.

- Cards are the home's (the branch and those above it); so is the appraisal, which for a mobile
  member may also be taken at the inflow organization of the tree (流入地评议).
- A report is taken at the member's home or at the community it names (the community
  receives the member); confirming or rejecting volunteer hours, and the community logging
  them, at the home or at the community the member reported to that year.
- A ``MEMBER`` token (``permissions.own_member``) logs only its own member's hours, within its
  scope, and they wait for the community's confirmation; every other role's entry is the
  community's own record, confirmed at once.
- A resident unit's report (``domain.members.unit_reports``) is taken at the unit or at the
  community it names.
"""

from __future__ import annotations

from uuid import UUID

from domain.members import mobile as mob
from domain.members import reporting as rep
from domain.members.aggregate import Member
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
from domain.members.errors import MobileCardNumberTaken, ReportNotAllowed
from domain.members.reporting import ReportingRules
from domain.members.transfers import check_external
from domain.members.unit_reports import NOT_RESIDENT_UNITS, UnitReport, unit_report_id
from domain.members.volunteering import VolunteerRules, parse_hours
from domain.organizations.aggregate import COMMUNITY_KINDS, Organization
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import InvalidInput, NotAuthorized, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.permissions import own_member
from domain.shared.ports import Claim


async def _member(unit: Unit, member_id: UUID) -> Member:
    """The member, authorized against its home, at the version the client expected."""
    member = await unit.load(Member, member_id, "member")
    await unit.authorize(member.home_organization_id)
    unit.expect(member)
    return member


async def _at_home_or_community(unit: Unit, member: Member, community_id: UUID | None) -> Member:
    """The member, authorized at the home or else at ``community_id`` (the community the member
    reported to; for the appraisal, a mobile member's inflow organization)."""
    try:
        await unit.authorize(member.home_organization_id)
    except NotAuthorized:
        if community_id is None:
            raise
        await unit.authorize(community_id)
    unit.expect(member)
    return member


async def _organization(unit: Unit, organization_id: UUID, field: str) -> Organization:
    """An organization of the tree, not dissolved."""
    org = await unit.find(Organization, organization_id)
    if org is None:
        raise NotFound(f"no organization {organization_id}", field=field)
    org.ensure_active()
    return org


async def issue_mobile_card(cmd: IssueMobileCard, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    number = mob.check_card_number(cmd.number)
    if (cmd.inflow_organization_id is None) == (cmd.inflow_external is None):
        raise InvalidInput("name the inflow organization: one of the tree or one outside it, exactly one",
                           field="inflowOrganizationId")
    external = None if cmd.inflow_external is None else check_external(cmd.inflow_external, "inflowExternal")
    member = await _member(unit, cmd.member_id)
    if cmd.inflow_organization_id is not None:
        await _organization(unit, cmd.inflow_organization_id, "inflowOrganizationId")
    member.issue_mobile_card(number, cmd.issued_on, cmd.inflow_organization_id, external, unit.today())
    return changed(member, reason=reason, claims=[Claim(mob.CARD_SCOPE, number, member.id)],
                   claim_errors={mob.CARD_SCOPE: MobileCardNumberTaken}, claim_fields={mob.CARD_SCOPE: "number"})


async def review_mobile_card(cmd: ReviewMobileCard, unit: Unit) -> Decision:
    member = await _member(unit, cmd.member_id)
    member.review_mobile_card(cmd.reviewed_on, unit.today())
    return changed(member)


async def close_mobile_card(cmd: CloseMobileCard, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _member(unit, cmd.member_id)
    member.close_mobile_card(cmd.returned_on, unit.today())
    return changed(member, reason=reason)


async def report_to_residence_community(cmd: ReportToResidenceCommunity, unit: Unit) -> Decision:
    member = await _at_home_or_community(unit, await unit.load(Member, cmd.member_id, "member"), cmd.community_id)
    await _community(unit, cmd.community_id)
    member.report_to_residence_community(cmd.community_id, cmd.reported_on, cmd.needs, unit.need(ReportingRules),
                                         unit.today())
    return changed(member)


async def _community(unit: Unit, community_id: UUID) -> Organization:
    community = await _organization(unit, community_id, "communityId")
    if community.kind not in COMMUNITY_KINDS:
        raise ReportNotAllowed(f"{community.name} is no community: a report goes to the community where the"
                               " member or unit lies", field="communityId")
    return community


async def report_unit_to_residence_community(cmd: ReportUnitToResidenceCommunity, unit: Unit) -> Decision:
    """A resident unit's yearly report (``domain.members.unit_reports``)."""
    needs = list(rep.check_needs(cmd.needs))
    try:
        await unit.authorize(cmd.organization_id, field="organizationId")
    except NotAuthorized:
        await unit.authorize(cmd.community_id, field="communityId")
    org = await _organization(unit, cmd.organization_id, "organizationId")
    if org.kind in NOT_RESIDENT_UNITS:
        raise ReportNotAllowed(f"{org.name} is no resident unit (驻区单位): members report for themselves",
                               field="organizationId")
    community = await _community(unit, cmd.community_id)
    today = unit.today()
    if cmd.reported_on > today:
        raise InvalidInput("the report date lies in the future", field="reportedOn")
    year = cmd.reported_on.year
    if await unit.store.read_stream(unit_report_id(org.id, year)):
        raise ReportNotAllowed(f"{org.name} reported for {year} already", field="reportedOn")
    report = UnitReport(organization_id=org.id, year=year, community_id=community.id, reported_on=cmd.reported_on,
                        needs=needs,
                        late=cmd.reported_on > rep.deadline_of(year, unit.need(ReportingRules).deadline))
    return Decision(report.id, ev.to_new_events(report), guards={org.id: org.version, community.id: community.version})


def _reported_to(member: Member, year: int) -> UUID | None:
    found = member.reports.get(year)
    return None if found is None else found.community_id


async def log_volunteer_hours(cmd: LogVolunteerHours, unit: Unit) -> Decision:
    hours = parse_hours(cmd.hours)
    member = await unit.load(Member, cmd.member_id, "member")
    own = own_member(unit.actor)
    if own is not None and own != member.id:
        raise NotAuthorized("a member's token logs the member's own hours only; you may not logVolunteerHours")
    await _at_home_or_community(unit, member, _reported_to(member, cmd.on.year))
    member.log_volunteer_hours(cmd.entry_id, cmd.activity, cmd.on, hours, unit.today(), confirmed=own is None)
    return changed(member)


def _entry_year(member: Member, entry_id: UUID) -> int | None:
    found = member.volunteering.get(entry_id)
    return None if found is None else found.on.year


async def _entry_member(unit: Unit, member_id: UUID, entry_id: UUID) -> Member:
    """The member, authorized at the home or the community reported to in the entry's year."""
    member = await unit.load(Member, member_id, "member")
    year = _entry_year(member, entry_id)
    return await _at_home_or_community(unit, member, None if year is None else _reported_to(member, year))


async def confirm_volunteer_hours(cmd: ConfirmVolunteerHours, unit: Unit) -> Decision:
    member = await _entry_member(unit, cmd.member_id, cmd.entry_id)
    member.confirm_volunteer_hours(cmd.entry_id)
    return changed(member)


async def reject_volunteer_hours(cmd: RejectVolunteerHours, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _entry_member(unit, cmd.member_id, cmd.entry_id)
    member.reject_volunteer_hours(cmd.entry_id, reason)
    return changed(member, reason=reason)


def _inflow(member: Member) -> UUID | None:
    """The inflow organization of the tree where a mobile member takes part in Party life."""
    card = member.mobile_card
    return card.inflow_organization_id if card is not None and card.open else None


async def appraise_member(cmd: AppraiseMember, unit: Unit) -> Decision:
    """At the home, or for a mobile member at the inflow organization of the tree (流入地评议)."""
    reason = optional_reason(cmd.reason)
    member = await unit.load(Member, cmd.member_id, "member")
    await _at_home_or_community(unit, member, _inflow(member))
    member.appraise(cmd.year, cmd.rating, cmd.appraised_on, unit.need(VolunteerRules), unit.today())
    return changed(member, reason=reason)


ENGAGEMENT_HANDLERS: dict[type, Handler] = {
    IssueMobileCard: issue_mobile_card,
    ReviewMobileCard: review_mobile_card,
    CloseMobileCard: close_mobile_card,
    ReportToResidenceCommunity: report_to_residence_community,
    ReportUnitToResidenceCommunity: report_unit_to_residence_community,
    LogVolunteerHours: log_volunteer_hours,
    ConfirmVolunteerHours: confirm_volunteer_hours,
    RejectVolunteerHours: reject_volunteer_hours,
    AppraiseMember: appraise_member,
}

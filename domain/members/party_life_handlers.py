"""Party life's use case (``domain.members.party_life``): record a meeting.

Authorized at the organization that held it; every member named is loaded (the list is
bounded) and must be of that organization (home at it or above it, or a mobile member whose
card's inflow organization is), not exited, and have joined by the meeting's date. The
members' streams are guarded at the versions read, so a member who exits or moves while the
meeting is recorded makes the append retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.members.aggregate import Member
from domain.members.errors import MemberExited
from domain.members.party_life import MeetingKind, PartyLifeMeeting, check_meeting
from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from domain.shared.commands import Command
from domain.shared.errors import InvalidInput
from domain.shared.handling import Decision, Handler, Unit
from domain.shared.permissions import ADMINS


@dataclass(frozen=True)
class RecordPartyLifeMeeting(Command):
    """Record a meeting of the 三会一课 or a theme day, with its attendance."""

    action = "recordPartyLifeMeeting"
    allowed = ADMINS
    organization_id: UUID
    kind: MeetingKind
    held_on: date
    topic: str
    attended: tuple[UUID, ...]
    absent_with_leave: tuple[UUID, ...] = ()
    absent_without_leave: tuple[UUID, ...] = ()


def _takes_part_here(member: Member, path: list[UUID], held_on: date) -> bool:
    """A member takes part in the Party life of the organizations at or below their home, and a
    mobile member (流动党员) also in those at or below the inflow organization of the card they held
    on the meeting's day (they vote only at home, but live their Party life where they are)."""
    if member.home_organization_id in path:
        return True
    card = member.mobile_card
    return (card is not None and card.inflow_organization_id is not None
            and card.inflow_organization_id in path
            and card.issued_on <= held_on and (card.closed_on is None or card.closed_on >= held_on))


async def record_party_life_meeting(cmd: RecordPartyLifeMeeting, unit: Unit) -> Decision:
    path = await unit.authorize(cmd.organization_id, field="organizationId")
    topic = check_meeting(cmd.held_on, cmd.topic, unit.today(), cmd.attended, cmd.absent_with_leave,
                          cmd.absent_without_leave)
    organization = await unit.load(Organization, cmd.organization_id, "organization")
    organization.ensure_active()
    guards = {organization.id: organization.version}
    for field, ids in (("attended", cmd.attended), ("absentWithLeave", cmd.absent_with_leave),
                       ("absentWithoutLeave", cmd.absent_without_leave)):
        for member_id in ids:
            member = await unit.find(Member, member_id)
            if member is None or not _takes_part_here(member, path, cmd.held_on):
                raise InvalidInput(f"{member_id} is no member of this organization", field=field)
            if member.exit is not None:
                raise MemberExited(f"member {member.name} left the Party", field=field)
            if member.joined_on > cmd.held_on:
                raise InvalidInput(f"member {member.name} joined after the meeting", field=field)
            guards[member.id] = member.version
    meeting = PartyLifeMeeting(
        organization_id=organization.id, kind=cmd.kind, held_on=cmd.held_on, topic=topic,
        attended=list(cmd.attended), absent_with_leave=list(cmd.absent_with_leave),
        absent_without_leave=list(cmd.absent_without_leave),
    )
    return Decision(meeting.id, ev.to_new_events(meeting), guards=guards)


PARTY_LIFE_HANDLERS: dict[type, Handler] = {RecordPartyLifeMeeting: record_party_life_meeting}

"""Exits' use cases (``domain.members.exits``): authorize at the member's home → decide.

Every exit gives up the member's claim on the home organization (``member.home``): that
claim is what keeps an organization from being dissolved while it has members, so an
exited member no longer blocks it. The ID number's claim stays: the record is the same
person's. A removal's approval and rejection are structural (``Command.structural``):
taken only from strictly above the home organization, the level above the branch.
"""

from __future__ import annotations

from domain.members.aggregate import Member
from domain.members.commands import (
    ApproveMemberRemoval,
    ExpelMember,
    ProposeMemberRemoval,
    RecordMemberDeath,
    RecordMemberWithdrawal,
    RejectMemberRemoval,
)
from domain.organizations.handlers import HOME
from domain.shared.commands import optional_reason, required_reason
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.ports import Release

ExitCommand = (RecordMemberDeath | RecordMemberWithdrawal | ExpelMember | ProposeMemberRemoval
               | ApproveMemberRemoval | RejectMemberRemoval)


async def _member(unit: Unit, cmd: ExitCommand) -> Member:
    """The member, authorized against its home, at the version the client expected."""
    member = await unit.load(Member, cmd.member_id, "member")
    await unit.authorize(member.home_organization_id)
    unit.expect(member)
    return member


def _exited(member: Member, reason: str | None) -> Decision:
    return changed(member, reason=reason, releases=[Release(HOME, str(member.id))])


async def record_member_death(cmd: RecordMemberDeath, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.record_death(cmd.died_on, unit.today())
    return _exited(member, reason)


async def record_member_withdrawal(cmd: RecordMemberWithdrawal, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.record_withdrawal(cmd.withdrew_on, unit.today())
    return _exited(member, reason)


async def expel_member(cmd: ExpelMember, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.expel(cmd.decided_on, cmd.decision_reference, unit.today())
    return _exited(member, reason)


async def propose_member_removal(cmd: ProposeMemberRemoval, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.propose_removal(cmd.decided_on, cmd.decision_reference, unit.today())
    return changed(member, reason=reason)


async def approve_member_removal(cmd: ApproveMemberRemoval, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.approve_removal(cmd.approved_on or unit.today(), unit.today())
    return _exited(member, reason)


async def reject_member_removal(cmd: RejectMemberRemoval, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.reject_removal(reason)
    return changed(member, reason=reason)


EXIT_HANDLERS: dict[type, Handler] = {
    RecordMemberDeath: record_member_death,
    RecordMemberWithdrawal: record_member_withdrawal,
    ExpelMember: expel_member,
    ProposeMemberRemoval: propose_member_removal,
    ApproveMemberRemoval: approve_member_removal,
    RejectMemberRemoval: reject_member_removal,
}

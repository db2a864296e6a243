"""Use cases of transfers, completed (``domain.members.incoming``, ``domain.members.revocation``).

- An incoming letter is authorized at the receiving organization, which becomes the
  member's home (claims: the ID number, once in the system; the home).
- The approval and rejection of a request are structural at the sending organization:
  taken only from strictly above it.
- A revocation is proposed at the side that proposes it (the sender or the receiver in
  the tree) and approved or rejected from strictly above every side in the tree: each
  side's path is authorized as a structural step. The approval moves the home claim back
  to the previous home (which must still be active), or, for a transfer out of the
  system, claims it anew: the member comes back.
"""

from __future__ import annotations

from uuid import uuid4

from domain.members.aggregate import Member
from domain.members.handlers import ID_NUMBER, _code_along, _step, _stepped, new_member
from domain.members.incoming import check_incoming_letter
from domain.members.transfer_commands import (
    ApproveMemberTransfer,
    ApproveTransferRevocation,
    ProposeTransferRevocation,
    RegisterIncomingTransfer,
    RejectMemberTransfer,
    RejectTransferRevocation,
)
from domain.members.transfers import check_external, check_scope, division_code
from domain.organizations.aggregate import Organization
from domain.organizations.handlers import HOME
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import InvalidInput
from domain.shared.handling import Decision, Handler, Unit
from domain.shared.ports import Claim


async def register_incoming_transfer(cmd: RegisterIncomingTransfer, unit: Unit) -> Decision:
    path = await unit.authorize(cmd.to_organization_id, field="toOrganizationId")
    reason = optional_reason(cmd.reason)
    external = check_external(cmd.from_external, field="fromExternal")
    letter = check_incoming_letter(cmd.letter_serial, cmd.issued_on, cmd.valid_until, unit.today())
    member, home, claims = await new_member(unit, cmd, cmd.to_organization_id, "toOrganization")
    scope = check_scope(cmd.scope, division_code(external.code), await _code_along(unit, path))
    transfer_id = uuid4()
    member.register_incoming_transfer(transfer_id, external, scope, letter)
    return Decision(member.id, ev.to_new_events(member), guards={home.id: home.version}, claims=claims,
                    claim_fields={ID_NUMBER: "idNumber"}, reason=reason,
                    result={"transfer_id": str(transfer_id)})


async def approve_member_transfer(cmd: ApproveMemberTransfer, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _step(unit, cmd)
    member.approve_transfer(cmd.transfer_id, cmd.approved_on or unit.today())
    return _stepped(member, cmd, reason=reason)


async def reject_member_transfer(cmd: RejectMemberTransfer, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _step(unit, cmd)
    member.reject_transfer(cmd.transfer_id, reason)
    return _stepped(member, cmd, reason=reason)


async def propose_transfer_revocation(cmd: ProposeTransferRevocation, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await unit.load(Member, cmd.member_id, "member")
    t = member.transfer(cmd.transfer_id)
    sides = [s for s in (t.from_organization_id, t.to_organization_id) if s is not None]
    by = cmd.by_organization_id if cmd.by_organization_id is not None else sides[0]
    if by not in sides:
        raise InvalidInput("a revocation is proposed by the transfer's sending or receiving side",
                           field="byOrganizationId")
    await unit.authorize(by, field="byOrganizationId")
    unit.expect(member)
    member.propose_revocation(cmd.transfer_id, by, unit.today(), reason)
    return _stepped(member, cmd, reason=reason)


async def _decide_revocation(unit: Unit, cmd: ApproveTransferRevocation | RejectTransferRevocation) -> Member:
    """The member, authorized from strictly above every side of the transfer in the tree."""
    member = await unit.load(Member, cmd.member_id, "member")
    t = member.transfer(cmd.transfer_id)
    for side in (t.from_organization_id, t.to_organization_id):
        if side is not None:
            await unit.authorize(side)
    unit.expect(member)
    return member


async def approve_transfer_revocation(cmd: ApproveTransferRevocation, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _decide_revocation(unit, cmd)
    t = member.transfer(cmd.transfer_id)
    member.approve_revocation(cmd.transfer_id, unit.today())
    assert t.from_organization_id is not None
    home = await unit.load(Organization, t.from_organization_id, "fromOrganization")
    home.ensure_active()
    return _stepped(member, cmd, reason=reason, guards={home.id: home.version},
                    claims=[Claim(HOME, str(member.id), home.id, replace=True)])


async def reject_transfer_revocation(cmd: RejectTransferRevocation, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _decide_revocation(unit, cmd)
    member.reject_revocation(cmd.transfer_id, reason)
    return _stepped(member, cmd, reason=reason)


TRANSFER_HANDLERS: dict[type, Handler] = {
    RegisterIncomingTransfer: register_incoming_transfer,
    ApproveMemberTransfer: approve_member_transfer,
    RejectMemberTransfer: reject_member_transfer,
    ProposeTransferRevocation: propose_transfer_revocation,
    ApproveTransferRevocation: approve_transfer_revocation,
    RejectTransferRevocation: reject_transfer_revocation,
}

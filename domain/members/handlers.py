"""Members' and transfers' use cases: authorize → load → decide (``Handling`` appends).

A member's commands are authorized against the member's home organization; a transfer
step against its sending or receiving organization, whatever the member's home is by
now (the receipt comes back after acceptance).
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from domain.members.aggregate import (
    Member,
    TransferRules,
    check_dues_paid_through,
    check_id_number,
    check_justification,
    check_phone,
)
from domain.members.commands import (
    AcceptMemberTransfer,
    ConfirmTransferReceipt,
    ConvertMemberToFull,
    CorrectMemberDetails,
    EraseMemberPersonalData,
    ExpireMemberTransfer,
    IssueTransferLetter,
    RegisterMember,
    ReissueTransferLetter,
    RequestMemberTransfer,
    ReturnMemberTransfer,
    TransferStep,
    WithdrawMemberTransfer,
)
from domain.members.letters import LetterRegister, register_id
from domain.members.transfer_commands import RegisterIncomingTransfer
from domain.members.transfers import check_external, check_scope, division_code
from domain.organizations.aggregate import Organization
from domain.organizations.handlers import HOME
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import InvalidInput, TransferNotAllowed
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.ports import Claim, Release

ID_NUMBER = "member.id_number"


def id_number_key(id_number: str) -> str:
    # The claim table holds a digest, not the ID number itself. An ID number has little
    # entropy, so the digest is pseudonymous at best: erasing the member's personal data
    # releases the claim (``erase_member_personal_data``).
    return hashlib.sha256(id_number.encode()).hexdigest()


NewMember = RegisterMember | RegisterIncomingTransfer
"""The commands a member is registered from: a registration, or an incoming transfer's letter."""


async def new_member(unit: Unit, cmd: NewMember, home_id: UUID, home_field: str,
                     ) -> tuple[Member, Organization, list[Claim]]:
    """A new member's record at an active home, checked as every registration is checked, with the
    claims it takes (its ID number, its one home); the caller has authorized the home."""
    today = unit.today()
    name, ethnicity = Member.check_details(cmd.name, cmd.birth_date, cmd.joined_on, cmd.ethnicity, today)
    id_number = check_id_number(cmd.id_number)
    phone = check_phone(cmd.phone)
    home = await unit.load(Organization, home_id, home_field)
    home.ensure_active()
    dues = check_dues_paid_through(cmd.dues_paid_through, cmd.joined_on, today)
    member = Member(
        name=name, gender=cmd.gender, birth_date=cmd.birth_date, ethnicity=ethnicity,
        id_number=id_number, phone=phone, standing=cmd.standing, joined_on=cmd.joined_on,
        home_organization_id=home.id, dues_paid_through=dues,
    )
    return member, home, [Claim(ID_NUMBER, id_number_key(id_number), member.id), Claim(HOME, str(member.id), home.id)]


async def register_member(cmd: RegisterMember, unit: Unit) -> Decision:
    await unit.authorize(cmd.home_organization_id, field="homeOrganizationId")
    member, home, claims = await new_member(unit, cmd, cmd.home_organization_id, "homeOrganization")
    return Decision(member.id, ev.to_new_events(member), guards={home.id: home.version}, claims=claims,
                    claim_fields={ID_NUMBER: "idNumber"})


async def _member(unit: Unit, cmd: CorrectMemberDetails | ConvertMemberToFull | RequestMemberTransfer
                  | EraseMemberPersonalData,
                  ) -> Member:
    """The member, authorized against its home, at the version the client expected."""
    member = await unit.load(Member, cmd.member_id, "member")
    await unit.authorize(member.home_organization_id)
    unit.expect(member)
    return member


async def correct_member_details(cmd: CorrectMemberDetails, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.correct_details(cmd.changes(), unit.today())
    return changed(member, reason=reason)


async def convert_member_to_full(cmd: ConvertMemberToFull, unit: Unit) -> Decision:
    member = await _member(unit, cmd)
    member.convert_to_full(cmd.converted_on or unit.today(), unit.today())
    return changed(member, reason=optional_reason(cmd.reason))


async def erase_member_personal_data(cmd: EraseMemberPersonalData, unit: Unit) -> Decision:
    """The erasure is recorded with its reason; the store destroys the member's keys in the
    same transaction, and the ID number's claim goes with it (its digest is the ID number
    in all but name), so the person could be registered again."""
    reason = required_reason(cmd.reason)
    member = await _member(unit, cmd)
    releases = [] if member.id_number is None else [Release(ID_NUMBER, id_number_key(member.id_number))]
    member.erase_personal_data()
    return changed(member, reason=reason, releases=releases)


async def _code_along(unit: Unit, path_root_first: list[UUID]) -> str | None:
    """The nearest 12-digit division code from the path's last organization upwards."""
    for organization_id in reversed(path_root_first):
        org = await unit.find(Organization, organization_id)
        code = None if org is None else division_code(org.code)
        if code is not None:
            return code
    return None


async def request_member_transfer(cmd: RequestMemberTransfer, unit: Unit) -> Decision:
    """The scope is checked against both sides' division codes where they are known
    (``domain.members.transfers``); a transfer out of the system names the external
    organization instead of one in the tree."""
    reason = required_reason(cmd.reason)
    if (cmd.to_organization_id is None) == (cmd.to_external is None):
        raise InvalidInput("name the receiving organization: toOrganizationId or toExternal, not both",
                           field="toOrganizationId")
    external = None if cmd.to_external is None else check_external(cmd.to_external)
    member = await unit.load(Member, cmd.member_id, "member")
    home_path = await unit.authorize(member.home_organization_id)
    unit.expect(member)
    home_code = await _code_along(unit, home_path)
    if external is not None:
        scope = check_scope(cmd.scope, home_code, division_code(external.code))
        transfer_id = member.request_transfer(None, scope, to_external=external)
        return changed(member, reason=reason, result={"transfer_id": str(transfer_id)})
    assert cmd.to_organization_id is not None
    target = await unit.load(Organization, cmd.to_organization_id, "toOrganization")
    target.ensure_active()
    target_code = division_code(target.code)
    if target_code is None:
        target_code = await _code_along(unit, (await unit.directory.path_of(target.id) or [])[:-1])
    scope = check_scope(cmd.scope, home_code, target_code)
    transfer_id = member.request_transfer(target.id, scope)
    return changed(member, reason=reason, result={"transfer_id": str(transfer_id)})


async def _step(unit: Unit, cmd: TransferStep) -> Member:
    """The member of a transfer step, authorized against the side that takes the step."""
    return (await _step_at(unit, cmd))[0]


async def _step_at(unit: Unit, cmd: TransferStep) -> tuple[Member, list[UUID]]:
    """The member of a transfer step and the path of the side that takes it."""
    member = await unit.load(Member, cmd.member_id, "member")
    t = member.transfer(cmd.transfer_id)
    # Out of the system there is no receiving side in the tree: the sender records its steps;
    # into it, no sending side: the receiver records them (``domain.members.incoming``).
    receiver = t.to_organization_id if cmd.receiving_side or t.from_external is not None else None
    path = await unit.authorize(receiver or t.from_organization_id)
    unit.expect(member)
    return member, path


def _stepped(member: Member, cmd: TransferStep, **kwargs: object) -> Decision:
    return changed(member, result={"transfer_id": str(cmd.transfer_id)}, **kwargs)


async def issue_transfer_letter(cmd: IssueTransferLetter, unit: Unit) -> Decision:
    """The serial comes from the issuer's letter register, appended with the letter: a
    refused or failed issue draws none (``domain.members.letters``)."""
    member, path = await _step_at(unit, cmd)
    register, serial = await _draw_serial(unit, member, cmd)
    # The approval step (审批) is on or off per district: the sender's tree's root.
    member.issue_transfer_letter(cmd.transfer_id, serial, unit.today(), unit.need(TransferRules),
                                 cmd.validity_days, district_id=path[0] if path else None)
    # The register's events first: a reader of the log meets the serial before the letter.
    events = [*ev.to_new_events(register), *ev.to_new_events(member)]
    return Decision(member.id, events, result={"transfer_id": str(cmd.transfer_id)})


async def _draw_serial(unit: Unit, member: Member, cmd: TransferStep) -> tuple[LetterRegister, str]:
    """The next serial of the issuer's register for this year (opened by its first letter)."""
    today = unit.today()
    issuer = member.transfer(cmd.transfer_id).from_organization_id
    if issuer is None:
        raise TransferNotAllowed("the letter was issued outside the system: only its sender re-issues it")
    register = await unit.find(LetterRegister, register_id(issuer, today.year))
    if register is None:
        register = LetterRegister(organization_id=issuer, year=today.year)
    return register, register.draw(member.id, cmd.transfer_id, today)


async def reissue_transfer_letter(cmd: ReissueTransferLetter, unit: Unit) -> Decision:
    """The new serial comes from the issuer's register of this year, like a first letter's."""
    reason = required_reason(cmd.reason)
    member = await _step(unit, cmd)
    register, serial = await _draw_serial(unit, member, cmd)
    member.reissue_transfer_letter(cmd.transfer_id, serial, unit.today(), unit.need(TransferRules),
                                   cmd.validity_days)
    events = [*ev.to_new_events(register), *ev.to_new_events(member)]
    return Decision(member.id, events, reason=reason, result={"transfer_id": str(cmd.transfer_id)})


async def accept_member_transfer(cmd: AcceptMemberTransfer, unit: Unit) -> Decision:
    member = await _step(unit, cmd)
    to = member.transfer(cmd.transfer_id).to_organization_id
    if to is None:  # out of the system: refused by the aggregate, with the way to go
        member.accept_transfer(cmd.transfer_id, unit.today(), unit.need(TransferRules), cmd.justification)
    assert to is not None
    target = await unit.load(Organization, to, "toOrganization")
    target.ensure_active()
    justification = check_justification(cmd.justification)
    member.accept_transfer(cmd.transfer_id, unit.today(), unit.need(TransferRules), justification,
                           cmd.letter_serial)
    return _stepped(member, cmd, guards={target.id: target.version}, reason=justification,
                    claims=[Claim(HOME, str(member.id), target.id, replace=True)])


async def return_member_transfer(cmd: ReturnMemberTransfer, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _step(unit, cmd)
    incoming = member.transfer(cmd.transfer_id).from_external is not None
    id_number = member.id_number
    member.return_transfer(cmd.transfer_id, reason, unit.today())
    # An incoming letter returned takes the member out of the tree again and frees the ID
    # number for a corrected letter (``domain.members.incoming``).
    releases = [Release(HOME, str(member.id))] if incoming else []
    if incoming and id_number is not None:
        releases.append(Release(ID_NUMBER, id_number_key(id_number)))
    return _stepped(member, cmd, reason=reason, releases=releases)


async def withdraw_member_transfer(cmd: WithdrawMemberTransfer, unit: Unit) -> Decision:
    member = await _step(unit, cmd)
    reason = optional_reason(cmd.reason)
    member.withdraw_transfer(cmd.transfer_id)
    return _stepped(member, cmd, reason=reason)


async def expire_member_transfer(cmd: ExpireMemberTransfer, unit: Unit) -> Decision:
    member = await _step(unit, cmd)
    member.expire_transfer(cmd.transfer_id, unit.today())
    return _stepped(member, cmd)


async def confirm_transfer_receipt(cmd: ConfirmTransferReceipt, unit: Unit) -> Decision:
    """Out of the system, the receipt of acceptance takes the member out of the tree: the
    home claim goes with it, as with every exit (``domain.members.exit_handlers``)."""
    member = await _step(unit, cmd)
    leaves = member.transfer(cmd.transfer_id).to_external is not None
    member.confirm_transfer_receipt(cmd.transfer_id, cmd.received_on or unit.today(), unit.today())
    return _stepped(member, cmd, releases=[Release(HOME, str(member.id))] if leaves else [])


HANDLERS: dict[type, Handler] = {
    RegisterMember: register_member,
    CorrectMemberDetails: correct_member_details,
    EraseMemberPersonalData: erase_member_personal_data,
    ConvertMemberToFull: convert_member_to_full,
    RequestMemberTransfer: request_member_transfer,
    IssueTransferLetter: issue_transfer_letter,
    ReissueTransferLetter: reissue_transfer_letter,
    AcceptMemberTransfer: accept_member_transfer,
    ReturnMemberTransfer: return_member_transfer,
    WithdrawMemberTransfer: withdraw_member_transfer,
    ExpireMemberTransfer: expire_member_transfer,
    ConfirmTransferReceipt: confirm_transfer_receipt,
}

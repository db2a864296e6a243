"""Mutations of transfers, completed: into the system, the approval step, revocation
(``domain.members.incoming``, ``domain.members.revocation``)."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.core import errors as e
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.members.errors import MemberExited, RevocationNotAllowed, TransferNotAllowed
from api.graphql.members.mutations import (
    _KEY,
    ExternalOrganizationInput,
    TransferPayload,
    _member_of,
    _transfer_payload,
    _transfer_step,
)
from api.graphql.organizations.errors import OrganizationDissolved
from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.transfer_commands import (
    ApproveMemberTransfer,
    ApproveTransferRevocation,
    ProposeTransferRevocation,
    RegisterIncomingTransfer,
    RejectMemberTransfer,
    RejectTransferRevocation,
)
from domain.members.transfers import ExternalOrganization

IncomingResult = result_union("RegisterIncomingTransferResult", TransferPayload, e.AlreadyExists,
                              OrganizationDissolved)
ApproveResult = result_union("ApproveMemberTransferResult", TransferPayload, TransferNotAllowed, MemberExited)
RejectResult = result_union("RejectMemberTransferResult", TransferPayload, TransferNotAllowed, MemberExited)
ProposeRevocationResult = result_union("ProposeTransferRevocationResult", TransferPayload, RevocationNotAllowed,
                                       MemberExited, TransferNotAllowed)
ApproveRevocationResult = result_union("ApproveTransferRevocationResult", TransferPayload, RevocationNotAllowed,
                                       MemberExited, OrganizationDissolved, TransferNotAllowed)
RejectRevocationResult = result_union("RejectTransferRevocationResult", TransferPayload, RevocationNotAllowed,
                                      MemberExited, TransferNotAllowed)


@strawberry.input(description="Register an incoming letter from an organization outside the system: the member is"
                             " registered from the letter's fields, checked as for `registerMember`.")
class RegisterIncomingTransferInput:
    to_organization_id: strawberry.ID = strawberry.field(
        description="The receiving organization in the tree: the member's home from now on.")
    from_external: ExternalOrganizationInput = strawberry.field(
        description="The sending organization outside the system, as the letter names it.")
    scope: TransferScope = strawberry.field(
        description="Refused if it contradicts the two sides' division codes where both are known.")
    letter_serial: str = strawberry.field(description="The letter's serial, as its sender numbered it: 1–40"
                                                      " characters.")
    issued_on: date = strawberry.field(description="The letter's date of issue: not ahead of today.")
    valid_until: date = strawberry.field(
        description="The last day the letter is valid, as its sender wrote it: 1–180 days after its issue.")
    name: str = strawberry.field(description="Full name: 1–120 characters.")
    gender: Gender = strawberry.field(description="Gender.")
    birth_date: date = strawberry.field(description="Date of birth.")
    ethnicity: str = strawberry.field(description="Ethnicity, e.g. 汉族: 1–20 characters.")
    id_number: str = strawberry.field(
        description="18-character resident ID number with its check digit; a member already in the system"
                    " answers AlreadyExists.")
    phone: str | None = strawberry.field(default=None, description="Phone number: 5–20 characters.")
    standing: Standing = strawberry.field(description="Full or probationary, as the letter states.")
    joined_on: date = strawberry.field(description="The date the member joined the Party.")
    dues_paid_through: date | None = strawberry.field(
        default=None, description="Dues paid through this month, as the letter states.")
    reason: str | None = strawberry.field(default=None, description="Why the member moves (recorded; at most"
                                                                   " 500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Approve a requested transfer from the level above the sender (审批).")
class ApproveMemberTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer (state REQUESTED).")
    approved_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    reason: str | None = strawberry.field(default=None, description="A note (recorded; at most 500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Reject a requested transfer from the level above the sender, with a reason.")
class RejectMemberTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer (state REQUESTED).")
    reason: str = strawberry.field(description="Why not (recorded; 1–500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Propose to revoke a completed transfer found to be wrong.")
class ProposeTransferRevocationInput:
    transfer_id: strawberry.ID = strawberry.field(
        description="The member's latest transfer, accepted or with its receipt back.")
    by_organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The side that proposes: the sending or the receiving organization (defaults"
                                  " to the sending one).")
    reason: str = strawberry.field(description="Why the transfer is wrong (recorded; 1–500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Approve a proposed revocation, from strictly above both sides.")
class ApproveTransferRevocationInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    reason: str | None = strawberry.field(default=None, description="A note (recorded; at most 500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Reject a proposed revocation, from strictly above both sides, with a reason.")
class RejectTransferRevocationInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    reason: str = strawberry.field(description="Why not (recorded; 1–500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="Transfers into the system, the approval step and revocations.")
class TransferCompletionMutations:
    @strawberry.mutation(description="Register an incoming letter from outside the system (the receiving side): the"
                                     " member is registered at the receiving organization with the transfer open;"
                                     " accept it (`acceptMemberTransfer`) or return it (`returnMemberTransfer`:"
                                     " the member leaves the tree again).")
    async def register_incoming_transfer(self, info: Info, input: RegisterIncomingTransferInput,
                                         ) -> IncomingResult:
        x = input.from_external
        return await execute(info, input, lambda: RegisterIncomingTransfer(
            to_organization_id=parse_id(input.to_organization_id, "toOrganizationId"),
            from_external=ExternalOrganization(name=x.name, province=x.province, city=x.city, code=x.code),
            scope=input.scope, letter_serial=input.letter_serial, issued_on=input.issued_on,
            valid_until=input.valid_until, name=input.name, gender=input.gender, birth_date=input.birth_date,
            ethnicity=input.ethnicity, id_number=input.id_number, phone=input.phone, standing=input.standing,
            joined_on=input.joined_on, dues_paid_through=input.dues_paid_through, reason=input.reason),
            _transfer_payload(info))

    @strawberry.mutation(description="Approve a requested transfer (审批): only from strictly above the sending"
                                     " organization. Needed before the letter where `GRASSROOTS_TRANSFER_APPROVAL`"
                                     " turns the step on.")
    async def approve_member_transfer(self, info: Info, input: ApproveMemberTransferInput) -> ApproveResult:
        return await _transfer_step(info, input, ApproveMemberTransfer, approved_on=input.approved_on,
                                    reason=input.reason)

    @strawberry.mutation(description="Reject a requested transfer with a reason, from strictly above the sender:"
                                     " the transfer ends (REJECTED).")
    async def reject_member_transfer(self, info: Info, input: RejectMemberTransferInput) -> RejectResult:
        return await _transfer_step(info, input, RejectMemberTransfer, reason=input.reason)

    @strawberry.mutation(description="Propose to revoke a completed transfer (the sending or the receiving side).")
    async def propose_transfer_revocation(self, info: Info, input: ProposeTransferRevocationInput,
                                          ) -> ProposeRevocationResult:
        async def build() -> ProposeTransferRevocation:
            mid, tid = await _member_of(info, input.transfer_id)
            return ProposeTransferRevocation(
                member_id=mid, transfer_id=tid, reason=input.reason,
                by_organization_id=parse_opt_id(input.by_organization_id, "byOrganizationId"))
        return await execute(info, input, build, _transfer_payload(info))

    @strawberry.mutation(description="Approve a proposed revocation, from strictly above both sides: the previous"
                                     " home is the member's home again; a member who left the system by it comes"
                                     " back.")
    async def approve_transfer_revocation(self, info: Info, input: ApproveTransferRevocationInput,
                                          ) -> ApproveRevocationResult:
        return await _transfer_step(info, input, ApproveTransferRevocation, reason=input.reason)

    @strawberry.mutation(description="Reject a proposed revocation with a reason: the transfer stands.")
    async def reject_transfer_revocation(self, info: Info, input: RejectTransferRevocationInput,
                                         ) -> RejectRevocationResult:
        return await _transfer_step(info, input, RejectTransferRevocation, reason=input.reason)

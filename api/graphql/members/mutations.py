"""Mutations of members and transfers: each builds a command and hands it to the domain."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

import strawberry

from api import views
from api.graphql.core import errors as e
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.members.errors import (
    ApprovalRequired,
    LetterExpired,
    LetterVoided,
    MemberExited,
    TransferNotAllowed,
)
from api.graphql.members.queries import load_member, load_transfer
from api.graphql.members.types import Member, Transfer
from api.graphql.organizations.errors import OrganizationDissolved
from domain.members.aggregate import Gender, Standing, TransferScope
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
    WithdrawMemberTransfer,
)
from domain.members.transfers import ExternalOrganization
from domain.shared.commands import Command, Outcome
from domain.shared.errors import NotFound


@strawberry.type(description="The member as the read model has it after the change.")
class MemberPayload:
    member: Member | None = strawberry.field(description="The changed member.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="The transfer as the read model has it after the change.")
class TransferPayload:
    transfer: Transfer | None = strawberry.field(description="The changed transfer.")
    position: int = strawberry.field(description="Log position of the change.")


RegisterResult = result_union("RegisterMemberResult", MemberPayload, e.AlreadyExists,
                        OrganizationDissolved)


CorrectResult = result_union("CorrectMemberDetailsResult", MemberPayload)


ConvertResult = result_union("ConvertMemberToFullResult", MemberPayload, MemberExited)


EraseResult = result_union("EraseMemberPersonalDataResult", MemberPayload)


RequestResult = result_union("RequestMemberTransferResult", TransferPayload, TransferNotAllowed,
                       OrganizationDissolved, MemberExited)


IssueResult = result_union("IssueTransferLetterResult", TransferPayload, TransferNotAllowed, ApprovalRequired)


AcceptResult = result_union("AcceptMemberTransferResult", TransferPayload, TransferNotAllowed,
                      LetterExpired, OrganizationDissolved, LetterVoided)


ReissueResult = result_union("ReissueTransferLetterResult", TransferPayload, TransferNotAllowed)


ReturnResult = result_union("ReturnMemberTransferResult", TransferPayload, TransferNotAllowed)


WithdrawResult = result_union("WithdrawMemberTransferResult", TransferPayload, TransferNotAllowed)


ExpireResult = result_union("ExpireMemberTransferResult", TransferPayload, TransferNotAllowed)


ConfirmResult = result_union("ConfirmTransferReceiptResult", TransferPayload, TransferNotAllowed)


_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")


_VERSION = "The version you last saw; if the object has moved on you get VersionConflict."


@strawberry.input(description="Register a member in a home organization.")
class RegisterMemberInput:
    name: str = strawberry.field(
        description="Full name: 1–120 characters (NFKC-normalised, invisible characters removed).")
    gender: Gender = strawberry.field(description="Gender.")
    birth_date: date = strawberry.field(description="Date of birth.")
    ethnicity: str = strawberry.field(description="Ethnicity, e.g. 汉族: 1–20 characters.")
    id_number: str = strawberry.field(
        description="18-character resident ID number: 17 digits and a check digit (0-9 or X); fullwidth digits"
                    " are read as ASCII, other scripts' digits refused. Registered once.")
    phone: str | None = strawberry.field(
        default=None, description="Phone number: 5–20 characters, digits 0-9 (at least five), spaces, dashes and a"
                                  " leading +.")
    standing: Standing = strawberry.field(description="Full or probationary.")
    joined_on: date = strawberry.field(
        description="The date the member joined the Party: at 18 or older, not ahead of today.")
    home_organization_id: strawberry.ID = strawberry.field(description="The home organization.")
    dues_paid_through: date | None = strawberry.field(
        default=None, description="Dues paid through this month: not before joining, at most 12 months ahead.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Correct a member's personal details; omitted fields stay as they are.")
class CorrectMemberDetailsInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    reason: str = strawberry.field(description="Why the record is corrected (recorded; 1–500 characters).")
    name: str | None = strawberry.field(default=None, description="Corrected name: 1–120 characters.")
    gender: Gender | None = strawberry.field(default=None, description="Corrected gender.")
    birth_date: date | None = strawberry.field(default=None, description="Corrected birth date.")
    ethnicity: str | None = strawberry.field(default=None, description="Corrected ethnicity: 1–20 characters.")
    phone: str | None = strawberry.field(
        default=None, description="Corrected phone: 5–20 characters, as for registration.")
    joined_on: date | None = strawberry.field(default=None, description="Corrected joining date.")
    dues_paid_through: date | None = strawberry.field(
        default=None, description="Dues paid through: not before joining, at most 12 months ahead.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Convert a probationary member to full membership.")
class ConvertMemberToFullInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    converted_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before joining.")
    reason: str | None = strawberry.field(
        default=None, description="Reference to the branch decision: at most 500 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Erase a member's personal data (ID number, phone) on a lawful request.")
class EraseMemberPersonalDataInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    reason: str = strawberry.field(description="The lawful request it answers, e.g. its reference"
                                               " (recorded; 1–500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A Party organization outside the system (name, code where known, province, city).")
class ExternalOrganizationInput:
    name: str = strawberry.field(description="Its name: 1–120 characters.")
    province: str = strawberry.field(description="Its province: 1–20 characters.")
    city: str = strawberry.field(description="Its city: 1–20 characters.")
    code: str | None = strawberry.field(
        default=None, description="Its 12-digit division code (then the scope is checked against it) or its"
                                  " Party-organization code: at most 40 characters.")


@strawberry.input(description="Request the transfer of a member's organizational relationship.")
class RequestMemberTransferInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    to_organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The receiving organization in the tree; or give `toExternal` (exactly one).")
    scope: TransferScope = strawberry.field(
        description="Within city, outside city, across provinces; refused if it contradicts the two sides'"
                    " division codes (digits 1–2 province, 1–4 city) where both are known.")
    reason: str = strawberry.field(description="Why the member moves (work, residence, …): 1–500 characters.")
    to_external: ExternalOrganizationInput | None = strawberry.field(
        default=None, description="The receiving organization outside the system: the sender then records its"
                                  " receipt of acceptance, and the member leaves the tree.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Approve a requested transfer and issue its introduction letter.")
class IssueTransferLetterInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    validity_days: int | None = strawberry.field(
        default=None, description="Fewer days than the scope's validity (10 / 30 / 90 by default, configured):"
                                  " never more.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Re-issue a lost letter (补转): the old serial is voided, a new letter with a new"
                             " serial and a fresh validity is issued.")
class ReissueTransferLetterInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    reason: str = strawberry.field(description="How the letter was lost (recorded; 1–500 characters).")
    validity_days: int | None = strawberry.field(
        default=None, description="Fewer days than the scope's validity: never more.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Accept a member on the receiving side; the home organization changes now.")
class AcceptMemberTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    justification: str | None = strawberry.field(
        default=None, description="Required if the letter has expired: at most 500 characters.")
    letter_serial: str | None = strawberry.field(
        default=None, description="The serial on the letter presented (at most 40 characters): a voided one"
                                  " (re-issued) is LetterVoided, another transfer's InvalidInput.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Return a letter to the sender, with a reason.")
class ReturnMemberTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    reason: str = strawberry.field(description="Why it goes back (recorded; 1–500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Withdraw an open transfer (on the member's behalf).")
class WithdrawMemberTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    reason: str | None = strawberry.field(default=None, description="Why (recorded; at most 500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Mark an issued letter as expired once its validity has passed.")
class ExpireMemberTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record that the receipt (回执) came back to the sender; for a transfer out of the"
                             " system, the external organization's receipt of acceptance: the member leaves the"
                             " tree.")
class ConfirmTransferReceiptInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer.")
    received_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before acceptance.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


def _member_payload(info: Info) -> Callable[[Outcome], Awaitable[MemberPayload]]:
    async def present(o: Outcome) -> MemberPayload:
        return MemberPayload(member=await load_member(info, o.id, fresh=True), position=o.position)
    return present


def _transfer_payload(info: Info) -> Callable[[Outcome], Awaitable[TransferPayload]]:
    async def present(o: Outcome) -> TransferPayload:
        tid = UUID(o.extra["transfer_id"])
        return TransferPayload(transfer=await load_transfer(info, tid), position=o.position)
    return present


def _transfer_step(info: Info, data: Any, command: Callable[..., Command], **fields: Any) -> Any:
    """Run a step on the transfer ``data`` names (its member found through the read model)."""
    async def build() -> Command:
        mid, tid = await _member_of(info, data.transfer_id)
        return command(member_id=mid, transfer_id=tid, **fields)
    return execute(info, data, build, _transfer_payload(info))


async def _member_of(info: Info, transfer_id: strawberry.ID) -> tuple[UUID, UUID]:
    tid = parse_id(transfer_id, "transferId")
    row = await views.transfer(info.context.pool, tid)
    if row is None:
        raise NotFound(f"no transfer {tid}", field="transferId")
    return row["member_id"], tid


@strawberry.type(description="Change members and their transfers.")
class MemberMutations:
    @strawberry.mutation(description="Register a member in a home organization.")
    async def register_member(self, info: Info, input: RegisterMemberInput) -> RegisterResult:
        return await execute(info, input, lambda: RegisterMember(
            name=input.name, gender=input.gender, birth_date=input.birth_date, ethnicity=input.ethnicity,
            id_number=input.id_number, phone=input.phone, standing=input.standing, joined_on=input.joined_on,
            home_organization_id=parse_id(input.home_organization_id, "homeOrganizationId"),
            dues_paid_through=input.dues_paid_through), _member_payload(info))

    @strawberry.mutation(description="Correct a member's personal details, with a reason.")
    async def correct_member_details(self, info: Info, input: CorrectMemberDetailsInput) -> CorrectResult:
        return await execute(info, input, lambda: CorrectMemberDetails(
            member_id=parse_id(input.id, "id"), reason=input.reason, name=input.name, gender=input.gender,
            birth_date=input.birth_date, ethnicity=input.ethnicity, phone=input.phone,
            joined_on=input.joined_on, dues_paid_through=input.dues_paid_through), _member_payload(info))

    @strawberry.mutation(description="Convert a probationary member to a full member.")
    async def convert_member_to_full(self, info: Info, input: ConvertMemberToFullInput) -> ConvertResult:
        return await execute(info, input, lambda: ConvertMemberToFull(
            member_id=parse_id(input.id, "id"), converted_on=input.converted_on, reason=input.reason),
            _member_payload(info))

    @strawberry.mutation(description="Erase a member's personal data (ID number, phone) on a lawful"
                                     " request; district admins only, irreversible. The member's keys"
                                     " are destroyed: every earlier value reads as null everywhere"
                                     " (read models, history, feed, exports) while the log, its proofs"
                                     " and checkpoints stay valid. Recorded with the reason, never the"
                                     " values. Fund data is never erasable.")
    async def erase_member_personal_data(self, info: Info, input: EraseMemberPersonalDataInput,
                                         ) -> EraseResult:
        return await execute(info, input, lambda: EraseMemberPersonalData(
            member_id=parse_id(input.id, "id"), reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="Request a member's transfer to another organization.")
    async def request_member_transfer(self, info: Info, input: RequestMemberTransferInput) -> RequestResult:
        return await execute(info, input, lambda: RequestMemberTransfer(
            member_id=parse_id(input.member_id, "memberId"),
            to_organization_id=parse_opt_id(input.to_organization_id, "toOrganizationId"),
            scope=input.scope, reason=input.reason,
            to_external=None if input.to_external is None else ExternalOrganization(
                name=input.to_external.name, province=input.to_external.province, city=input.to_external.city,
                code=input.to_external.code)), _transfer_payload(info))

    @strawberry.mutation(description="Approve a transfer and issue its introduction letter.")
    async def issue_transfer_letter(self, info: Info, input: IssueTransferLetterInput) -> IssueResult:
        return await _transfer_step(info, input, IssueTransferLetter, validity_days=input.validity_days)

    @strawberry.mutation(description="Accept the member on the receiving side.")
    async def accept_member_transfer(self, info: Info, input: AcceptMemberTransferInput) -> AcceptResult:
        return await _transfer_step(info, input, AcceptMemberTransfer, justification=input.justification,
                                    letter_serial=input.letter_serial)

    @strawberry.mutation(description="Re-issue a lost letter (补转): the old serial can no longer be accepted.")
    async def reissue_transfer_letter(self, info: Info, input: ReissueTransferLetterInput) -> ReissueResult:
        return await _transfer_step(info, input, ReissueTransferLetter, reason=input.reason,
                                    validity_days=input.validity_days)

    @strawberry.mutation(description="Return the letter to the sender with a reason.")
    async def return_member_transfer(self, info: Info, input: ReturnMemberTransferInput) -> ReturnResult:
        return await _transfer_step(info, input, ReturnMemberTransfer, reason=input.reason)

    @strawberry.mutation(description="Withdraw an open transfer.")
    async def withdraw_member_transfer(self, info: Info, input: WithdrawMemberTransferInput) -> WithdrawResult:
        return await _transfer_step(info, input, WithdrawMemberTransfer, reason=input.reason)

    @strawberry.mutation(description="Mark an issued letter expired once its validity has passed.")
    async def expire_member_transfer(self, info: Info, input: ExpireMemberTransferInput) -> ExpireResult:
        return await _transfer_step(info, input, ExpireMemberTransfer)

    @strawberry.mutation(description="Record that the transfer's receipt came back.")
    async def confirm_transfer_receipt(self, info: Info, input: ConfirmTransferReceiptInput) -> ConfirmResult:
        return await _transfer_step(info, input, ConfirmTransferReceipt, received_on=input.received_on)

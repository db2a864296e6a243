"""Members' and transfers' commands: registration, corrections, conversion, transfer steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.members.aggregate import Gender, Standing, TransferScope
from domain.shared.commands import Command
from domain.shared.permissions import ADMINS, Role


@dataclass(frozen=True)
class RegisterMember(Command):
    """Register a member in a home organization."""

    action = "registerMember"
    allowed = ADMINS
    name: str
    gender: Gender
    birth_date: date
    ethnicity: str
    id_number: str
    phone: str | None
    standing: Standing
    joined_on: date
    home_organization_id: UUID
    dues_paid_through: date | None = None


@dataclass(frozen=True)
class CorrectMemberDetails(Command):
    """Correct a member's personal details; fields left None stay as they are."""

    action = "correctMemberDetails"
    allowed = ADMINS
    member_id: UUID
    reason: str
    name: str | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    phone: str | None = None
    joined_on: date | None = None
    dues_paid_through: date | None = None

    def changes(self) -> dict[str, object]:
        fields = ("name", "gender", "birth_date", "ethnicity", "phone", "joined_on", "dues_paid_through")
        return {k: getattr(self, k) for k in fields if getattr(self, k) is not None}


@dataclass(frozen=True)
class ConvertMemberToFull(Command):
    action = "convertMemberToFull"
    allowed = ADMINS
    member_id: UUID
    converted_on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class EraseMemberPersonalData(Command):
    """Erase a member's personal data (ID number, phone) on a lawful request, with the
    request's reason; district admins only. Irreversible: the member's keys are destroyed."""

    action = "eraseMemberPersonalData"
    allowed = frozenset({Role.DISTRICT_ADMIN})
    member_id: UUID
    reason: str


@dataclass(frozen=True)
class RequestMemberTransfer(Command):
    action = "requestMemberTransfer"
    allowed = ADMINS
    member_id: UUID
    to_organization_id: UUID
    scope: TransferScope
    reason: str


@dataclass(frozen=True)
class TransferStep(Command):
    """A step of an open transfer: it names the member and the transfer."""

    member_id: UUID
    transfer_id: UUID
    receiving_side = False
    """Taken by the receiving organization (accept, return); the rest by the sender."""


@dataclass(frozen=True)
class IssueTransferLetter(TransferStep):
    action = "issueTransferLetter"
    allowed = ADMINS
    validity_days: int | None = None


@dataclass(frozen=True)
class AcceptMemberTransfer(TransferStep):
    action = "acceptMemberTransfer"
    allowed = ADMINS
    receiving_side = True
    justification: str | None = None


@dataclass(frozen=True)
class ReturnMemberTransfer(TransferStep):
    action = "returnMemberTransfer"
    allowed = ADMINS
    receiving_side = True
    reason: str = ""


@dataclass(frozen=True)
class WithdrawMemberTransfer(TransferStep):
    action = "withdrawMemberTransfer"
    allowed = ADMINS
    reason: str | None = None


@dataclass(frozen=True)
class ExpireMemberTransfer(TransferStep):
    action = "expireMemberTransfer"
    allowed = ADMINS


@dataclass(frozen=True)
class ConfirmTransferReceipt(TransferStep):
    action = "confirmTransferReceipt"
    allowed = ADMINS
    received_on: date | None = None

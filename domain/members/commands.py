"""Members' and transfers' commands: registration, corrections, conversion, transfer steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.dues import ActivityKind, DuesCategory
from domain.members.transfers import ExternalOrganization
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
    """Request a transfer to an organization in the tree (``to_organization_id``) or out of
    the system (``to_external``): exactly one of the two."""

    action = "requestMemberTransfer"
    allowed = ADMINS
    member_id: UUID
    to_organization_id: UUID | None
    scope: TransferScope
    reason: str
    to_external: ExternalOrganization | None = None


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
class ReissueTransferLetter(TransferStep):
    """Re-issue a lost letter (补转): the old serial is voided, a new one drawn."""

    action = "reissueTransferLetter"
    allowed = ADMINS
    reason: str = ""
    validity_days: int | None = None


@dataclass(frozen=True)
class AcceptMemberTransfer(TransferStep):
    action = "acceptMemberTransfer"
    allowed = ADMINS
    receiving_side = True
    justification: str | None = None
    letter_serial: str | None = None
    """The serial on the letter presented, where the receiver states it (a voided one is refused)."""


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


# -- exits (domain.members.exits) ---------------------------------------------------------


@dataclass(frozen=True)
class RecordMemberDeath(Command):
    """Record that a member died: the member exits (keeps the history, leaves the rosters)."""

    action = "recordMemberDeath"
    allowed = ADMINS
    member_id: UUID
    died_on: date
    reason: str | None = None


@dataclass(frozen=True)
class RecordMemberWithdrawal(Command):
    """Record that a member withdrew from the Party (退党) on their own request."""

    action = "recordMemberWithdrawal"
    allowed = ADMINS
    member_id: UUID
    withdrew_on: date
    reason: str | None = None


@dataclass(frozen=True)
class ExpelMember(Command):
    """Record an expulsion (开除党籍) by the disciplinary body's decision."""

    action = "expelMember"
    allowed = ADMINS
    member_id: UUID
    decided_on: date
    decision_reference: str
    reason: str | None = None


@dataclass(frozen=True)
class ProposeMemberRemoval(Command):
    """Record the branch general meeting's decision to remove a member (除名): step one."""

    action = "proposeMemberRemoval"
    allowed = ADMINS
    member_id: UUID
    decided_on: date
    decision_reference: str
    reason: str


@dataclass(frozen=True)
class ApproveMemberRemoval(Command):
    """The level above approves a proposed removal (step two): the member exits."""

    action = "approveMemberRemoval"
    allowed = ADMINS
    structural = True
    member_id: UUID
    approved_on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RejectMemberRemoval(Command):
    """The level above rejects a proposed removal, with a reason: the member stays."""

    action = "rejectMemberRemoval"
    allowed = ADMINS
    structural = True
    member_id: UUID
    reason: str


# -- dues and the review's evidence (domain.members.dues) ---------------------------------

Amount = str | Decimal
"""Money as the client writes it (``"12.00"``) or as code holds it (``Decimal``)."""


@dataclass(frozen=True)
class AssessMemberDues(Command):
    """Fix a member's monthly dues for a year from the declared after-tax income, by band."""

    action = "assessMemberDues"
    allowed = ADMINS
    member_id: UUID
    year: int
    category: DuesCategory
    declared_income: Amount | None = None
    """Monthly after-tax income (personal data); none for the flat-amount categories."""
    reason: str | None = None


@dataclass(frozen=True)
class ProposeDuesReduction(Command):
    """The branch decides to reduce a year's dues (0.00: exempt): step one of two."""

    action = "proposeDuesReduction"
    allowed = ADMINS
    member_id: UUID
    year: int
    monthly_amount: Amount
    decided_on: date
    decision_reference: str
    reason: str


@dataclass(frozen=True)
class ApproveDuesReduction(Command):
    """The level above approves the branch's reduction (from strictly above the home)."""

    action = "approveDuesReduction"
    allowed = ADMINS
    structural = True
    member_id: UUID
    year: int
    reason: str | None = None


@dataclass(frozen=True)
class RejectDuesReduction(Command):
    """The level above rejects the branch's reduction, with a reason."""

    action = "rejectDuesReduction"
    allowed = ADMINS
    structural = True
    member_id: UUID
    year: int
    reason: str


@dataclass(frozen=True)
class RecordDuesPayment(Command):
    """Dues handed in for the months after the paid-through month (1–12; 3: a quarter)."""

    action = "recordDuesPayment"
    allowed = ADMINS
    member_id: UUID
    months: int
    amount: Amount
    paid_on: date | None = None
    late_reason: str | None = None
    """Required when the first month paid lies more than the allowed months back."""


@dataclass(frozen=True)
class RecordMemberActivity(Command):
    """Party life attended or assigned work carried out: the six-month review's evidence."""

    action = "recordMemberActivity"
    allowed = ADMINS
    member_id: UUID
    kind: ActivityKind
    on: date
    description: str

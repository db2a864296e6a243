"""Earmarked funds' commands: open, allocate, the project flow, payments, the year's close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory, YearEnd
from domain.funds.dues_money import PaymentUse
from domain.shared.commands import Command
from domain.shared.money import fmt, parse_money
from domain.shared.permissions import ABOVE, FINANCE, LOCAL

Amount = str | Decimal
"""Money as the client sent it: a decimal string (floats are refused) or a Decimal."""


@dataclass(frozen=True)
class OpenFund(Command):
    action = "openFund"
    allowed = FINANCE | ABOVE
    organization_id: UUID
    year: int
    kind: FundKind


@dataclass(frozen=True)
class FundCommand(Command):
    """A command on one fund's stream."""

    fund_id: UUID

    def __post_init__(self) -> None:
        # Money is checked and written in its one form ("120000.00") when the command is
        # built: a malformed amount is a ValidationError before anything else, and the
        # idempotency fingerprint sees "120000" and "120000.00" as the same input.
        amount = getattr(self, "amount", None)
        if amount is not None:
            object.__setattr__(self, "amount", fmt(parse_money(amount, "amount")))


@dataclass(frozen=True)
class AllocateFunds(FundCommand):
    action = "allocateFunds"
    allowed = FINANCE
    amount: Amount
    source: AllocationSource
    effective_on: date
    document_no: str
    reason: str | None = None


@dataclass(frozen=True)
class CloseFiscalYear(FundCommand):
    action = "closeFiscalYear"
    allowed = FINANCE | ABOVE
    closed_on: date | None = None
    disposition: YearEnd | None = None
    """Carry over or return; by default as configured (``FundRules.year_end``)."""
    reason: str | None = None


@dataclass(frozen=True)
class GrantFromRedFund(FundCommand):
    """Grant money from a red fund (``fund_id``) into another fund of its organization's
    subtree, or straight to one of that fund's projects: both ledgers change in one append."""

    action = "grantFromRedFund"
    allowed = FINANCE
    to_fund_id: UUID
    amount: Amount
    granted_on: date
    document_no: str
    project_id: UUID | None = None
    """A project of the receiving fund the grant is for; None: for the fund."""
    reason: str | None = None


@dataclass(frozen=True)
class ProposeProject(FundCommand):
    action = "proposeProject"
    allowed = LOCAL
    category: SpendingCategory
    title: str
    amount: Amount
    purpose: str
    beneficiaries: str


@dataclass(frozen=True)
class ProjectCommand(FundCommand):
    """A step of one project of the fund."""

    project_id: UUID


@dataclass(frozen=True)
class RecordProjectDecision(ProjectCommand):
    action = "recordProjectDecision"
    allowed = LOCAL
    meeting_on: date
    attendees: tuple[str, ...]
    resolution: str


@dataclass(frozen=True)
class ApproveProject(ProjectCommand):
    action = "approveProject"
    allowed = ABOVE
    structural = True
    amount: Amount | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RejectProject(ProjectCommand):
    action = "rejectProject"
    allowed = ABOVE
    structural = True
    reason: str = ""


@dataclass(frozen=True)
class CancelProject(ProjectCommand):
    action = "cancelProject"
    allowed = LOCAL
    reason: str = ""


@dataclass(frozen=True)
class RecordPayment(ProjectCommand):
    action = "recordPayment"
    allowed = FINANCE
    amount: Amount
    paid_on: date
    payee: str
    voucher_no: str
    use: PaymentUse | None = None
    """What the payment pays for; required when it draws on dues money (``domain.funds.dues_money``)."""


@dataclass(frozen=True)
class ReversePayment(FundCommand):
    action = "reversePayment"
    allowed = FINANCE
    payment_id: UUID
    reason: str
    reversed_on: date | None = None


@dataclass(frozen=True)
class AcceptProject(ProjectCommand):
    action = "acceptProject"
    allowed = LOCAL | ABOVE
    accepted_on: date | None = None


@dataclass(frozen=True)
class PublishProjectDisclosure(ProjectCommand):
    action = "publishProjectDisclosure"
    allowed = LOCAL
    summary: str
    published_on: date | None = None

"""Dues passed up and allocated to a red fund (``domain.funds.dues_account``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.shared.commands import Command
from domain.shared.money import fmt, parse_money
from domain.shared.permissions import FINANCE, LOCAL

Amount = str | Decimal


@dataclass(frozen=True)
class DuesAccountCommand(Command):
    """A command on an organization's dues of one year: money is normalized when built, so the
    idempotency fingerprint sees "300" and "300.00" as one input."""

    def __post_init__(self) -> None:
        amount = getattr(self, "amount", None)
        if amount is not None:
            object.__setattr__(self, "amount", fmt(parse_money(amount, "amount")))


@dataclass(frozen=True)
class RemitDues(DuesAccountCommand):
    """An organization passes collected dues of ``year`` up to the organization directly above
    it (党费上缴), covering ``months`` of that year."""

    action = "remitDues"
    allowed = LOCAL
    organization_id: UUID
    year: int
    months: tuple[int, ...]
    amount: Amount
    document_no: str
    remitted_on: date | None = None
    """Default: today."""
    reason: str | None = None


@dataclass(frozen=True)
class AllocateDuesToRedFund(DuesAccountCommand):
    """The organization holding dues of ``year`` allocates some to a red fund of its subtree
    (党费划拨): the allocation appears on the red fund's ledger with source DUES_ALLOCATION."""

    action = "allocateDuesToRedFund"
    allowed = FINANCE
    from_organization_id: UUID
    fund_id: UUID
    amount: Amount
    allocated_on: date
    document_no: str
    year: int | None = None
    """The year of the dues allocated; default: the allocation's year."""
    reason: str | None = None

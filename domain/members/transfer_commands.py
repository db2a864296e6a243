"""Commands of transfers, completed: into the system, the approval step, revocation.

Rules in ``domain.members.incoming`` and ``domain.members.revocation``; use cases in
``domain.members.transfer_handlers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.commands import TransferStep
from domain.members.transfers import ExternalOrganization
from domain.shared.commands import Command
from domain.shared.permissions import ADMINS


@dataclass(frozen=True)
class RegisterIncomingTransfer(Command):
    """The receiving side registers a letter from an organization outside the system: the
    member is registered from the letter's fields, with the transfer open until accepted."""

    action = "registerIncomingTransfer"
    allowed = ADMINS
    to_organization_id: UUID
    from_external: ExternalOrganization
    scope: TransferScope
    letter_serial: str
    issued_on: date
    valid_until: date
    name: str
    gender: Gender
    birth_date: date
    ethnicity: str
    id_number: str
    phone: str | None
    standing: Standing
    joined_on: date
    dues_paid_through: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ApproveMemberTransfer(TransferStep):
    """The level above the sender approves a requested transfer (审批), before its letter."""

    action = "approveMemberTransfer"
    allowed = ADMINS
    structural = True
    approved_on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RejectMemberTransfer(TransferStep):
    """The level above the sender rejects a requested transfer, with a reason: it ends."""

    action = "rejectMemberTransfer"
    allowed = ADMINS
    structural = True
    reason: str = ""


@dataclass(frozen=True)
class ProposeTransferRevocation(TransferStep):
    """The sending or receiving side (``by_organization_id``) proposes to revoke a completed
    transfer found to be wrong."""

    action = "proposeTransferRevocation"
    allowed = ADMINS
    by_organization_id: UUID | None = None
    reason: str = ""


@dataclass(frozen=True)
class ApproveTransferRevocation(TransferStep):
    """The level above both sides approves the revocation: the previous home is restored."""

    action = "approveTransferRevocation"
    allowed = ADMINS
    structural = True
    reason: str | None = None


@dataclass(frozen=True)
class RejectTransferRevocation(TransferStep):
    """The level above rejects the revocation, with a reason: the transfer stands."""

    action = "rejectTransferRevocation"
    allowed = ADMINS
    structural = True
    reason: str = ""

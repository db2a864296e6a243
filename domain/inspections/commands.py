"""Inspections' commands: open on a fund or a subtree, findings, rectifications, close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.inspections.aggregate import FindingCategory, Severity
from domain.shared.commands import Command
from domain.shared.permissions import ABOVE, LOCAL, Role

INSPECTORS = ABOVE | {Role.INSPECTOR}
"""Who verifies a rectification: those above the inspected organization, and inspection
teams within their scope (auditors only read)."""


@dataclass(frozen=True)
class OpenInspection(Command):
    """Open an inspection of either one fund or an organization's subtree."""

    action = "openInspection"
    allowed = ABOVE
    structural = True
    title: str
    organization_id: UUID | None = None
    fund_id: UUID | None = None
    opened_on: date | None = None


@dataclass(frozen=True)
class InspectionCommand(Command):
    inspection_id: UUID


@dataclass(frozen=True)
class RecordInspectionFinding(InspectionCommand):
    action = "recordInspectionFinding"
    allowed = ABOVE
    structural = True
    description: str
    severity: Severity
    fund_id: UUID | None = None
    """The fund whose projects or payments the finding cites (default: the inspected fund)."""
    project_ids: tuple[UUID, ...] = ()
    payment_ids: tuple[UUID, ...] = ()
    category: FindingCategory = FindingCategory.OTHER
    rectify_by: date | None = None
    """The rectification deadline; by default ``RECTIFICATION_DAYS`` from today."""


@dataclass(frozen=True)
class RecordRectification(InspectionCommand):
    action = "recordRectification"
    allowed = LOCAL
    """The inspected side records what it did; the inspectors verify it."""
    finding_id: UUID
    description: str
    rectified_on: date | None = None


@dataclass(frozen=True)
class CloseInspection(InspectionCommand):
    action = "closeInspection"
    allowed = ABOVE
    structural = True
    conclusion: str
    closed_on: date | None = None


@dataclass(frozen=True)
class VerifyRectification(InspectionCommand):
    action = "verifyRectification"
    allowed = INSPECTORS
    structural = True
    finding_id: UUID
    verified_on: date | None = None


@dataclass(frozen=True)
class RejectRectification(InspectionCommand):
    action = "rejectRectification"
    allowed = INSPECTORS
    structural = True
    finding_id: UUID
    reason: str
    rectify_by: date | None = None
    """A new deadline; by default the finding's deadline stands."""
    rejected_on: date | None = None

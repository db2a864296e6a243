"""Special inspections (专项督查) of a fund or an organization subtree."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.funds.aggregate import check_not_ahead, check_text
from domain.shared.errors import InspectionNotAllowed, InvalidInput, NotFound

MAX_TITLE, MAX_TEXT = 200, 2000
MAX_CITED = 100
"""At most this many projects, and as many payments, cited by one finding."""


class Severity(enum.Enum):
    """How serious a finding is."""

    MINOR = "MINOR"
    MAJOR = "MAJOR"
    SEVERE = "SEVERE"


@dataclass
class Finding:
    """A problem the inspectors found, and whether it has been put right."""

    id: UUID
    rectified: bool = False


def check_cited(project_ids: Sequence[UUID], payment_ids: Sequence[UUID]) -> None:
    """A finding cites at most ``MAX_CITED`` projects and as many payments."""
    for ids, field in ((project_ids, "projectIds"), (payment_ids, "paymentIds")):
        if len(ids) > MAX_CITED:
            raise InvalidInput(f"a finding cites at most {MAX_CITED} {field[:-3]}s ({len(ids)} given)",
                               field=field)


def check_opened_on(opened_on: date, today: date, not_before: date) -> date:
    """An inspection opens on a day that has come, not before what it inspects existed
    (the organization's establishment, the fund's fiscal year)."""
    check_not_ahead(opened_on, today, "openedOn", "an inspection")
    if opened_on < not_before:
        raise InvalidInput(f"an inspection of this opens on or after {not_before.isoformat()}",
                           field="openedOn")
    return opened_on


class Inspection(Aggregate):
    """An inspection opened on a fund (``fund_id``) or on the subtree at ``organization_id``."""

    class Opened(Aggregate.Created):
        organization_id: UUID
        fund_id: UUID | None
        title: str
        opened_on: date

    @event(Opened)
    def __init__(self, organization_id: UUID, fund_id: UUID | None, title: str, opened_on: date) -> None:
        self.organization_id = organization_id
        self.fund_id = fund_id
        self.title = title
        self.opened_on = opened_on
        self.findings: dict[UUID, Finding] = {}
        self.closed = False

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    @staticmethod
    def check_title(title: str) -> str:
        return check_text(title, "title", MAX_TITLE)

    def _ensure_open(self) -> None:
        if self.closed:
            raise InspectionNotAllowed("the inspection is closed")

    def record_finding(
        self, description: str, severity: Severity, project_ids: list[UUID],
        payment_ids: list[UUID], known_projects: set[UUID], known_payments: set[UUID],
    ) -> UUID:
        """Record a finding; the projects and payments it cites must exist."""
        self._ensure_open()
        check_cited(project_ids, payment_ids)
        for pid in project_ids:
            if pid not in known_projects:
                raise NotFound(f"no project {pid} within the inspected scope", field="projectIds")
        for pid in payment_ids:
            if pid not in known_payments:
                raise NotFound(f"no payment {pid} within the inspected scope", field="paymentIds")
        finding_id = uuid4()
        self._finding_recorded(
            finding_id=finding_id, description=check_text(description, "description", MAX_TEXT),
            severity=severity, project_ids=list(project_ids), payment_ids=list(payment_ids),
        )
        return finding_id

    @event("FindingRecorded")
    def _finding_recorded(
        self, finding_id: UUID, description: str, severity: Severity, project_ids: list[UUID],
        payment_ids: list[UUID],
    ) -> None:
        self.findings[finding_id] = Finding(finding_id)

    def record_rectification(self, finding_id: UUID, description: str, rectified_on: date,
                             today: date) -> None:
        self._ensure_open()
        check_not_ahead(rectified_on, today, "rectifiedOn", "a rectification")
        finding = self.findings.get(finding_id)
        if finding is None:
            raise NotFound(f"no finding {finding_id} in this inspection", field="findingId")
        if finding.rectified:
            raise InspectionNotAllowed("the finding is already rectified")
        if rectified_on < self.opened_on:
            raise InvalidInput("a rectification follows the inspection's opening", field="rectifiedOn")
        self._rectification_recorded(
            finding_id=finding_id, description=check_text(description, "description", MAX_TEXT),
            rectified_on=rectified_on,
        )

    @event("RectificationRecorded")
    def _rectification_recorded(self, finding_id: UUID, description: str, rectified_on: date) -> None:
        self.findings[finding_id].rectified = True

    def close(self, closed_on: date, conclusion: str, today: date) -> None:
        self._ensure_open()
        check_not_ahead(closed_on, today, "closedOn", "a closing")
        open_findings = [f for f in self.findings.values() if not f.rectified]
        if open_findings:
            raise InspectionNotAllowed(
                f"{len(open_findings)} finding(s) are not rectified yet; close after rectification"
            )
        if closed_on < self.opened_on:
            raise InvalidInput("an inspection closes after it opens", field="closedOn")
        self._closed(closed_on=closed_on, conclusion=check_text(conclusion, "conclusion", MAX_TEXT))

    @event("Closed")
    def _closed(self, closed_on: date, conclusion: str) -> None:
        self.closed = True

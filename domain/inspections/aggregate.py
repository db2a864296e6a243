"""Special inspections (专项督查) of a fund or an organization subtree."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.funds.aggregate import check_not_ahead, check_text
from domain.shared.errors import InspectionNotAllowed, InvalidInput, NotFound

MAX_TITLE, MAX_TEXT = 200, 2000
MAX_CITED = 100
"""At most this many projects, and as many payments, cited by one finding."""
RECTIFICATION_DAYS = 30
"""A finding's rectification is due this many days after it is recorded, unless the
inspectors set the deadline."""
MAX_RECTIFICATION_DAYS = 366


class Severity(enum.Enum):
    """How serious a finding is."""

    MINOR = "MINOR"
    MAJOR = "MAJOR"
    SEVERE = "SEVERE"


class FindingCategory(enum.Enum):
    """What kind of misuse a finding names (the inspections' own vocabulary)."""

    FALSE_CLAIM = "FALSE_CLAIM"  # 虚报
    FRAUDULENT_DRAWING = "FRAUDULENT_DRAWING"  # 冒领
    WITHHOLDING = "WITHHOLDING"  # 截留
    DIVERSION = "DIVERSION"  # 挪用
    OTHER = "OTHER"


class FindingState(enum.Enum):
    """A finding's rectification: due, recorded and awaiting verification, rejected (due
    again), or verified by the inspectors."""

    OPEN = "OPEN"
    RECTIFIED = "RECTIFIED"
    REJECTED = "REJECTED"
    VERIFIED = "VERIFIED"


AWAITING_RECTIFICATION = frozenset({FindingState.OPEN, FindingState.REJECTED})


@dataclass
class Finding:
    """A problem the inspectors found, and how far its rectification has come."""

    id: UUID
    rectify_by: date | None = None
    state: FindingState = FindingState.OPEN
    rectified_on: date | None = None


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

    def _finding(self, finding_id: UUID) -> Finding:
        finding = self.findings.get(finding_id)
        if finding is None:
            raise NotFound(f"no finding {finding_id} in this inspection", field="findingId")
        return finding

    def record_finding(
        self, description: str, severity: Severity, project_ids: list[UUID],
        payment_ids: list[UUID], known_projects: set[UUID], known_payments: set[UUID],
        category: FindingCategory = FindingCategory.OTHER, rectify_by: date | None = None,
        today: date | None = None,
    ) -> UUID:
        """Record a finding; the projects and payments it cites must exist. Its
        rectification is due by ``rectify_by`` (default: ``RECTIFICATION_DAYS`` from today)."""
        self._ensure_open()
        check_cited(project_ids, payment_ids)
        due = check_deadline(rectify_by, today or self.opened_on)
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
            category=category, rectify_by=due,
        )
        return finding_id

    class FindingRecorded(Aggregate.Event):
        """A finding was recorded; ``category`` and the rectification deadline
        ``rectify_by`` (v2) say what misuse it names and when it must be put right."""

        finding_id: UUID
        description: str
        severity: Severity
        project_ids: list[UUID]
        payment_ids: list[UUID]
        category: FindingCategory
        rectify_by: date | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["category"] = FindingCategory.OTHER.value  # recorded before findings had categories
            state["rectify_by"] = None  # and before they had deadlines

    @event(FindingRecorded)
    def _finding_recorded(
        self, finding_id: UUID, description: str, severity: Severity, project_ids: list[UUID],
        payment_ids: list[UUID], category: FindingCategory, rectify_by: date | None,
    ) -> None:
        self.findings[finding_id] = Finding(finding_id, rectify_by)

    def record_rectification(self, finding_id: UUID, description: str, rectified_on: date,
                             today: date) -> None:
        self._ensure_open()
        check_not_ahead(rectified_on, today, "rectifiedOn", "a rectification")
        finding = self._finding(finding_id)
        if finding.state is FindingState.RECTIFIED:
            raise InspectionNotAllowed("the finding's rectification awaits the inspectors' verification")
        if finding.state is FindingState.VERIFIED:
            raise InspectionNotAllowed("the finding's rectification is already verified")
        if rectified_on < self.opened_on:
            raise InvalidInput("a rectification follows the inspection's opening", field="rectifiedOn")
        self._rectification_recorded(
            finding_id=finding_id, description=check_text(description, "description", MAX_TEXT),
            rectified_on=rectified_on,
        )

    @event("RectificationRecorded")
    def _rectification_recorded(self, finding_id: UUID, description: str, rectified_on: date) -> None:
        finding = self.findings[finding_id]
        finding.state, finding.rectified_on = FindingState.RECTIFIED, rectified_on

    def _awaiting_verification(self, finding_id: UUID, on: date, today: date, field: str) -> Finding:
        self._ensure_open()
        check_not_ahead(on, today, field, "a verification")
        finding = self._finding(finding_id)
        if finding.state is not FindingState.RECTIFIED:
            raise InspectionNotAllowed(f"a {finding.state.value} finding has no rectification to verify")
        assert finding.rectified_on is not None
        if on < finding.rectified_on:
            raise InvalidInput("a verification follows the rectification", field=field)
        return finding

    def verify_rectification(self, finding_id: UUID, verified_on: date, today: date) -> None:
        """The inspectors accept the rectification: the finding is settled."""
        self._awaiting_verification(finding_id, verified_on, today, "verifiedOn")
        self._rectification_verified(finding_id=finding_id, verified_on=verified_on)

    @event("RectificationVerified")
    def _rectification_verified(self, finding_id: UUID, verified_on: date) -> None:
        self.findings[finding_id].state = FindingState.VERIFIED

    def reject_rectification(self, finding_id: UUID, reason: str, rejected_on: date, today: date,
                             rectify_by: date | None = None) -> None:
        """The inspectors reject the rectification, saying why: it is due again, by the
        same deadline unless they set a new one."""
        finding = self._awaiting_verification(finding_id, rejected_on, today, "verifiedOn")
        due = finding.rectify_by if rectify_by is None else check_deadline(rectify_by, rejected_on)
        self._rectification_rejected(finding_id=finding_id, rejected_on=rejected_on,
                                     reason=check_text(reason, "reason", MAX_TEXT), rectify_by=due)

    @event("RectificationRejected")
    def _rectification_rejected(self, finding_id: UUID, rejected_on: date, reason: str,
                                rectify_by: date | None) -> None:
        finding = self.findings[finding_id]
        finding.state, finding.rectify_by = FindingState.REJECTED, rectify_by

    def close(self, closed_on: date, conclusion: str, today: date) -> None:
        self._ensure_open()
        check_not_ahead(closed_on, today, "closedOn", "a closing")
        open_findings = [f for f in self.findings.values() if f.state is not FindingState.VERIFIED]
        if open_findings:
            raise InspectionNotAllowed(
                f"{len(open_findings)} finding(s) have no verified rectification yet; an inspection"
                " closes only when every finding's rectification is verified"
            )
        if closed_on < self.opened_on:
            raise InvalidInput("an inspection closes after it opens", field="closedOn")
        self._closed(closed_on=closed_on, conclusion=check_text(conclusion, "conclusion", MAX_TEXT))

    @event("Closed")
    def _closed(self, closed_on: date, conclusion: str) -> None:
        self.closed = True


def check_deadline(rectify_by: date | None, from_day: date) -> date:
    """A rectification deadline: after ``from_day`` and within a year of it (default
    ``RECTIFICATION_DAYS`` after it)."""
    if rectify_by is None:
        return from_day + timedelta(days=RECTIFICATION_DAYS)
    if not from_day < rectify_by <= from_day + timedelta(days=MAX_RECTIFICATION_DAYS):
        raise InvalidInput(f"a rectification deadline lies after {from_day.isoformat()} and within"
                           f" {MAX_RECTIFICATION_DAYS} days of it", field="rectifyBy")
    return rectify_by

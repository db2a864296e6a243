"""A community's yearly plan (年度计划) for one fund: planned projects, and the way it is decided.

The plan lists the projects the community means to pay from the fund that year (title,
category, amount). It is decided in three steps, in this order, for each version:

1. the two committees propose (两委提议): the community secretary (or its finance officer)
   records the joint meeting's date and resolution with the lines;
2. the residents' (representative) assembly (居民(代表)会议) resolves: its date, how many
   attended, its resolution;
3. the street, strictly above the community and never the proposer, approves the
   version or sends it back with a reason.

An amendment is a new version that goes through the three steps again; the approved
version stays the plan in force (and readable) until a later version is approved. A
line kept from an earlier version keeps its id, so the projects linked to it stay
linked. Projects name their plan line by ``linkProjectToPlan`` (``ProjectLinked`` here,
in the plan's stream: the fund's stream is not touched), and plan against actual is
read from the plan's lines, these links and the projects' own figures.

The plan lives in its own stream (one per fund, its id derived from the fund's), so
deciding it never races with the fund's payments; the rule "one version in flight at
a time" is guarded by the plan stream's version.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.funds.aggregate import (
    MAX_LONG_TEXT,
    MAX_TITLE,
    SpendingCategory,
    check_category,
    check_text,
)
from domain.shared.errors import DomainError, InvalidInput, NotAuthorized, NotFound
from domain.shared.money import MAX_AMOUNT, ZERO, fmt

PLAN_NAMESPACE = UUID("0b7e4c1e-6a57-4f0e-9a53-5f1f0c26a026")
MAX_LINES = 100
"""A community's year holds a dozen or so planned projects; this bounds a hostile list."""
MAX_ATTENDANCE = 100_000


class PlanState(enum.Enum):
    """Where one version of a plan stands."""

    PROPOSED = "PROPOSED"  # 两委提议
    ASSEMBLED = "ASSEMBLED"  # 居民(代表)会议 resolved
    APPROVED = "APPROVED"  # the street approved
    RETURNED = "RETURNED"  # the street sent it back


class PlanStep(enum.Enum):
    """One recorded step of a plan version."""

    COMMITTEES_PROPOSED = "COMMITTEES_PROPOSED"
    ASSEMBLY_RESOLVED = "ASSEMBLY_RESOLVED"
    STREET_APPROVED = "STREET_APPROVED"
    STREET_RETURNED = "STREET_RETURNED"


@dataclass(frozen=True)
class PlanLine:
    """One planned project of a version."""

    id: UUID
    title: str
    category: SpendingCategory
    amount: Decimal


@dataclass
class PlanVersion:
    """One version of the plan and where it stands."""

    number: int
    lines: list[PlanLine]
    proposed_by: str
    meeting_on: date
    state: PlanState = PlanState.PROPOSED
    assembly_on: date | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def plan_id(fund_id: UUID) -> UUID:
    """The plan's stream id, derived from its fund's (one plan per fund)."""
    return uuid.uuid5(PLAN_NAMESPACE, f"plan/{fund_id}")


class FundPlan(Aggregate):
    """The yearly plan of one fund: its versions, and the projects linked to its lines."""

    class Started(Aggregate.Created):
        fund_id: UUID
        organization_id: UUID
        year: int

    @event(Started)
    def __init__(self, fund_id: UUID, organization_id: UUID, year: int) -> None:
        self.fund_id = fund_id
        self.organization_id = organization_id
        self.year = year
        self.versions: list[PlanVersion] = []
        self.links: dict[UUID, UUID] = {}
        """Project id → the plan line it is linked to."""

    @classmethod
    def create_id(cls, fund_id: UUID, **_: object) -> UUID:
        return plan_id(fund_id)

    @property
    def latest(self) -> PlanVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def approved(self) -> PlanVersion | None:
        """The version in force: the last one the street approved."""
        return next((v for v in reversed(self.versions) if v.state is PlanState.APPROVED), None)

    def _current(self, number: int, allowed: set[PlanState], what: str) -> PlanVersion:
        latest = self.latest
        if latest is None or not 1 <= number <= len(self.versions):
            raise NotFound(f"the plan has no version {number}", field="version")
        if number != latest.number:
            raise PlanStepNotAllowed(f"version {number} is superseded by version {latest.number}; only the"
                                     " latest version is decided")
        if latest.state not in allowed:
            raise PlanStepNotAllowed(f"version {number} is {latest.state.value} and cannot be {what}")
        return latest

    # -- the steps ----------------------------------------------------------------------

    def propose(self, lines: list[tuple[UUID | None, str, SpendingCategory, Decimal]], proposed_by: str,
                meeting_on: date, resolution: str, expected: Decimal, today: date) -> int:
        """Record the two committees' proposal of a new version (the first, or an amendment).

        ``expected`` is the money the fund can count on this year (see the handler); a plan
        whose total exceeds it is refused (``PlanExceedsFunds``)."""
        latest = self.latest
        if latest is not None and latest.state in (PlanState.PROPOSED, PlanState.ASSEMBLED):
            raise PlanStepNotAllowed(f"version {latest.number} is still being decided ({latest.state.value});"
                                     " it is approved or sent back before an amendment is proposed")
        if not lines:
            raise InvalidInput("a plan lists at least one planned project", field="lines")
        if len(lines) > MAX_LINES:
            raise InvalidInput(f"a plan lists at most {MAX_LINES} planned projects", field="lines")
        if meeting_on > today:
            raise InvalidInput("the committees' meeting date lies in the future", field="meetingOn")
        if meeting_on.year > self.year:
            raise InvalidInput(f"a plan for {self.year} is proposed by the end of {self.year}", field="meetingOn")
        known = {line.id for v in self.versions for line in v.lines}
        kept: set[UUID] = set()
        written = []
        for keep, title, category, amount in lines:
            if keep is not None:
                if keep not in known:
                    raise NotFound(f"no line {keep} in an earlier version of this plan", field="lines.lineId")
                if keep in kept:
                    raise InvalidInput(f"line {keep} is listed twice", field="lines.lineId")
                kept.add(keep)
            check_category(category)
            written.append({"line_id": str(keep or uuid4()), "title": check_text(title, "title", MAX_TITLE),
                            "category": category.value, "amount": fmt(amount)})
        total = sum((Decimal(w["amount"]) for w in written), ZERO)
        if total > MAX_AMOUNT:
            raise InvalidInput(f"a plan's total must not exceed {fmt(MAX_AMOUNT)}", field="lines")
        if total > expected:
            raise PlanExceedsFunds(f"the plan totals {fmt(total)}, more than the {fmt(expected)} the fund can"
                                   " count on this year (received so far, or its guaranteed minimum if more)",
                                   field="lines")
        number = len(self.versions) + 1
        self._version_proposed(version=number, lines=written, total=fmt(total), expected=fmt(expected),
                               proposed_by=proposed_by, meeting_on=meeting_on,
                               resolution=check_text(resolution, "resolution", MAX_LONG_TEXT))
        return number

    @event("VersionProposed")
    def _version_proposed(self, version: int, lines: list[dict[str, str]], total: str, expected: str,
                          proposed_by: str, meeting_on: date, resolution: str) -> None:
        self.versions.append(PlanVersion(
            version, [PlanLine(UUID(x["line_id"]), x["title"], SpendingCategory(x["category"]), Decimal(x["amount"]))
                      for x in lines], proposed_by, meeting_on))

    def record_assembly(self, version: int, meeting_on: date, attendees: int, resolution: str,
                        today: date) -> None:
        v = self._current(version, {PlanState.PROPOSED}, "put to the residents' assembly")
        if meeting_on > today:
            raise InvalidInput("the assembly's date lies in the future", field="meetingOn")
        if meeting_on < v.meeting_on:
            raise InvalidInput("the residents' assembly follows the committees' proposal"
                               f" ({v.meeting_on.isoformat()})", field="meetingOn")
        if not 1 <= attendees <= MAX_ATTENDANCE:
            raise InvalidInput(f"attendees is a count from 1 to {MAX_ATTENDANCE}", field="attendees")
        self._assembly_recorded(version=version, meeting_on=meeting_on, attendees=attendees,
                                resolution=check_text(resolution, "resolution", MAX_LONG_TEXT))

    @event("AssemblyRecorded")
    def _assembly_recorded(self, version: int, meeting_on: date, attendees: int, resolution: str) -> None:
        v = self.versions[version - 1]
        v.state, v.assembly_on = PlanState.ASSEMBLED, meeting_on

    def approve(self, version: int, approver: str) -> None:
        v = self._current(version, {PlanState.ASSEMBLED}, "approved")
        if approver == v.proposed_by:
            raise NotAuthorized("whoever proposed a plan cannot approve it")
        self._version_approved(version=version, approved_by=approver, total=fmt(v.total))

    @event("VersionApproved")
    def _version_approved(self, version: int, approved_by: str, total: str) -> None:
        self.versions[version - 1].state = PlanState.APPROVED

    def send_back(self, version: int, by: str) -> None:
        self._current(version, {PlanState.ASSEMBLED}, "sent back")
        self._version_returned(version=version, returned_by=by)

    @event("VersionReturned")
    def _version_returned(self, version: int, returned_by: str) -> None:
        self.versions[version - 1].state = PlanState.RETURNED

    # -- projects named by their plan line ---------------------------------------------

    def link_project(self, project_id: UUID, line_id: UUID | None, linked_by: str) -> None:
        """Link a project of the plan's fund to a line of the approved version (``line_id``
        None: unlink it, the project becomes unplanned)."""
        previous = self.links.get(project_id)
        if line_id is None:
            if previous is None:
                raise InvalidInput("the project is linked to no plan line", field="lineId")
        else:
            approved = self.approved
            if approved is None:
                raise PlanStepNotAllowed("the plan has no approved version yet; projects link to its lines"
                                         " once the street approved it")
            if all(line.id != line_id for line in approved.lines):
                raise NotFound(f"no line {line_id} in the approved version {approved.number}", field="lineId")
            if previous == line_id:
                raise InvalidInput("the project is already linked to this line", field="lineId")
        self._project_linked(project_id=project_id, line_id=line_id, previous_line_id=previous,
                             linked_by=linked_by)

    @event("ProjectLinked")
    def _project_linked(self, project_id: UUID, line_id: UUID | None, previous_line_id: UUID | None,
                        linked_by: str) -> None:
        if line_id is None:
            self.links.pop(project_id, None)
        else:
            self.links[project_id] = line_id


@dataclass(frozen=True)
class LineInput:
    """A line as a command states it (before checks): ``line_id`` keeps an earlier version's line."""

    title: str
    category: SpendingCategory
    amount: str | Decimal
    line_id: UUID | None = field(default=None)


class PlanStepNotAllowed(DomainError):
    """The plan's step is out of order: a version still being decided blocks an amendment;
    the assembly follows the committees' proposal; the street decides after the assembly;
    only the latest version is decided; projects link to an approved plan."""

    code = "PLAN_STEP_NOT_ALLOWED"


class PlanExceedsFunds(DomainError):
    """The plan's total exceeds the money the fund can count on this year: what it received so
    far (allocations, carry-over, grants), or the guaranteed minimum of its organization's
    tier if that is more (service funds)."""

    code = "PLAN_EXCEEDS_FUNDS"

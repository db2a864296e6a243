"""A resident's request (诉求): where, what, and its way through the closed loop.

网格上传、社区呼叫、街道派单、部门受理、结果反馈: reported in a grid → the community takes it
(and resolves it itself) or escalates it → the street dispatches it to a department → the
department accepts it or sends it back with a reason (to be dispatched again) → resolved with
a result → fed back to the resident → the resident's rating → closed. A rating of
NOT_SATISFIED reopens the request once with whoever resolved it; the second time it goes to
the street. A duplicate (same grid, same problem) is merged into another request: both
histories stay, the duplicate is closed as merged.

Every step is an event with its time (``at``, from the command handling's clock, so tests
and the escalation sweep share one clock) and, where the step starts a deadline, ``due_at``.
The escalation sweep records ``Request.Escalated`` with ``automatic`` and the broken rule.

Pure domain: no I/O.
"""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.requests.errors import NotYourStep
from domain.requests.rules import Urgency
from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_DESCRIPTION, MAX_ADDRESS, MAX_RESULT, MAX_REF = 2000, 200, 2000, 64


def check_text(value: str | None, field: str, most: int, *, required: bool = True) -> str | None:
    text = clean(value or "")
    if not text and not required:
        return None
    if not 1 <= len(text) <= most:
        raise InvalidInput(f"{field} has 1–{most} characters", field=field)
    return text


class RequestState(enum.Enum):
    """Where a request stands in the loop."""

    REPORTED = "REPORTED"
    """Reported in its grid; the community responds (takes or escalates it)."""
    TAKEN = "TAKEN"
    """The community handles it itself."""
    ESCALATED = "ESCALATED"
    """With the street, to be dispatched to a department (or resolved by the street)."""
    DISPATCHED = "DISPATCHED"
    """With a department, to be accepted or sent back."""
    ACCEPTED = "ACCEPTED"
    """Accepted by the department, to be resolved."""
    RESOLVED = "RESOLVED"
    """Resolved with a result, to be fed back to the resident."""
    FED_BACK = "FED_BACK"
    """The result was fed back; the resident's rating is awaited."""
    RATED = "RATED"
    """Rated satisfied or basically satisfied; to be closed."""
    CLOSED = "CLOSED"


class Source(enum.Enum):
    """How the request came in."""

    GRID_REPORT = "GRID_REPORT"
    """A grid worker's report (网格上传, 随手拍)."""
    RESIDENT_ORDER = "RESIDENT_ORDER"
    """A resident's order (下单) through an integration such as the 12345 hotline."""
    WALK_IN = "WALK_IN"
    """A resident at the community's or street's counter."""


class Rating(enum.Enum):
    """The resident's rating of the result."""

    SATISFIED = "SATISFIED"
    BASICALLY = "BASICALLY"
    NOT_SATISFIED = "NOT_SATISFIED"


class Level(enum.Enum):
    """Who holds the request (or resolved it)."""

    COMMUNITY = "COMMUNITY"
    STREET = "STREET"
    DISTRICT = "DISTRICT"
    DEPARTMENT = "DEPARTMENT"


OPEN_FOR_SWEEP = {
    RequestState.REPORTED: "respond", RequestState.TAKEN: "handle", RequestState.ESCALATED: "dispatch",
    RequestState.DISPATCHED: "accept", RequestState.ACCEPTED: "resolve",
}
"""The states that run against a deadline, and the step whose limit it is."""


class Request(Aggregate):
    """One resident's request in one grid, and every step taken on it."""

    class Reported(Aggregate.Created):
        organization_id: UUID
        """The grid's community: where the request is read and where the feed shows it."""
        grid_id: UUID
        category: str
        description: str
        urgency: Urgency
        source: Source
        point: list[float] | None
        """``[longitude, latitude]`` (WGS-84)."""
        address: str | None
        attachments: list[dict[str, str]]
        """``{"url", "sha256"}`` references; the files stay in the caller's storage."""
        external_ref: str | None
        """The integration's own number (a 12345 ticket), unique per source."""
        reported_at: datetime
        due_at: datetime
        """When the community must have responded."""

    @event(Reported)
    def __init__(self, organization_id: UUID, grid_id: UUID, category: str, description: str, urgency: Urgency,
                 source: Source, point: list[float] | None, address: str | None, attachments: list[dict[str, str]],
                 external_ref: str | None, reported_at: datetime, due_at: datetime) -> None:
        self.organization_id = organization_id
        self.grid_id = grid_id
        self.category = category
        self.description = description
        self.urgency = urgency
        self.source = source
        self.point = point
        self.address = address
        self.attachments = list(attachments)
        self.external_ref = external_ref
        self.reported_at = reported_at
        self.state = RequestState.REPORTED
        self.level = Level.COMMUNITY
        self.due_at: datetime | None = due_at
        self.swept_due: datetime | None = None
        """The deadline the sweep escalated already (a sweep escalates each deadline once)."""
        self.department_id: UUID | None = None
        self.resolved_by: Level | None = None
        self.reopen_count = 0
        self.rating: Rating | None = None
        self.merged_into: UUID | None = None
        self.duplicates: list[UUID] = []

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    def _at(self, *states: RequestState, step: str) -> None:
        if self.state not in states:
            raise NotYourStep(f"the request is {self.state.value}: it cannot be {step} now", field="requestId")

    @property
    def step(self) -> str | None:
        """The step whose deadline runs now, if any."""
        return OPEN_FOR_SWEEP.get(self.state)

    # -- the community ---------------------------------------------------------------

    def take(self, at: datetime, due_at: datetime) -> None:
        self._at(RequestState.REPORTED, step="taken")
        self._taken(at=at, due_at=due_at)

    @event("Taken")
    def _taken(self, at: datetime, due_at: datetime) -> None:
        self.state, self.level, self.due_at = RequestState.TAKEN, Level.COMMUNITY, due_at

    def escalate(self, at: datetime, due_at: datetime) -> None:
        """The community hands the request to the street (by hand; the sweep uses ``sweep``)."""
        self._at(RequestState.REPORTED, RequestState.TAKEN, step="escalated by the community")
        self._escalated(at=at, level=Level.STREET, automatic=False, rule=None, overdue_step=None,
                        overdue_due_at=None, state_after=RequestState.ESCALATED, department_id=None,
                        due_at=due_at)

    @event("Escalated")
    def _escalated(self, at: datetime, level: Level, automatic: bool, rule: str | None, overdue_step: str | None,
                   overdue_due_at: datetime | None, state_after: RequestState, department_id: UUID | None,
                   due_at: datetime | None) -> None:
        """``department_id``: the department the request was taken from (an unaccepted dispatch)."""
        if automatic:
            self.swept_due = overdue_due_at
        self.level = level
        if state_after is not self.state:
            self.state = state_after
            self.due_at = due_at
        if department_id is not None:
            self.department_id = None

    def sweep(self, now: datetime, rule: str, street_due: datetime) -> None:
        """Escalate to the next level because the current step's deadline passed (the system).

        Reported or taken and overdue: to the street (due to be dispatched by ``street_due``).
        Dispatched and not accepted in time: back to the street, taken from the department.
        Escalated and not dispatched in time: to the district's attention (it stays to be
        dispatched). Accepted and not resolved in time: to the street's attention (it stays
        with the department). Each deadline is escalated once.
        """
        step = self.step
        if step is None or self.due_at is None or self.due_at > now:
            raise NotYourStep("the request is not overdue", field="requestId")
        if self.swept_due == self.due_at:
            raise NotYourStep("the request was escalated for this deadline already", field="requestId")
        level, state, department_id, due_at = Level.STREET, self.state, None, self.due_at
        if self.state in (RequestState.REPORTED, RequestState.TAKEN, RequestState.DISPATCHED):
            state, department_id, due_at = RequestState.ESCALATED, self.department_id, street_due
        elif self.state is RequestState.ESCALATED:
            level = Level.DISTRICT
        self._escalated(at=now, level=level, automatic=True, rule=rule, overdue_step=step,
                        overdue_due_at=self.due_at, state_after=state, department_id=department_id, due_at=due_at)

    # -- the street and the department ------------------------------------------------

    def dispatch(self, department_id: UUID, at: datetime, due_at: datetime) -> None:
        self._at(RequestState.ESCALATED, step="dispatched")
        self._dispatched(department_id=department_id, at=at, due_at=due_at)

    @event("Dispatched")
    def _dispatched(self, department_id: UUID, at: datetime, due_at: datetime) -> None:
        self.state, self.level, self.department_id, self.due_at = (RequestState.DISPATCHED, Level.DEPARTMENT,
                                                                   department_id, due_at)

    def _department_step(self, department_id: UUID, step: str, *states: RequestState) -> None:
        self._at(*states, step=step)
        if self.department_id != department_id:
            raise NotYourStep("the request is with another department", field="requestId")

    def accept(self, department_id: UUID, at: datetime, due_at: datetime) -> None:
        self._department_step(department_id, "accepted", RequestState.DISPATCHED)
        self._accepted(department_id=department_id, at=at, due_at=due_at)

    @event("Accepted")
    def _accepted(self, department_id: UUID, at: datetime, due_at: datetime) -> None:
        self.state, self.due_at = RequestState.ACCEPTED, due_at

    def send_back(self, department_id: UUID, at: datetime, due_at: datetime) -> None:
        """The department sends the request back to the street (the wrong department), with a reason."""
        self._department_step(department_id, "sent back", RequestState.DISPATCHED)
        self._sent_back(department_id=department_id, at=at, due_at=due_at)

    @event("SentBack")
    def _sent_back(self, department_id: UUID, at: datetime, due_at: datetime) -> None:
        self.state, self.level, self.department_id, self.due_at = (RequestState.ESCALATED, Level.STREET, None,
                                                                   due_at)

    # -- resolution, feedback, rating -------------------------------------------------

    def holder(self) -> Level:
        """Who resolves the request at its current step (``NotYourStep`` if nobody may)."""
        if self.state in (RequestState.REPORTED, RequestState.TAKEN):
            return Level.COMMUNITY
        if self.state is RequestState.ESCALATED:
            return Level.STREET
        if self.state is RequestState.ACCEPTED:
            return Level.DEPARTMENT
        raise NotYourStep(f"the request is {self.state.value}: it cannot be resolved now", field="requestId")

    def resolve(self, by: Level, result: str, at: datetime) -> None:
        if self.holder() is not by:
            raise NotYourStep(f"the request is with the {self.holder().value.lower()}: it resolves it",
                              field="requestId")
        self._resolved(by=by, department_id=self.department_id if by is Level.DEPARTMENT else None, result=result,
                       at=at)

    @event("Resolved")
    def _resolved(self, by: Level, department_id: UUID | None, result: str, at: datetime) -> None:
        self.state, self.resolved_by, self.due_at = RequestState.RESOLVED, by, None

    def feed_back(self, note: str | None, at: datetime) -> None:
        self._at(RequestState.RESOLVED, step="fed back")
        self._fed_back(note=note, at=at)

    @event("FedBack")
    def _fed_back(self, note: str | None, at: datetime) -> None:
        self.state = RequestState.FED_BACK

    def rate(self, rating: Rating, note: str | None, at: datetime, due: dict[Level, datetime]) -> None:
        """Record the resident's rating; NOT_SATISFIED reopens: the first time with whoever resolved
        it (``due``: each level's new deadline), later with the street."""
        self._at(RequestState.FED_BACK, step="rated")
        self._rated(rating=rating, note=note, at=at)
        if rating is not Rating.NOT_SATISFIED:
            return
        to = self.resolved_by if self.reopen_count == 0 and self.resolved_by is not None else Level.STREET
        self._reopened(to=to, reopen_count=self.reopen_count + 1, at=at, due_at=due[to],
                       department_id=self.department_id if to is Level.DEPARTMENT else None)

    @event("Rated")
    def _rated(self, rating: Rating, note: str | None, at: datetime) -> None:
        self.state, self.rating = RequestState.RATED, rating

    @event("Reopened")
    def _reopened(self, to: Level, reopen_count: int, at: datetime, due_at: datetime,
                  department_id: UUID | None) -> None:
        self.reopen_count, self.level, self.due_at, self.rating = reopen_count, to, due_at, None
        self.state = {Level.COMMUNITY: RequestState.TAKEN, Level.DEPARTMENT: RequestState.ACCEPTED}.get(
            to, RequestState.ESCALATED)
        if to is not Level.DEPARTMENT:
            self.department_id = None

    def close(self, at: datetime) -> None:
        self._at(RequestState.RATED, step="closed")
        self._closed(at=at)

    @event("Closed")
    def _closed(self, at: datetime) -> None:
        self.state, self.due_at = RequestState.CLOSED, None

    # -- duplicates -------------------------------------------------------------------

    def merge_into(self, target: Request, at: datetime) -> None:
        """Close this request as a duplicate of ``target`` (same grid); both histories stay."""
        if target.id == self.id:
            raise InvalidInput("a request is not a duplicate of itself", field="intoId")
        if target.grid_id != self.grid_id:
            raise NotYourStep("a duplicate is merged into a request of the same grid", field="intoId")
        for r, name in ((self, "requestId"), (target, "intoId")):
            if r.state is RequestState.CLOSED:
                raise NotYourStep(f"request {r.id} is closed", field=name)
        self._merged_into(into_id=target.id, at=at)
        target._duplicate_merged(duplicate_id=self.id, at=at)

    @event("MergedInto")
    def _merged_into(self, into_id: UUID, at: datetime) -> None:
        self.state, self.merged_into, self.due_at = RequestState.CLOSED, into_id, None

    @event("DuplicateMerged")
    def _duplicate_merged(self, duplicate_id: UUID, at: datetime) -> None:
        self.duplicates.append(duplicate_id)


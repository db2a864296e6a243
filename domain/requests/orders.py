"""A service order (服务订单) grabbed by members (抢单): a request that needs hands, not a department.

The community secretary publishes a request it holds as an order: what is to be done, when,
where and the hours it is expected to take (helping an elderly neighbour, carrying,
accompanying). Members who may take it (``eligible``) see it and claim it; exactly one claim
wins: a claim appends to the order's stream at the version it read, so of two claims at the
same moment one commits and the other meets the stream's unique version, is retried against
the claimed order and answers ``AlreadyClaimed``. The claimer reports completion with the
hours worked; the community confirms, and in the same atomic append the member's
``Member.VolunteerHoursConfirmed`` (source ``SERVICE_ORDER``, reference the order's id; the
members area's contract, ``domain.members.volunteering``) counts the hours on the member's
volunteer record.

One order per request: its id is uuid5 of the request's, so a second publication of the same
request meets the first (``AlreadyExists``). A published order may be cancelled with a reason
until it is confirmed; the request stays with the community either way.

**Who may claim** (``eligible``), with what the members and grids areas record: a member who
has not left the Party and who

- lives in a grid of the order's community (``Residence``, grids area: the order's own grid
  or a nearby one of the same community), or
- reported to the order's community in the order's year (双报到, ``Member.reports``: the
  in-service members reporting to this community), or
- belongs to the community: the member's home organization lies in its subtree (its
  branches, grid branches and building groups).

Pure domain: no I/O.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.requests.errors import NotYourStep
from domain.shared.errors import AlreadyExists, DomainError, InvalidInput, NotFound
from domain.shared.text import clean

MAX_TITLE, MAX_PLACE, MAX_NOTE = 100, 200, 500
_NAMESPACE = UUID("2f5b8c3e-6a41-4d7e-9c0b-8e1f4a6d2b73")
ENTRY_NAMESPACE = UUID("c4d9e2a7-1b3f-4e86-a5d0-7f2c9b8e6a14")
VOLUNTEER_SOURCE = "SERVICE_ORDER"
"""The source of the volunteer hours an order contributes (the members area's contract)."""


def order_id(request_id: UUID) -> UUID:
    """The id of a request's service order."""
    return uuid5(_NAMESPACE, f"service-order/{request_id}")


def entry_id(order: UUID) -> UUID:
    """The id of the volunteer entry an order's confirmation records (a repeat meets it)."""
    return uuid5(ENTRY_NAMESPACE, f"service-order/{order}")


def check_title(value: str) -> str:
    text = clean(value)
    if not 1 <= len(text) <= MAX_TITLE:
        raise InvalidInput(f"an order's title has 1–{MAX_TITLE} characters (it names the volunteer activity)",
                           field="title")
    return text


def check_place(value: str) -> str:
    text = clean(value)
    if not 1 <= len(text) <= MAX_PLACE:
        raise InvalidInput(f"an order's place has 1–{MAX_PLACE} characters", field="place")
    return text


class OrderState(enum.Enum):
    """Where a service order stands."""

    OPEN = "OPEN"
    """Published: members who may take it see it and claim it."""
    CLAIMED = "CLAIMED"
    """A member claimed it; their completion report is awaited."""
    COMPLETED = "COMPLETED"
    """The member reported it done, with the hours; the community's confirmation is awaited."""
    CONFIRMED = "CONFIRMED"
    """The community confirmed it: the hours count as the member's volunteer hours."""
    CANCELLED = "CANCELLED"


class ServiceOrder(Aggregate):
    """One request published as an order that members grab, and who did it."""

    class Published(Aggregate.Created):
        organization_id: UUID
        """The request's community: where the order is read, claimed and confirmed."""
        request_id: UUID
        grid_id: UUID
        title: str
        """What is to be done (the volunteer activity's name once confirmed)."""
        starts_at: datetime
        place: str
        hours_expected: Decimal
        published_at: datetime

    @event(Published)
    def __init__(self, organization_id: UUID, request_id: UUID, grid_id: UUID, title: str, starts_at: datetime,
                 place: str, hours_expected: Decimal, published_at: datetime) -> None:
        self.organization_id = organization_id
        self.request_id = request_id
        self.grid_id = grid_id
        self.title = title
        self.starts_at = starts_at
        self.place = place
        self.hours_expected = hours_expected
        self.state = OrderState.OPEN
        self.member_id: UUID | None = None
        self.hours: Decimal | None = None
        self.completed_on: date | None = None

    @classmethod
    def create_id(cls, request_id: UUID, **_: object) -> UUID:
        return order_id(request_id)

    def _at(self, *states: OrderState, step: str) -> None:
        if self.state not in states:
            raise NotYourStep(f"the order is {self.state.value}: it cannot be {step} now", field="orderId")

    def claim(self, member_id: UUID, at: datetime) -> None:
        """The member takes the order; a claimed order is nobody else's (``AlreadyClaimed``)."""
        if self.state is OrderState.OPEN:
            self._claimed(member_id=member_id, at=at)
            return
        if self.state is not OrderState.CANCELLED:
            whose = "you" if self.member_id == member_id else "another member"
            raise AlreadyClaimed(f"the order was claimed by {whose} already", field="orderId")
        self._at(OrderState.OPEN, step="claimed")

    @event("Claimed")
    def _claimed(self, member_id: UUID, at: datetime) -> None:
        self.state, self.member_id = OrderState.CLAIMED, member_id

    def report_completion(self, member_id: UUID, hours: Decimal, note: str | None, at: datetime) -> None:
        self._at(OrderState.CLAIMED, step="reported done")
        if member_id != self.member_id:
            raise NotYourStep("the order was claimed by another member: they report it done", field="orderId")
        self._completion_reported(member_id=member_id, hours=hours, note=note, at=at, on=at.date())

    @event("CompletionReported")
    def _completion_reported(self, member_id: UUID, hours: Decimal, note: str | None, at: datetime,
                             on: date) -> None:
        self.state, self.hours, self.completed_on = OrderState.COMPLETED, hours, on

    def confirm(self, at: datetime) -> tuple[UUID, Decimal, date]:
        """The community confirms the work; returns (member, hours, date) for the volunteer entry."""
        self._at(OrderState.COMPLETED, step="confirmed")
        assert self.member_id is not None and self.hours is not None and self.completed_on is not None
        self._confirmed(member_id=self.member_id, hours=self.hours, entry_id=entry_id(self.id), at=at)
        return self.member_id, self.hours, self.completed_on

    @event("Confirmed")
    def _confirmed(self, member_id: UUID, hours: Decimal, entry_id: UUID, at: datetime) -> None:
        self.state = OrderState.CONFIRMED

    def cancel(self, at: datetime) -> None:
        self._at(OrderState.OPEN, OrderState.CLAIMED, OrderState.COMPLETED, step="cancelled")
        self._cancelled(at=at)

    @event("Cancelled")
    def _cancelled(self, at: datetime) -> None:
        self.state = OrderState.CANCELLED


class AlreadyClaimed(DomainError):
    """Another member (or you) claimed the order first: exactly one claim wins."""

    code = "ALREADY_CLAIMED"


class NotEligibleToClaim(DomainError):
    """You may not take this order: you neither live in its community's grids, nor reported to the
    community this year (双报到), nor belong to it; or your token is no member's."""

    code = "NOT_ELIGIBLE_TO_CLAIM"


class ServiceOrderNotFound(NotFound):
    """No service order with this id is open to you."""

    code = "SERVICE_ORDER_NOT_FOUND"


class ServiceOrderExists(AlreadyExists):
    """The request was published as an order already (one order per request)."""

    code = "SERVICE_ORDER_EXISTS"

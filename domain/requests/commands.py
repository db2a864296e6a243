"""Residents' requests' commands: the department registry and every step of the loop."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.requests.aggregate import Rating, Source
from domain.requests.rules import Attachment, Urgency
from domain.shared.commands import Command
from domain.shared.permissions import Role

A, S, C = Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY
GW, DH, INTEGRATION = Role.GRID_WORKER, Role.DEPARTMENT_HANDLER, Role.INTEGRATION
ABOVE = frozenset({A, S})
COMMUNITY = frozenset({C})
DEPARTMENT = frozenset({DH})


@dataclass(frozen=True)
class RegisterDepartment(Command):
    """Register a functional department (职能部门) of a street or district, with its categories."""

    action = "registerDepartment"
    allowed = ABOVE
    organization_id: UUID
    name: str
    code: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class RetireDepartment(Command):
    """Retire a department: it takes no dispatch from now on (its code stays taken)."""

    action = "retireDepartment"
    allowed = ABOVE
    department_id: UUID
    reason: str


@dataclass(frozen=True)
class ReportRequest(Command):
    """Report a resident's request in a grid: a grid worker's report (随手拍), a walk-in at the
    community, or a resident's order through an integration (the 12345 hotline: its one command,
    source RESIDENT_ORDER)."""

    action = "reportRequest"
    allowed = frozenset({GW, C, S, INTEGRATION})
    grid_id: UUID
    category: str
    description: str
    source: Source
    urgency: Urgency = Urgency.NORMAL
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    attachments: tuple[Attachment, ...] = ()
    resident_name: str | None = None
    phone: str | None = None
    external_ref: str | None = None
    """The integration's own number (a 12345 ticket): a request per number and source."""


@dataclass(frozen=True)
class RequestCommand(Command):
    request_id: UUID


@dataclass(frozen=True)
class TakeRequest(RequestCommand):
    """The community takes a reported request to resolve it itself (社区呼叫)."""

    action = "takeRequest"
    allowed = COMMUNITY


@dataclass(frozen=True)
class EscalateRequest(RequestCommand):
    """The community hands a request to the street, with a reason."""

    action = "escalateRequest"
    allowed = COMMUNITY
    reason: str


@dataclass(frozen=True)
class DispatchRequest(RequestCommand):
    """The street dispatches an escalated request to a department (街道派单)."""

    action = "dispatchRequest"
    allowed = ABOVE
    department_id: UUID
    note: str | None = None


@dataclass(frozen=True)
class AcceptRequest(RequestCommand):
    """The department accepts a request dispatched to it (部门受理), within its deadline."""

    action = "acceptRequest"
    allowed = DEPARTMENT


@dataclass(frozen=True)
class SendBackRequest(RequestCommand):
    """The department sends a request dispatched to it back to the street, with a reason."""

    action = "sendBackRequest"
    allowed = DEPARTMENT
    reason: str


@dataclass(frozen=True)
class ResolveRequest(RequestCommand):
    """Whoever holds the request resolves it with a result: the community (reported or taken),
    the street (escalated) or the department (accepted)."""

    action = "resolveRequest"
    allowed = frozenset({C, S, DH})
    result: str


@dataclass(frozen=True)
class FeedBackRequest(RequestCommand):
    """The result is fed back to the resident (结果反馈)."""

    action = "feedBackRequest"
    allowed = frozenset({C, S, DH})
    note: str | None = None


@dataclass(frozen=True)
class RateRequest(RequestCommand):
    """Record the resident's rating; NOT_SATISFIED reopens the request (once with whoever
    resolved it, afterwards with the street)."""

    action = "rateRequest"
    allowed = frozenset({C, S})
    rating: Rating
    note: str | None = None


@dataclass(frozen=True)
class CloseRequest(RequestCommand):
    action = "closeRequest"
    allowed = frozenset({C, S})


@dataclass(frozen=True)
class MergeRequests(RequestCommand):
    """Merge a duplicate (``request_id``) into another request of the same grid (``into_id``)."""

    action = "mergeRequests"
    allowed = frozenset({C, S})
    into_id: UUID
    reason: str


@dataclass(frozen=True)
class EraseRequestPersonalData(RequestCommand):
    """Erase the resident's name and phone on a lawful request; the request itself stays."""

    action = "eraseRequestPersonalData"
    allowed = frozenset({A})
    reason: str


@dataclass(frozen=True)
class EscalateOverdueRequest(RequestCommand):
    """The escalation sweep hands an overdue request to the next level (system only)."""

    action = "escalateOverdueRequest"
    allowed = frozenset()

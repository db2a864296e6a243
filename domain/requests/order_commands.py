"""Service orders' commands (抢单): publish, claim, report done, confirm, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.shared.commands import Command
from domain.shared.permissions import Role

Hours = str | Decimal
"""Hours as the client writes them (``"2.5"``): at most one decimal place, 0.1–24.0."""
COMMUNITY = frozenset({Role.COMMUNITY_SECRETARY})
MEMBER = frozenset({Role.MEMBER})


@dataclass(frozen=True)
class PublishServiceOrder(Command):
    """Publish a request the community holds as an order members grab: what, when, where and the
    hours it is expected to take (a reported request is taken by the community in the same step)."""

    action = "publishServiceOrder"
    allowed = COMMUNITY
    request_id: UUID
    title: str
    starts_at: datetime
    place: str
    hours_expected: Hours


@dataclass(frozen=True)
class OrderCommand(Command):
    order_id: UUID


@dataclass(frozen=True)
class ClaimServiceOrder(OrderCommand):
    """A member grabs an open order (a member's own token); exactly one claim wins."""

    action = "claimServiceOrder"
    allowed = MEMBER


@dataclass(frozen=True)
class ReportServiceOrderCompletion(OrderCommand):
    """The member who claimed the order reports it done, with the hours worked."""

    action = "reportServiceOrderCompletion"
    allowed = MEMBER
    hours: Hours
    note: str | None = None


@dataclass(frozen=True)
class ConfirmServiceOrder(OrderCommand):
    """The community confirms the work done: the hours count as the member's volunteer hours."""

    action = "confirmServiceOrder"
    allowed = COMMUNITY


@dataclass(frozen=True)
class CancelServiceOrder(OrderCommand):
    """The community withdraws an order not yet confirmed, with a reason."""

    action = "cancelServiceOrder"
    allowed = COMMUNITY
    reason: str

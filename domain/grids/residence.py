"""A member's residence grid (居住地网格): where an in-service member reports (双报到).

In-service members belong to the branch of their workplace and also report to the community
where they live; the grid they live in is recorded here, one ``Residence`` stream per member
(its id is uuid5 of the member's id, so a member has one residence at a time without a set
rule of its own: two first assignments at once meet on the stream's version, and the loser
is retried as a reassignment). Every assignment and reassignment is an event with who (the
actor), why (the reason, required) and the effective date.

Authorization: the community of the grid the member comes to live in (its secretary, or
those above it). The member's home may lie anywhere (the point of dual reporting): the
command needs the member to exist and not to have left the Party, not to be readable, and
it shows nothing of the member back. The grid left behind hears of it: each event names its
community (``organization_id``) and the previous one (``previous_organization_id``), and the
feed shows it to both (``projections.event_scopes``), and to both grids' grid-scoped tokens
(``grid_id``, ``previous_grid_id``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.grids.aggregate import Grid
from domain.grids.errors import GridNotAllowed
from domain.members.aggregate import Member
from domain.shared import events as ev
from domain.shared.commands import Command, required_reason
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.handling import Decision, Handler, Unit
from domain.shared.permissions import ADMINS

RESIDENCE_NAMESPACE = UUID("9a4e2c71-0d3b-4f58-b6e1-7c2d5a8f3e90")


def residence_id(member_id: UUID) -> UUID:
    """The stream id of ``member_id``'s residence."""
    return uuid.uuid5(RESIDENCE_NAMESPACE, f"residence/{member_id}")


class Residence(Aggregate):
    """The grid one member lives in (for reporting where they live), and since when."""

    class GridAssigned(Aggregate.Created):
        member_id: UUID
        grid_id: UUID
        organization_id: UUID
        """The grid's community (the feed's scope of this event)."""
        effective_on: date

    @event(GridAssigned)
    def __init__(self, member_id: UUID, grid_id: UUID, organization_id: UUID, effective_on: date) -> None:
        self.member_id = member_id
        self.grid_id = grid_id
        self.organization_id = organization_id
        self.since = effective_on

    @classmethod
    def create_id(cls, member_id: UUID, **_: object) -> UUID:
        return residence_id(member_id)

    def reassign(self, grid_id: UUID, organization_id: UUID, effective_on: date) -> None:
        """Move the residence to another grid from ``effective_on`` (not before the last move)."""
        if grid_id == self.grid_id:
            raise GridNotAllowed("the member's residence is this grid already", field="gridId")
        if effective_on < self.since:
            raise InvalidInput(f"a reassignment takes effect on or after the last one ({self.since.isoformat()})",
                               field="effectiveOn")
        self._grid_reassigned(grid_id=grid_id, organization_id=organization_id, previous_grid_id=self.grid_id,
                              previous_organization_id=self.organization_id, effective_on=effective_on)

    @event("GridReassigned")
    def _grid_reassigned(self, grid_id: UUID, organization_id: UUID, previous_grid_id: UUID,
                         previous_organization_id: UUID, effective_on: date) -> None:
        self.grid_id, self.organization_id, self.since = grid_id, organization_id, effective_on


@dataclass(frozen=True)
class AssignMemberResidence(Command):
    """Record (or change) the grid a member lives in, with the reason and the effective date."""

    action = "assignMemberResidence"
    allowed = ADMINS
    member_id: UUID
    grid_id: UUID
    reason: str
    effective_on: date | None = None


async def assign_member_residence(cmd: AssignMemberResidence, unit: Unit) -> Decision:
    grid = await unit.find(Grid, cmd.grid_id)
    if grid is None:
        raise NotFound(f"no grid {cmd.grid_id}", field="gridId")
    await unit.authorize(grid.organization_id, field="gridId", grid=grid.id)
    reason = required_reason(cmd.reason)
    grid.ensure_active()
    member = await unit.find(Member, cmd.member_id)
    if member is None:
        raise NotFound(f"no member {cmd.member_id}", field="memberId")
    member.ensure_member()
    effective = cmd.effective_on or unit.today()
    if effective > unit.today():
        raise InvalidInput(f"the effective date {effective.isoformat()} lies after today", field="effectiveOn")
    if effective < grid.started_on:
        raise InvalidInput(f"the effective date lies before the grid began ({grid.started_on.isoformat()})",
                           field="effectiveOn")
    residence = await unit.find(Residence, residence_id(member.id))
    if residence is None:
        residence = Residence(member_id=member.id, grid_id=grid.id, organization_id=grid.organization_id,
                              effective_on=effective)
    else:
        unit.expect(residence)
        residence.reassign(grid.id, grid.organization_id, effective)
    return Decision(residence.id, ev.to_new_events(residence), guards={grid.id: grid.version}, reason=reason,
                    result={"member_id": str(member.id), "grid_id": str(grid.id)})


HANDLERS: dict[type, Handler] = {AssignMemberResidence: assign_member_residence}

"""The ``event_scopes`` read model: which organizations each event of the log concerns.

The feed (subscriptions, the HTTP feed, webhooks) shows an actor only the events it
may read (``projections.feed.reading``), so every event needs its organizations:

- ``Organization.*``: the organization itself (the stream); ``Organization.Moved`` also
  the parent it left, so the subtree it left hears of the move (its children changed).
- ``Member.*``: no row. A member's events are read where the member is readable *now*
  (its current home, the receiving side of an open transfer, both sides of the
  transfer an event belongs to), as the queries judge it; the feed reads that from the
  ``members`` and ``transfers`` read models when it reads the event, so nothing about
  it is recorded here. (Before, this table held the home at the time of each event,
  which let a community that moved show its departed members to its new street.)
- ``Residence.*`` (``SELF_SCOPED``): the organizations the event's payload names (the
  community of the grid the member lives in, and on a reassignment the one left).
- any other stream type (funds, projects, inspections, webhooks, ...): the
  ``organization_id`` of the stream's first event (the convention for creation
  events), remembered in ``stream_organizations``.

An event with no organization gets no row and is visible only to whole-system actors
(member events excepted, as above). This projection applies every event type
(``all_events``), including types added after it was written, so the feed never
stalls on a new aggregate.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

log = logging.getLogger(__name__)

SELF_SCOPED = frozenset({"Residence"})
"""Stream types whose every event names the organizations it concerns (``organization_id`` and,
for a move, ``previous_organization_id``): a member's residence grid, which moves between
communities, concerns the community of each grid it names, not its first one's for ever."""

projection = Projection("event_scopes", ("event_scopes", "stream_organizations"), all_events=True)


def _uuid(value: Any) -> UUID | None:
    """A payload value as an organization id; anything else means "no organization"."""
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


async def _home(conn: asyncpg.Connection, stream_id: UUID) -> UUID | None:
    value: UUID | None = await conn.fetchval(
        "SELECT organization_id FROM stream_organizations WHERE stream_id = $1", stream_id
    )
    return value


async def _set_home(conn: asyncpg.Connection, stream_id: UUID, organization_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO stream_organizations (stream_id, organization_id) VALUES ($1, $2)"
        " ON CONFLICT (stream_id) DO NOTHING",
        stream_id, organization_id,
    )


async def _other_scope(conn: asyncpg.Connection, e: RecordedEvent) -> list[UUID]:
    home = await _home(conn, e.stream_id)
    if home is None:
        # The creation event names the organization; a stream whose first event does
        # not (a malformed or system-level stream) stays visible to whole-system actors.
        home = _uuid(e.payload.get("organization_id"))
        if home is not None:
            await _set_home(conn, e.stream_id, home)
        elif e.payload.get("organization_id") is not None:
            log.warning("event %s (%s): organization_id %r is not a uuid; no scope",
                        e.position, e.event_type, e.payload.get("organization_id"))
    return [home] if home is not None else []


@projection.on_any
async def any_event(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    if e.stream_type == "Organization":
        organizations = [e.stream_id]
        # A move concerns the subtree it leaves too: its subscribers must learn of it.
        previous = _uuid(e.payload.get("previous_parent_id")) if e.event_type == "Organization.Moved" else None
        if previous is not None:
            organizations.append(previous)
    elif e.stream_type == "Member":
        return  # judged when read, from the members and transfers read models
    elif e.stream_type in SELF_SCOPED:
        organizations = [o for o in (_uuid(e.payload.get(k)) for k in ("organization_id", "previous_organization_id"))
                         if o is not None]
    else:
        organizations = await _other_scope(conn, e)
    if organizations:
        await conn.execute(
            "INSERT INTO event_scopes (position, organization_id)"
            " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
            e.position, organizations,
        )

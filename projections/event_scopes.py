"""The ``event_scopes`` read model: which organizations each event of the log concerns.

The feed (subscriptions, the HTTP feed, webhooks) shows an actor only the events
inside its organization subtree, so every event needs its organizations:

- ``Organization.*``: the organization itself (the stream); ``Organization.Moved`` also
  the parent it left, so the subtree it left hears of the move.
- ``Member.*``: the member's home organization at that event (``Member.Registered``
  sets it, ``Member.TransferAccepted`` moves it to the receiving side), except
  transfer events (payload ``transfer_id``), which concern both the sending and the
  receiving organization, so the receiving side sees what is coming its way.
- any other stream type (funds, projects, inspections, webhooks, ...): the
  ``organization_id`` of the stream's first event (the convention for creation
  events), remembered in ``stream_organizations``.

An event with no organization gets no row and is visible only to whole-system actors.
This projection applies every event type (``all_events``), including types added after
it was written, so the feed never stalls on a new aggregate.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

log = logging.getLogger(__name__)

projection = Projection(
    "event_scopes", ("event_scopes", "stream_organizations", "event_scope_transfers"),
    all_events=True,
)


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
        " ON CONFLICT (stream_id) DO UPDATE SET organization_id = excluded.organization_id",
        stream_id, organization_id,
    )


async def _transfer_scope(
    conn: asyncpg.Connection, e: RecordedEvent, transfer_id: UUID,
) -> list[UUID]:
    p = e.payload
    sides = [_uuid(p.get("from_organization_id")), _uuid(p.get("to_organization_id"))]
    if e.event_type == "Member.TransferRequested" and all(sides):
        await conn.execute(
            "INSERT INTO event_scope_transfers"
            " (transfer_id, from_organization_id, to_organization_id)"
            " VALUES ($1, $2, $3) ON CONFLICT (transfer_id) DO NOTHING",
            transfer_id, sides[0], sides[1],
        )
    else:
        row = await conn.fetchrow(
            "SELECT from_organization_id, to_organization_id FROM event_scope_transfers"
            " WHERE transfer_id = $1",
            transfer_id,
        )
        if row is not None:
            sides = [row["from_organization_id"], row["to_organization_id"]]
    if e.event_type == "Member.TransferAccepted":
        to = _uuid(p.get("to_organization_id")) or sides[1]
        if to is not None:
            await _set_home(conn, e.stream_id, to)
    found = [s for s in sides if s is not None]
    return found or [h for h in [await _home(conn, e.stream_id)] if h is not None]


async def _member_scope(conn: asyncpg.Connection, e: RecordedEvent) -> list[UUID]:
    if e.event_type == "Member.Registered":
        home = _uuid(e.payload.get("home_organization_id"))
        if home is not None:
            await _set_home(conn, e.stream_id, home)
        return [home] if home is not None else []
    transfer_id = _uuid(e.payload.get("transfer_id"))
    if transfer_id is not None:
        return await _transfer_scope(conn, e, transfer_id)
    home = await _home(conn, e.stream_id)
    return [home] if home is not None else []


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
        organizations = await _member_scope(conn, e)
    else:
        organizations = await _other_scope(conn, e)
    if organizations:
        await conn.execute(
            "INSERT INTO event_scopes (position, organization_id)"
            " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
            e.position, organizations,
        )

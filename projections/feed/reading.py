"""Reading the log as the feed shows it: filtered, in an actor's scope, never ahead of it.

One function set serves every way of following the log (GraphQL subscriptions, the
HTTP feed, webhooks), so all of them return the same events in the same order.

Scope: the queries' read rule, judged when the event is read. An event lies *within*
organization R when one of the organizations it concerns *now* has R on its root-first
``path`` in the ``organizations`` read model (R itself included); an actor may read it
when it lies within the actor's scope (``domain.shared.permissions.may_read``, whose SQL
form this is). What an event concerns, by the read models the queries read:

- an event of a ``Member`` stream: the member's current home (``members``) and the
  receiving side of the member's open transfers (``transfers``): exactly where
  ``member(id)`` and ``history(streamId)`` show the member. A transfer event (payload
  ``transfer_id``) also concerns both sides of that transfer, where ``transfer(id)``
  and its ``history`` show it. The organizations the member belonged to when the event
  happened do not count: after a transfer, the sending side keeps the transfer and
  loses the rest of the member's stream, as in the queries;
- any other event: the organizations the ``event_scopes`` projection recorded (an
  organization's own events; a move also concerns the parent it left, whose children
  changed; a fund's, project's, inspection's or webhook's events its organization).

Roles: a stream type that only some roles read at all (``STREAM_READERS``: a webhook,
which ``webhook(id)`` shows only to the admins who register webhooks and to auditors)
is left out for the others, wherever it lies.

Subject-bound readers: a token that reads nothing by scope (``permissions.bound_subject``:
a shop operator's) reads only the streams bound to its subject, within its scope: a
``Shop`` stream whose creation event names it as the ``operator_subject`` (the shop's own
events, as ``shop(id)`` and its ``history`` show them; not the round, the member or the
complainant). The binding is read from the log itself (the stream's first event), so no
read model has to catch up for it. A member's own token (``MEMBER``, subject the member's id)
reads the member's own stream only: ``member:<id>`` on both sides (``permissions.bound_subject``).

Grid-scoped readers: a grid leader's or worker's token with a grid scope
(``permissions.bound_grid``) reads, within its scope (the grid's community), only its grid's
own stream (``stream_id`` = the grid) and the events whose payload names the grid
(``GRID_KEYS``: a member's residence assigned to it or moved away from it).

The tree is the one the read model holds when the event is read: after a move, older
events of the moved organization follow it into its new subtree. An event that
concerns no organization lies within nothing: only whole-system actors (scope
``None``) and unfiltered readers see it. Because the rule is judged when an event is
read, a follower that passed an event while it could not read it (a member whose
transfer towards it was requested later) does not get it afterwards: it is in
``history``, or in a replay from an earlier position.

Readable head. Scope is known only for events that every projection the rule reads
(``READABLE_PROJECTIONS``) has applied, so reads stop at the lowest of their positions
(``readable_head``). Positions increase in commit order and projections never skip,
so a reader that stops at the readable head and later reads ``position > head`` misses
nothing: no event below the head can appear afterwards.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from domain.members.aggregate import OPEN_STATES
from domain.shared.permissions import Role
from domain.shared.ports import RecordedEvent
from domain.webhooks.commands import RegisterWebhook
from eventstore.personal_keys import keys_column
from eventstore.postgres import row_to_event

READABLE_PROJECTIONS = ("event_scopes", "organizations", "members", "transfers")
"""The projections the feed waits for before it may show an event: those its read rule reads."""

OPEN_TRANSFER_STATES = sorted(s.value for s in OPEN_STATES)
"""States of a transfer whose receiving side may read the member (as ``member(id)`` does)."""

STREAM_READERS: Mapping[str, frozenset[Role]] = {
    "Webhook": RegisterWebhook.allowed | {Role.AUDITOR},
}
"""Stream types that only some roles read at all, as the queries' ``readers`` declare them
(``webhook(id)``: the admins who register webhooks, and auditors); the same sets, checked
by tests/integration/feed/test_event_scopes.py."""


def unreadable_stream_types(roles: Collection[Role] | None) -> frozenset[str]:
    """The stream types an actor with these roles may not read (``None``: no role limit)."""
    if roles is None:
        return frozenset()
    held = frozenset(roles)
    return frozenset(t for t, readers in STREAM_READERS.items() if not held & readers)


_HEAD = (
    "SELECT coalesce(min(coalesce(t.position, 0)), 0) FROM unnest($1::text[]) AS n(name)"
    " LEFT JOIN projection_tracking t USING (name)"
)

CONCERNS = """
SELECT s.organization_id FROM event_scopes s
 WHERE s.position = e.position AND e.stream_type <> 'Member'
UNION ALL
SELECT m.home_organization_id FROM members m
 WHERE e.stream_type = 'Member' AND m.id = e.stream_id
UNION ALL
SELECT t.to_organization_id FROM transfers t
 WHERE e.stream_type = 'Member' AND t.member_id = e.stream_id AND t.state = ANY($8::text[])
UNION ALL
SELECT side FROM transfers t,
       LATERAL (VALUES (t.from_organization_id), (t.to_organization_id)) AS v(side)
 WHERE e.stream_type = 'Member' AND t.member_id = e.stream_id
   AND t.id::text = e.payload->>'transfer_id'
"""
"""The organizations an event ``e`` of the log concerns now (see the module docstring);
``$8`` is ``OPEN_TRANSFER_STATES``."""


BOUND_STREAM_TYPES = ("Shop",)
"""Stream types whose creation event names the token subject bound to them
(``operator_subject``): the streams a subject-bound reader reads."""

BOUND = (
    "CASE WHEN e.stream_type IN (" + ", ".join(f"'{t}'" for t in BOUND_STREAM_TYPES) + ")"
    " THEN (SELECT f.payload->>'operator_subject' FROM events f"
    " WHERE f.stream_id = e.stream_id AND f.version = 1)"
    " WHEN e.stream_type = 'Member' THEN 'member:' || e.stream_id::text END"
)
"""SQL: the token subject event ``e``'s stream is bound to (``NULL``: none). A member's stream
is bound to the member's own token (``permissions.bound_subject``: ``member:<id>``)."""


GRID_KEYS = ("grid_id", "previous_grid_id")
"""Payload keys that make an event of another stream concern a grid (a grid-scoped reader's)."""

GRID_BOUND = ("(e.stream_id = $11 OR " + " OR ".join(f"e.payload->>'{k}' = $11::text" for k in GRID_KEYS) + ")")
"""SQL: event ``e`` concerns the grid ``$11`` (its own stream, or its payload names the grid)."""


def _lies_within(root: str) -> str:
    """SQL: event ``e`` lies within the organization (parameter) ``root``."""
    return (f"EXISTS (SELECT 1 FROM ({CONCERNS}) AS c(organization_id)"
            f" JOIN organizations o ON o.id = c.organization_id WHERE o.path @> ARRAY[{root}::uuid])")


_PAGE = f"""
SELECT e.position, e.stream_id, e.stream_type, e.version, e.event_id, e.event_type,
       e.schema_version, e.payload, e.recorded_at, e.actor, e.actor_roles,
       e.correlation_id, e.causation_id, e.command_id, e.reason,
       {keys_column("e.stream_id")},
       coalesce((SELECT array_agg(DISTINCT a)
                   FROM ({CONCERNS}) AS c(organization_id)
                   JOIN organizations o ON o.id = c.organization_id,
                        unnest(o.path) AS a), '{{}}'::uuid[]) AS within,
       {BOUND} AS bound
  FROM events e
 WHERE e.position > $1 AND e.position <= $2
   AND ($4::text[] IS NULL OR e.stream_type = ANY($4::text[]))
   AND ($5::text[] IS NULL OR e.event_type = ANY($5::text[]))
   AND ($6::uuid IS NULL OR {_lies_within("$6")})
   AND ($7::uuid IS NULL OR {_lies_within("$7")})
   AND e.stream_type <> ALL($9::text[])
   AND ($10::text IS NULL OR {BOUND} = $10)
   AND ($11::uuid IS NULL OR {GRID_BOUND})
 ORDER BY e.position
 LIMIT $3
"""


@dataclass(frozen=True)
class EventFilter:
    """Which events a follower of the log wants; every part left ``None`` allows all.

    The parts combine with AND: an event matches when its stream type is one of
    ``stream_types``, its type one of ``event_types``, and it lies within the subtree
    rooted at ``within`` (see the module docstring for "within").
    """

    stream_types: frozenset[str] | None = None
    """Stream types such as ``Member`` or ``Organization``; ``None`` = all."""
    event_types: frozenset[str] | None = None
    """Event types such as ``Member.TransferRequested``; ``None`` = all."""
    within: UUID | None = None
    """Root of an organization subtree; ``None`` = anywhere (including no organization)."""

    def matches_type(self, event: RecordedEvent) -> bool:
        """Whether the stream and event types pass (the part that needs no scope)."""
        return ((self.stream_types is None or event.stream_type in self.stream_types)
                and (self.event_types is None or event.event_type in self.event_types))

    def matches_row(self, event: RecordedEvent, within: Collection[UUID]) -> bool:
        """Whether ``event`` matches, given ``within``: every organization it lies within.

        ``within`` is the set of all ancestors (each included) of the organizations the
        event concerns, as ``FeedEvent.within`` and ``read_page`` provide it.
        """
        return self.matches_type(event) and (self.within is None or self.within in within)


def in_scope(within: Collection[UUID], actor_scope: UUID | None) -> bool:
    """Whether an event that lies within ``within`` is visible to an actor with this scope."""
    return actor_scope is None or actor_scope in within


def concerns_grid(event: RecordedEvent, grid: UUID) -> bool:
    """Whether ``event`` concerns ``grid`` (``GRID_BOUND`` in Python)."""
    return event.stream_id == grid or any(str(event.payload.get(k)) == str(grid) for k in GRID_KEYS)


def may_read_event(fe: FeedEvent, actor_scope: UUID | None, unreadable: Collection[str],
                   bound_to: str | None = None, grid: UUID | None = None) -> bool:
    """The read rule on an event already read (the live ring), as ``read_page`` applies it
    in SQL: its stream type is one the actor reads, it lies within the actor's scope, for a
    subject-bound reader (``bound_to``) its stream is bound to that subject, and for a
    grid-scoped reader (``grid``) it concerns that grid."""
    return (fe.event.stream_type not in unreadable and in_scope(fe.within, actor_scope)
            and (bound_to is None or fe.bound == bound_to)
            and (grid is None or concerns_grid(fe.event, grid)))


@dataclass(frozen=True)
class FeedEvent:
    """An event together with every organization it lies within."""

    event: RecordedEvent
    within: frozenset[UUID]
    bound: str | None = None
    """The token subject the event's stream is bound to (``BOUND``), if any."""

    @property
    def position(self) -> int:
        return self.event.position


async def readable_head(conn_or_pool: asyncpg.Connection | asyncpg.Pool) -> int:
    """The position up to which the feed may show events.

    The lowest of the positions the ``READABLE_PROJECTIONS`` have applied (a projection
    without a tracking row counts as 0): up to there every event's organizations and
    every organization's path are known.
    """
    return int(await conn_or_pool.fetchval(_HEAD, list(READABLE_PROJECTIONS)))


async def read_page(
    conn_or_pool: asyncpg.Connection | asyncpg.Pool, after: int, limit: int, flt: EventFilter,
    actor_scope: UUID | None, *, head: int | None = None, roles: Collection[Role] | None = None,
    bound_to: str | None = None, grid: UUID | None = None,
) -> tuple[list[FeedEvent], int]:
    """Like ``read_events``, with each event's ``within`` set and the position scanned to.

    The second value is where the next read should start (``after``) so that it skips
    nothing and repeats nothing: the last returned event's position when the page is
    full, else the readable head (everything up to it was scanned and did not match).
    It never decreases below ``after``. ``head`` caps the read below the readable head.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    top = await readable_head(conn_or_pool)
    if head is not None:
        top = min(top, head)
    if top <= after:
        return [], after
    rows = await conn_or_pool.fetch(
        _PAGE, after, top, limit,
        _text_list(flt.stream_types), _text_list(flt.event_types), flt.within, actor_scope,
        OPEN_TRANSFER_STATES, sorted(unreadable_stream_types(roles)), bound_to, grid,
    )
    events = [FeedEvent(row_to_event(r), frozenset(r["within"]), r["bound"]) for r in rows]
    scanned = events[-1].position if len(events) == limit else top
    return events, scanned


async def read_events(
    conn_or_pool: asyncpg.Connection | asyncpg.Pool, after: int, limit: int, flt: EventFilter,
    actor_scope: UUID | None, *, roles: Collection[Role] | None = None, bound_to: str | None = None,
    grid: UUID | None = None,
) -> list[RecordedEvent]:
    """The events after position ``after`` that match ``flt`` and that the actor may read.

    - In position order (which is commit order), at most ``limit`` of them.
    - ``actor_scope`` is the root of the actor's subtree; ``None`` means the whole
      system (every event, including those that concern no organization).
    - ``roles`` are the actor's: stream types none of them reads (``STREAM_READERS``)
      are left out. ``None`` sets no role limit: for the feed's own reads and for
      webhooks, which the admins who may read every stream type register.
    - ``bound_to``: a subject-bound reader's token subject (``permissions.bound_subject``):
      only the events of streams bound to it (see the module docstring).
    - ``grid``: a grid-scoped reader's grid (``permissions.bound_grid``): only the events
      that concern it (see the module docstring).
    - Never beyond ``readable_head``: an event is returned only once its scope is
      known, so a caller that continues from the last returned position misses
      nothing and sees nothing twice. To move past long runs of events that do not
      match, use ``read_page``, whose second value is safe to continue from; never a
      separately read ``readable_head``, which may already be past unread events.
    """
    events, _ = await read_page(conn_or_pool, after, limit, flt, actor_scope, roles=roles, bound_to=bound_to,
                                grid=grid)
    return [fe.event for fe in events]


def _text_list(values: frozenset[str] | None) -> Sequence[str] | None:
    return None if values is None else sorted(values)

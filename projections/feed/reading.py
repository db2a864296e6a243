"""Reading the log as the feed shows it: filtered, in an actor's scope, never ahead of it.

One function set serves every way of following the log (GraphQL subscriptions, the
HTTP feed, webhooks), so all of them return the same events in the same order.

Scope. The ``event_scopes`` projection records which organizations each event
concerns. An event lies *within* organization R when one of those organizations has R
on its root-first ``path`` in the ``organizations`` read model (R itself included).
The tree is the one the read model holds when the event is read: after a move, older
events of the moved organization follow it into its new subtree. An event that
concerns no organization lies within nothing: only whole-system actors (scope
``None``) and unfiltered readers see it.

Readable head. Scope is known only for events both ``event_scopes`` and
``organizations`` have applied, so reads stop at the lower of those two positions
(``readable_head``). Positions increase in commit order and projections never skip,
so a reader that stops at the readable head and later reads ``position > head`` misses
nothing: no event below the head can appear afterwards.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from eventstore.postgres import row_to_event

READABLE_PROJECTIONS = ("event_scopes", "organizations")
"""The projections the feed waits for before it may show an event."""

_HEAD = (
    "SELECT coalesce(min(coalesce(t.position, 0)), 0) FROM unnest($1::text[]) AS n(name)"
    " LEFT JOIN projection_tracking t USING (name)"
)

_PAGE = """
SELECT e.position, e.stream_id, e.stream_type, e.version, e.event_id, e.event_type,
       e.schema_version, e.payload, e.recorded_at, e.actor, e.actor_roles,
       e.correlation_id, e.causation_id, e.command_id, e.reason,
       coalesce((SELECT array_agg(DISTINCT a)
                   FROM event_scopes s
                   JOIN organizations o ON o.id = s.organization_id,
                        unnest(o.path) AS a
                  WHERE s.position = e.position), '{}'::uuid[]) AS within
  FROM events e
 WHERE e.position > $1 AND e.position <= $2
   AND ($4::text[] IS NULL OR e.stream_type = ANY($4::text[]))
   AND ($5::text[] IS NULL OR e.event_type = ANY($5::text[]))
   AND ($6::uuid IS NULL OR EXISTS (
        SELECT 1 FROM event_scopes s JOIN organizations o ON o.id = s.organization_id
         WHERE s.position = e.position AND o.path @> ARRAY[$6::uuid]))
   AND ($7::uuid IS NULL OR EXISTS (
        SELECT 1 FROM event_scopes s JOIN organizations o ON o.id = s.organization_id
         WHERE s.position = e.position AND o.path @> ARRAY[$7::uuid]))
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


@dataclass(frozen=True)
class FeedEvent:
    """An event together with every organization it lies within."""

    event: RecordedEvent
    within: frozenset[UUID]

    @property
    def position(self) -> int:
        return self.event.position


async def readable_head(conn_or_pool: asyncpg.Connection | asyncpg.Pool) -> int:
    """The position up to which the feed may show events.

    The lower of the positions ``event_scopes`` and ``organizations`` have applied (a
    projection without a tracking row counts as 0): up to there every event's scope
    and every organization's path are known.
    """
    return int(await conn_or_pool.fetchval(_HEAD, list(READABLE_PROJECTIONS)))


async def read_page(
    conn_or_pool: asyncpg.Connection | asyncpg.Pool, after: int, limit: int, flt: EventFilter,
    actor_scope: UUID | None, *, head: int | None = None,
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
    )
    events = [FeedEvent(row_to_event(r), frozenset(r["within"])) for r in rows]
    scanned = events[-1].position if len(events) == limit else top
    return events, scanned


async def read_events(
    conn_or_pool: asyncpg.Connection | asyncpg.Pool, after: int, limit: int, flt: EventFilter,
    actor_scope: UUID | None,
) -> list[RecordedEvent]:
    """The events after position ``after`` that match ``flt`` and lie in the actor's scope.

    - In position order (which is commit order), at most ``limit`` of them.
    - ``actor_scope`` is the root of the actor's subtree; ``None`` means the whole
      system (every event, including those that concern no organization).
    - Never beyond ``readable_head``: an event is returned only once its scope is
      known, so a caller that continues from the last returned position misses
      nothing and sees nothing twice. To move past long runs of events that do not
      match, use ``read_page``, whose second value is safe to continue from; never a
      separately read ``readable_head``, which may already be past unread events.
    """
    events, _ = await read_page(conn_or_pool, after, limit, flt, actor_scope)
    return [fe.event for fe in events]


def _text_list(values: frozenset[str] | None) -> Sequence[str] | None:
    return None if values is None else sorted(values)

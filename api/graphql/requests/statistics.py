"""The command centre's statistics of residents' requests (``requestStatistics``).

Computed from ``request_facts`` and ``request_segments`` (``projections/request_facts.py``: the
events alone, never typed in), for any period, in two statements. The requests counted are
those **received in the period** (reported at or after ``from``, before ``to``) within
``within`` and your scope, grouped by grid, community, street, department or category:

- ``received``; ``resolved``: of them, those resolved and not reopened since (resolved, fed
  back, rated or closed; merged duplicates are not resolved, ``merged`` counts them);
- ``onTime``: resolved with no step past its deadline (none ended late, none escalated by the
  sweep); ``overdueNow``: open, with the current step past its deadline by the server's clock;
- ``reopened``: reopened at least once; ``rated`` and ``satisfied`` (the last rating SATISFIED
  or BASICALLY), and their rate;
- per step (respond, handle, dispatch, accept, resolve, feedback): how many ended, and the
  average and 90th-percentile handling time in hours.

A street is the street working committee above the community in today's tree; a department is
the one the request is with or that resolved it (its step times are the department's own:
accepting and resolving); requests never with a department are left out of that grouping.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Annotated, Any

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.relay import argument_id

MAX_GROUPS = 1100
"""The most rows one answer holds: a city's grids (Longgang has 426, Panjin 1,056). It is the list's
bound in the query cost too, so a query of every field stays under the cost limit."""
RESOLVED = "('RESOLVED', 'FED_BACK', 'RATED', 'CLOSED')"


@strawberry.enum(description="How request statistics are grouped.")
class RequestStatisticsGroup(enum.Enum):
    GRID = "GRID"
    COMMUNITY = "COMMUNITY"
    STREET = "STREET"
    DEPARTMENT = "DEPARTMENT"
    CATEGORY = "CATEGORY"


_KEY = {
    RequestStatisticsGroup.GRID: "f.grid_id::text",
    RequestStatisticsGroup.COMMUNITY: "f.organization_id::text",
    RequestStatisticsGroup.STREET: ("(SELECT a.id::text FROM organizations c JOIN organizations a ON a.id = ANY(c.path)"
                                    " WHERE c.id = f.organization_id AND a.kind = 'STREET_WORKING_COMMITTEE' LIMIT 1)"),
    RequestStatisticsGroup.DEPARTMENT: "f.department_id::text",
    RequestStatisticsGroup.CATEGORY: "f.category",
}
_NAMES = {
    RequestStatisticsGroup.GRID: "SELECT id::text, name FROM grids WHERE id = ANY($1::uuid[])",
    RequestStatisticsGroup.COMMUNITY: "SELECT id::text, name FROM organizations WHERE id = ANY($1::uuid[])",
    RequestStatisticsGroup.STREET: "SELECT id::text, name FROM organizations WHERE id = ANY($1::uuid[])",
    RequestStatisticsGroup.DEPARTMENT: "SELECT id::text, name FROM departments WHERE id = ANY($1::uuid[])",
}


@strawberry.type(description="Handling time of one step over the requests of a group.")
class StepStatistics:
    step: str = strawberry.field(description="respond, handle, dispatch, accept, resolve or feedback.")
    count: int = strawberry.field(description="How many times the step ended.")
    average_hours: float = strawberry.field(description="Average time from the step's start to its end, in hours.")
    p90_hours: float = strawberry.field(description="90th percentile of that time, in hours.")


@strawberry.type(description="The statistics of one group (a grid, community, street, department or category) of"
                             " the requests received in the period.")
class RequestStatistics:
    key: str = strawberry.field(description="The group: the grid's, community's, street's or department's id, or the"
                                            " category.")
    name: str | None = strawberry.field(description="The group's name (the category for CATEGORY).")
    received: int = strawberry.field(description="Requests received (reported) in the period.")
    resolved: int = strawberry.field(description="Of them, resolved (and not reopened since).")
    on_time: int = strawberry.field(description="Resolved with no step past its deadline.")
    overdue_now: int = strawberry.field(description="Open, with the current step past its deadline now.")
    reopened: int = strawberry.field(description="Reopened by a NOT_SATISFIED rating at least once.")
    rated: int = strawberry.field(description="Rated by the resident.")
    satisfied: int = strawberry.field(description="Rated SATISFIED or BASICALLY (the last rating).")
    merged: int = strawberry.field(description="Merged into another request as duplicates.")
    satisfaction_rate: float | None = strawberry.field(description="satisfied / rated (null when none was rated).")
    on_time_rate: float | None = strawberry.field(description="onTime / resolved (null when none was resolved).")
    steps: list[StepStatistics] = strawberry.field(description="Handling time per step, in the loop's order.")


_ORDER = {s: i for i, s in enumerate(("respond", "handle", "dispatch", "accept", "resolve", "feedback"))}


def _cohort(info: Info, within: strawberry.ID, start: datetime, end: datetime) -> views.Conditions:
    if start.tzinfo is None or end.tzinfo is None or start >= end:
        raise ValueError("from and to are ISO-8601 times with an offset, from before to")
    c = views.Conditions()
    views.grid_condition(c, info.context.actor, "f.organization_id", "f.grid_id")
    c.add("f.organization_id IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])",
          argument_id(within, "within"))
    c.add("f.reported_at >= ?", start)
    c.add("f.reported_at < ?", end)
    return c


async def request_statistics(info: Info, within: strawberry.ID, start: datetime, end: datetime,
                             group: RequestStatisticsGroup) -> list[RequestStatistics]:
    c = _cohort(info, within, start, end)
    now = c.next_arg(info.context.clock())
    cohort = f"SELECT f.*, {_KEY[group]} AS key FROM request_facts f WHERE {c.where}"
    segment_key = "s.department_id::text" if group is RequestStatisticsGroup.DEPARTMENT else "q.key"
    sql = f"""
    WITH q AS ({cohort}),
    counts AS (
        SELECT key, count(*) AS received,
               count(*) FILTER (WHERE state IN {RESOLVED} AND NOT merged) AS resolved,
               count(*) FILTER (WHERE state IN {RESOLVED} AND NOT merged AND late_steps = 0) AS on_time,
               count(*) FILTER (WHERE due_at < {now}) AS overdue_now,
               count(*) FILTER (WHERE reopen_count > 0) AS reopened,
               count(last_rating) AS rated,
               count(*) FILTER (WHERE last_rating IN ('SATISFIED', 'BASICALLY')) AS satisfied,
               count(*) FILTER (WHERE merged) AS merged
          FROM q WHERE key IS NOT NULL GROUP BY key),
    steps AS (
        SELECT {segment_key} AS key, s.step, count(*) AS n,
               avg(extract(epoch FROM s.ended_at - s.started_at)) / 3600 AS average,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM s.ended_at - s.started_at)) / 3600
                   AS p90
          FROM q JOIN request_segments s ON s.request_id = q.request_id
         WHERE s.ended_at IS NOT NULL AND {segment_key} IS NOT NULL
         GROUP BY 1, 2)
    SELECT c.*, coalesce((SELECT json_agg(json_build_array(step, n, average, p90)) FROM steps
                           WHERE steps.key = c.key), '[]') AS steps
      FROM counts c ORDER BY c.received DESC, c.key LIMIT {MAX_GROUPS}
    """
    rows = await info.context.pool.fetch(sql, *c.args)
    names: dict[str, str] = {}
    if group in _NAMES and rows:
        names = dict(await info.context.pool.fetch(_NAMES[group], [r["key"] for r in rows]))
    return [_row(r, names.get(r["key"], r["key"] if group is RequestStatisticsGroup.CATEGORY else None))
            for r in rows]


def _row(r: Any, name: str | None) -> RequestStatistics:
    steps = json.loads(r["steps"]) if isinstance(r["steps"], str) else r["steps"]
    return RequestStatistics(
        key=r["key"], name=name, received=r["received"], resolved=r["resolved"], on_time=r["on_time"],
        overdue_now=r["overdue_now"], reopened=r["reopened"], rated=r["rated"], satisfied=r["satisfied"],
        merged=r["merged"], satisfaction_rate=r["satisfied"] / r["rated"] if r["rated"] else None,
        on_time_rate=r["on_time"] / r["resolved"] if r["resolved"] else None,
        steps=sorted((StepStatistics(step=s, count=n, average_hours=round(float(a), 4), p90_hours=round(float(p), 4))
                      for s, n, a, p in steps), key=lambda s: _ORDER.get(s.step, 99)))


@strawberry.type(description="The command centre's statistics of residents' requests.")
class RequestStatisticsQueries:
    @strawberry.field(description="Statistics of the requests received from `from` (inclusive) to `to` (exclusive)"
                                  " within `within` and your scope, grouped by `groupBy`; computed from the events:"
                                  " received, resolved, on time, overdue now, reopened, satisfaction, and the average"
                                  " and p90 handling time per step. Most received first.")
    async def request_statistics(
        self, info: Info,
        within: Annotated[strawberry.ID, strawberry.argument(description="A street, community or district.")],
        from_: Annotated[datetime, strawberry.argument(name="from", description="Start of the period.")],
        to: Annotated[datetime, strawberry.argument(description="End of the period (exclusive).")],
        group_by: Annotated[RequestStatisticsGroup, strawberry.argument(
            description="Group by grid, community, street, department or category.")],
    ) -> list[RequestStatistics]:
        return await request_statistics(info, within, from_, to, group_by)

"""The HTTP feed for integrations that poll: ``GET /events?after=…&limit=…``.

It returns the same events in the same order as the ``events`` subscription: those
after ``after`` that match the filters and that the token may read by the queries' read
rule (its scope and roles, judged when the page is read), never beyond the readable
head (see ``projections.feed.reading``). ``next`` is the position to pass as
``after`` for the following page; it moves past events that do not match, so a poller
never rescans them, and it never skips one that may still appear. Each event is the
whole event document (``projections.feed.document.event_document``), personal data as
the token's roles may see it (``domain.shared.privacy``). While the database is
unreachable it answers ``503`` with ``Retry-After``, as ``/readyz`` does.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID, uuid4

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import InvalidToken, from_header
from api.graphql.core.bounds import type_names
from api.graphql.core.errors import RETRY_AFTER, is_outage, unavailable_message
from domain.shared.permissions import bound_grid, bound_subject
from projections.feed.document import event_document
from projections.feed.reading import EventFilter, read_page, readable_head

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 100


class BadFeedRequest(ValueError):
    """A query parameter of ``GET /events`` is malformed."""


def _names(request: Request, key: str) -> frozenset[str] | None:
    """Repeatable and comma-separated: ``?event_type=A&event_type=B`` or ``?event_type=A,B``."""
    values = [v.strip() for raw in request.query_params.getlist(key) for v in raw.split(",")]
    values = [v for v in values if v]
    try:
        return type_names(values, key) if values else None
    except ValueError as exc:
        raise BadFeedRequest(str(exc)) from None


def _int(request: Request, key: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadFeedRequest(f"{key} must be an integer") from exc
    if value < low or (high is not None and value > high):
        raise BadFeedRequest(f"{key} must be {low}–{high}" if high else f"{key} must be ≥ {low}")
    return value


def parse_filter(request: Request) -> EventFilter:
    within = request.query_params.get("within")
    try:
        root = UUID(within) if within else None
    except ValueError as exc:
        raise BadFeedRequest("within must be an organization id (uuid)") from exc
    return EventFilter(stream_types=_names(request, "stream_type"),
                       event_types=_names(request, "event_type"), within=root)


class FeedEndpoint:
    """The ASGI handler for ``GET /events``."""

    def __init__(self, services: Any) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        s = self.services
        try:
            actor = from_header(s.secret, request.headers.get("authorization"))
        except InvalidToken as exc:
            return JSONResponse({"error": f"unauthorized: {exc}"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            after = _int(request, "after", 0, 0)
            limit = _int(request, "limit", min(DEFAULT_LIMIT, s.settings.feed.max_limit), 1,
                         s.settings.feed.max_limit)
            flt = parse_filter(request)
        except BadFeedRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        try:
            head = await readable_head(s.pool)
            page, scanned = await read_page(s.pool, after, limit, flt, actor.scope, head=head,
                                            roles=actor.roles, bound_to=bound_subject(actor),
                                            grid=bound_grid(actor))
        except Exception as exc:
            if not is_outage(exc):
                raise
            correlation = uuid4()
            log.warning("database unavailable for GET /events [%s]: %s", correlation, type(exc).__name__)
            return JSONResponse({"error": unavailable_message(correlation, command=False)}, status_code=503,
                                headers={"Retry-After": str(RETRY_AFTER), "X-Correlation-Id": str(correlation)})
        return JSONResponse({
            "events": [event_document(fe.event, actor) for fe in page],  # every field
            "next": max(scanned, after),
            "head": head,
        })

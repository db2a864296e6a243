"""The root schema, composed from the areas, with the limits every request runs under."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.areas import API_AREAS, PROJECTIONS
from api.graphql.core import errors
from api.graphql.core.area import ApiArea, NodeLookup, extend_types
from api.graphql.core.context import install_loaders
from api.graphql.core.cost import CORE_LIST_COSTS, ListCosts
from api.graphql.core.error_log import log_errors
from api.graphql.core.errors import UNAVAILABLE, is_outage, unavailable_message
from api.graphql.core.execution import EXECUTION_CONTEXT
from api.graphql.core.limits import (  # noqa: F401 (the limits, re-exported for tests and tools)
    MAX_ALIASES,
    MAX_COST,
    MAX_DEPTH,
    MAX_FRAGMENT_SPREADS,
    MAX_TOKENS,
    SettingsLimits,
    default_rules,
    install_list_costs,
)
from api.graphql.core.queries import CoreQueries
from api.graphql.core.scalars import UUID_SCALAR, UUID_TYPE
from api.graphql.core.validation import CachedValidation, CheckedParserCache
from api.graphql.feed.subscriptions import sharing_event_results

log = logging.getLogger(__name__)
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


class ReportPosition(SchemaExtension):
    """Adds ``extensions.position``: the log position the response's data reflects."""

    known = True

    async def on_operation(self) -> Any:  # type: ignore[override]
        ctx = self.execution_context.context
        if ctx.position == 0:
            try:
                ctx.position = await ctx.supervisor.position()
            except Exception as exc:
                # The database is gone (the projections in this process noticed first, so the position
                # is read from the tracking table): the operation still runs, so that a mutation answers
                # its typed `Unavailable` and a query its 503, and the response states no position.
                if not is_outage(exc):
                    raise
                self.known = False
        yield

    def get_results(self) -> dict[str, Any]:
        return {"position": self.execution_context.context.position} if self.known else {}


def _root(name: str, description: str, parts: list[type]) -> type:
    """One root type composed from the areas' parts by inheritance (fields keep their order)."""
    names = [f.python_name for part in parts for f in part.__strawberry_definition__.fields]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # inheritance would let one area's field silently hide another's
        raise ValueError(f"{name} fields declared by two areas: {', '.join(twice)}")
    return strawberry.type(type(name, tuple(parts), {}), description=description)


def _parts(areas: tuple[ApiArea, ...], kind: str) -> list[type]:
    return [part for area in areas if (part := getattr(area, kind)) is not None]


extend_types(API_AREAS)  # fields an area adds to another's types (Organization.grids), before any root
Query = _root("Query", "Everything you can read: organizations, members, transfers, the log.",
              [CoreQueries, *_parts(API_AREAS, "query")])
Mutation = _root("Mutation", "Everything you can change; each mutation returns a result union.",
                 _parts(API_AREAS, "mutation"))
Subscription = _root("Subscription", "Live updates over WebSocket (graphql-transport-ws).",
                     _parts(API_AREAS, "subscription"))
ERROR_TYPES = (*errors.SHARED, *(t for area in API_AREAS for t in area.errors))
errors.install(errors.by_class(ERROR_TYPES))
LOADERS = {name: batch for area in API_AREAS for name, batch in area.loaders.items()}
if len(LOADERS) != sum(len(area.loaders) for area in API_AREAS):
    raise ValueError("two areas declare a loader of the same name")
install_loaders(LOADERS)


# The limits (api/graphql/core/limits.py) take their page sizes from the settings of the
# request's context, that is of the app serving it, and the list costs from the areas (and
# the core: one row per read model in `projections`); their rule classes are built once per
# configuration, as ValidationCache needs. LIMIT_RULES: those of the default settings.
LIST_COSTS = ListCosts.of(CORE_LIST_COSTS, {"Query.projections": len(PROJECTIONS)},
                          *(area.list_costs for area in API_AREAS))
install_list_costs(LIST_COSTS)
LIMIT_RULES = default_rules()

class _Schema(strawberry.Schema):
    """Logs the client's mistakes quietly, real failures as errors, never personal data.

    Strawberry logs every error at ERROR with a traceback, so a typo in a query or
    ``first: 500`` looked like an outage in the logs, and it prints the document's lines
    around the error, inline ID numbers and phones included. Here (``error_log``) client
    mistakes (syntax, validation, and argument errors raised as ValueError) go to DEBUG,
    everything else to ERROR, all scrubbed of personal data, without the document or the
    variables; internal errors are answered with ``internal error (correlation id …)``
    whichever transport carries them. A database outage (``errors.is_outage``) is not an
    internal error: it is answered with code ``UNAVAILABLE`` and logged as a warning.
    """

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        ec = execution_context
        correlation = getattr(getattr(ec, "context", None), "correlation_id", None)
        rest = []
        for error in errors:  # an outage: code UNAVAILABLE, on every transport, not "internal error"
            if is_outage(error.original_error):
                log.warning("database unavailable [%s] at %s: %s", correlation,
                            ".".join(str(p) for p in error.path or ()) or "-", type(error.original_error).__name__)
                error.message = unavailable_message(correlation, command=False)
                error.extensions = {**(error.extensions or {}), "code": UNAVAILABLE}
            else:
                rest.append(error)
        log_errors(log, rest, document=None if ec is None else ec.graphql_document,
                   variables=None if ec is None else ec.variables,
                   operation=None if ec is None else ec.operation_name,
                   correlation=correlation)


schema = _Schema(
    config=StrawberryConfig(scalar_map={UUID_TYPE: UUID_SCALAR,
                                        **{k: v for area in API_AREAS for k, v in area.scalars.items()}}),
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[*(t for area in API_AREAS for t in area.types), *ERROR_TYPES],
    extensions=[
        SettingsLimits,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: CheckedParserCache(maxsize=256),  # syntax errors reported on every transport
        lambda: CachedValidation(maxsize=256),  # and the variables' strings checked
        ReportPosition,
    ],
    execution_context_class=sharing_event_results(EXECUTION_CONTEXT),
)
schema.nodes = NodeLookup.of(API_AREAS)  # type: ignore[attr-defined]
"""``node(id)`` asks the areas, through ``info.schema``."""


def export_sdl() -> str:
    return schema.as_str() + "\n"

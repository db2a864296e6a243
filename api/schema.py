"""The root schema, composed from the areas, with the limits every request runs under."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.areas import API_AREAS
from api.graphql.core import errors
from api.graphql.core.area import ApiArea, NodeLookup
from api.graphql.core.context import install_loaders
from api.graphql.core.execution import EXECUTION_CONTEXT
from api.graphql.core.limits import (  # noqa: F401 (the limits, re-exported for tests and tools)
    DEFAULT_RULES,
    MAX_ALIASES,
    MAX_COST,
    MAX_DEPTH,
    MAX_TOKENS,
    SettingsLimits,
)
from api.graphql.core.queries import CoreQueries
from api.graphql.feed.subscriptions import sharing_event_results

log = logging.getLogger(__name__)
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


class ReportPosition(SchemaExtension):
    """Adds ``extensions.position``: the log position the response's data reflects."""

    async def on_operation(self) -> Any:  # type: ignore[override]
        ctx = self.execution_context.context
        if ctx.position == 0:
            ctx.position = await ctx.supervisor.position()
        yield

    def get_results(self) -> dict[str, Any]:
        return {"position": self.execution_context.context.position}


def _root(name: str, description: str, parts: list[type]) -> type:
    """One root type composed from the areas' parts by inheritance (fields keep their order)."""
    return strawberry.type(type(name, tuple(parts), {}), description=description)


def _parts(areas: tuple[ApiArea, ...], kind: str) -> list[type]:
    return [part for area in areas if (part := getattr(area, kind)) is not None]


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
# request's context, that is of the app serving it; their rule classes are built once per
# configuration, as ValidationCache needs. LIMIT_RULES: those of the default settings.
LIMIT_RULES = DEFAULT_RULES

class _Schema(strawberry.Schema):
    """Logs the client's mistakes quietly and only real failures as errors.

    Strawberry logs every error at ERROR with a traceback, so a typo in a query or
    ``first: 500`` looked like an outage in the logs. Those (syntax, validation, and
    argument errors raised as ValueError) go to DEBUG; everything else stays ERROR.
    """

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        unexpected = [e for e in errors
                      if e.original_error is not None and not isinstance(e.original_error, ValueError)]
        for e in errors:
            if e not in unexpected:
                log.debug("client error: %s", e.message)
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = _Schema(
    config=StrawberryConfig(scalar_map={k: v for area in API_AREAS for k, v in area.scalars.items()}),
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[*(t for area in API_AREAS for t in area.types), *ERROR_TYPES],
    extensions=[
        SettingsLimits,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        ReportPosition,
    ],
    execution_context_class=sharing_event_results(EXECUTION_CONTEXT),
)
schema.nodes = NodeLookup.of(API_AREAS)  # type: ignore[attr-defined]
"""``node(id)`` asks the areas, through ``info.schema``."""


def export_sdl() -> str:
    return schema.as_str() + "\n"

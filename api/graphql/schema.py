"""The root schema, composed from the areas, with the limits every request runs under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from api.graphql import errors
from api.graphql.fund_types import MONEY_SCALAR, Fund, Inspection, Money, Project
from api.graphql.funds import FundMutations, FundQueries
from api.graphql.mutations import OrganizationMutations
from api.graphql.queries import OrganizationQueries
from api.graphql.types import Member, Organization, Transfer

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


class ReportPosition(SchemaExtension):
    """Adds ``extensions.position``: the log position the response's data reflects."""

    async def on_operation(self) -> Any:  # type: ignore[override]
        ctx = self.execution_context.context
        if ctx.position == 0:
            ctx.position = await ctx.supervisor.position()
        yield

    def get_results(self) -> dict[str, Any]:
        return {"position": self.execution_context.context.position}


# One root type per operation, composed from the areas by inheritance: each area keeps
# its fields in its own module, and adding an area is one line here.
@strawberry.type(description="Everything you can read: organizations, members, transfers, the log.")
class Query(OrganizationQueries, FundQueries):
    pass


@strawberry.type(description="Everything you can change; each mutation returns a result union.")
class Mutation(OrganizationMutations, FundMutations):
    pass


schema = strawberry.Schema(
    config=StrawberryConfig(scalar_map={Money: MONEY_SCALAR}),
    query=Query,
    mutation=Mutation,
    types=[Organization, Member, Transfer, Fund, Project, Inspection, *errors.BY_CLASS.values()],
    extensions=[
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=5000),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        ReportPosition,
    ],
)


def export_sdl() -> str:
    return schema.as_str() + "\n"

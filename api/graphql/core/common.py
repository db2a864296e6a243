"""What every mutation area shares: id parsing, result unions, the command wrapper."""

from __future__ import annotations

import functools
import operator
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

import strawberry

from api.graphql.core import errors as e
from api.graphql.core.context import Info
from domain.shared.errors import DomainError, InvalidInput
from domain.shared.handling import Outcome, Request


def parse_id(value: strawberry.ID | None, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise InvalidInput(f"{field} is not a UUID", field=field) from exc


def parse_opt_id(value: strawberry.ID | None, field: str) -> UUID | None:
    return None if value is None else parse_id(value, field)


def result_union(name: str, payload: type, *errors: type) -> Any:
    members = (payload, *e.COMMON, *errors)
    return Annotated[
        functools.reduce(operator.or_, members),
        strawberry.union(name, description=f"The result of {name[0].lower() + name[1:-6]}."),
    ]


def command_request(info: Info, data: Any) -> Request:
    return Request(
        actor=info.context.actor, correlation_id=info.context.correlation_id,
        idempotency_key=getattr(data, "idempotency_key", None),
        expected_version=getattr(data, "expected_version", None),
    )


async def execute(info: Info, command: Callable[[], Awaitable[Outcome]],
                   present: Callable[[Outcome], Awaitable[Any]]) -> Any:
    try:
        outcome = await command()
    except DomainError as exc:
        return e.to_graphql(exc)
    ctx = info.context
    ctx.position = await ctx.supervisor.wait_for(outcome.position, ctx.settings.read_your_writes_timeout)
    ctx.loaders.reset()
    return await present(outcome)

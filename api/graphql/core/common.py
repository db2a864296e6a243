"""What every mutation area shares: id parsing, result unions, the command wrapper."""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

import strawberry

from api.graphql.core import errors as e
from api.graphql.core.context import Info
from domain.shared.commands import Command, Outcome, Request
from domain.shared.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)


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


async def execute(info: Info, data: Any, build: Callable[[], Command | Awaitable[Command]],
                  present: Callable[[Outcome], Awaitable[Any]]) -> Any:
    """Build the command from the input, run it, wait for the read models, present it.

    ``build`` may raise a DomainError for malformed input (an id that is not a UUID), and
    may look things up (the fund of a project); both answer with the typed error. If the
    database connection fails meanwhile (``e.is_outage``), the command may or may not have
    committed: the answer is ``Unavailable``, which says so and carries the correlation id.
    """
    try:
        try:
            built = build()
            command = built if isinstance(built, Command) else await built
            outcome = await info.context.commands.run(command, command_request(info, data))
        except DomainError as exc:
            return e.to_graphql(exc)
        ctx = info.context
        ctx.position = await ctx.supervisor.wait_for(outcome.position, ctx.settings.read_your_writes_timeout)
        ctx.loaders.reset()
        return await present(outcome)
    except Exception as exc:  # also after the commit: the client cannot tell, the same key answers it
        if not e.is_outage(exc):
            raise
        log.warning("database unavailable during a command [%s]: %s", info.context.correlation_id,
                    type(exc).__name__)
        return e.unavailable(info.context.correlation_id)

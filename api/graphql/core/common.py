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
    """``payload`` | every common error (``errors.COMMON``) | ``errors``, named ``name``."""
    members = tuple(dict.fromkeys((payload, *e.COMMON, *errors)))
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


def union_members(info: Info) -> frozenset[type] | None:
    """The types of the field's result union (None if the field's type is no union)."""
    kind = info.return_type
    kind = getattr(kind, "of_type", kind)  # a nullable union
    types = getattr(kind, "types", None)
    return None if types is None else frozenset(types)


def answer(info: Info, exc: DomainError) -> object:
    """The typed error answering ``exc``, always one the field's result union has.

    A union that lacks the error's own type (a command that meets a state its mutation does not
    list) is a bug: it is logged as an error with the correlation id, and the client gets the
    union's nearest type carrying the error's own code (``errors.answer``), never an internal
    error. ``tests/unit/core/test_error_unions.py`` keeps every union holding ``errors.COMMON`` and
    the errors a static walk finds its command can raise.
    """
    members = union_members(info)
    found, own = e.answer(exc, members)
    if not own:
        log.error("%s answers %s (%s), which its result union lacks; answered as %s [%s]",
                  info.field_name, type(exc).__name__, exc.code, type(found).__name__,
                  info.context.correlation_id)
    return found


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
            return answer(info, exc)
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

"""Typed errors returned in mutation result unions, one per stable domain error code.

The common ones live here; each area declares its own (``api/graphql/<area>/errors.py``)
with ``error_type`` and lists them in its ``ApiArea``. The schema composition installs
the mapping from domain error classes to these types (``install``), built from the one
list of areas.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import asyncpg
import strawberry

from domain.shared import errors as de


@strawberry.interface(description="An expected failure: nothing was recorded.")
class Error:
    code: str = strawberry.field(description="Stable machine-readable code.")
    message: str = strawberry.field(description="Human-readable explanation.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")


def error_type(name: str, description: str, *answers: type[de.DomainError]) -> type:
    """A GraphQL error type answering the domain errors ``answers``."""
    cls = type(name, (Error,), {"__doc__": description})
    made = strawberry.type(cls, description=description)
    made.answers = answers  # type: ignore[attr-defined]
    return made


ValidationError = error_type("ValidationError", "A value in the input is malformed or out of range.",
                             de.InvalidInput)
NotAuthorized = error_type("NotAuthorized", "Your roles or organization scope do not allow this.", de.NotAuthorized)
NotFound = error_type("NotFound", "The object does not exist or lies outside your scope.", de.NotFound)
AlreadyExists = error_type("AlreadyExists", "A unique value (division code, ID number) is taken.",
                           de.AlreadyExists, de.ClaimConflict)
VersionConflict = error_type("VersionConflict", "The object changed since you read it; reload and retry.",
                             de.VersionConflict)
IdempotencyKeyReused = error_type("IdempotencyKeyReused", "The idempotency key was used for other input.",
                                  de.IdempotencyKeyReused)

Unavailable = error_type(
    "Unavailable", "The database connection failed while the mutation ran: its outcome is unknown (it may have"
    " been recorded). Repeating it with the same idempotency key is safe: it is recorded at most once.")

OrganizationDissolved = error_type("OrganizationDissolved", "The organization was dissolved.",
                                   de.OrganizationDissolved)
NotAllowed = error_type(
    "NotAllowed", "The state of an object the mutation names does not allow it; `code` is the precise reason (the"
    " stable code of a failure this mutation has no type of its own for, e.g. GRID_NOT_ALLOWED).")

COMMON = (ValidationError, NotAuthorized, NotFound, VersionConflict, IdempotencyKeyReused, Unavailable,
          OrganizationDissolved, NotAllowed)
"""Every mutation may answer these (``common.result_union`` adds them to every result union; a test keeps
every mutation of the schema so): malformed input, roles and scope, ids, concurrency, idempotency, outages,
and the states any command may meet in what it names: a dissolved organization (every command acts in
one), and ``NotAllowed``, which answers a domain error whose own type the field's union lacks
(``answer``), so a client always gets a typed error with the error's stable code."""
SHARED = (*COMMON, AlreadyExists)

_BY_CLASS: dict[type[de.DomainError], type] = {}


def by_class(types: Iterable[type]) -> dict[type[de.DomainError], type]:
    """Domain error class -> GraphQL error type, for these error types (each answered once)."""
    found: dict[type[de.DomainError], type] = {}
    for t in types:
        for answered in t.answers:  # type: ignore[attr-defined]
            if answered in found:
                raise ValueError(f"{answered.__name__} is answered by {found[answered].__name__} and {t.__name__}")
            found[answered] = t
    return found


def install(mapping: Mapping[type[de.DomainError], type]) -> None:
    """Called once by the schema composition with every area's error types."""
    _BY_CLASS.clear()
    _BY_CLASS.update(mapping)


def to_graphql(exc: de.DomainError) -> object:
    for cls in type(exc).__mro__:
        found = _BY_CLASS.get(cls)
        if found is not None:
            return found(code=exc.code, message=exc.message, field=exc.field)
    raise LookupError(f"no GraphQL error type answers {type(exc).__name__}: is its area listed?")


def answering(error: type[de.DomainError]) -> type | None:
    """The GraphQL error type that answers the domain error class ``error`` (None: none does)."""
    return next((t for cls in error.__mro__ if (t := _BY_CLASS.get(cls)) is not None), None)


def answer(exc: de.DomainError, members: Collection[type] | None) -> tuple[object, bool]:
    """The typed error answering ``exc`` among ``members`` (a field's result union; None: any type),
    and whether it is the error's own type.

    The own type if the union has it, else the type of the nearest base class the union has
    (``GridCodeTaken`` → ``AlreadyExists``), else ``NotAllowed``, all with ``exc``'s own code,
    message and field: a union that lacks an error its command can raise is a bug to fix (the
    caller logs it), but the client still gets a typed error, never an internal one.
    """
    own = answering(type(exc))
    if own is not None and (members is None or own in members):
        return own(code=exc.code, message=exc.message, field=exc.field), True
    if members is None:
        raise LookupError(f"no GraphQL error type answers {type(exc).__name__}: is its area listed?")
    listed = [t for cls in type(exc).__mro__ if (t := _BY_CLASS.get(cls)) is not None and t in members]
    nearest = listed[0] if listed else NotAllowed
    return nearest(code=exc.code, message=exc.message, field=exc.field), False


# --- Database outages ---------------------------------------------------------------

UNAVAILABLE = "UNAVAILABLE"
RETRY_AFTER = 5
"""Seconds a client is asked to wait (``Retry-After``) before repeating a request that met an outage."""

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable, timed out (TimeoutError)
    asyncpg.InterfaceError,  # the connection is closed, or the pool is closing
    asyncpg.PostgresConnectionError,  # SQLSTATE 08: connection lost (ConnectionDoesNotExistError), refused
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # 57P01: terminated by the administrator or a fast shutdown
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed
    asyncpg.TooManyConnectionsError,  # 53300
)
"""The failures of the database connection itself, not of a statement: the server could not be
reached or the connection was lost. A command interrupted by one may or may not have committed."""


def is_outage(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or one it was raised ``from``) is a database outage."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OUTAGE_ERRORS):
            return True
        exc, seen = exc.__cause__, seen + 1
    return False


def unavailable_message(correlation: object, *, command: bool) -> str:
    """What a client is told of an outage: queries may simply be repeated; a command's outcome is unknown."""
    if not command:
        return (f"the database is unavailable (correlation id {correlation}); retry in {RETRY_AFTER} s")
    return (f"the database connection failed while the command ran (correlation id {correlation}): its"
            " outcome is unknown, it may have been recorded. Repeating it with the same idempotency key"
            " is safe: it is recorded at most once (without a key, check whether it took effect first).")


def unavailable(correlation: object) -> object:
    """The typed ``Unavailable`` answer of a mutation whose command met an outage."""
    return Unavailable(code=UNAVAILABLE, message=unavailable_message(correlation, command=True),
                       field=None)

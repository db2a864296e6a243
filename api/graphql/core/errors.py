"""Typed errors returned in mutation result unions, one per stable domain error code.

The common ones live here; each area declares its own (``api/graphql/<area>/errors.py``)
with ``error_type`` and lists them in its ``ApiArea``. The schema composition installs
the mapping from domain error classes to these types (``install``), built from the one
list of areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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

COMMON = (ValidationError, NotAuthorized, NotFound, VersionConflict, IdempotencyKeyReused)
"""Every mutation may answer these."""
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

"""Logging GraphQL errors without personal data, and answering internal ones generically.

Strawberry logs an error as ``str(GraphQLError)``: the message *and the lines of the
document around it*, so a failing ``registerMember(input: {idNumber: "3205…",
phone: "139…"})`` wrote the ID number and the phone into the server log, and the
exception's own text (a PostgreSQL error quotes the value it choked on) followed in the
traceback. Here, instead:

- no document text and no variables are ever logged: an error is logged as its
  message, its path and its position (``line:column``), the operation's name and the
  request's correlation id;
- every text that is logged (messages, the traceback of an internal error) first goes
  through ``domain.shared.privacy.scrub``, which masks the ID numbers and phones the
  request named (literal or variable values of ``idNumber``/``phone`` fields, at any
  depth) and anything shaped like one;
- an internal error (anything but a client's mistake) is answered with the same
  ``internal error (correlation id …)`` message over HTTP and over the WebSocket: its
  own text (raw PostgreSQL messages included) goes only to the log, scrubbed.

Client mistakes (syntax, validation, coercion, ``ValueError`` from argument checks)
are logged at DEBUG, internal errors at ERROR.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    ObjectFieldNode,
    StringValueNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.schema.exceptions import CannotGetOperationTypeError

from domain.shared.privacy import PERSONAL_FIELDS, scrub

PERSONAL_INPUTS: Mapping[str, str] = {"idNumber": "id_number", "phone": "phone",
                                      "id_number": "id_number", "declaredIncome": "declared_income",
                                      "declared_income": "declared_income",
                                      "complainantName": "complainant_name", "complainant_name": "complainant_name"}
"""GraphQL input and payload field names -> the personal field (``PERSONAL_FIELDS``) they hold."""
assert set(PERSONAL_INPUTS.values()) <= set(PERSONAL_FIELDS)


def internal_message(correlation: object) -> str:
    """What a client is told of an internal error, over HTTP and WebSocket alike."""
    return f"internal error (correlation id {correlation})"


def is_internal(error: GraphQLError) -> bool:
    """Not a client's mistake: an exception other than ``ValueError`` (argument checks,
    coercion), a ``GraphQLError`` raised on purpose (a feed closing a subscriber) or
    strawberry's ``CannotGetOperationTypeError`` (an ``operationName`` the document does not
    have, which strawberry raises as an exception of its own over WebSocket)."""
    original = error.original_error
    return original is not None and not isinstance(
        original, ValueError | GraphQLError | CannotGetOperationTypeError)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, StringValueNode):
        yield node.value
    elif isinstance(node, ListValueNode):
        for item in node.values:
            yield from _strings(item)


def _values(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _values(item)


def _walk_variables(value: Any, field: str | None = None) -> Iterator[tuple[str, str]]:
    if field is not None:
        yield from ((field, v) for v in _values(value))
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _walk_variables(inner, PERSONAL_INPUTS.get(str(key)))
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _walk_variables(inner)


def personal_values(document: DocumentNode | None, variables: Mapping[str, Any] | None
                    ) -> set[tuple[str, str]]:
    """``(personal field, value)`` of every ID number and phone a request carries: string
    literals of ``idNumber``/``phone`` arguments and input fields, the variables used
    there, and ``idNumber``/``phone`` keys anywhere in the variables."""
    found: set[tuple[str, str]] = set(_walk_variables(variables or {}))
    if document is not None:
        visit(document, _Literals(found, variables or {}))
    return found


class _Literals(Visitor):
    """Collects the values given to personal arguments and input fields of a document."""

    def __init__(self, found: set[tuple[str, str]], variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.found, self.variables = found, variables

    def _take(self, node: ArgumentNode | ObjectFieldNode) -> None:
        personal = PERSONAL_INPUTS.get(node.name.value)
        if personal is None:
            return
        self.found.update((personal, s) for s in _strings(node.value))
        if isinstance(node.value, VariableNode):
            given = self.variables.get(node.value.name.value)
            self.found.update((personal, v) for v in _values(given))

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self._take(node)

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self._take(node)


def _where(error: GraphQLError) -> str:
    path = ".".join(str(p) for p in error.path or ()) or "-"
    at = ",".join(f"{loc.line}:{loc.column}" for loc in error.locations or ()) or "-"
    return f"path {path} at {at}"


def log_errors(log: logging.Logger, errors: list[GraphQLError], *, document: DocumentNode | None,
               variables: Mapping[str, Any] | None, operation: str | None, correlation: object) -> None:
    """Log ``errors`` without personal data; answer internal ones with ``internal_message``.

    The internal errors' messages are replaced on the error objects themselves, so that
    every transport that formats them afterwards (HTTP, graphql-transport-ws) shows the
    generic message.
    """
    known: set[tuple[str, str]] | None = None
    for error in errors:
        if known is None:
            known = personal_values(document, variables)
        if not is_internal(error):
            if log.isEnabledFor(logging.DEBUG):
                log.debug("client error [%s] in %s, %s: %s", correlation, operation or "anonymous operation",
                          _where(error), scrub(error.message, known))
            continue
        original = error.original_error
        assert original is not None
        trace = "".join(traceback.format_exception(type(original), original, original.__traceback__))
        log.error("internal error [%s] in %s, %s: %s", correlation, operation or "anonymous operation",
                  _where(error), scrub(trace, known))
        error.message = internal_message(correlation)

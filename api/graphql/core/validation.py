"""Bad input is the client's mistake: a clear, typed error, never an internal one.

What reaches the server is checked before anything runs, on every transport:

- **JSON** (HTTP bodies, GET parameters, WebSocket messages) nests at most
  ``MAX_JSON_DEPTH`` levels (``load_json``): Python's parser recurses, and a body nested
  100,000 levels was a ``RecursionError`` (HTTP 500).
- **Strings** hold no U+0000 (NUL) and no unpaired surrogate (``\\ud800``): PostgreSQL
  refuses NUL in text, and an unpaired surrogate cannot be encoded as UTF-8, neither for
  the database nor in a response. HTTP refuses them anywhere in the body (400);
  GraphQL refuses them in string literals (``NoBadCharacters``, a validation error) and
  in variables (``CachedValidation``), over WebSocket too: errors with
  ``extensions.code`` ``BAD_INPUT``.
- **Syntax errors** over WebSocket: strawberry's ``ParserCache`` raised them outside
  strawberry's own error handling, so a typo in a subscription was logged as an
  exception in a worker task and the client got a bare ``complete``. ``CheckedParserCache``
  leaves them to strawberry's parsing, reported as an ``error`` message for the operation
  (``api.graphql.feed.subscriptions.TransportHandler``), as graphql-ws's reference server does.
- **WebSocket messages** of the wrong shape (not an object, a ``subscribe`` without an id
  or a payload object) close the socket with 4400 (``ws_message_problem``), as
  graphql-transport-ws prescribes for invalid messages, instead of a ``TypeError``; a
  ``subscribe`` with a good id and a payload field of the wrong type (a non-string query,
  non-object variables) gets an ``error`` for that id (``api.wsgate.subscribe_payload_problem``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import ParserCache, ValidationCache

MAX_JSON_DEPTH = 32
"""Nesting of arrays and objects a JSON document may have: far beyond any variables."""

BAD_INPUT = "BAD_INPUT"
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
"""NUL, or a surrogate: in a Python string every surrogate is unpaired (JSON's escaped
pairs decode to the one character they encode)."""


class BadJson(json.JSONDecodeError):
    """A JSON document refused before use: too deep, or with a string it must not hold.

    A ``JSONDecodeError`` (and so a ``ValueError``), so that strawberry's WebSocket
    handler answers it like any malformed message."""

    def __init__(self, message: str, doc: str = "", pos: int = 0) -> None:
        super().__init__(message, doc, pos)
        self.msg = message

    def __str__(self) -> str:
        return self.msg


def bad_character(text: str) -> str | None:
    """What is wrong with ``text``, if it holds NUL or an unpaired surrogate."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    char = found.group()
    return "U+0000 (NUL)" if char == "\x00" else f"an unpaired surrogate (U+{ord(char):04X})"


def _walk(value: Any) -> Iterator[tuple[Any, int]]:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        if isinstance(item, dict):
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def check_json(value: Any, *, strings: bool = True, max_depth: int = MAX_JSON_DEPTH,
               what: str = "the JSON") -> None:
    """Refuse (``BadJson``) a decoded value nested deeper than ``max_depth`` or, with
    ``strings``, holding a string (key or value) with NUL or an unpaired surrogate."""
    for item, depth in _walk(value):
        if isinstance(item, dict | list) and depth > max_depth:
            raise BadJson(f"{what} nests arrays and objects deeper than {max_depth} levels")
        if strings and isinstance(item, str):
            problem = bad_character(item)
            if problem is not None:
                raise BadJson(f"{what} holds a string with {problem}; strings must not contain NUL"
                              " or unpaired surrogates")


def load_json(data: str | bytes, *, strings: bool = True, what: str = "the JSON") -> Any:
    """``json.loads``, bounded (``check_json``); ``BadJson`` or ``ValueError`` if refused."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJson(f"{what} nests arrays and objects deeper than {MAX_JSON_DEPTH} levels") from None
    check_json(value, strings=strings, what=what)
    return value


def variables_problem(variables: Any, operation_name: Any = None) -> GraphQLError | None:
    """The typed error for variables (or an operation name) that hold a refused string."""
    try:
        check_json(variables, what="the variables")
        check_json(operation_name, what="the operation name")
    except BadJson as exc:
        return GraphQLError(str(exc), extensions={"code": BAD_INPUT})
    return None


class NoBadCharacters(ValidationRule):
    """String literals of the document hold no NUL (the lexer refuses unpaired surrogates)."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        problem = bad_character(node.value)
        if problem is not None:
            self.report_error(GraphQLError(
                f"a string holds {problem}; strings must not contain NUL or unpaired surrogates",
                node, extensions={"code": BAD_INPUT}))


class CachedValidation(ValidationCache):
    """strawberry's ``ValidationCache`` (the document's validation, cached), then the
    variables' strings: one extension, so that nothing can overwrite the other's errors."""

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        errors = self.cached_validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
        if not errors:
            problem = variables_problem(ctx.variables, ctx.operation_name)
            errors = [problem] if problem is not None else errors
        ctx.pre_execution_errors = errors
        yield


class CheckedParserCache(ParserCache):
    """strawberry's ``ParserCache``, leaving documents that fail to parse to strawberry's
    own parsing, which reports the error on every transport (over WebSocket,
    ``ParserCache`` raised it outside the error handling)."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        try:
            ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
        except GraphQLError:
            ctx.graphql_document = None  # parsed again, and reported, by strawberry
        yield


_MESSAGE_TYPES = {"connection_init", "ping", "pong", "subscribe", "complete"}


def ws_message_problem(message: Any) -> str | None:
    """Why a graphql-transport-ws message is invalid (the socket closes with 4400), or None."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "a message needs a string type"
    if kind not in _MESSAGE_TYPES:
        return None  # strawberry closes on unknown types itself
    if "payload" in message and message["payload"] is not None and not isinstance(message["payload"], dict):
        return f"the payload of {kind} must be an object"
    if kind in ("subscribe", "complete"):
        op = message.get("id")
        if not isinstance(op, str) or not op or len(op) > 256:
            return f"{kind} needs an id: a string of 1–256 characters"
    if kind == "subscribe":
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return "subscribe needs a payload with the query as a string"
        for key in ("variables", "extensions"):
            if payload.get(key) is not None and not isinstance(payload[key], dict):
                return f"the {key} of subscribe must be an object"
        if payload.get("operationName") is not None and not isinstance(payload["operationName"], str):
            return "the operationName of subscribe must be a string"
    return None

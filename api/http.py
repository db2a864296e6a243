"""GraphQL over HTTP (the GraphQL-over-HTTP specification), by hand on Starlette.

strawberry's own HTTP views answer ``application/json`` only; this endpoint also
speaks ``application/graphql-response+json`` with its status codes (400 for requests
that fail to parse or validate, 200 once execution starts), refuses mutations over
GET, answers 401 without a valid bearer token, and serves GraphiQL to browsers.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import InvalidToken, from_header
from api.graphiql.ide import page_response
from api.graphql.core.context import Context, Loaders
from api.graphql.core.error_log import internal_message, is_internal
from api.graphql.core.errors import RETRY_AFTER, is_outage
from api.graphql.core.validation import BadJson, load_json
from api.persisted import OperationRefused
from api.schema import schema

log = logging.getLogger(__name__)
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_TYPE = "application/json"


class _RequestError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _accepts(request: Request) -> str | None:
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return JSON_TYPE
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in kinds:
        return GRAPHQL_RESPONSE
    if JSON_TYPE in kinds or "*/*" in kinds or "application/*" in kinds:
        return JSON_TYPE
    return None


def _wants_ide(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept and "query" not in request.query_params


async def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        q = request.query_params
        params: dict[str, Any] = {"query": q.get("query"), "operationName": q.get("operationName")}
        for key in ("variables", "extensions"):
            if q.get(key):
                try:
                    params[key] = load_json(q[key], what=key)
                except BadJson as exc:
                    log.debug("client error: %s", exc)
                    raise _RequestError(400, str(exc)) from exc
                except ValueError as exc:
                    raise _RequestError(400, f"{key} is not valid JSON") from exc
        return params
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != JSON_TYPE:
        raise _RequestError(415, "POST bodies must be application/json")
    try:  # bounded nesting, and no NUL or unpaired surrogate in any string (api.graphql.core.validation)
        body = load_json(await _read_limited(request), what="the body")
    except BadJson as exc:
        log.debug("client error: %s", exc)
        raise _RequestError(400, str(exc)) from exc
    except ValueError as exc:
        raise _RequestError(400, "the body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise _RequestError(400, "the body must be a JSON object")
    return body


def _check_params(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    query, variables, op = params.get("query"), params.get("variables"), params.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise _RequestError(400, "query must be a non-empty string")
    if variables is not None and not isinstance(variables, dict):
        raise _RequestError(400, "variables must be an object")
    if op is not None and not isinstance(op, str):
        raise _RequestError(400, "operationName must be a string")
    return query, variables, op


class GraphQLEndpoint:
    """The ASGI handler for /graphql."""

    def __init__(self, services: Any) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        if _wants_ide(request):
            return page_response(self.services.settings)  # GraphiQL from our own assets (api.graphiql)
        media = _accepts(request)
        if media is None:
            return JSONResponse({"errors": [{"message": "Accept application/graphql-response+json"
                                             " or application/json"}]}, status_code=406)
        try:
            return await self._handle(request, media)
        except _RequestError as exc:
            return JSONResponse({"errors": [{"message": exc.message}]}, status_code=exc.status,
                                headers=exc.headers, media_type=media)
        except OperationRefused as exc:  # api.persisted: not an operation this server runs
            status = (400 if media == GRAPHQL_RESPONSE else 200) if exc.validation else exc.status
            return JSONResponse({"errors": [exc.error()]}, status_code=status, media_type=media)

    async def _handle(self, request: Request, media: str) -> Response:
        if request.method not in ("GET", "POST"):
            raise _RequestError(405, "use GET or POST", {"Allow": "GET, POST"})
        s = self.services
        try:
            actor = from_header(s.secret, request.headers.get("authorization"))
        except InvalidToken as exc:
            raise _RequestError(401, f"unauthorized: {exc}", {"WWW-Authenticate": "Bearer"}) from exc
        params = await _params(request)
        params["query"] = s.documents.admit(params)  # trusted documents, persisted queries
        query, variables, operation_name = _check_params(params)
        if request.method == "GET":
            try:
                op = get_operation_ast(parse(query), operation_name)
            except GraphQLError:
                op = None
            if op is not None and op.operation is not OperationType.QUERY:
                raise _RequestError(405, "only queries may use GET", {"Allow": "POST"})
        correlation = uuid.uuid4()
        ctx = Context(actor=actor, pool=s.pool, commands=s.commands, supervisor=s.supervisor,
                      settings=s.settings, correlation_id=correlation, loaders=Loaders(s.pool),
                      clock=s.clock)
        result = await schema.execute(query, variable_values=variables, context_value=ctx,
                                      operation_name=operation_name)
        body: dict[str, Any] = {}
        request_error = result.data is None and bool(result.errors) and all(
            not e.path for e in result.errors or []
        )
        if result.errors:
            body["errors"] = [self._format(e, correlation) for e in result.errors]
        if not request_error:
            body["data"] = result.data
        extensions = dict(result.extensions or {})
        extensions["correlationId"] = str(correlation)
        body["extensions"] = extensions
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        headers = {"X-Correlation-Id": str(correlation)}
        if any(is_outage(e.original_error) for e in result.errors or []):  # code UNAVAILABLE (api.schema)
            status, headers["Retry-After"] = 503, str(RETRY_AFTER)
        return JSONResponse(body, status_code=status, media_type=media, headers=headers)

    @staticmethod
    def _format(error: GraphQLError, correlation: uuid.UUID) -> dict[str, Any]:
        if is_internal(error) and not is_outage(error.original_error):
            # Unexpected: the schema logged it (scrubbed of personal data, with the
            # correlation id; api/graphql/core/error_log.py); the client gets the same
            # generic message as over the WebSocket.
            formatted = error.formatted
            formatted["message"] = internal_message(correlation)
            return dict(formatted)
        return dict(error.formatted)


MAX_BODY = 1_000_000
"""Largest request body accepted, in bytes: far above any real operation, and a bound on
what a hostile client can make the server buffer."""


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _RequestError(413, f"the body exceeds {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _RequestError(413, f"the body exceeds {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)

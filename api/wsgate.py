"""The WebSocket side of the request limits: message size, rate limit, operation policy.

- ``BoundedMessages``: ASGI middleware for the WebSocket route that closes a connection
  (code 1009, "message too big") on a message larger than ``GRASSROOTS_WS_MAX_MESSAGE``.
  ``grassroots serve`` sets the same bound in uvicorn (``ws_max_size``), which refuses
  the frame before it is buffered whole; this check holds under any ASGI server.
- ``OperationGate``: a mixin for the graphql-transport-ws handler. Each ``subscribe``
  (a subscription, or a query or mutation sent over the socket) counts against its
  token subject's rate limit (``api.ratelimit``) and must be an operation this server
  runs (``api.persisted``: trusted documents, persisted-query hashes, introspection).
  A refused one gets an ``error`` message for its id (``RATE_LIMITED`` with
  ``retryAfter`` in seconds, ``PERSISTED_QUERY_NOT_FOUND``, ...) and never starts; the
  connection and its other subscriptions go on. So does a ``subscribe`` whose payload has a
  field of the wrong type (``subscribe_payload_problem``).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.persisted import OperationRefused
from api.ratelimit import refusal, subject_key

MESSAGE_TOO_BIG = 1009
ID_PROBLEM = "needs an id: a string of 1–256 characters"
"""The end of ``ws_message_problem``'s text for an id that is not a non-empty string."""


def subscribe_payload_problem(message: Any) -> str | None:
    """Why a ``subscribe`` with a good id cannot run (an ``error`` for that id), or None.

    The fields of its payload as graphql-ws's reference client sends them: ``query`` a
    string, ``variables`` and ``extensions`` objects, ``operationName`` a string (each but
    ``query`` may be null or left out). Anything else about the message (no id, no payload
    object) is ``ws_message_problem``'s, and closes the socket."""
    if not isinstance(message, dict) or message.get("type") != "subscribe":
        return None
    op, payload = message.get("id"), message.get("payload")
    if not isinstance(op, str) or not 0 < len(op) <= 256 or not isinstance(payload, dict):
        return None
    if not isinstance(payload.get("query"), str):
        return "subscribe needs a payload with the query as a string"
    for key in ("variables", "extensions"):
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"the {key} of subscribe must be an object"
    if payload.get("operationName") is not None and not isinstance(payload["operationName"], str):
        return "the operationName of subscribe must be a string"
    return None


class BoundedMessages:
    """``app`` (a WebSocket endpoint) with every incoming message bounded to ``max_bytes`` (a
    class, not a function: Starlette's route would take a function for a session handler)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_bytes

        async def bounded() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and _too_big(message, max_bytes):
                await send({"type": "websocket.close", "code": MESSAGE_TOO_BIG,
                            "reason": f"message exceeds {max_bytes} bytes"})
                return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        await self.app(scope, bounded, send)


def _too_big(message: Message, max_bytes: int) -> bool:
    text = message.get("text")
    if text is not None:
        if len(text) > max_bytes:
            return True
        return len(text) * 4 > max_bytes and len(text.encode("utf-8")) > max_bytes
    data = message.get("bytes")
    return data is not None and len(data) > max_bytes


class OperationGate:
    """Mixin (before strawberry's ``BaseGraphQLTransportWSHandler``): every ``subscribe``
    passes the rate limit and the operation policy of the view's services first."""

    async def handle_subscribe(self, message: Any) -> None:
        handler: Any = self
        payload = message.get("payload") if isinstance(message, dict) else None
        if (handler.connection_acknowledged and isinstance(payload, dict)
                and message.get("id") not in handler.operations):
            refused = await self._refused(handler, payload)
            if refused is not None:
                await handler.send_message({"id": message["id"], "type": "error",
                                            "payload": [refused]})
                return
        await super().handle_subscribe(message)  # type: ignore[misc]

    @staticmethod
    async def _refused(handler: Any, payload: dict[str, Any]) -> dict[str, Any] | None:
        services = handler.view.services
        retry_after = await services.limiter.hit(subject_key(handler.context.actor.subject))
        if retry_after is not None:
            text, extensions = refusal(retry_after)
            return {"message": text, "extensions": extensions}
        try:
            payload["query"] = services.documents.admit(payload)
        except OperationRefused as exc:
            return exc.error()
        return None

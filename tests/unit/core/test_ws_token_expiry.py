"""The graphql-transport-ws handler holds a connection to its token's ``exp``, message by
message: the real ``TransportHandler`` and ``SubscriptionView.on_ws_connect``, driven with
a recording WebSocket (tests/e2e/test_ws_token_expiry.py does the same over a real server,
where the timer usually wins the race against a late operation)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from api.auth import mint
from api.graphql.feed.subscriptions import NOBODY, SubscriptionView, TransportHandler
from domain.shared.permissions import Role

SECRET = "unit-secret-" + "z" * 40
GUARD = 10.0  # a hang guard, not a timing assertion
RENAME = 'mutation { renameOrganization(input: {id: "x", name: "y"}) { __typename } }'


class Socket:
    """Records what the handler sends and how it closes."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.closing = asyncio.Event()

    async def send_json(self, message: dict[str, Any]) -> None:
        assert self.closed is None, f"sent after close: {message}"
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.closing.set()


class Unusable:
    """A schema that must not be reached: a refused operation executes nothing."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the schema was used ({name}) for a refused operation")


class View:
    services = SimpleNamespace(secret=SECRET)
    on_ws_connect = SubscriptionView.on_ws_connect


def connection() -> tuple[TransportHandler, Socket, SimpleNamespace]:
    context = SimpleNamespace(actor=NOBODY, websocket=None, token_expires_at=None, position=0,
                              connection_params=None, supervisor=None)
    socket = Socket()
    handler = TransportHandler(View(), socket, context, None, Unusable(), timedelta(seconds=10))
    return handler, socket, context


async def acknowledged(ttl: int) -> tuple[TransportHandler, Socket, SimpleNamespace]:
    handler, socket, context = connection()
    token = mint(SECRET, subject="ws-1", name="W", roles=[Role.DISTRICT_ADMIN], scope=None,
                 ttl_seconds=ttl)
    await handler.handle_message({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}})
    assert [m["type"] for m in socket.sent] == ["connection_ack"]
    assert context.actor.subject == "ws-1" and context.token_expires_at is not None
    return handler, socket, context


async def test_the_connection_remembers_the_tokens_expiry_and_its_timer_closes_with_4403() -> None:
    handler, socket, context = await acknowledged(ttl=3600)
    assert context.token_expires_at == pytest.approx(time.time() + 3600, abs=2)
    assert socket.closed is None
    await handler.shutdown()  # the timer goes with the connection
    assert handler._expiry is not None and handler._expiry.cancelled()

    handler, socket, context = await acknowledged(ttl=3600)
    context.token_expires_at = time.time() - 1  # as if an hour went by
    handler._expiry.cancel()  # type: ignore[union-attr]
    handler._expiry = asyncio.create_task(handler._close_when_expired(context.token_expires_at))
    await asyncio.wait_for(socket.closing.wait(), GUARD)
    assert socket.closed is not None and socket.closed[0] == 4403
    assert "token expired" in socket.closed[1] and "after" in socket.closed[1]
    assert len(socket.closed[1].encode()) <= 123  # a close reason's limit
    await handler.shutdown()


@pytest.mark.parametrize("query", [RENAME, "{ me { subject } }", "subscription { events { position } }"])
async def test_an_operation_after_expiry_is_refused_executes_nothing_and_closes_the_socket(
    query: str,
) -> None:
    handler, socket, context = await acknowledged(ttl=3600)
    handler._expiry.cancel()  # type: ignore[union-attr]  # the late timer: the operation comes first
    context.token_expires_at = time.time() - 0.001
    await handler.handle_message({"id": "7", "type": "subscribe", "payload": {"query": query}})
    assert handler.operations == {}
    (refusal,) = socket.sent[1:]
    assert refusal["id"] == "7" and refusal["type"] == "error"
    assert refusal["payload"][0]["extensions"] == {"code": "TOKEN_EXPIRED"}
    assert socket.closed is not None and socket.closed[0] == 4403
    await handler.shutdown()


async def test_no_result_is_delivered_after_expiry() -> None:
    handler, socket, context = await acknowledged(ttl=3600)
    handler._expiry.cancel()  # type: ignore[union-attr]
    await handler.send_message({"id": "1", "type": "next", "payload": {"data": {"n": 1}}})
    context.token_expires_at = time.time() - 0.001
    await handler.send_message({"id": "1", "type": "next", "payload": {"data": {"n": 2}}})
    assert [m.get("payload") for m in socket.sent[1:]] == [{"data": {"n": 1}}]
    assert socket.closed is not None and socket.closed[0] == 4403
    await handler.shutdown()

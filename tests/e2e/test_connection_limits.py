"""Hostile connections (issue 9, item 3): a huge request head, a head or body trickled a
byte at a time, an idle keep-alive connection, an 8 MB WebSocket message. Each is cut
off by the server's configured limit, and the server goes on serving."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from domain.shared.permissions import Role
from tests.e2e.hardened import GUARD, log_length, raw, read_all, serve
from tests.e2e.ws import connect

MB = 1 << 20
TRICKLE = 0.05
"""Seconds between the bytes of a trickled head or body."""


async def test_a_64_mb_header_is_refused_without_being_read_whole(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path) as server:  # the default limit: 32 KiB
        reader, writer = await raw(server)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nx-padding: ")
        received = asyncio.create_task(read_all(reader))
        chunk, sent, refused = b"a" * (64 * 1024), 0, False
        try:
            async with asyncio.timeout(GUARD):
                while sent < 64 * MB:
                    writer.write(chunk)
                    await writer.drain()
                    sent += len(chunk)
        except (ConnectionError, OSError):
            refused = True
        answer = await received
        writer.close()
        # The server closed the connection long before the 64 MB were sent (what is
        # in flight is the kernel's socket buffers, a few MB at most) ...
        assert refused and sent < 16 * MB, sent
        # ... answering 431 if the client could still read it before the reset.
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:200]

        assert (await server.client.get(f"{server.url}/healthz")).status_code == 200


async def test_a_head_over_the_limit_gets_431_and_one_under_it_is_served(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, max_header_bytes=4096) as server:
        big = await server.client.get(f"{server.url}/healthz", headers={"x-padding": "a" * 5000})
        assert big.status_code == 431
        assert "exceeds 4096 bytes" in big.text
        fits = await server.client.get(f"{server.url}/healthz", headers={"x-padding": "a" * 3000})
        assert fits.status_code == 200


async def test_a_large_body_and_pipelined_requests_are_no_large_head(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, max_header_bytes=4096) as server:
        token = server.token(Role.DISTRICT_ADMIN)
        body = json.dumps({"query": "{ me { subject } }", "variables": {"pad": "x" * 20_000}}).encode()
        post = (b"POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
                b"authorization: Bearer " + token.encode() + b"\r\ncontent-length: "
                + str(len(body)).encode() + b"\r\n\r\n" + body)
        get = b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
        reader, writer = await raw(server)
        writer.write(post + get)  # one write, far over the head limit, no head over it
        await writer.drain()
        answer = await read_all(reader)
        writer.close()
        assert answer.count(b"HTTP/1.1 200") == 2, answer[:500]
        assert b'"subject":"tester"' in answer and b'{"status":"ok"}' in answer


async def _trickle(writer: asyncio.StreamWriter, reader_done: asyncio.Task[bytes]) -> int:
    """Send one byte at a time until the server closes; the bytes sent (bounded by GUARD)."""
    sent = 0
    with contextlib.suppress(ConnectionError, OSError, TimeoutError):
        async with asyncio.timeout(GUARD):
            while not reader_done.done():
                writer.write(b"a")
                await writer.drain()
                sent += 1
                await asyncio.sleep(TRICKLE)
    return sent


async def test_a_trickled_head_is_cut_off_after_the_header_timeout(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, header_timeout=0.5) as server:
        reader, writer = await raw(server)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nx-slow: ")
        answer = asyncio.create_task(read_all(reader))
        sent = await _trickle(writer, answer)
        writer.close()
        assert (await answer).startswith(b"HTTP/1.1 408"), await answer
        # Cut off by the server, not by the guard: far fewer bytes than GUARD allows.
        assert sent < GUARD / TRICKLE / 2, sent


async def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, header_timeout=0.5) as server:
        reader, writer = await raw(server)
        answer = await read_all(reader)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer


async def test_a_trickled_body_is_cut_off_after_the_body_timeout_and_runs_nothing(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, body_timeout=0.5) as server:
        token = server.token(Role.DISTRICT_ADMIN)
        before = await log_length(dsn)
        body = json.dumps({"query": 'mutation { establishOrganization(input: {kind: DISTRICT_COMMITTEE,'
                                    ' name: "姑苏区委"}) { __typename } }'}).encode()
        reader, writer = await raw(server)
        writer.write(b"POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
                     b"authorization: Bearer " + token.encode() + b"\r\n"
                     b"content-length: " + str(len(body) + 10_000).encode() + b"\r\n\r\n" + body)
        answer = asyncio.create_task(read_all(reader))
        sent = await _trickle(writer, answer)
        writer.close()
        assert (await answer).startswith(b"HTTP/1.1 408"), await answer
        assert sent < GUARD / TRICKLE / 2, sent
        assert await log_length(dsn) == before


async def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_time(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, keep_alive=0.5, header_timeout=GUARD * 2) as server:
        reader, writer = await raw(server)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
        await writer.drain()
        answer = await read_all(reader)  # the answer, then the close (not a 408: it was idle)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200") and b"408" not in answer, answer


async def test_keep_alive_serves_several_requests_on_one_connection(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, header_timeout=0.5) as server:
        for _ in range(3):  # the header timer starts anew with each request
            response = await server.client.get(f"{server.url}/healthz")
            assert response.status_code == 200
            await asyncio.sleep(0.3)


EIGHT_MB = json.dumps({"id": "1", "type": "subscribe", "payload": {
    "query": "subscription { events { position } }", "variables": {"pad": "x" * (8 * MB)}}})


async def _refused_with_1009(server) -> None:  # type: ignore[no-untyped-def]
    token = server.token(Role.DISTRICT_ADMIN)
    async with connect(server, token, max_size=None) as client:
        with pytest.raises(ConnectionClosed) as closed:
            await client.ws.send(EIGHT_MB)
            await asyncio.wait_for(client.ws.recv(), GUARD)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009, closed.value
    # The connection is gone; a new one works.
    async with connect(server, token) as client:
        await client.ws.send(json.dumps({"id": "1", "type": "subscribe",
                                         "payload": {"query": "{ me { subject } }"}}))
        reply = json.loads(await asyncio.wait_for(client.ws.recv(), GUARD))
        assert reply["type"] == "next" and reply["payload"]["data"]["me"]["subject"] == "tester"


async def test_an_8_mb_websocket_message_is_refused_by_the_server(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path) as server:  # uvicorn's ws_max_size from the settings
        await _refused_with_1009(server)


async def test_an_8_mb_websocket_message_is_refused_by_the_app_under_any_server(server) -> None:  # type: ignore[no-untyped-def]
    # The plain fixture runs uvicorn with its own 16 MB default: the app's own check refuses.
    await _refused_with_1009(server)


async def test_a_websocket_message_under_the_limit_is_served(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, ws_max_message=64 * 1024) as server:
        token = server.token(Role.DISTRICT_ADMIN)
        async with connect(server, token) as client:
            await client.ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "{ me { subject } }", "variables": {"pad": "x" * 60_000}}}))
            reply = json.loads(await asyncio.wait_for(client.ws.recv(), GUARD))
            assert reply["type"] == "next", reply
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            async with connect(server, token) as client:
                await client.ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                    "query": "{ me { subject } }", "variables": {"pad": "x" * 70_000}}}))
                await asyncio.wait_for(client.ws.recv(), GUARD)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009

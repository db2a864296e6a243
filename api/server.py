"""The HTTP server's own limits: request head size, head and body read time, keep-alive,
WebSocket message size (``grassroots serve``; the settings in ``ServerSettings``).

uvicorn bounds keep-alive (``timeout_keep_alive``) and WebSocket messages
(``ws_max_size``, closing with 1009), and those are passed through; its WebSocket ping
stays as the last resort for a dead peer, set to fire only after graphql-transport-ws's own
keep-alive (``GRASSROOTS_WS_KEEPALIVE``, ``api.graphql.feed.confirmations``), which closes
each subscription with the position to resume from first. It bounds neither
the request head nor the time a client takes to send it or its body: with httptools
(the parser we run, measured in bench/) a 64 MB header was read whole into memory, and
a head or body trickled at a byte a second kept its connection open for ever.
(``h11_max_incomplete_event_size`` exists only for the slower h11 parser, and answers 400.)
Neither can be done in ASGI middleware: the application is called only once the head is
complete, and an application that does not read the body never sees it arrive. So
``GuardedHttpToolsProtocol`` extends uvicorn's httptools protocol by the few lines that do:

- it counts the bytes of the request head as they arrive, before the parser buffers
  them, and past ``max_header_bytes`` answers ``431`` and closes the connection (the
  rest is never read). A head counts from the first read after the request before it
  ended, so a pipelined head that begins inside a read may pass the bound by the rest
  of that read (asyncio reads at most 256 KiB at a time);
- a timer from the connection's first moment, or from the first byte of a request after
  a keep-alive pause, to the end of the head: ``408`` and close after ``header_timeout``;
- a timer from the end of the head to the end of the body: after ``body_timeout`` the
  request is cut off (``408`` if nothing was answered yet) and the connection closed.

uvicorn's protocol is internal API: pyproject bounds uvicorn, and
``tests/unit/core/test_request_limits.py`` checks the hooks and state used here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.config import Settings


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        s = settings.server
        return cls(s.max_header_bytes, s.header_timeout, s.body_timeout)


def _response(status: bytes, message: bytes) -> bytes:
    return b"".join([
        b"HTTP/1.1 ", status, b"\r\ncontent-type: text/plain; charset=utf-8\r\n",
        b"content-length: ", str(len(message)).encode(), b"\r\nconnection: close\r\n\r\n", message,
    ])


HEAD_TOO_LARGE = b"431 Request Header Fields Too Large"
TIMED_OUT = b"408 Request Timeout"


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and read deadlines."""

    limits: ConnectionLimits = ConnectionLimits(32_768, 10.0, 30.0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # waiting for (the rest of) a request head
        self._head_bytes = 0
        self._completed = 0  # requests read whole on this connection
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    # -- the connection ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._in_head:
            super().data_received(data)
            return
        if self._head_timer is None:  # the first byte after a keep-alive pause
            self._start_head_timer()
        room = self.limits.max_header_bytes - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        # Only the first ``room`` bytes may still belong to the head: feed those, and if
        # the head is not complete with them (and no pipelined request ended in them, the
        # next one's head counting from there on), it is too large.
        self._head_bytes += room
        completed = self._completed
        super().data_received(data[:room])
        if self._in_head and self._completed == completed:
            self._refuse(HEAD_TOO_LARGE, b"the request head exceeds "
                         + str(self.limits.max_header_bytes).encode() + b" bytes")
            return
        protocol = self.transport.get_protocol()
        if not self.transport.is_closing():
            (self if protocol is self else protocol).data_received(data[room:])

    # -- parser callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        if not self._in_head:  # a pipelined request begins in the same read
            self._in_head, self._head_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel(head=True)
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_timed_out)

    def on_message_complete(self) -> None:
        self._cancel(body=True)
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0
        self._completed += 1

    def handle_websocket_upgrade(self) -> None:
        self._cancel_timers()
        super().handle_websocket_upgrade()

    def timeout_keep_alive_handler(self) -> None:
        self._cancel_timers()
        super().timeout_keep_alive_handler()

    # -- timers -----------------------------------------------------------------------

    def _start_head_timer(self) -> None:
        self._cancel(head=True)
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _cancel(self, *, head: bool = False, body: bool = False) -> None:
        if head and self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if body and self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _cancel_timers(self) -> None:
        self._cancel(head=True, body=True)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self._refuse(TIMED_OUT, b"the request head took too long")

    def _body_timed_out(self) -> None:
        self._body_timer = None
        self._refuse(TIMED_OUT, b"the request body took too long", head=False)

    def _refuse(self, status: bytes, message: bytes, *, head: bool = True) -> None:
        """Close the connection, answering ``status`` where no response has begun.

        A request whose head is incomplete has no response yet (the one before it, on a
        keep-alive connection, is complete or still in flight); a request whose body is
        late may have been answered already, and then the connection just closes.
        """
        self._cancel_timers()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the application sees a disconnect, writes nothing more
            cycle.message_event.set()
        if cycle is None or not cycle.response_started or (head and cycle.response_complete):
            self.transport.write(_response(status, message))
        self.logger.debug("refused a client: %s", status.decode())
        self.transport.close()


def protocol_for(limits: ConnectionLimits) -> type[GuardedHttpToolsProtocol]:
    """The protocol class uvicorn instantiates per connection, with ``limits``."""
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})


def transport_ping(keepalive: float) -> float:
    """uvicorn's WebSocket ping interval and timeout: never before the protocol's keep-alive
    (a ping after ``keepalive`` seconds, a close ``keepalive`` seconds later) has closed a
    silent client with its positions; 20 s (uvicorn's default) at the least."""
    return max(20.0, 2 * keepalive + 5.0)


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` with every limit of ``settings.server``."""
    s = settings.server
    return uvicorn.Config(
        app, http=protocol_for(ConnectionLimits.of(settings)), ws_max_size=s.ws_max_message,
        ws_ping_interval=transport_ping(s.ws_keepalive), ws_ping_timeout=transport_ping(s.ws_keepalive),
        timeout_keep_alive=s.keep_alive,  # type: ignore[arg-type]  # a float works (call_later)
        **options,
    )

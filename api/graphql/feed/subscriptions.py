"""Subscriptions over graphql-transport-ws: the event log, and live members, transfers, trees.

``events`` follows the log: first every matching event after ``after`` in position
order, then live events as they become readable, with no gap and no duplicate at the
hand-over (``projections.feed.live``). The entity subscriptions deliver a read-model object
again after each change to it, once the read models have applied the change.

The WebSocket endpoint (``SubscriptionView``) authenticates once per connection, from
the handshake's ``Authorization`` header or from the ``connection_init`` payload
``{"Authorization": "Bearer <token>"}``. The token's ``exp`` holds for the whole
connection: every ``subscribe`` (queries and mutations over the socket included) and
every result is checked against it, and a timer closes the socket with 4403 ("token
expired") when it passes. graphql-transport-ws has no message to re-authenticate, so a
client resumes by connecting again with a fresh token in ``connection_init`` and
subscribing again with ``after:`` the last position it processed (``events``,
``organizationSubtree``; the entity subscriptions start from the current state).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import strawberry
from graphql import FieldNode, GraphQLError, InlineFragmentNode, OperationDefinitionNode
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.scalars import JSON
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from api import views
from api.auth import InvalidToken, authenticate
from api.graphql.core.bounds import TYPE_NAMES, type_names
from api.graphql.core.context import Context, Info, Loaders
from api.graphql.core.validation import load_json, ws_message_problem
from api.graphql.feed.confirmations import Confirmations, ConfirmingTransport
from api.graphql.members.queries import load_member, load_transfer
from api.graphql.members.types import Member, Transfer
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from api.wsgate import ID_PROBLEM, OperationGate, subscribe_payload_problem
from domain.shared.permissions import Actor, Role, bound_grid, bound_subject
from domain.shared.personal import has_personal
from domain.shared.ports import RecordedEvent
from domain.shared.privacy import may_see_personal_data
from projections.feed.document import ATTRIBUTE_NAMES, event_document, shows_command_id
from projections.feed.live import ConsumerClosed, EventFeed, FeedClosed, Predicate
from projections.feed.reading import EventFilter

NOBODY = Actor(subject="", name="", roles=frozenset(), scope=uuid.UUID(int=0))
"""The actor of a connection before it authenticates: no roles, an empty scope."""
EXPIRED_CLOSE_CODE = 4403
EXPIRED_REASON = "token expired: connect again with a fresh token and subscribe with after: your last position"
EXPIRED_CODE = "TOKEN_EXPIRED"
INVALID_MESSAGE = "Invalid message received"
"""The reason graphql-ws's reference server closes with (4400) on a message it cannot take."""
_result_position: contextvars.ContextVar[int | None] = contextvars.ContextVar("result_position", default=None)
"""The log position the subscription's next result reflects: set in the operation's own task
(each subscription runs in one), read by ``TransportHandler.send_message`` for ``extensions.position``."""


@strawberry.input(description="Which events to receive; every part left out allows all.")
class EventFilterInput:
    stream_types: list[str] | None = strawberry.field(
        default=None, description=f"Only these stream types, e.g. [\"Member\", \"Organization\"]: {TYPE_NAMES}.")
    event_types: list[str] | None = strawberry.field(
        default=None, description=f"Only these event types, e.g. [\"Member.TransferRequested\"]: {TYPE_NAMES}.")
    within: strawberry.ID | None = strawberry.field(
        default=None, description="Only events concerning an organization in this subtree.")


@strawberry.type(description="One event of the log as the feed delivers it (the HTTP feed uses"
                             " the same field names).")
class LogEvent:
    position: int = strawberry.field(description="Global position: pass the last one you processed"
                                                 " as `after` to resume.")
    event_id: UUID = strawberry.field(description="Unique id of the event: deduplicate by it.")
    type: str = strawberry.field(description="Event type, e.g. Member.TransferRequested.")
    stream_id: UUID = strawberry.field(description="The aggregate the event belongs to.")
    stream_type: str = strawberry.field(description="The aggregate's type, e.g. Member.")
    version: int = strawberry.field(description="Version of the stream after this event.")
    schema_version: int = strawberry.field(description="Version of the payload's schema.")
    recorded_at: datetime = strawberry.field(description="When the log recorded it.")
    actor: str = strawberry.field(description="Token subject of whoever issued the command.")
    actor_roles: list[str] = strawberry.field(description="Roles the actor held.")
    correlation_id: UUID | None = strawberry.field(description="The request that caused it.")
    causation_id: UUID | None = strawberry.field(description="The event or command that caused it.")
    command_id: str | None = strawberry.field(
        description="Client idempotency key, if any; shown only to the actor who issued the command.")
    reason: str | None = strawberry.field(description="Reason stated with the command.")
    payload: JSON = strawberry.field(description="The event's data; ID numbers and phones masked"
                                                 " for roles that do not need them.")
    shared_key: strawberry.Private[tuple[UUID, bool, bool] | None] = None


@strawberry.type(description="An organization in a watched subtree changed.")
class OrganizationChange:
    position: int = strawberry.field(description="Log position of the change.")
    type: str = strawberry.field(description="Event type, e.g. Organization.Renamed.")
    organization: Organization | None = strawberry.field(
        description="The organization as the read model has it after the change.")


_SHARED_LIMIT = 256
_log_events: OrderedDict[tuple[UUID, bool, bool], LogEvent] = OrderedDict()


def log_event(e: RecordedEvent, actor: Actor) -> LogEvent:
    """The event as ``LogEvent``: one shared object per event and masking, not per subscriber.

    Built from the event document (``projections.feed.document``), so a subscriber gets
    what ``GET /events`` returns. The GraphQL scalars print ids and ``recordedAt`` as the
    document does (``recordedAt`` stays the datetime the ``DateTime`` scalar needs).

    The key holds whether the payload, as read, still has personal values: an event read
    before its subject's erasure (into the ring, by an earlier subscriber) and read again
    after it (null values) are two documents, so a later subscriber never gets the erased
    values from this cache.
    """
    key = (e.event_id, may_see_personal_data(actor), has_personal(e.payload))
    own = shows_command_id(e, actor)  # the issuer's view (with commandId) is never shared
    found = None if own else _log_events.get(key)
    if found is not None:
        return found
    values = {ATTRIBUTE_NAMES[name]: value for name, value in event_document(e, actor).items()}
    values["recorded_at"] = e.recorded_at  # printed by DateTime as the document's recordedAt
    if own:
        return LogEvent(**values)
    found = LogEvent(**values, shared_key=key)
    _log_events[key] = found
    if len(_log_events) > _SHARED_LIMIT:
        _log_events.popitem(last=False)
    return found


def _plain_selection(operation: OperationDefinitionNode) -> bool:
    """Whether the one root field selects only plain fields: no arguments, directives,
    variables or named fragments below it, so its result depends on the event alone."""
    (root,) = operation.selection_set.selections
    if not isinstance(root, FieldNode) or root.directives or root.selection_set is None:
        return False
    pending = list(root.selection_set.selections)
    while pending:
        node = pending.pop()
        if node.directives:
            return False
        if isinstance(node, FieldNode):
            if node.arguments or node.selection_set is not None:
                return False
        elif isinstance(node, InlineFragmentNode):
            pending.extend(node.selection_set.selections)
        else:
            return False
    return True


_shared_data: dict[int, tuple[Any, str | None]] = {}
"""``id(data)`` of each shared result's data -> (the data, its JSON once encoded)."""


class _SharedHit:
    """Stands in for graphql-core's per-event executor when the result is already shared."""

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result

    def execute_operation(self, *_args: Any) -> Any:
        return self.result


def encoded_data(data: Any) -> str | None:
    """The JSON text of a shared result's ``data``, encoded once for every subscriber."""
    entry = _shared_data.get(id(data))
    if entry is None or entry[0] is not data:
        return None
    if entry[1] is None:
        entry = (data, json.dumps(data, separators=(",", ":")))
        _shared_data[id(data)] = entry
    return entry[1]


def with_own_memo(executor: Any) -> Any:
    """A per-event executor with a ``collect_subfields`` memo of its own, dropped with it.

    Why: graphql-core (3.3) memoizes ``collect_subfields`` in a dict that each per-event
    copy of the executor (``build_per_event_executor``, a shallow ``copy``) shares with the
    subscription's own executor, keyed by the identity of the field lists the execution
    collects, and every event's execution collects its root fields anew. So each event added
    an entry that could never be hit again: about 1.4 KB for ``events { position eventId
    type }``, 3–4 KB for every field of ``LogEvent``, kept for as long as the subscription
    lived (tests/integration/feed/test_feed_memory.py, bench/bench_feed_memory.py). The
    memo still serves the event's own execution (a list of objects of one type collects
    their fields once). graphql-core's other per-execution map (``_stream_usages``) is
    filled only under ``@stream``, which subscriptions refuse.
    """
    executor._relevant_sub_fields = {}
    return executor


def sharing_event_results(base: type) -> type:
    """``base`` (an execution context class) that executes each delivered ``LogEvent`` once
    per operation document and masking, and hands the same result to every subscriber.

    Fan-out cost is then one GraphQL execution per event and distinct query, not per
    subscriber. Only for selections that depend on nothing but the event
    (``_plain_selection``) and results without errors; the parsed document is shared
    through the parser cache, and each entry keeps its operation to compare identity.
    Every per-event executor it builds has a memo of its own (``with_own_memo``): the
    memory of a subscription does not grow with the events it receives.
    """

    class SharingEventResults(base):  # type: ignore[misc, valid-type]
        _results: OrderedDict[tuple[int, UUID, bool, bool], tuple[Any, Any]] = OrderedDict()
        _plain: dict[int, tuple[Any, bool]] = {}

        def _shared_key(self, root: Any) -> tuple[int, UUID, bool, bool] | None:
            """The cache key of ``root`` under this operation, or ``None`` if not shared."""
            if not isinstance(root, LogEvent) or root.shared_key is None:
                return None
            operation = self.operation
            plain = self._plain.get(id(operation))
            if plain is None or plain[0] is not operation:
                plain = (operation, _plain_selection(operation))
                self._plain[id(operation)] = plain
                if len(self._plain) > _SHARED_LIMIT:
                    self._plain.pop(next(iter(self._plain)))
            return (id(operation), *root.shared_key) if plain[1] else None

        def build_per_event_executor(self, payload: Any) -> Any:
            # A result already shared needs no per-event copy of the executor.
            key = self._shared_key(payload)
            if key is not None:
                hit = self._results.get(key)
                if hit is not None and hit[0] is self.operation:
                    return _SharedHit(hit[1])
            return with_own_memo(super().build_per_event_executor(payload))

        def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
            key = self._shared_key(self.root_value)
            if key is None:
                return super().execute_operation(*args, **kwargs)
            operation = self.operation
            hit = self._results.get(key)
            if hit is not None and hit[0] is operation:
                return hit[1]
            result = super().execute_operation(*args, **kwargs)
            if self.is_awaitable(result):
                return result  # not expected for plain leaf fields; never shared
            if not result.errors:
                self._results[key] = (operation, result)
                _shared_data[id(result.data)] = (result.data, None)
                if len(self._results) > _SHARED_LIMIT:
                    _, (_, old) = self._results.popitem(last=False)
                    _shared_data.pop(id(old.data), None)
            return result

    SharingEventResults.__name__ = f"SharingEventResults{base.__name__}"
    return SharingEventResults


def _uuid(value: Any, name: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise GraphQLError(f"{name} is not a UUID: {value!r}",
                           extensions={"code": "BAD_INPUT", "field": name}) from exc


def to_filter(given: EventFilterInput | None) -> EventFilter:
    if given is None:
        return EventFilter()
    return EventFilter(
        stream_types=type_names(given.stream_types, "streamTypes"),
        event_types=type_names(given.event_types, "eventTypes"),
        within=_uuid(given.within, "within") if given.within is not None else None,
    )


def _closed(exc: FeedClosed) -> GraphQLError:
    extensions: dict[str, Any] = {"code": exc.code}
    if exc.resume_after is not None:
        extensions["resumeAfter"] = exc.resume_after
    return GraphQLError(str(exc), extensions=extensions)


def _feed(info: Info) -> EventFeed:
    feed = getattr(info.context, "feed", None)
    if feed is None:
        raise GraphQLError("subscriptions are served over WebSocket (graphql-transport-ws) only")
    return feed  # type: ignore[no-any-return]


async def _follow(info: Info, after: int | None, flt: EventFilter, scope: UUID | None,
                  predicate: Predicate | None = None, roles: frozenset[Role] | None = None,
                  bound_to: str | None = None, grid: UUID | None = None) -> AsyncGenerator[RecordedEvent, None]:
    consumer = getattr(info.context, "confirmations", None)
    try:
        async for event in _feed(info).subscribe(after, flt, scope, predicate, roles=roles,
                                                 consumer=consumer, bound_to=bound_to, grid=grid):
            _result_position.set(event.position)
            yield event
    except FeedClosed as exc:
        raise _closed(exc) from exc


async def _settled(info: Info, position: int) -> None:
    """Wait, bounded, until every read model reflects ``position``."""
    ctx = info.context
    await ctx.supervisor.wait_for(position, ctx.settings.read_your_writes_timeout)
    ctx.position = position
    _result_position.set(position)


async def _start(info: Info) -> int:
    """A position the read models already reflect, to follow changes from."""
    feed = _feed(info)
    start = min(feed.position, await info.context.supervisor.position())
    _result_position.set(start)
    return start


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(description=(
        "The event log: every matching event after `after` in position order, then live ones"
        " as they commit, without gap or duplicate. Omit `after` for live events only; pass 0"
        " for the whole log, or the last position you processed to resume. Only events within"
        " your scope; closed with code SUBSCRIBER_FELL_BEHIND and `resumeAfter` when you fall"
        " too far behind."))
    async def events(
        self, info: Info, after: int | None = None, filter: EventFilterInput | None = None,
    ) -> AsyncGenerator[LogEvent, None]:
        actor = info.context.actor
        async for event in _follow(info, after, to_filter(filter), actor.scope, roles=actor.roles,
                                   bound_to=bound_subject(actor), grid=bound_grid(actor)):
            yield log_event(event, actor)

    @strawberry.subscription(description=(
        "A member: as it is now, then again after every change to it (null once it leaves"
        " your scope, which ends the subscription)."))
    async def member(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Member | None, None]:
        mid = _uuid(id, "id")
        start = await _start(info)
        current = await load_member(info, mid, fresh=True)
        if current is None:
            raise GraphQLError("no such member within your scope", extensions={"code": "NOT_FOUND"})
        yield current
        same: Predicate = lambda e: e.stream_id == mid  # noqa: E731
        async for event in _follow(info, start, EventFilter(frozenset({"Member"})), None, same):
            await _settled(info, event.position)
            current = await load_member(info, mid, fresh=True)
            yield current
            if current is None:
                return

    @strawberry.subscription(description=(
        "A transfer: as it is now, then again after every step (either side's scope)."))
    async def transfer(
        self, info: Info, id: strawberry.ID,
    ) -> AsyncGenerator[Transfer | None, None]:
        tid = _uuid(id, "id")
        start = await _start(info)
        row = await views.transfer(info.context.pool, tid)
        current = await load_transfer(info, tid) if row is not None else None
        if row is None or current is None:
            raise GraphQLError("no such transfer within your scope",
                               extensions={"code": "NOT_FOUND"})
        yield current
        member_id, key = row["member_id"], str(tid)
        same: Predicate = lambda e: e.stream_id == member_id and e.payload.get("transfer_id") == key  # noqa: E731
        async for event in _follow(info, start, EventFilter(frozenset({"Member"})), None, same):
            await _settled(info, event.position)
            current = await load_transfer(info, tid)
            yield current
            if current is None:
                return

    @strawberry.subscription(description=(
        "Changes to organizations in the subtree under `id` (established, renamed, moved,"
        " dissolved), each with the organization as it is after the change. `after` as for"
        " `events`."))
    async def organization_subtree(
        self, info: Info, id: strawberry.ID, after: int | None = None,
    ) -> AsyncGenerator[OrganizationChange, None]:
        root = _uuid(id, "id")
        if await load_organization(info, root) is None:
            raise GraphQLError("no such organization within your scope",
                               extensions={"code": "NOT_FOUND"})
        flt = EventFilter(stream_types=frozenset({"Organization"}), within=root)
        start = await _start(info) if after is None else after
        async for event in _follow(info, start, flt, info.context.actor.scope):
            await _settled(info, event.position)
            yield OrganizationChange(position=event.position, type=event.event_type,
                                     organization=await load_organization(info, event.stream_id))


# -- the WebSocket endpoint -----------------------------------------------------------------


class FreshLoaders(Loaders):
    """Loaders that batch but never cache: a connection lives long and rows change.

    Created on first use as in ``Loaders``: an ``events`` subscriber never touches them,
    and four idle loaders per connection were a tenth of an idle subscriber's memory."""

    cache = False


@dataclass
class SubscriptionContext(Context):
    """The context of one WebSocket connection, shared by its subscriptions."""

    feed: EventFeed | None = None
    connection_params: dict[str, Any] | None = None
    websocket: WebSocket | None = None
    token_expires_at: float | None = None
    """The connection's token ``exp`` (seconds since the epoch), once authenticated."""
    confirmations: Confirmations | None = None
    """What the client confirmed reading, from its pongs (``api.graphql.feed.confirmations``)."""


class TransportHandler(OperationGate, ConfirmingTransport,  # type: ignore[type-arg]
                       BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, with ``next`` messages of shared results pre-encoded: the
    result's data is serialised once per event and query, and each subscriber's
    message is assembled around that text instead of encoding the whole result again.

    The token's expiry holds for the connection: ``subscribe`` after it is refused (an
    ``error`` with code ``TOKEN_EXPIRED``), no result is sent after it, and a timer closes
    the socket with 4403 when it passes, each subscription first ending with
    ``TOKEN_EXPIRED`` and its ``resumeAfter``.

    ``ConfirmingTransport`` (``api.graphql.feed.confirmations``): pings that confirm what
    the client has read, which paces and closes slow subscribers, and the keep-alive.

    ``OperationGate`` (``api.wsgate``): each ``subscribe`` counts against the subject's
    rate limit and must be an operation the server runs (trusted documents, introspection)."""

    _expiry: asyncio.Task[None] | None = None
    _closed_for_expiry = False

    def _expired(self) -> bool:
        expires_at = getattr(self.context, "token_expires_at", None)
        return self._closed_for_expiry or (expires_at is not None and time.time() >= expires_at)

    async def _close_expired(self) -> None:
        if self._closed_for_expiry:
            return
        self._closed_for_expiry = True
        await self.close_subscriptions(EXPIRED_CODE, "the connection's token expired",
                                       EXPIRED_CLOSE_CODE, EXPIRED_REASON)

    async def _refuse_late_result(self, message: Any) -> None:
        """A result that reached the socket after ``exp`` (the feed checks before each
        event; this is the instant between): not sent, its operation ends with the position
        before it, so that resuming there repeats nothing and skips nothing."""
        position = _result_position.get()
        operation = self.operations.get(message.get("id"))
        if position is None or operation is None:
            return
        error = _closed(ConsumerClosed(EXPIRED_CODE, "the connection's token expired", position - 1))
        with contextlib.suppress(Exception):
            await operation.send_operation_message(
                {"id": operation.id, "type": "next", "payload": {"data": None, "errors": [error.formatted]}})
            await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _close_when_expired(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self._close_expired()

    async def handle_message(self, message: Any) -> None:
        # A message of the wrong shape closes the socket with 4400, as the protocol says for
        # invalid messages (strawberry's own handlers raised TypeError on most of them).
        # As graphql-ws's reference server: an id that is not a non-empty string closes with
        # "Invalid message received"; a subscribe whose id is good but whose payload has a
        # field of the wrong type gets an ``error`` for that id only.
        refused = subscribe_payload_problem(message) if self.connection_acknowledged else None
        if refused is not None:
            await self.send_message({"id": message["id"], "type": "error",
                                     "payload": [{"message": refused, "extensions": {"code": "BAD_INPUT"}}]})
            return
        problem = ws_message_problem(message)
        if problem is not None:
            if problem.endswith(ID_PROBLEM):
                problem = f"{INVALID_MESSAGE}: {problem}"
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        # A syntax error or an unknown operationName is that operation's error (an ``error``
        # message, as the reference server sends), not a reason to close every subscription.
        return None

    async def _handle_pre_execution_error(self, operation: Any, result: Any) -> None:
        error = result.errors[0] if result.errors else None
        if error is not None and isinstance(error.original_error, CannotGetOperationTypeError):
            result.errors = [GraphQLError(error.original_error.as_http_error_reason(),
                                          extensions={"code": "BAD_INPUT"})]
        await super()._handle_pre_execution_error(operation, result)

    async def handle_connection_init(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("payload", 0) is None:
            message = {**message, "payload": {}}  # the protocol allows a null payload
        await super().handle_connection_init(message)
        expires_at = getattr(self.context, "token_expires_at", None)
        if self.connection_acknowledged and expires_at is not None and self._expiry is None:
            self._expiry = asyncio.create_task(self._close_when_expired(expires_at))
        if self.connection_acknowledged:
            self.start_keepalive()

    async def handle_subscribe(self, message: Any) -> None:
        if self.connection_acknowledged and self._expired():
            error = GraphQLError(EXPIRED_REASON, extensions={"code": EXPIRED_CODE})
            with contextlib.suppress(Exception):
                await self.send_message({"id": message.get("id"), "type": "error",
                                         "payload": [error.formatted]})
            await self._close_expired()
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
        await super().shutdown()

    async def send_message(self, message: Any) -> None:
        if message.get("type") == "next" and self._expired() and not _only_errors(message):
            # The timer's work, should it be late: no result after exp (a subscription's
            # closing error, which carries no data, still goes out).
            await self._refuse_late_result(message)
            await self._close_expired()
            return
        if message.get("type") == "next":
            payload = message["payload"]
            position = _result_position.get()
            if position is not None and isinstance(payload.get("extensions"), dict):
                payload["extensions"] = {**payload["extensions"], "position": position}
            data = encoded_data(payload.get("data"))
            if data is not None and "errors" not in payload:
                extensions = payload.get("extensions")
                text = "".join((
                    '{"id":', json.dumps(message["id"]), ',"type":"next","payload":{"data":', data,
                    "" if not extensions else ',"extensions":'
                    + json.dumps(extensions, separators=(",", ":")), "}}"))
                try:
                    await self.websocket.ws.send_text(text)  # type: ignore[attr-defined]
                except WebSocketDisconnect as exc:
                    raise WebSocketDisconnected from exc
                await self.result_sent()
                return
        await super().send_message(message)
        if message.get("type") == "next":
            await self.result_sent()


def _only_errors(message: Any) -> bool:
    """A ``next`` that carries errors and no data (a subscription's closing error)."""
    payload = message.get("payload")
    return isinstance(payload, dict) and payload.get("data") is None and bool(payload.get("errors"))


class SubscriptionView(GraphQL):  # type: ignore[type-arg]
    """graphql-transport-ws at /graphql (the HTTP side is ``api.http``)."""

    graphql_transport_ws_handler_class = TransportHandler

    def __init__(self, services: Any, schema: Any, max_per_connection: int) -> None:
        super().__init__(
            schema, graphql_ide=None, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=max_per_connection,
        )
        self.services = services

    def decode_json(self, data: str | bytes) -> object:
        # Bounded nesting (a JSONDecodeError: strawberry closes the socket with 4400).
        return load_json(data, strings=False, what="the message")

    async def get_context(self, request: Any, response: Any) -> SubscriptionContext:
        s = self.services
        return SubscriptionContext(
            actor=NOBODY, pool=s.pool, commands=s.commands, supervisor=s.supervisor,
            settings=s.settings, correlation_id=uuid.uuid4(), loaders=FreshLoaders(s.pool),
            clock=s.clock, feed=s.feed, websocket=request,
            confirmations=Confirmations(s.settings.feed.buffer_size, s.settings.server.ws_keepalive),
        )

    async def on_ws_connect(self, context: SubscriptionContext) -> None:  # type: ignore[override]
        header = None
        if context.websocket is not None:
            header = context.websocket.headers.get("authorization")
        params = context.connection_params or {}
        given = params.get("Authorization") or params.get("authorization") or header
        try:
            token = given if isinstance(given, str) else None
            authenticated = authenticate(self.services.secret, token)
        except InvalidToken as exc:
            raise ConnectionRejectionError({"message": f"unauthorized: {exc}"}) from exc
        context.actor, context.token_expires_at = authenticated.actor, authenticated.expires_at
        with contextlib.suppress(Exception):
            context.position = await context.supervisor.position()

"""The private and internal API of our dependencies that production code relies on.

Each test states one internal as we use it: the attribute, the parameters we override,
the class we subclass, the call the library makes into our override. pyproject.toml
bounds each of these libraries below the next release that may change them; when one
of these tests fails after an upgrade, adapt the module the message names (or drop its
shortcut), then move the bound and refresh constraints.txt (README, "Set up").
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib
import inspect
import json
import logging
import typing
from collections.abc import AsyncGenerator, Iterator
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import graphql
import pytest
import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLNonNull, GraphQLString, OperationType, ValidationRule
from graphql.execution import Executor
from graphql.execution.middleware import MiddlewareManager
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext

STRAWBERRY, GRAPHQL_CORE, PGSERVER, EVENTSOURCING, UVICORN = (
    "strawberry-graphql", "graphql-core", "pgserver", "eventsourcing", "uvicorn")
EXECUTION = "api/graphql/core/execution.py"
LOADING = "api/graphql/core/loading.py"
VALIDATION = "api/graphql/core/validation.py"
LIMITS = "api/graphql/core/limits.py"
SUBSCRIPTIONS = "api/graphql/feed/subscriptions.py"
SCHEMA = "api/schema.py"
APP = "api/app.py"
WSGATE = "api/wsgate.py"
SERVER = "api/server.py"
DATABASE = "api/database.py"
EVENTS = "domain/shared/events.py"


def changed(dist: str, what: str, where: str) -> str:
    return (f"{dist} {version(dist)} changed {what}: {where} relies on it; "
            f"see pyproject's bound on {dist}")


def _attr(module: str, name: str, dist: str, where: str) -> Any:
    found = getattr(importlib.import_module(module), name, None)
    if found is None:
        pytest.fail(changed(dist, f"{module}.{name} (it is gone)", where))
    return found


def strawberry_context() -> type[Executor]:
    cls = _attr("strawberry.schema.schema", "StrawberryGraphQLCoreExecutionContext", STRAWBERRY, EXECUTION)
    assert isinstance(cls, type) and issubclass(cls, Executor), changed(
        STRAWBERRY, "StrawberryGraphQLCoreExecutionContext: no longer a graphql.execution.Executor",
        EXECUTION)
    return cls


# -- api/graphql/core/execution.py: the plain-leaf shortcut -------------------------------


def test_strawberry_subclasses_graphql_cores_executor() -> None:
    strawberry_context()


EXECUTE_FIELD = ["self", "parent_type", "source", "field_details_list", "path", "position_context"]


def test_execute_field_takes_the_parameters_we_override() -> None:
    params = list(inspect.signature(strawberry_context().execute_field).parameters)
    assert params == EXECUTE_FIELD, changed(
        GRAPHQL_CORE, f"Executor.execute_field's parameters to {params} (we override {EXECUTE_FIELD})",
        EXECUTION)


def test_the_executor_declares_its_middleware_manager() -> None:
    # execution.py's compatibility check looks for this annotation in the MRO.
    declared = [k.__name__ for k in strawberry_context().__mro__
                if "middleware_manager" in getattr(k, "__annotations__", {})]
    assert declared, changed(GRAPHQL_CORE, "Executor's middleware_manager attribute (not declared)",
                             EXECUTION)


@strawberry.enum
class ProbeColour(enum.Enum):
    RED = "RED"


@strawberry.type
class ProbeItem:
    name: str
    colour: ProbeColour

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def item(self) -> ProbeItem:
        return ProbeItem(name="一", colour=ProbeColour.RED)


class ResolveExtension(SchemaExtension):
    """An extension that wraps resolvers: strawberry must turn it into a middleware."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


@dataclasses.dataclass
class SeenField:
    name: str
    field: Any
    source: Any
    middleware: Any


async def run_recording(query: str, extensions: list[Any] | None = None,
                        ) -> tuple[Any, dict[str, SeenField]]:
    """Execute ``query`` with an executor that records what each ``execute_field`` saw, in
    the way ``PlainLeafExecutionContext.execute_field`` reads it."""
    seen: dict[str, SeenField] = {}

    class Recording(strawberry_context()):  # type: ignore[misc]
        def execute_field(self, parent_type: Any, source: Any, field_details_list: Any,
                          path: Any, position_context: Any) -> Any:
            node = field_details_list[0].node
            seen[node.name.value] = SeenField(
                name=node.name.value, field=self.schema.get_field(parent_type, node.name.value),
                source=source, middleware=self.middleware_manager)
            return super().execute_field(parent_type, source, field_details_list, path,
                                         position_context)

    schema = strawberry.Schema(ProbeQuery, execution_context_class=Recording,
                               extensions=extensions or [])
    result = await schema.execute(query)
    assert not result.errors, result.errors
    return result, seen


QUERY = "{ item { name colour shout } }"


async def test_graphql_core_executes_every_field_through_execute_field() -> None:
    result, seen = await run_recording(QUERY)
    assert result.data == {"item": {"name": "一", "colour": "RED", "shout": "一"}}
    assert set(seen) == {"item", "name", "colour", "shout"}, changed(
        GRAPHQL_CORE, f"which fields go through Executor.execute_field (saw {sorted(seen)})", EXECUTION)
    assert all(s.field is not None for s in seen.values()), changed(
        GRAPHQL_CORE, "GraphQLSchema.get_field(parent_type, name)", EXECUTION)


async def test_a_plain_fields_resolver_is_marked_default_and_reads_the_attribute() -> None:
    _, seen = await run_recording(QUERY)
    name = seen["name"]
    assert getattr(name.field.resolve, "_is_default", False) is True, changed(
        STRAWBERRY, "the _is_default mark on a plain field's resolver", EXECUTION)
    assert name.field.resolve(name.source, None) == "一", changed(
        STRAWBERRY, "a plain field's resolver: it no longer answers resolve(source, None)", EXECUTION)
    for other in ("shout", "item"):
        assert not getattr(seen[other].field.resolve, "_is_default", False), changed(
            STRAWBERRY, f"the _is_default mark: set on the resolver field {other!r}", EXECUTION)


async def test_strawberry_passes_a_middleware_manager_with_no_middlewares() -> None:
    _, seen = await run_recording(QUERY)
    manager = seen["name"].middleware
    assert isinstance(manager, MiddlewareManager) and not manager.middlewares, changed(
        STRAWBERRY, f"the middleware manager it passes without resolve extensions ({manager!r}); "
        "the shortcut then never runs", EXECUTION)


async def test_an_extension_that_resolves_becomes_a_middleware() -> None:
    # The shortcut skips resolvers only when there are no middlewares; an extension's
    # ``resolve`` must show up as one, or the shortcut would bypass it.
    _, seen = await run_recording(QUERY, extensions=[ResolveExtension])
    manager = seen["name"].middleware
    assert manager is not None and manager.middlewares, changed(
        STRAWBERRY, "how SchemaExtension.resolve reaches graphql-core (no longer a middleware)",
        EXECUTION)


async def test_leaf_types_coerce_output_values_directly() -> None:
    _, seen = await run_recording(QUERY)
    colour_type = seen["colour"].field.type
    leaf = colour_type.of_type if isinstance(colour_type, GraphQLNonNull) else colour_type
    assert hasattr(leaf, "coerce_output_value") and leaf.coerce_output_value(ProbeColour.RED) == "RED", \
        changed(STRAWBERRY, "the enum type's coerce_output_value", EXECUTION)
    assert GraphQLString.coerce_output_value("一") == "一", changed(
        GRAPHQL_CORE, "GraphQLScalarType.coerce_output_value", EXECUTION)


def test_graphql_pyutils_undefined_is_graphql_cores_sentinel() -> None:
    pyutils = importlib.import_module("graphql.pyutils")
    assert getattr(pyutils, "Undefined", None) is graphql.Undefined, changed(
        GRAPHQL_CORE, "graphql.pyutils.Undefined", EXECUTION)


# -- api/graphql/feed/subscriptions.py: one execution per event, shared ----------------


def test_the_executor_has_the_per_event_hooks_we_override() -> None:
    cls = strawberry_context()
    per_event = getattr(cls, "build_per_event_executor", None)
    assert per_event is not None and list(inspect.signature(per_event).parameters) == ["self", "payload"], \
        changed(GRAPHQL_CORE, "Executor.build_per_event_executor(payload)", SUBSCRIPTIONS)
    execute = getattr(cls, "execute_operation", None)
    assert execute is not None and list(inspect.signature(execute).parameters)[:2] == ["self", "serially"], \
        changed(GRAPHQL_CORE, "Executor.execute_operation(serially)", SUBSCRIPTIONS)
    annotations: dict[str, Any] = {}
    for k in reversed(cls.__mro__):
        annotations.update(getattr(k, "__annotations__", {}))
    missing = {"operation", "root_value"} - set(annotations)
    assert not missing and callable(getattr(cls, "is_awaitable", None)), changed(
        GRAPHQL_CORE, f"Executor's attributes (missing {sorted(missing)} or is_awaitable)", SUBSCRIPTIONS)


@strawberry.type
class ProbeSubscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        yield 1
        yield 2


class StandIn:
    """Like ``_SharedHit``: a per-event executor with nothing but ``execute_operation``."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def execute_operation(self, *_args: Any) -> Any:
        return self.result


async def test_each_event_runs_on_a_per_event_executor_that_needs_only_execute_operation() -> None:
    payloads: list[Any] = []
    executed: list[tuple[Any, Any]] = []
    shared = GraphQLExecutionResult(data={"ticks": 99}, errors=None)

    class Sharing(strawberry_context()):  # type: ignore[misc]
        def build_per_event_executor(self, payload: Any) -> Any:
            payloads.append(payload)
            if payload == 2:
                return StandIn(shared)
            return super().build_per_event_executor(payload)

        def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
            executed.append((self.root_value, self.operation.operation))
            result = super().execute_operation(*args, **kwargs)
            assert not self.is_awaitable(result)
            return result

    schema = strawberry.Schema(ProbeQuery, subscription=ProbeSubscription,
                               execution_context_class=Sharing)
    stream = await schema.subscribe("subscription { ticks }")
    assert not isinstance(stream, strawberry.types.ExecutionResult), stream
    results = [r async for r in stream]
    assert payloads == [1, 2], changed(
        GRAPHQL_CORE, f"how subscription events reach build_per_event_executor (saw {payloads})",
        SUBSCRIPTIONS)
    assert (1, OperationType.SUBSCRIPTION) in executed, changed(
        GRAPHQL_CORE, f"the per-event executor's root_value/operation (saw {executed})", SUBSCRIPTIONS)
    assert [r.data for r in results] == [{"ticks": 1}, {"ticks": 99}], changed(
        GRAPHQL_CORE, "what graphql-core calls on a per-event executor (more than execute_operation?)",
        SUBSCRIPTIONS)
    assert results[1].data is shared.data, changed(
        STRAWBERRY, "a subscription result's data object (copied; encoded_data keys on its identity)",
        SUBSCRIPTIONS)


@strawberry.type
class ProbeItemSubscription:
    @strawberry.subscription
    async def items(self) -> AsyncGenerator[ProbeItem, None]:
        for n in range(40):
            yield ProbeItem(name=f"n{n}", colour=ProbeColour.RED)


async def test_each_event_adds_to_a_collect_subfields_memo_that_the_copies_share() -> None:
    # What ``with_own_memo`` replaces on each per-event copy: if graphql-core renames the
    # memo, the replacement does nothing and a subscription grows with every event again;
    # if it stops adding an entry per event, with_own_memo may go.
    bases: list[Any] = []
    copies: list[Any] = []

    class Recording(strawberry_context()):  # type: ignore[misc]
        def build_per_event_executor(self, payload: Any) -> Any:
            bases.append(self)
            copies.append(super().build_per_event_executor(payload))
            return copies[-1]

    schema = strawberry.Schema(ProbeQuery, subscription=ProbeItemSubscription,
                               execution_context_class=Recording)
    stream = await schema.subscribe("subscription { items { name colour } }")
    assert not isinstance(stream, strawberry.types.ExecutionResult), stream
    assert len([r async for r in stream]) == 40
    memo = getattr(bases[0], "_relevant_sub_fields", None)
    assert isinstance(memo, dict) and all(c._relevant_sub_fields is memo for c in copies), changed(
        GRAPHQL_CORE, "Executor._relevant_sub_fields (the collect_subfields memo the per-event"
        " copies share)", SUBSCRIPTIONS)
    assert len(memo) >= 40, changed(
        GRAPHQL_CORE, f"the collect_subfields memo ({len(memo)} entries after 40 events, no longer"
        " one per event)", SUBSCRIPTIONS)


def transport_ws() -> Any:
    return importlib.import_module("strawberry.subscriptions.protocols.graphql_transport_ws.handlers")


async def test_a_next_message_hands_send_message_the_results_data_object() -> None:
    handlers = transport_ws()
    base = _attr(handlers.__name__, "BaseGraphQLTransportWSHandler", STRAWBERRY, SUBSCRIPTIONS)
    params = list(inspect.signature(base.send_message).parameters)
    assert params == ["self", "message"], changed(
        STRAWBERRY, f"BaseGraphQLTransportWSHandler.send_message's parameters to {params}", SUBSCRIPTIONS)
    sent: list[Any] = []

    class Recording(base):  # type: ignore[misc, valid-type]
        async def send_message(self, message: Any) -> None:
            sent.append(message)

    operation = _attr(handlers.__name__, "Operation", STRAWBERRY, SUBSCRIPTIONS)(
        Recording.__new__(Recording), "op-1", "subscription { ticks }", None, None)
    data = {"ticks": 1}
    await operation.send_next(strawberry.types.ExecutionResult(data=data, errors=None))
    assert len(sent) == 1 and sent[0].get("type") == "next" and sent[0].get("id") == "op-1", changed(
        STRAWBERRY, f"how a next message reaches send_message ({sent})", SUBSCRIPTIONS)
    assert sent[0]["payload"]["data"] is data, changed(
        STRAWBERRY, "the next message's payload.data (no longer the result's own data object)",
        SUBSCRIPTIONS)


def test_the_view_builds_its_transport_handler_from_the_class_attribute() -> None:
    from strawberry.asgi import GraphQL
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    base = transport_ws().BaseGraphQLTransportWSHandler
    handler_class = getattr(GraphQL, "graphql_transport_ws_handler_class", None)
    handler_class = typing.get_origin(handler_class) or handler_class  # the default is Base[...]
    assert isinstance(handler_class, type) and issubclass(handler_class, base), changed(
        STRAWBERRY, "GraphQL.graphql_transport_ws_handler_class", SUBSCRIPTIONS)
    readers = [name for name, f in vars(AsyncBaseHTTPView).items()
               if inspect.isfunction(f) and "graphql_transport_ws_handler_class" in f.__code__.co_names]
    assert readers, changed(STRAWBERRY, "where the view creates its graphql-transport-ws handler "
                                        "(graphql_transport_ws_handler_class is no longer read)",
                            SUBSCRIPTIONS)


class FakeStarletteSocket:
    async def send_text(self, text: str) -> None:
        raise WebSocketDisconnect(1001)


class FakeView:
    def encode_json(self, message: Any) -> str:
        return json.dumps(message)


async def test_the_asgi_websocket_adapter_holds_starlettes_socket_as_ws() -> None:
    from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
    from strawberry.http.exceptions import WebSocketDisconnected

    assert GraphQL.websocket_adapter_class is ASGIWebSocketAdapter, changed(
        STRAWBERRY, "GraphQL.websocket_adapter_class (the handler's self.websocket)", SUBSCRIPTIONS)
    socket = FakeStarletteSocket()
    adapter = ASGIWebSocketAdapter(FakeView(), socket, socket)  # type: ignore[arg-type]
    assert getattr(adapter, "ws", None) is socket, changed(
        STRAWBERRY, "ASGIWebSocketAdapter.ws (the Starlette WebSocket)", SUBSCRIPTIONS)
    # TransportHandler sends on .ws itself and must fail the way the adapter does.
    with pytest.raises(WebSocketDisconnected):
        await adapter.send_json({"type": "next"})


@dataclasses.dataclass
class ProbeContext:
    connection_params: dict[str, Any] | None = None


async def test_connection_init_sets_connection_params_before_on_ws_connect() -> None:
    handlers = transport_ws()
    seen: list[Any] = []

    class View:
        async def on_ws_connect(self, context: ProbeContext) -> None:
            seen.append(context.connection_params)

    class Quiet(handlers.BaseGraphQLTransportWSHandler):  # type: ignore[misc, name-defined]
        async def send_message(self, message: Any) -> None:
            pass

    handler = Quiet(view=View(), websocket=None, context=ProbeContext(), root_value=None,
                    schema=None, connection_init_wait_timeout=timedelta(seconds=10))
    params = {"Authorization": "Bearer x"}
    await handler.handle_connection_init({"type": "connection_init", "payload": params})
    assert seen == [params], changed(
        STRAWBERRY, "connection_init: context.connection_params is not set before on_ws_connect",
        SUBSCRIPTIONS)


class NotJson(json.JSONDecodeError):
    """Like ``validation.BadJson``: a refusal that is a ``JSONDecodeError``."""


class ScriptedSocket:
    """A Starlette WebSocket that delivers ``texts``, then disconnects."""

    application_state = WebSocketState.CONNECTED

    def __init__(self, texts: list[str]) -> None:
        self.texts = list(texts)
        self.closed: list[tuple[int, str]] = []

    async def receive_text(self) -> str:
        if not self.texts:
            raise WebSocketDisconnect(1000)
        return self.texts.pop(0)

    async def close(self, code: int, reason: str) -> None:
        self.closed.append((code, reason))


async def test_every_message_is_decoded_by_the_view_and_handed_to_handle_message() -> None:
    # TransportHandler.handle_message checks each message's shape before strawberry's
    # dispatch (and answers with handle_invalid_message); SubscriptionView.decode_json
    # bounds the JSON, refusing with a JSONDecodeError.
    from strawberry.asgi import ASGIWebSocketAdapter, GraphQL

    params = list(inspect.signature(GraphQL.decode_json).parameters)
    assert params == ["self", "data"], changed(
        STRAWBERRY, f"GraphQL.decode_json's parameters to {params}", SUBSCRIPTIONS)
    base = transport_ws().BaseGraphQLTransportWSHandler
    for name, expected in (("handle_message", ["self", "message"]),
                           ("handle_invalid_message", ["self", "error_message"])):
        params = list(inspect.signature(getattr(base, name, None) or (lambda: None)).parameters)
        assert params == expected, changed(
            STRAWBERRY, f"BaseGraphQLTransportWSHandler.{name}'s parameters to {params}", SUBSCRIPTIONS)
    decoded: list[str] = []
    seen: list[tuple[str, Any]] = []

    class View:
        def decode_json(self, data: str | bytes) -> object:
            decoded.append(str(data))
            if data == "BAD":
                raise NotJson("refused", str(data), 0)
            return json.loads(data)

        def encode_json(self, message: Any) -> str:
            return json.dumps(message)

    class Recording(base):  # type: ignore[misc, valid-type]
        async def handle_message(self, message: Any) -> None:
            seen.append(("message", message))
            if not isinstance(message, dict):
                await self.handle_invalid_message("a message must be a JSON object")
                return
            await super().handle_message(message)

        async def handle_invalid_message(self, error_message: str) -> None:
            seen.append(("invalid", error_message))
            await super().handle_invalid_message(error_message)

        async def handle_connection_init(self, message: Any) -> None:
            seen.append(("connection_init", message))

        async def handle_subscribe(self, message: Any) -> None:
            seen.append(("subscribe", message))

        async def shutdown(self) -> None:
            seen.append(("shutdown", None))
            await super().shutdown()

    view = View()
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": "subscription { ticks }"}}
    texts = ['{"type": "connection_init"}', json.dumps(subscribe), "[1]", '{"type": "nope"}', "BAD"]
    socket = ScriptedSocket(texts)
    handler = Recording(view=view, websocket=ASGIWebSocketAdapter(view, socket, socket),  # type: ignore[arg-type]
                        context=ProbeContext(), root_value=None, schema=None,
                        connection_init_wait_timeout=timedelta(seconds=10))
    await handler.handle()
    assert decoded == texts, changed(
        STRAWBERRY, f"how WebSocket messages are decoded (view.decode_json saw {decoded})", SUBSCRIPTIONS)
    kinds = [kind for kind, _ in seen]
    assert kinds == ["message", "connection_init", "message", "subscribe", "message", "invalid",
                     "message", "invalid", "invalid", "shutdown"], changed(
        STRAWBERRY, f"how the handler dispatches messages (saw {seen})", SUBSCRIPTIONS)
    assert [m for kind, m in seen if kind == "message"] == [json.loads(t) for t in texts[:-1]], changed(
        STRAWBERRY, "what handle_message receives (no longer each decoded message, whatever its shape)",
        SUBSCRIPTIONS)
    # An unknown type is strawberry's to refuse (ws_message_problem leaves it); a message that
    # fails to decode (decode_json's JSONDecodeError) is refused too, with 4400.
    assert seen[7][1].startswith("Unknown message type") and "JSON" in seen[8][1], changed(
        STRAWBERRY, f"the refusals of an unknown type and of undecodable JSON ({seen[7:9]})",
        f"{SUBSCRIPTIONS}, {VALIDATION}")
    assert [code for code, _ in socket.closed] == [4400, 4400, 4400], changed(
        STRAWBERRY, f"handle_invalid_message (no longer closes with 4400: {socket.closed})", SUBSCRIPTIONS)


async def test_the_handler_state_the_gate_and_the_expiry_read() -> None:
    handlers = transport_ws()
    sent: list[Any] = []

    class View:
        async def on_ws_connect(self, context: ProbeContext) -> None:
            return None

    class Recording(handlers.BaseGraphQLTransportWSHandler):  # type: ignore[misc, name-defined]
        async def send_message(self, message: Any) -> None:
            sent.append(message)

    view, context, websocket = View(), ProbeContext(), object()
    handler = Recording(view=view, websocket=websocket, context=context, root_value=None,
                        schema=strawberry.Schema(ProbeQuery, subscription=ProbeSubscription),
                        connection_init_wait_timeout=timedelta(seconds=10))
    held = tuple(getattr(handler, name, None) for name in ("view", "context", "websocket"))
    assert held == (view, context, websocket), changed(
        STRAWBERRY, "the handler's view, context and websocket attributes", f"{WSGATE}, {SUBSCRIPTIONS}")
    assert getattr(handler, "connection_acknowledged", None) is False and getattr(
            handler, "operations", None) == {}, changed(
        STRAWBERRY, "the handler's connection_acknowledged and operations before connection_init",
        f"{WSGATE}, {SUBSCRIPTIONS}")
    await handler.handle_connection_init({"type": "connection_init"})
    assert getattr(handler, "connection_acknowledged", None) is True, changed(
        STRAWBERRY, "connection_acknowledged (not set by handle_connection_init)", f"{WSGATE}, {SUBSCRIPTIONS}")
    # OperationGate replaces payload["query"] (the admitted document) before handle_subscribe.
    payload = {"query": "subscription { nope }"}
    message = {"id": "op-1", "type": "subscribe", "payload": payload}
    payload["query"] = "subscription { ticks }"
    await handler.handle_subscribe(message)
    operation = handler.operations.get("op-1")
    assert operation is not None and operation.query == "subscription { ticks }", changed(
        STRAWBERRY, "handle_subscribe's operations (no longer keyed by id, with the payload's query)", WSGATE)
    await operation.task
    assert [m["type"] for m in sent] == ["connection_ack", "next", "next", "complete"], changed(
        STRAWBERRY, f"what a subscribe runs ({sent})", WSGATE)
    assert "op-1" not in handler.operations
    await handler.shutdown()


# -- api/graphql/core/loading.py: fields answered from a loader's cache --------------------


async def test_a_dataloader_keeps_done_futures_in_cache_map() -> None:
    from strawberry.dataloader import DataLoader

    async def double(keys: list[int]) -> list[int]:
        return [k * 2 for k in keys]

    loader = DataLoader(double)
    assert loader.cache is True, changed(STRAWBERRY, "DataLoader.cache", LOADING)
    assert await loader.load(1) == 2
    cache_map = getattr(loader, "cache_map", None)
    future = cache_map.get(1) if cache_map is not None else None
    assert future is not None and future.done() and future.result() == 2, changed(
        STRAWBERRY, "DataLoader.cache_map.get(key) (no longer the done future of a loaded key)",
        LOADING)
    assert cache_map is not None and cache_map.get(2) is None, changed(
        STRAWBERRY, "DataLoader.cache_map.get(key) of a key never loaded", LOADING)


async def test_turning_a_loaders_cache_off_after_construction_stops_caching() -> None:
    # FreshLoaders (subscriptions.py) sets loader.cache = False on a loader built with caching.
    from strawberry.dataloader import DataLoader

    calls: list[list[int]] = []

    async def load(keys: list[int]) -> list[int]:
        calls.append(list(keys))
        return keys

    loader = DataLoader(load)
    loader.cache = False
    await loader.load(3)
    await loader.load(3)
    assert calls == [[3], [3]], changed(
        STRAWBERRY, "DataLoader.cache set after construction (still caches)", f"{SUBSCRIPTIONS}, {LOADING}")


@strawberry.type
class ProbeNode:
    a: int
    b: int


@strawberry.type
class ProbeEdge:
    node: ProbeNode


selected: list[Any] = []


@strawberry.type
class ProbePageQuery:
    @strawberry.field
    def edges(self, info: strawberry.Info) -> list[ProbeEdge]:
        selected[:] = info.selected_fields
        return [ProbeEdge(node=ProbeNode(a=1, b=2))]


async def test_selected_fields_are_strawberry_types_nodes_with_selections() -> None:
    nodes = importlib.import_module("strawberry.types.nodes")
    field_class = _attr(nodes.__name__, "SelectedField", STRAWBERRY, LOADING)
    fragments = (_attr(nodes.__name__, "FragmentSpread", STRAWBERRY, LOADING),
                 _attr(nodes.__name__, "InlineFragment", STRAWBERRY, LOADING))
    _attr(nodes.__name__, "Selection", STRAWBERRY, LOADING)
    schema = strawberry.Schema(ProbePageQuery)
    result = await schema.execute(
        "{ edges { ...F ... on ProbeEdge { node { b } } } } fragment F on ProbeEdge { node { a } }")
    assert not result.errors, result.errors
    (edges,) = selected
    assert isinstance(edges, field_class) and edges.name == "edges", changed(
        STRAWBERRY, f"Info.selected_fields (not SelectedField: {edges!r})", LOADING)
    kinds = sorted(type(s).__name__ for s in edges.selections)
    assert kinds == ["FragmentSpread", "InlineFragment"], changed(
        STRAWBERRY, f"the selections of a SelectedField ({kinds})", LOADING)
    for fragment in edges.selections:
        assert isinstance(fragment, fragments)
        (node,) = fragment.selections
        assert isinstance(node, field_class) and node.name == "node", changed(
            STRAWBERRY, f"a fragment's selections ({fragment.selections!r})", LOADING)
        assert [s.name for s in node.selections] in (["a"], ["b"]), changed(
            STRAWBERRY, "SelectedField.selections", LOADING)


# -- api/graphql/core/validation.py and limits.py: cached parsing and validation --------------


def test_the_execution_context_has_the_fields_our_extensions_use() -> None:
    used = {"query", "schema", "context", "variables", "parse_options", "validation_rules",
            "graphql_document", "pre_execution_errors"}
    missing = used - {f.name for f in dataclasses.fields(ExecutionContext)}
    assert not missing, changed(STRAWBERRY, f"ExecutionContext's fields (missing {sorted(missing)})",
                                f"{VALIDATION}, {LIMITS}")
    assert isinstance(getattr(ExecutionContext, "operation_name", None), property), changed(
        STRAWBERRY, "ExecutionContext.operation_name", VALIDATION)


def test_a_strawberry_schema_holds_its_graphql_core_schema_as__schema() -> None:
    held = getattr(strawberry.Schema(ProbeQuery), "_schema", None)
    assert isinstance(held, graphql.GraphQLSchema), changed(
        STRAWBERRY, f"Schema._schema (not a GraphQLSchema: {held!r})", f"{VALIDATION}, {APP}")


def test_the_parser_cache_parses_through_cached_parse_document() -> None:
    cached = getattr(ParserCache(maxsize=8), "cached_parse_document", None)
    assert callable(cached), changed(STRAWBERRY, "ParserCache.cached_parse_document", VALIDATION)
    params = inspect.signature(cached).parameters
    assert next(iter(params), None) == "source" and "max_tokens" in params, changed(
        STRAWBERRY, f"ParserCache.cached_parse_document's parameters to {list(params)} "
        "(we pass the query and **parse_options)", VALIDATION)
    document = cached("{ item { name } }")
    assert isinstance(document, graphql.DocumentNode) and cached("{ item { name } }") is document, changed(
        STRAWBERRY, "ParserCache.cached_parse_document (no longer the cached document)", VALIDATION)
    with pytest.raises(graphql.GraphQLSyntaxError):
        cached("{ item { name colour shout } }", max_tokens=3)


class CheckedParsing(ParserCache):
    """Like ``CheckedParserCache``: documents that fail to parse are left to strawberry."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        try:
            ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
        except GraphQLError:
            ctx.graphql_document = None
        yield


def checked_schema() -> strawberry.Schema:
    return strawberry.Schema(ProbeQuery, subscription=ProbeSubscription, extensions=[
        lambda: MaxTokensLimiter(max_token_count=12), lambda: CheckedParsing(maxsize=8)])


async def test_strawberry_parses_and_reports_a_document_on_parse_left_unparsed() -> None:
    schema = checked_schema()
    left = "parsing after on_parse left graphql_document None"
    result = await schema.execute(QUERY)
    assert not result.errors and result.data is not None, changed(
        STRAWBERRY, f"{left}, or ParserCache's document ({result.errors})", VALIDATION)
    for query in ("{ item { name", "{ item { name colour shout } } { item { name colour shout } }"):
        try:
            result = await schema.execute(query)
        except Exception as exc:
            pytest.fail(changed(STRAWBERRY, f"{left} ({query!r} raised {exc!r})", VALIDATION))
        errors = result.errors or []
        assert len(errors) == 1 and isinstance(errors[0], graphql.GraphQLSyntaxError), changed(
            STRAWBERRY, f"{left} ({query!r} gave {errors})", VALIDATION)
    assert "12 tokens" in (result.errors or [GraphQLError("")])[0].message, changed(
        STRAWBERRY, "ExecutionContext.parse_options (MaxTokensLimiter's max_tokens no longer there)",
        VALIDATION)
    # Over WebSocket (schema.stream): the syntax error is the stream's first result, not raised.
    stream = await schema.subscribe("subscription { ticks")
    assert not isinstance(stream, strawberry.types.ExecutionResult), stream
    try:
        results = [r async for r in stream]
    except Exception as exc:
        pytest.fail(changed(STRAWBERRY, f"{left} (a subscription raised {exc!r})", VALIDATION))
    first = (results[0].errors if len(results) == 1 else None) or []
    assert first and isinstance(first[0], graphql.GraphQLSyntaxError), changed(
        STRAWBERRY, f"{left} (a subscription's syntax error: {results})", VALIDATION)


class RefuseShout(ValidationRule):
    def enter_field(self, node: graphql.FieldNode, *_args: Any) -> None:
        if node.name.value == "shout":
            self.report_error(GraphQLError("no shouting", node))


def test_the_validation_cache_validates_through_cached_validate_document() -> None:
    cached = getattr(ValidationCache(maxsize=8), "cached_validate_document", None)
    assert callable(cached), changed(STRAWBERRY, "ValidationCache.cached_validate_document", VALIDATION)
    params = [p for p in inspect.signature(cached).parameters.values()
              if p.default is inspect.Parameter.empty]
    assert [p.name for p in params] == ["schema", "document", "validation_rules"], changed(
        STRAWBERRY, f"ValidationCache.cached_validate_document's parameters to {[p.name for p in params]}",
        VALIDATION)
    schema, document = strawberry.Schema(ProbeQuery)._schema, graphql.parse("{ item { shout } }")
    errors = cached(schema, document, (RefuseShout,))
    assert [e.message for e in errors] == ["no shouting"], changed(
        STRAWBERRY, f"cached_validate_document's errors (our rule's: {errors})", VALIDATION)
    # limits.py builds its rule classes once per configuration so that this cache hits.
    assert cached(schema, document, (RefuseShout,)) is errors, changed(
        STRAWBERRY, "cached_validate_document (no longer cached by schema, document and rule classes)", LIMITS)


async def test_rules_added_on_operation_and_errors_set_on_validate_decide_the_result() -> None:
    instances: list[str] = []

    class Counted(ValidationRule):
        def __init__(self, context: graphql.ValidationContext) -> None:
            super().__init__(context)
            instances.append(context.document.loc.source.body if context.document.loc else "")

    class AddRules(SchemaExtension):  # like SettingsLimits
        def on_operation(self) -> Iterator[None]:
            ctx = self.execution_context
            ctx.validation_rules = (*ctx.validation_rules, RefuseShout, Counted)
            yield

    class Validation(ValidationCache):  # like CachedValidation
        def on_validate(self) -> Iterator[None]:
            ctx = self.execution_context
            errors = self.cached_validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
            if not errors and ctx.variables:
                errors = [GraphQLError(f"refused variables of {ctx.operation_name}")]
            ctx.pre_execution_errors = errors
            yield

    schema = strawberry.Schema(ProbeQuery, extensions=[AddRules, lambda: Validation(maxsize=8)])
    result = await schema.execute("{ item { shout } }")
    assert [e.message for e in result.errors or []] == ["no shouting"], changed(
        STRAWBERRY, f"ExecutionContext.validation_rules set on_operation (not what validation ran: "
        f"{result.errors})", LIMITS)
    result = await schema.execute("query Named { item { name } }", variable_values={"x": 1})
    assert [e.message for e in result.errors or []] == ["refused variables of Named"], changed(
        STRAWBERRY, f"ExecutionContext.pre_execution_errors set on_validate (not the result's errors: "
        f"{result.errors})", VALIDATION)
    instances.clear()
    result = await schema.execute("{ item { colour } }")
    assert not result.errors and instances == ["{ item { colour } }"], changed(
        STRAWBERRY, f"validation after on_validate set pre_execution_errors (ran {len(instances)} times)",
        VALIDATION)


def nested_fragments(levels: int) -> graphql.DocumentNode:
    """An operation, then fragments each spreading the next one level deeper."""
    parts = ["query Deep { t { ...F0 } }"]
    parts += [f"fragment F{i} on T {{ t {{ ...F{i + 1} }} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on T {{ a }}")
    return graphql.parse("\n".join(parts))


def test_graphql_core_checks_nesting_through_fragments_before_our_rule() -> None:
    # OperationLimits walks an operation through its fragments (recursively) when entered:
    # graphql-core must have refused nesting beyond its limit (200) before.
    entered: list[str] = []

    class Entered(ValidationRule):
        def enter_operation_definition(self, node: graphql.OperationDefinitionNode, *_args: Any) -> None:
            entered.append(node.name.value if node.name else "")

    schema = graphql.build_schema("type Query { t: T } type T { t: T a: Int }")
    assert graphql.validate(schema, nested_fragments(10), [Entered]) == [] and entered == ["Deep"]
    entered.clear()
    errors = graphql.validate(schema, nested_fragments(120), [Entered])
    assert [type(e).__name__ for e in errors] == ["ValidationAbortedError"], changed(
        GRAPHQL_CORE, f"the check of nesting through fragments (validation gave {errors})", LIMITS)
    assert entered == [], changed(
        GRAPHQL_CORE, "the check of nesting through fragments: it no longer runs before the rules", LIMITS)


# -- api/schema.py and tools/refresh_graphiql.py ----------------------------------


async def test_process_errors_is_the_hook_strawberry_reports_errors_through() -> None:
    params = list(inspect.signature(strawberry.Schema.process_errors).parameters)
    assert params == ["self", "errors", "execution_context"], changed(
        STRAWBERRY, f"Schema.process_errors's parameters to {params}", SCHEMA)
    reported: list[Any] = []

    class Quiet(strawberry.Schema):
        def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
            reported.append((errors, execution_context))

    await Quiet(ProbeQuery).execute("{ nope }")
    assert len(reported) == 1, changed(STRAWBERRY, "when Schema.process_errors is called", SCHEMA)
    errors, context = reported[0]
    assert errors and all(isinstance(e, GraphQLError) for e in errors) and context is not None, changed(
        STRAWBERRY, f"what Schema.process_errors receives ({reported[0]!r})", SCHEMA)


def test_strawberry_renders_graphiql() -> None:
    # tools/refresh_graphiql.py reads the asset versions and hashes strawberry's page pins.
    render = _attr("strawberry.http.ides", "get_graphql_ide_html", STRAWBERRY, "tools/refresh_graphiql.py")
    assert "graphiql" in render(graphql_ide="graphiql").lower(), changed(
        STRAWBERRY, "strawberry.http.ides.get_graphql_ide_html(graphql_ide=...)", "tools/refresh_graphiql.py")


# -- api/server.py: uvicorn's httptools protocol, extended --------------------------------


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


HOOKS = {"connection_made": ["self", "transport"], "connection_lost": ["self", "exc"],
         "data_received": ["self", "data"], "on_message_begin": ["self"], "on_headers_complete": ["self"],
         "on_message_complete": ["self"], "handle_websocket_upgrade": ["self"],
         "timeout_keep_alive_handler": ["self"], "_should_upgrade": ["self"]}


def httptools_protocol() -> type[asyncio.Protocol]:
    cls = _attr("uvicorn.protocols.http.httptools_impl", "HttpToolsProtocol", UVICORN, SERVER)
    for name, expected in HOOKS.items():
        method = getattr(cls, name, None)
        params = list(inspect.signature(method).parameters) if callable(method) else None
        assert params == expected, changed(UVICORN, f"HttpToolsProtocol.{name} (parameters {params})", SERVER)
    return typing.cast("type[asyncio.Protocol]", cls)


async def test_uvicorns_httptools_protocol_calls_the_hooks_we_extend() -> None:
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle
    from uvicorn.server import ServerState

    calls: list[Any] = []
    received: list[Any] = []

    class Recording(httptools_protocol()):  # type: ignore[misc]
        def on_message_begin(self) -> None:
            calls.append("begin")
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            calls.append(("headers", self.parser.should_upgrade() and self._should_upgrade()))

        def on_message_complete(self) -> None:
            calls.append("complete")
            super().on_message_complete()

        def handle_websocket_upgrade(self) -> None:
            calls.append("upgrade")

        def timeout_keep_alive_handler(self) -> None:
            calls.append("keep_alive")
            super().timeout_keep_alive_handler()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["method"] == "POST":  # its body never comes: the connection is cut off
            received.append(await receive())
            await send({"type": "http.response.start", "status": 200, "headers": []})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    config = uvicorn.Config(app, http=Recording, timeout_keep_alive=0, log_config=None, lifespan="off")
    loop = asyncio.get_running_loop()

    def connect() -> tuple[Any, FakeTransport]:
        protocol = Recording(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        transport = FakeTransport()
        protocol.connection_made(transport)
        return protocol, transport

    async def settle(until: Any) -> None:
        for _ in range(200):
            if until():
                return
            await asyncio.sleep(0.005)

    protocol, transport = connect()
    assert protocol.loop is loop and protocol.transport is transport and isinstance(
        protocol.logger, logging.Logger), changed(UVICORN, "HttpToolsProtocol's loop, transport and logger", SERVER)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await settle(lambda: "keep_alive" in calls)
    cycle = getattr(protocol, "cycle", None)
    assert isinstance(cycle, RequestResponseCycle) and cycle.response_started and cycle.response_complete \
        and not cycle.disconnected and isinstance(cycle.message_event, asyncio.Event), changed(
        UVICORN, "HttpToolsProtocol.cycle (a RequestResponseCycle with response_started, response_complete, "
        "disconnected and message_event)", SERVER)
    assert calls == ["begin", ("headers", False), "complete", "keep_alive"], changed(
        UVICORN, f"which hooks the parser and the keep-alive timer call (saw {calls})", SERVER)
    assert transport.written and transport.closed, changed(UVICORN, "the keep-alive timeout's close", SERVER)

    calls.clear()
    protocol, transport = connect()
    protocol.data_received(b"GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    assert ("headers", True) in calls and "upgrade" in calls, changed(
        UVICORN, f"how an upgrade request reaches handle_websocket_upgrade (saw {calls})", SERVER)

    # GuardedHttpToolsProtocol._refuse: a request cut off while the application waits.
    protocol, transport = connect()
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
    await asyncio.sleep(0.01)
    cycle = protocol.cycle
    assert cycle is not None and not cycle.response_started and not cycle.response_complete, changed(
        UVICORN, "RequestResponseCycle's state while the application waits for the body", SERVER)
    cycle.disconnected = True
    cycle.message_event.set()
    await settle(lambda: received)
    assert received == [{"type": "http.disconnect"}], changed(
        UVICORN, f"a cycle marked disconnected (the application received {received})", SERVER)
    await asyncio.sleep(0.01)
    assert transport.written == [], changed(
        UVICORN, f"a disconnected cycle's send (it wrote {transport.written})", SERVER)
    protocol.connection_lost(None)


def test_uvicorn_takes_the_protocol_class_as_http() -> None:
    import uvicorn

    protocol = httptools_protocol()
    config = uvicorn.Config(lambda *_: None, http=protocol, log_config=None, lifespan="off")
    config.load()
    assert getattr(config, "http_protocol_class", None) is protocol, changed(
        UVICORN, "Config(http=<a protocol class>)", SERVER)


# -- api/database.py: pruning dead handles of the embedded server ---------------------------


def postgres_server() -> Any:
    module = importlib.import_module("pgserver.postgres_server")
    return _attr(module.__name__, "PostgresServer", PGSERVER, DATABASE)


def test_pgserver_guards_its_handle_list_with_a_class_level_lock() -> None:
    server = postgres_server()
    lock = getattr(server, "_lock", None)
    assert lock is not None and callable(getattr(lock, "__enter__", None)) and callable(
        getattr(lock, "__exit__", None)), changed(PGSERVER, "PostgresServer._lock", DATABASE)
    for method in ("__init__", "_cleanup"):
        names = getattr(getattr(server, method, None), "__code__", None)
        assert names is not None and {"_lock", "global_process_id_list"} <= set(names.co_names), changed(
            PGSERVER, f"PostgresServer.{method} (no longer updates global_process_id_list under _lock)",
            DATABASE)


def test_pgserver_keeps_handle_pids_in_a_disk_list(tmp_path: Path) -> None:
    module = importlib.import_module("pgserver.postgres_server")
    assert "DiskList" in postgres_server().__init__.__code__.co_names, changed(
        PGSERVER, "PostgresServer.global_process_id_list (no longer a DiskList)", DATABASE)
    handles = _attr(module.__name__, "DiskList", PGSERVER, DATABASE)(tmp_path / "handles.json")
    assert handles.get() == []
    handles.put([11, 12])
    assert handles.get() == [11, 12], changed(PGSERVER, "DiskList.get()/put()", DATABASE)


# -- domain/shared/events.py: the envelope fields stripped from payloads ------------------


def test_eventsourcing_events_carry_the_envelope_we_strip() -> None:
    from eventsourcing.domain import Aggregate

    from domain.shared.events import _ENVELOPE

    fields = ({f.name for f in dataclasses.fields(Aggregate.Event)}
              | {f.name for f in dataclasses.fields(Aggregate.Created)})
    assert fields == _ENVELOPE, changed(
        EVENTSOURCING, f"the fields of Aggregate.Event and Aggregate.Created to {sorted(fields)}", EVENTS)
    mutator = _attr("eventsourcing.domain", "CanMutateAggregate", EVENTSOURCING, EVENTS)
    assert callable(getattr(mutator, "mutate", None)), changed(
        EVENTSOURCING, "CanMutateAggregate.mutate", EVENTS)

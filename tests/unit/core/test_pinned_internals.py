"""The private and internal API of our dependencies that production code relies on.

Each test states one internal as we use it: the attribute, the parameters we override,
the class we subclass, the call the library makes into our override. pyproject.toml
bounds each of these libraries below the next release that may change them; when one
of these tests fails after an upgrade, adapt the module the message names (or drop its
shortcut), then move the bound and refresh constraints.txt (README, "Set up").
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import typing
from collections.abc import AsyncGenerator
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
from starlette.websockets import WebSocketDisconnect
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

STRAWBERRY, GRAPHQL_CORE, PGSERVER, EVENTSOURCING = (
    "strawberry-graphql", "graphql-core", "pgserver", "eventsourcing")
EXECUTION = "api/graphql/core/execution.py"
LOADING = "api/graphql/core/loading.py"
SUBSCRIPTIONS = "api/graphql/feed/subscriptions.py"
SCHEMA = "api/schema.py"
HTTP = "api/http.py"
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


# -- api/schema.py and api/http.py -------------------------------------------------


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


def test_the_limiters_expose_the_rule_classes_they_built() -> None:
    for extension in (QueryDepthLimiter(max_depth=3), MaxAliasesLimiter(max_alias_count=3)):
        rules = list(getattr(extension, "validation_rules", None) or ())
        assert rules and all(isinstance(r, type) and issubclass(r, ValidationRule) for r in rules), changed(
            STRAWBERRY, f"{type(extension).__name__}.validation_rules", SCHEMA)


def test_strawberry_renders_graphiql() -> None:
    render = _attr("strawberry.http.ides", "get_graphql_ide_html", STRAWBERRY, HTTP)
    assert "graphiql" in render(graphql_ide="graphiql").lower(), changed(
        STRAWBERRY, "strawberry.http.ides.get_graphql_ide_html(graphql_ide=...)", HTTP)


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

"""What an area contributes to the GraphQL schema, declared once in its ``area.py``.

The one list of areas (``api/areas.py``) holds each area's ``ApiArea``; the schema's
root types, the types it must know of, the error mapping and the Relay ``node`` lookup
are composed from that list (``api/schema.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

NodeLoader = Callable[[Any, UUID], Awaitable[Any]]
"""``async def load(info, id) -> node | None``, scoped to the caller like a query."""


@dataclass(frozen=True)
class ApiArea:
    """One area's part of the GraphQL schema."""

    name: str
    query: type | None = None
    """The area's fields of ``Query`` (a strawberry type composed into the root)."""
    mutation: type | None = None
    subscription: type | None = None
    types: tuple[type, ...] = ()
    """Node types the schema must know even where no field names them (``node``)."""
    errors: tuple[type, ...] = ()
    """The area's typed errors (``error_type``), answered in its result unions."""
    nodes: Mapping[str, NodeLoader] = field(default_factory=dict)
    """Relay ``node`` lookups by the stream type of the id."""
    inner_nodes: Mapping[str, NodeLoader] = field(default_factory=dict)
    """Lookups of objects that live inside another stream (a transfer, a project), by type."""
    scalars: Mapping[object, object] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    """Areas whose GraphQL types or lookups this one uses (checked by the import contracts).
    Usually its domain's ``depends_on``; the feed, which has no domain, answers with other
    areas' node types, and a webhook's type shows the Organization it is scoped to."""
    fields: Mapping[type, type] = field(default_factory=dict)
    """Fields this area adds to a type of an area it depends on, by that type: a strawberry
    type whose fields join the target's when the schema is composed (``extend_types``), so
    the target's area need not know this one (``Organization.grids`` from grids). A resolver
    receives the target's object as ``self``."""
    loaders: Mapping[str, Any] = field(default_factory=dict)
    """Per-request DataLoaders by name (``info.context.loaders.<name>``): batch functions
    (``api.graphql.core.context.by_id`` / ``grouped``)."""
    list_costs: Mapping[str, int] = field(default_factory=dict)
    """The most items each unpaged list of the area's types holds, by ``"Type.field"``: the
    query cost counts that list as this many rows (``api.graphql.core.cost``). The real
    bound where the data has one, else the most one list holds in practice. Every list
    field needs one except pages (fields taking ``first``) and their connections'
    ``edges``; ``tests/unit/core/test_query_cost.py`` fails on a list without."""


def extend_types(areas: Sequence[ApiArea]) -> None:
    """Add the areas' ``fields`` to their target types, once (the schema module runs this
    before it builds the schema; a second run finds the fields there and adds nothing).

    A name the target (or another area) has already is refused: a silent override would
    let one area hide another's field.
    """
    for area in areas:
        for target, part in area.fields.items():
            definition = target.__strawberry_definition__  # type: ignore[attr-defined]
            have = {f.python_name: f for f in definition.fields}
            for added in part.__strawberry_definition__.fields:  # type: ignore[attr-defined]
                present = have.get(added.python_name)
                if present is added:
                    continue
                if present is not None:
                    raise ValueError(f"{area.name} adds {target.__name__}.{added.python_name}, which exists")
                definition.fields.append(added)


@dataclass(frozen=True)
class NodeLookup:
    """``node(id)``: by the id's stream type, or among the objects inside streams."""

    by_stream: Mapping[str, NodeLoader]
    inner: Mapping[str, NodeLoader]

    @classmethod
    def of(cls, areas: Sequence[ApiArea]) -> NodeLookup:
        by_stream: dict[str, NodeLoader] = {}
        for area in areas:
            for stream_type, load in area.nodes.items():
                if stream_type in by_stream:
                    raise ValueError(f"two areas look up {stream_type} nodes")
                by_stream[stream_type] = load
        inner = {name: load for area in areas for name, load in area.inner_nodes.items()}
        if len(inner) != sum(len(area.inner_nodes) for area in areas) or inner.keys() & by_stream.keys():
            raise ValueError("two areas look up nodes of the same type")
        return cls(by_stream, inner)

    async def load(self, info: Any, stream_type: str | None, oid: UUID) -> Any:
        if stream_type is not None:
            load = self.by_stream.get(stream_type)
            return None if load is None else await load(info, oid)
        for inner in self.inner.values():
            found = await inner(info, oid)
            if found is not None:
                return found
        return None

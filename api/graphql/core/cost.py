"""The query cost model: how many values one field can make the server produce.

Depth, alias and token limits do not stop ``funds(first: 200) { ... ledger(first: 200)
{ ... } }``: 40,000 rows from a 100-byte query. Nor ``organization { children { parent {
children ... } } }`` or thirty aliases of an introspection query, lists without pages. So
the cost of a field is 1 (a list of leaves: its items) times the size of every list around
it, and every list has a size:

- a **page** (a field taking ``first``, which returns a connection): the literal ``first``,
  the default page when absent, or the largest page when it is a variable (validation
  runs before variables are known, and must not be fooled by them). The connection's
  ``edges`` are that page, counted once on the field that takes ``first``.
- a **declared list**: each area declares the most items each of its unpaged lists holds
  (``ApiArea.list_costs``, ``"Type.field" -> bound``): the real bound where the data has one
  (a tree's depth, the roles a token can hold, a domain limit), else an estimate of the
  most one list holds in practice. The core's own lists are ``CORE_LIST_COSTS``.
- **introspection**: the schema's own sizes. ``types`` counts every type; a type's
  ``fields``, ``inputFields``, ``enumValues``, ``interfaces``, ``possibleTypes`` and a field's
  ``args`` count the mean per parent (at least 1), so that listing the whole schema
  costs about what it returns; an ``ofType`` chain ends after the deepest wrapping
  (``[X!]!``) the schema has.

A list field that none of these covers counts as the largest page, and
``tests/unit/core/test_query_cost.py`` fails until its area declares it
(``undeclared_lists``). The limit itself, and the walk that applies this model to a
document once per fragment, are in ``api.graphql.core.limits``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    GraphQLWrappingType,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from domain.shared.permissions import Role

CORE_LIST_COSTS: Mapping[str, int] = {
    "Viewer.roles": len(Role),
    "HistoryEvent.actorRoles": len(Role),
}
"""The core's unpaged lists (``me``, ``history`` entries); ``Query.projections`` (one row per
read model) is declared by the schema's composition, which knows them."""

PAGE_ARGUMENT = "first"


@dataclass(frozen=True)
class ListCosts:
    """The declared bounds of a schema's unpaged lists, merged from the areas' declarations.

    Hashable, so that the limit rules built from it can be cached per configuration."""

    bounds: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, *declarations: Mapping[str, int]) -> ListCosts:
        merged: dict[str, int] = {}
        for declared in declarations:
            for key, bound in declared.items():
                if key in merged:
                    raise ValueError(f"the cost of {key} is declared twice")
                if key.count(".") != 1 or not all(key.split(".")):
                    raise ValueError(f"a list cost is declared as 'Type.field', not {key!r}")
                if not isinstance(bound, int) or isinstance(bound, bool) or bound < 1:
                    raise ValueError(f"the cost of {key} must be a positive integer, not {bound!r}")
                merged[key] = bound
        return cls(tuple(sorted(merged.items())))

    @functools.cached_property
    def _by_key(self) -> dict[str, int]:
        return dict(self.bounds)

    def get(self, key: str) -> int | None:
        return self._by_key.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)


@dataclass(frozen=True)
class Introspection:
    """The sizes of a schema that its introspection lists return."""

    bounds: Mapping[str, float]
    max_wrapping: int
    """The most ``ofType`` levels any type reference of the schema has (``[X!]!``: 3)."""


def _mean(total: int, parents: int) -> float:
    return max(1.0, total / max(parents, 1))


def _wrapping(t: object) -> int:
    depth = 0
    while isinstance(t, GraphQLWrappingType):
        t, depth = t.of_type, depth + 1
    return depth


@functools.lru_cache(maxsize=8)
def introspection(schema: GraphQLSchema) -> Introspection:
    types: list[GraphQLNamedType] = list(schema.type_map.values())
    with_fields = [t for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)]
    fields = [f for t in with_fields for f in t.fields.values()]
    inputs = [t for t in types if isinstance(t, GraphQLInputObjectType)]
    directives = schema.directives
    n = len(types)
    bounds = {
        "__Schema.types": float(n),
        "__Schema.directives": float(max(len(directives), 1)),
        "__Type.fields": _mean(len(fields), n),
        "__Type.interfaces": _mean(sum(len(t.interfaces) for t in with_fields), n),
        "__Type.possibleTypes": _mean(sum(len(t.types) for t in types if isinstance(t, GraphQLUnionType))
                                      + sum(1 for t in with_fields for _ in t.interfaces), n),
        "__Type.enumValues": _mean(sum(len(t.values) for t in types if isinstance(t, GraphQLEnumType)), n),
        "__Type.inputFields": _mean(sum(len(t.fields) for t in inputs), n),
        "__Field.args": _mean(sum(len(f.args) for f in fields), len(fields)),
        "__Directive.args": _mean(sum(len(d.args) for d in directives), len(directives)),
        "__Directive.locations": _mean(sum(len(d.locations) for d in directives), len(directives)),
    }
    references = [f.type for f in fields] + [a.type for f in fields for a in f.args.values()]
    references += [f.type for t in inputs for f in t.fields.values()]
    references += [a.type for d in directives for a in d.args.values()]
    return Introspection(bounds, max((_wrapping(r) for r in references), default=0))


def is_connection(t: GraphQLType | None) -> bool:
    """A Relay connection type: its ``edges`` are the page of the field that returns it."""
    named = get_named_type(t)
    return isinstance(named, GraphQLObjectType) and "edges" in named.fields and "pageInfo" in named.fields


def is_paged(field: GraphQLField) -> bool:
    return PAGE_ARGUMENT in field.args


def returns_list(field: GraphQLField) -> bool:
    return is_list_type(get_nullable_type(field.type))


def is_connection_edges(schema: GraphQLSchema, parent: str, name: str) -> bool:
    """A connection's ``edges``: the page of the field returning the connection."""
    return name == "edges" and is_connection(schema.get_type(parent))


def list_bound(schema: GraphQLSchema, costs: ListCosts, parent: str, name: str) -> float | None:
    """The size the model gives the unpaged list ``parent.name``: the schema's own for
    introspection, else the declared one (None if nothing declares it)."""
    key = f"{parent}.{name}"
    if key.startswith("__"):
        return introspection(schema).bounds.get(key)
    declared = costs.get(key)
    return None if declared is None else float(declared)


def _lists(schema: GraphQLSchema) -> Iterable[tuple[str, str, GraphQLField]]:
    for type_name, t in schema.type_map.items():
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in t.fields.items():
                yield type_name, name, field


def undeclared_lists(schema: GraphQLSchema, costs: ListCosts) -> list[str]:
    """Every list of the schema that has no cost: an unpaged list nothing declares, or a
    field returning a connection without a ``first`` page (introspection included)."""
    missing = []
    for parent, name, field in _lists(schema):
        if is_connection(field.type) and not is_paged(field):
            missing.append(f"{parent}.{name} (a connection without {PAGE_ARGUMENT})")
        elif (returns_list(field) and not is_paged(field) and not is_connection_edges(schema, parent, name)
              and list_bound(schema, costs, parent, name) is None):
            missing.append(f"{parent}.{name}")
    return missing


def stale_declarations(schema: GraphQLSchema, costs: ListCosts) -> list[str]:
    """Declared costs that name no unpaged list of the schema (a typo, a removed field)."""
    lists = {f"{p}.{n}" for p, n, f in _lists(schema) if returns_list(f) and not is_paged(f)}
    return sorted(set(costs) - lists)

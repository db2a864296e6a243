"""The request limits still hold with the rules built once; validation is cached; the
plain-leaf execution path answers exactly as graphql-core's own path does."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pytest
import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Visitor,
    get_introspection_query,
    parse,
    specified_rules,
    validate,
    visit,
)
from strawberry.extensions import ValidationCache

from api.graphql.core.execution import EXECUTION_CONTEXT, PlainLeafExecutionContext
from api.graphql.core.limits import Limits, Measure, measure
from api.schema import LIMIT_RULES, MAX_ALIASES, MAX_DEPTH, MAX_FRAGMENT_SPREADS, MAX_TOKENS, schema


@dataclass
class _Context:
    """Enough context for validation failures: they stop before any resolver runs."""

    position: int = 1


async def _errors(query: str) -> list[str]:
    result = await schema.execute(query, context_value=_Context())
    assert result.data is None
    return [e.message for e in result.errors or []]


async def test_a_query_deeper_than_the_limit_is_refused() -> None:
    nested = "id"
    for _ in range(MAX_DEPTH + 1):
        nested = f"parent {{ {nested} }}"
    errors = await _errors(f'{{ organization(id: "x") {{ {nested} }} }}')
    assert any("exceeds maximum operation depth" in e for e in errors), errors


async def test_more_aliases_than_the_limit_are_refused() -> None:
    aliases = " ".join(f"a{i}: me {{ name }}" for i in range(MAX_ALIASES + 1))
    errors = await _errors(f"{{ {aliases} }}")
    assert any("aliases" in e for e in errors), errors


async def test_a_document_with_more_tokens_than_the_limit_is_refused() -> None:
    fields = " ".join("__typename" for _ in range(MAX_TOKENS))
    errors = await _errors(f"{{ {fields} }}")
    assert any("tokens" in e for e in errors), errors


async def test_a_repeated_query_is_validated_once() -> None:
    cache = ValidationCache(maxsize=256).cached_validate_document  # shared by every request
    query = '{ organization(id: "validated-once") { id name } }'
    await schema.execute(query, context_value=_Context())
    before = cache.cache_info()
    for _ in range(3):
        await schema.execute(query, context_value=_Context())
    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)


# -- validation is linear in the document: each fragment measured once ------------------

LIMITS = Limits(max_page=200, default_page=50)


def doubling(levels: int) -> str:
    """The issue's query: each fragment spreads the next twice (828 bytes at 20 levels)."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {chain} fragment F{levels} on Query {{ me {{ subject }} }}"


def selections(document: DocumentNode) -> int:
    """The selections (fields, inline fragments, spreads) the document holds."""
    found = []

    class Count(Visitor):
        def enter(self, node: Any, *_args: Any) -> None:
            if isinstance(node, FieldNode | InlineFragmentNode | FragmentSpreadNode):
                found.append(node)

    visit(document, Count())
    return len(found)


async def _limit_errors(query: str) -> list[tuple[str, Any]]:
    result = await schema.execute(query, context_value=_Context())
    assert result.data is None
    return [(e.message, e.extensions) for e in result.errors or []]


@pytest.mark.parametrize("levels", [20, 24])
async def test_doubling_fragments_are_refused_by_the_spread_bound_visiting_each_selection_once(levels: int) -> None:
    # 2^21 (2^25) paths through the spreads: strawberry's limiters walked them all, 4.8 s of
    # CPU at 20 levels, doubling per level. The rule measures each fragment once.
    query = doubling(levels)
    assert len(doubling(20)) == 828
    [(message, extensions)] = await _limit_errors(query)
    assert extensions == {"code": "LIMIT_EXCEEDED", "limit": "fragmentSpreads", "maximum": MAX_FRAGMENT_SPREADS}
    assert f"more than {MAX_FRAGMENT_SPREADS} fragment spreads" in message
    document = parse(query)
    [refused], walk = measure(schema._schema, document, LIMITS)
    assert refused.message == message
    assert walk.visits <= selections(document)  # and it stopped at the limit: fewer
    # A chain within the bound: 2^8 paths, every selection visited exactly once.
    document = parse(doubling(8))
    [within], walk = measure(schema._schema, document, LIMITS)
    assert isinstance(within, Measure) and within.spreads == 2**9 - 1 and within.cost == 2**8 * 2  # me, subject
    assert walk.visits == selections(document)


async def test_an_unknown_fragment_or_a_cycle_is_a_validation_error_not_an_internal_one() -> None:
    # `{ ...Nope }` was a KeyError in strawberry's depth limiter.
    assert await _limit_errors("{ ...Nope }") == [("Unknown fragment 'Nope'.", {})]
    cycle = "{ ...A } fragment A on Query { me { name } ...B } fragment B on Query { ...A }"
    [(message, _)] = await _limit_errors(cycle)
    assert message.startswith("Cannot spread fragment 'A' within itself")


async def test_depth_and_aliases_count_through_fragments() -> None:
    # Depth: a fragment's own depth adds to where it is spread.
    inner = "id"
    for _ in range(MAX_DEPTH - 2):
        inner = f"parent {{ {inner} }}"
    deep = f'{{ organization(id: "x") {{ parent {{ ...P }} }} }} fragment P on Organization {{ parent {{ {inner} }} }}'
    [(message, extensions)] = await _limit_errors(deep)
    assert extensions["limit"] == "depth" and "exceeds maximum operation depth" in message
    # Aliases: a fragment's aliases count at each spread.
    half = " ".join(f"a{i}: me {{ name }}" for i in range(MAX_ALIASES // 2 + 1))
    [(_, extensions)] = await _limit_errors(f"{{ ...H ...H }} fragment H on Query {{ {half} }}")
    assert extensions["limit"] == "aliases"


async def test_the_walk_stops_at_the_first_limit_exceeded() -> None:
    aliases = " ".join(f"a{i}: me {{ name }}" for i in range(MAX_ALIASES + 5))
    nested = "id"
    for _ in range(MAX_DEPTH + 5):
        nested = f"parent {{ {nested} }}"
    errors = await _limit_errors(f'{{ {aliases} organization(id: "x") {{ {nested} }} }}')
    assert [e["limit"] for _, e in errors] == ["aliases"]


def test_graphiqls_introspection_query_passes_every_limit() -> None:
    # Introspection is exempt from the depth (its type references nest deep), not from the cost.
    query = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                    schema_description=True, input_value_deprecation=True)
    assert validate(schema._schema, parse(query), [*specified_rules, *LIMIT_RULES]) == []


def test_the_schema_runs_with_the_plain_leaf_execution_context() -> None:
    # If graphql-core's executor changed shape, this falls back silently: say so here.
    assert EXECUTION_CONTEXT is PlainLeafExecutionContext


# -- the plain-leaf path against graphql-core's own path ------------------------------


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"


class Exploding:
    """A source whose ``name`` raises when read."""

    nickname = None
    colour = Colour.RED
    count = 5

    @property
    def name(self) -> str:
        raise RuntimeError("cannot read this attribute")


@strawberry.type
class Item:
    name: str
    nickname: str | None
    colour: Colour
    count: int
    source: strawberry.Private[Any] = None

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [
            Item(name="一", nickname=None, colour=Colour.RED, count=1),
            Item(name=None, nickname="null in a non-null field", colour=Colour.RED, count=2),  # type: ignore[arg-type]
            Item(name="三", nickname="bad enum", colour="PURPLE", count=3),  # type: ignore[arg-type]
            Item(name="四", nickname="bad int", colour=Colour.RED, count="many"),  # type: ignore[arg-type]
        ]

    @strawberry.field
    def exploding(self) -> Item | None:
        return Exploding()  # type: ignore[return-value]


ITEMS = "{ items { name nickname colour count shout aliased: name } }"


@pytest.mark.parametrize("query", [ITEMS, "{ items { count } }", "{ items { name } }",
                                   "{ exploding { name count } }"])
async def test_plain_leaves_give_the_same_data_and_errors_as_graphql_core(query: str) -> None:
    plain = strawberry.Schema(Query, execution_context_class=PlainLeafExecutionContext)
    stock = strawberry.Schema(Query)
    ours, theirs = await plain.execute(query), await stock.execute(query)
    assert ours.data == theirs.data
    assert [(e.message, e.path) for e in ours.errors or []] == [
        (e.message, e.path) for e in theirs.errors or []]
    assert ours.errors, "the query should include failing leaves"

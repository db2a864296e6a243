"""The request limits still hold with the rules built once; validation is cached; the
plain-leaf execution path answers exactly as graphql-core's own path does."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pytest
import strawberry
from strawberry.extensions import ValidationCache

from api.graphql.core.execution import EXECUTION_CONTEXT, PlainLeafExecutionContext
from api.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, schema


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

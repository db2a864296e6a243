"""Nested pages multiply; the query cost limit refuses what would fetch too many rows."""

from __future__ import annotations

from graphql import parse, specified_rules, validate

from api.schema import LIMIT_RULES, MAX_COST, schema


def errors(query: str) -> list[str]:
    """The validation errors the server would answer before running anything."""
    return [e.message for e in validate(schema._schema, parse(query), [*specified_rules, *LIMIT_RULES])]

NESTED = """{ funds(first: 200) { edges { node { year
    ledger(first: 200) { edges { node { amount balanceAfter reference actor } } } } } } }"""
FRONTEND = """{ funds(first: 50) { edges { node { year balance organization { name }
    projects { title paid } ledger(first: 20) { edges { node { amount } } } } } } }"""


def test_nested_pages_beyond_the_cost_limit_are_refused_before_anything_runs() -> None:
    found = errors(NESTED)
    assert found and f"costs more than {MAX_COST}" in found[0]


def test_a_variable_page_size_counts_as_the_largest_page() -> None:
    query = NESTED.replace("ledger(first: 200)", "ledger(first: $n)").replace(
        "{ funds(first: 200)", "query($n: Int) { funds(first: 200)")
    found = errors(query)
    assert found and "costs more than" in found[0]


def test_a_screen_sized_query_stays_within_the_limit() -> None:
    assert errors(FRONTEND) == []

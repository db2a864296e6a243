"""Nested pages multiply; the query cost limit refuses what would fetch too many rows."""

from __future__ import annotations

import pytest
import strawberry
from graphql import get_introspection_query, parse, specified_rules, validate

from api.graphql.core.cost import ListCosts, stale_declarations, undeclared_lists
from api.graphql.core.limits import INTROSPECTIONS, Limits, Measure, introspection_budget, measure
from api.schema import LIMIT_RULES, LIST_COSTS, MAX_ALIASES, MAX_COST, schema


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


# -- every list has a cost ----------------------------------------------------------------


def test_every_list_of_the_schema_has_a_cost() -> None:
    # Walks the schema, introspection included: every field whose type is a list is a page's
    # edges, an introspection list (sized by the schema), or declared by its area
    # (ApiArea.list_costs); every field returning a connection takes `first`. A new list
    # field fails here until its area declares the most items it holds.
    assert undeclared_lists(schema._schema, LIST_COSTS) == []
    assert stale_declarations(schema._schema, LIST_COSTS) == []


@strawberry.type
class PageInfo:
    has_next_page: bool


@strawberry.type
class ThingConnection:
    edges: list[str]
    page_info: PageInfo


@strawberry.type
class Thing:
    tags: list[str]
    ids: list[int] | None


def _paged(first: int | None = None) -> ThingConnection:
    return ThingConnection(edges=[], page_info=PageInfo(has_next_page=False))


@strawberry.type
class SmallQuery:
    things: list[Thing]
    paged: ThingConnection
    paged_too: ThingConnection = strawberry.field(resolver=_paged)


def test_the_walk_finds_a_list_without_a_cost() -> None:
    small = strawberry.Schema(SmallQuery)._schema
    assert undeclared_lists(small, ListCosts()) == [
        "SmallQuery.things", "SmallQuery.paged (a connection without first)", "Thing.tags", "Thing.ids"]
    declared = ListCosts.of({"SmallQuery.things": 10}, {"Thing.tags": 5, "Thing.ids": 5})
    assert undeclared_lists(small, declared) == ["SmallQuery.paged (a connection without first)"]
    assert stale_declarations(small, ListCosts.of({"Thing.name": 3})) == ["Thing.name"]
    # Until then, such a list counts as the largest page.
    [cost], _ = measure(small, parse("{ things { tags } }"), Limits(max_page=200, default_page=50),
                        ListCosts())
    assert isinstance(cost, Measure) and cost.cost == 1 + 200 * 200
    [cost], _ = measure(small, parse("{ things { tags } }"), Limits(max_page=200, default_page=50), declared)
    assert isinstance(cost, Measure) and cost.cost == 1 + 10 * 5


def test_two_areas_cannot_declare_the_same_list() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        ListCosts.of({"Organization.children": 50}, {"Organization.children": 10})
    with pytest.raises(ValueError, match="positive integer"):
        ListCosts.of({"Organization.children": 0})


CHILDREN = 'a{i}: organization(id: "x") { children { parent { children { parent { children { parent {' \
           ' children { parent { children { parent { id } } } } } } } } } } }'  # depth 11


def test_thirty_aliases_of_nested_children_are_refused_by_the_cost() -> None:
    # Unpaged lists counted as 1: this ran 1.5 s and returned 2.1 MB on a tiny tree.
    query = "{ " + " ".join(CHILDREN.replace("{i}", str(i)) for i in range(MAX_ALIASES)) + " }"
    found = errors(query)
    assert len(found) == 1 and f"costs more than {MAX_COST}" in found[0], found
    # A screen's worth of the tree stays within it.
    assert errors('{ organization(id: "x") { name children { name children { name } } } }') == []


INTROSPECTION = "a{i}: __schema { types { name kind fields { name args { name } type { name ofType { name } } } } }"


def test_thirty_aliases_of_an_introspection_query_are_refused_by_the_cost() -> None:
    # Introspection lists counted as 1: 1.8 s and 5.6 MB.
    query = "{ " + " ".join(INTROSPECTION.replace("{i}", str(i)) for i in range(MAX_ALIASES)) + " }"
    found = errors(query)
    assert len(found) == 1 and "the introspection costs more than" in found[0], found
    assert errors("{ " + INTROSPECTION.replace("{i}", "0") + " }") == []


def test_graphiql_may_introspect_however_large_the_schema_grows() -> None:
    # Introspection is the schema's size: it has its own budget (two full introspections of
    # this schema), so a schema that grows past MAX_COST still serves GraphiQL, while the
    # data of the same operation is held to MAX_COST.
    full = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                   schema_description=True, input_value_deprecation=True)
    assert errors(full) == []
    operation, fragments = full[:full.index("fragment FullType")], full[full.index("fragment FullType"):]
    body = operation[operation.index("{") + 1:operation.rindex("}")].strip()  # __schema { ... }

    def aliased(n: int, extra: str = "") -> str:
        return "{ " + " ".join(f"a{i}: {body}" for i in range(n)) + f" {extra} }}\n" + fragments

    twice, thrice = aliased(INTROSPECTIONS), aliased(INTROSPECTIONS + 1)
    assert errors(twice) == []
    [found] = errors(thrice)
    assert "the introspection costs more than" in found
    [cost], _ = measure(schema._schema, parse(full), Limits(max_page=200, default_page=50))
    assert isinstance(cost, Measure) and cost.cost * INTROSPECTIONS == introspection_budget(schema._schema)
    with_data = aliased(1, NESTED.strip()[1:-1])
    assert any(f"costs more than {MAX_COST}" in e for e in errors(with_data))


def test_lists_count_by_their_type_not_their_name() -> None:
    # `projects` is a page on Query and a declared list on Fund; `history` a page on Query
    # and Fund and a declared list on Transfer.
    limits = Limits(max_page=200, default_page=50)
    [fund], _ = measure(schema._schema, parse('{ fund(id: "x") { projects { title } } }'), limits)
    [page], _ = measure(schema._schema, parse("{ projects { edges { node { title } } } }"), limits)
    assert isinstance(fund, Measure) and isinstance(page, Measure)
    projects = LIST_COSTS.get("Fund.projects")
    assert fund.cost == 1 + 1 + projects * 1 and page.cost == 1 + 50 * (1 + 1 + 1)

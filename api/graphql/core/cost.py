"""A query cost limit: nested pages multiply, so their product is bounded.

Depth, alias and token limits do not stop ``funds(first: 200) { ... ledger(first: 200)
{ ... } }``: 40,000 rows from a 100-byte query. The cost of a field is 1, times the page
size of every enclosing field that takes ``first``: the literal value, the default page
when absent, or the largest page allowed when it is a variable (validation runs before
variables are known, and the rule must not be fooled by them). A literal ``first``
outside 1 to the largest page is refused here too, before anything runs. Both page sizes
come from the settings (``api.graphql.core.limits``). graphql-core's rules and
strawberry's extensions have no such limit, hence this small rule.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)


def query_cost_rule(max_cost: int, max_page: int, default_page: int) -> type[ValidationRule]:
    """A validation rule class refusing operations that cost more than ``max_cost``, and
    literal pages larger than ``max_page``; ``default_page`` is a list's page without
    ``first``."""

    class QueryCostRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.ctx = context

        def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
            if node.name.value == "first" and isinstance(node.value, IntValueNode) and not (
                    1 <= int(node.value.value) <= max_page):
                self.report_error(GraphQLError(f"first must be 1–{max_page}", node))

        def _cost(self, selections: SelectionSetNode | None, factor: int, seen: frozenset[str]) -> int:
            if selections is None:
                return 0
            total = 0
            for sel in selections.selections:
                if isinstance(sel, FieldNode):
                    page = _page_of(sel, max_page, default_page)
                    total += factor + self._cost(sel.selection_set, factor * page, seen)
                elif isinstance(sel, InlineFragmentNode):
                    total += self._cost(sel.selection_set, factor, seen)
                elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                    fragment = self.ctx.get_fragment(sel.name.value)
                    if fragment is not None:
                        total += self._cost(fragment.selection_set, factor,
                                            seen | {sel.name.value})
                if total > max_cost:
                    return total
            return total

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            cost = self._cost(node.selection_set, 1, frozenset())
            if cost > max_cost:
                self.report_error(GraphQLError(
                    f"the query costs more than {max_cost} (nested pages multiply: each field "
                    "counts once per row of every page around it); ask for smaller pages",
                    node,
                ))

    return QueryCostRule


def _page_of(field: FieldNode, max_page: int, default_page: int) -> int:
    """The multiplier a field applies to its selections: its page size, or 1."""
    for arg in field.arguments or ():
        if arg.name.value == "first":
            if isinstance(arg.value, IntValueNode):
                return min(max(int(arg.value.value), 1), max_page)  # larger: refused anyway
            if isinstance(arg.value, VariableNode):
                return max_page
    if field.name.value in _CONNECTIONS:
        return default_page
    return 1


# Fields that return a connection (paged with `first`, the default page without it).
_CONNECTIONS = frozenset({
    "organizations", "members", "transfers", "history", "funds", "projects", "inspections",
    "ledger", "webhooks", "deliveries", "checkpoints",
})

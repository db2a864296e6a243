"""The limits every GraphQL operation runs under, with the page sizes of its app's settings.

One validation rule (``OperationLimits``) measures each operation's depth, aliases, fragment
spreads and cost (``api.graphql.core.cost``) and refuses it with a typed error
(``extensions.code`` ``LIMIT_EXCEEDED``, ``extensions.limit`` naming which) when one exceeds
its limit. It measures every fragment once, where it is defined, and reuses that
measure at each spread: the walk is linear in the document's size. strawberry's
``QueryDepthLimiter`` and ``MaxAliasesLimiter`` walked every path through the spreads
instead, so a fragment spreading the next twice, twenty levels deep, took seconds of the
event loop (and ``{ ...Nope }`` raised a ``KeyError``). The walk stops at the first limit
exceeded. Spreads count as often as the operation reaches them (a fragment spread twice
counts its own spreads twice), so the bound on them also bounds what later stages
(execution's field collection) walk. Unknown fragments and cycles add nothing here: the
specified rules report them.

Depth counts fields with selections, as strawberry's limiter did (introspection's
``__schema``/``__type`` subtrees are exempt: the cost covers them). Tokens are limited by
strawberry's ``MaxTokensLimiter``, nesting beyond 200 levels by graphql-core's parser and
validation.

The settings come from the request's context (``Context.settings``, the ``Settings`` the
app was created with), so two apps in one process keep their own page sizes; the list
costs are the areas' (installed by the schema's composition, ``install_list_costs``).
ValidationCache keys its cache on the rule classes, and a rule built per request never
hits the cache (validation was 43% of a mutation's time). So the rules are built once
per process for each configuration (``limit_rules`` caches them by the values they
depend on), and every request of an app validates with the same classes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_introspection_query,
    get_named_type,
    parse,
)
from strawberry.extensions import SchemaExtension

from api.config import Settings
from api.graphql.core.cost import (
    PAGE_ARGUMENT,
    ListCosts,
    introspection,
    is_connection_edges,
    is_paged,
    list_bound,
    returns_list,
)
from api.graphql.core.validation import NoBadCharacters

MAX_DEPTH, MAX_ALIASES, MAX_TOKENS = 12, 30, 5000
MAX_COST = 50_000
MAX_FRAGMENT_SPREADS = 1000
"""Fragment spreads one operation reaches, counted through the fragments they spread."""

LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


@dataclass(frozen=True)
class Limits:
    """What one operation may do; the page sizes come from the settings."""

    max_page: int
    default_page: int
    max_depth: int = MAX_DEPTH
    max_aliases: int = MAX_ALIASES
    max_cost: int = MAX_COST
    max_spreads: int = MAX_FRAGMENT_SPREADS


def _error(limit: str, message: str, node: Any, maximum: int) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": LIMIT_EXCEEDED, "limit": limit, "maximum": maximum})


class LimitExceeded(Exception):
    """The walk's signal that a limit is exceeded: ``error`` is what the client gets."""

    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class Measure:
    """One selection set's measure: the depth below it, and the aliases, fragment spreads
    and cost (per row of the lists around it) inside it."""

    depth: int = 0
    aliases: int = 0
    spreads: int = 0
    cost: float = 0.0

    def add(self, other: Measure, depth: int) -> None:
        """Count ``other`` (reached at ``depth`` below this one) in; its cost the caller adds,
        times the size of the list it lies in."""
        self.depth = max(self.depth, depth)
        self.aliases += other.aliases
        self.spreads += other.spreads


@dataclass
class Walk:
    """Measures a document's operations, each fragment once (``measured``)."""

    schema: GraphQLSchema
    document: DocumentNode
    limits: Limits
    costs: ListCosts
    visits: int = 0
    """Selections visited: at most the selections the document holds."""
    measured: dict[str, Measure] = field(default_factory=dict)
    _fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)
    _open: set[str] = field(default_factory=set)
    _operation: str = "anonymous"

    def __post_init__(self) -> None:
        for d in self.document.definitions:
            if isinstance(d, FragmentDefinitionNode):
                self._fragments.setdefault(d.name.value, d)
        self._max_wrapping = introspection(self.schema).max_wrapping

    def operation(self, node: OperationDefinitionNode) -> Measure:
        """The operation's measure; raises ``LimitExceeded`` at the first limit it exceeds."""
        self._operation = node.name.value if node.name else "anonymous"
        root = self.schema.get_root_type(node.operation)
        lim = self.limits
        total = Measure()
        introspecting = 0.0
        for selection in node.selection_set.selections:
            part = Measure()
            self._selection(selection, root, 0, part)
            total.add(part, part.depth)
            self._check(total, selection)
            # The factor at the root is 1, so the running totals only grow: stop once over.
            if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_ROOTS:
                introspecting += part.cost
                if introspecting > lim.max_cost and introspecting > (budget := introspection_budget(self.schema)):
                    raise LimitExceeded(_error(
                        "cost", f"the introspection costs more than {budget:.0f} (introspect the schema "
                        f"at most {INTROSPECTIONS} times in one operation)", node, int(budget)))
                continue
            total.cost += part.cost
            if total.cost > lim.max_cost:
                raise LimitExceeded(_error(
                    "cost", f"the query costs more than {lim.max_cost} (nested pages multiply: each field "
                    "counts once per row of every page around it); ask for smaller pages", node, lim.max_cost))
        total.cost += introspecting
        return total

    def _check(self, m: Measure, node: Any) -> None:
        """Depth, aliases and spreads only add up, so a part over the limit is enough."""
        lim = self.limits
        if m.depth > lim.max_depth:
            raise LimitExceeded(_error(
                "depth", f"'{self._operation}' exceeds maximum operation depth of {lim.max_depth}",
                node, lim.max_depth))
        if m.aliases > lim.max_aliases:
            raise LimitExceeded(_error("aliases", f"the operation has more than {lim.max_aliases} aliases",
                                       node, lim.max_aliases))
        if m.spreads > lim.max_spreads:
            raise LimitExceeded(_error(
                "fragmentSpreads", f"the operation reaches more than {lim.max_spreads} fragment spreads "
                "(each counts as often as the operation reaches it)", node, lim.max_spreads))

    def _selections(self, selections: SelectionSetNode, parent: GraphQLNamedType | None, chain: int) -> Measure:
        """The measure of ``selections`` on ``parent``; ``chain`` counts the ``ofType`` fields
        directly around them."""
        m = Measure()
        for selection in selections.selections:
            self._selection(selection, parent, chain, m)
            self._check(m, selection)
        return m

    def _selection(self, sel: Any, parent: GraphQLNamedType | None, chain: int, m: Measure) -> None:
        self.visits += 1
        if isinstance(sel, FieldNode):
            self._field(sel, parent, chain, m)
        elif isinstance(sel, InlineFragmentNode):
            condition = sel.type_condition
            inner = self._selections(
                sel.selection_set, self.schema.get_type(condition.name.value) if condition else parent, chain)
            m.add(inner, inner.depth)
            m.cost += inner.cost
        elif isinstance(sel, FragmentSpreadNode):
            m.spreads += 1
            spread = self._fragment(sel.name.value)
            if spread is not None:
                m.add(spread, spread.depth)
                m.cost += spread.cost

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, chain: int, m: Measure) -> None:
        name = node.name.value
        parent_name = parent.name if parent is not None else ""
        definition = _field_def(self.schema, parent, name)
        if node.alias is not None:
            m.aliases += 1
        size = self._size(node, definition, parent_name, name)
        if node.selection_set is None:
            m.cost += size if definition is not None and returns_list(definition) else 1
            return
        m.cost += 1
        links = chain + 1 if (parent_name, name) == ("__Type", "ofType") else 0
        if links > self._max_wrapping:  # no type reference of the schema wraps this deep: null
            return
        inner = self._selections(node.selection_set,
                                 get_named_type(definition.type) if definition is not None else None, links)
        # Introspection is exempt from the depth (as with strawberry's limiter): its cost counts.
        counts = not (name.startswith("__") or parent_name.startswith("__"))
        m.add(inner, 1 + inner.depth if counts else inner.depth)
        m.cost += size * inner.cost

    def _size(self, node: FieldNode, definition: GraphQLField | None, parent: str, name: str) -> float:
        """The most items the field returns per row around it: its page, its list's bound, or 1."""
        if definition is None:  # an unknown field (FieldsOnCorrectTypeRule reports it)
            return float(_page_of(node, self.limits) or 1)
        if is_paged(definition):
            return float(_page_of(node, self.limits) or self.limits.default_page)
        if not returns_list(definition) or is_connection_edges(self.schema, parent, name):
            return 1.0
        bound = list_bound(self.schema, self.costs, parent, name)
        # A list nothing declares counts as the largest page (and test_query_cost.py fails).
        return float(self.limits.max_page) if bound is None else bound

    def _fragment(self, name: str) -> Measure | None:
        if name in self.measured:
            return self.measured[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return None  # unknown, or a cycle: KnownFragmentNames and NoFragmentCycles report it
        self._open.add(name)
        try:
            measure = self._selections(fragment.selection_set,
                                       self.schema.get_type(fragment.type_condition.name.value), 0)
        finally:
            self._open.discard(name)
        self.measured[name] = measure
        return measure


INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
INTROSPECTIONS = 2
"""Full introspections of the schema one operation may make (GraphiQL makes one)."""


@functools.lru_cache(maxsize=8)
def introspection_budget(schema: GraphQLSchema) -> float:
    """What the root ``__schema``/``__type`` fields of one operation may cost together:
    ``INTROSPECTIONS`` times GraphiQL's full introspection query of this schema.

    Introspection's cost is the schema's size, so it grows with every area; counted against
    ``MAX_COST`` with the data, a large enough schema would refuse GraphiQL itself. Its own
    budget, derived from the schema, still refuses thirty aliases of it."""
    query = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                    schema_description=True, input_value_deprecation=True)
    unlimited = Limits(max_page=1, default_page=1, max_cost=10**15, max_aliases=10**6,
                       max_depth=10**6, max_spreads=10**6)
    walk = Walk(schema, parse(query), unlimited, {})
    [operation] = [d for d in walk.document.definitions if isinstance(d, OperationDefinitionNode)]
    return INTROSPECTIONS * walk.operation(operation).cost


def _field_def(schema: GraphQLSchema, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if parent is not None and parent is schema.query_type:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _page_of(node: FieldNode, limits: Limits) -> int | None:
    """The literal page of a field (held to 1..the largest; larger is refused anyway), the
    largest page for a variable, or None without ``first``."""
    for arg in node.arguments or ():
        if arg.name.value == PAGE_ARGUMENT:
            if isinstance(arg.value, IntValueNode):
                return min(max(int(arg.value.value), 1), limits.max_page)
            if isinstance(arg.value, VariableNode):
                return limits.max_page
    return None


def measure(schema: GraphQLSchema, document: DocumentNode, limits: Limits,
            costs: ListCosts | None = None) -> tuple[list[Measure | GraphQLError], Walk]:
    """Each operation's measure, or the error of the first limit it exceeds, and the walk
    (``visits``: the work it took); what the rule does, for tests and tools."""
    walk = Walk(schema, document, limits, costs if costs is not None else installed_list_costs())
    found: list[Measure | GraphQLError] = []
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode):
            try:
                found.append(walk.operation(d))
            except LimitExceeded as exc:
                found.append(exc.error)
    return found, walk


def limits_rule(limits: Limits, costs: ListCosts) -> type[ValidationRule]:
    """The validation rule class refusing operations beyond ``limits``, and literal pages
    outside 1 to the largest."""

    class OperationLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.walk: Walk | None = None

        def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
            if node.name.value == PAGE_ARGUMENT and isinstance(node.value, IntValueNode) and not (
                    1 <= int(node.value.value) <= limits.max_page):
                self.report_error(GraphQLError(
                    f"first must be 1–{limits.max_page}", node,
                    extensions={"code": LIMIT_EXCEEDED, "limit": "pageSize", "maximum": limits.max_page}))

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            # Entered after graphql-core's check of nesting through fragments (its first
            # visitor), so the walk's recursion is bounded.
            if self.walk is None:
                self.walk = Walk(self.context.schema, self.context.document, limits, costs)
            try:
                self.walk.operation(node)
            except LimitExceeded as exc:
                self.report_error(exc.error)

    return OperationLimits


_LIST_COSTS: list[ListCosts] = [ListCosts()]


def install_list_costs(costs: ListCosts) -> None:
    """Called once by the schema's composition with every area's list costs."""
    _LIST_COSTS[0] = costs
    _rules.cache_clear()


def installed_list_costs() -> ListCosts:
    return _LIST_COSTS[0]


@functools.cache
def _rules(max_page: int, default_page: int, costs: ListCosts) -> tuple[type[ASTValidationRule], ...]:
    return (limits_rule(Limits(max_page=max_page, default_page=default_page), costs), NoBadCharacters)


def limit_rules(settings: Settings) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules of ``settings``: the same classes for equal page sizes."""
    return _rules(settings.max_page_size, settings.default_page_size, installed_list_costs())


@functools.cache
def _default_settings() -> Settings:
    return Settings.from_env({})


def default_rules() -> tuple[type[ASTValidationRule], ...]:
    """The rules under the default settings: for a context without settings (tests, tools)."""
    return limit_rules(_default_settings())


class SettingsLimits(SchemaExtension):
    """Adds the limit rules of the request's settings to its validation."""

    def on_operation(self) -> Iterator[None]:
        settings: Any = getattr(self.execution_context.context, "settings", None)
        rules = limit_rules(settings) if isinstance(settings, Settings) else default_rules()
        self.execution_context.validation_rules = (*self.execution_context.validation_rules, *rules)
        yield

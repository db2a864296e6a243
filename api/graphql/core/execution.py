"""A shorter path through graphql-core's executor for plain leaf fields.

A 50-row page of members executes about 300 fields; two thirds are leaves (``id``,
``name``, ``standing``) that strawberry answers with a plain attribute read. graphql-core
still builds a ``GraphQLResolveInfo`` for each, calls the resolver chain and walks
``complete_value`` (about 5 µs a field on the benchmark machine, a quarter of the
page's server time). For a field that is a strawberry "basic" field (no resolver,
no arguments, no extensions) of a scalar or enum type, and with no middleware, the
value is read and serialized directly. (strawberry always passes a middleware
manager; it has middlewares only when an extension implements ``resolve``.) Anything
unusual (a null, a value the type cannot serialize, an exception) goes down
graphql-core's own path, which then produces exactly the error it always did; so does
every other field.

graphql-core's executor is internal API: if its ``execute_field`` does not have the
signature this was written for, the plain strawberry execution context is used.
"""

from __future__ import annotations

import inspect
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_EXPECTED = ["self", "parent_type", "source", "field_details_list", "path", "position_context"]
_NOT_PLAIN = object()
# field definition -> (resolver, leaf type, non-null) or _NOT_PLAIN; schemas live as
# long as the process, and so do their field definitions.
_plans: dict[int, Any] = {}


def _plan(field_def: GraphQLField) -> Any:
    plan = _plans.get(id(field_def))
    if plan is None:
        resolve = field_def.resolve
        return_type = field_def.type
        non_null = isinstance(return_type, GraphQLNonNull)
        leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if (resolve is not None and getattr(resolve, "_is_default", False)
                and not field_def.args and is_leaf_type(leaf)):
            plan = (resolve, leaf, non_null)
        else:
            plan = _NOT_PLAIN
        _plans[id(field_def)] = plan
    return plan


class PlainLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with the plain leaf fields read directly."""

    def execute_field(
        self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any,
        path: Any, position_context: Any,
    ) -> Any:
        middleware = self.middleware_manager
        if middleware is None or not middleware.middlewares:
            node = field_details_list[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            if field_def is not None and not node.arguments:
                plan = _plan(field_def)
                if plan is not _NOT_PLAIN:
                    resolve, leaf, non_null = plan
                    try:
                        value = resolve(source, None)
                        if value is None and not non_null:
                            return None
                        if value is not None:
                            coerced = leaf.coerce_output_value(value)
                            if coerced is not Undefined and coerced is not None:
                                return coerced
                    except Exception:  # graphql-core's own path below reports it
                        pass
        return super().execute_field(parent_type, source, field_details_list, path,
                                     position_context)


def _compatible() -> bool:
    try:
        signature = inspect.signature(StrawberryGraphQLCoreExecutionContext.execute_field)
    except (AttributeError, TypeError, ValueError):
        return False
    return (list(signature.parameters) == _EXPECTED
            and any("middleware_manager" in getattr(k, "__annotations__", {})
                    for k in StrawberryGraphQLCoreExecutionContext.__mro__)
            and hasattr(GraphQLString, "coerce_output_value")
            and hasattr(GraphQLEnumType, "coerce_output_value"))


EXECUTION_CONTEXT: type[StrawberryGraphQLCoreExecutionContext] = (
    PlainLeafExecutionContext if _compatible() else StrawberryGraphQLCoreExecutionContext)
"""The execution context class the schema uses."""

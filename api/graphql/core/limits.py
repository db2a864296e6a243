"""The limits every GraphQL operation runs under, with the page sizes of its app's settings.

Depth, aliases, tokens and the query cost are fixed; the query cost counts pages with the
configured sizes (``GRASSROOTS_MAX_PAGE_SIZE`` and the default page) and refuses literal
pages beyond the largest. The settings come from the request's context (``Context.settings``,
the ``Settings`` the app was created with), so two apps in one process keep their own limits.

The limiters create their validation rule classes in their constructors, and
ValidationCache keys its cache on those classes: a rule built per request never hits the
cache (validation was 43% of a mutation's time). So the rules are built once per process
for each configuration (``limit_rules`` caches them by the values they depend on), and
every request of an app validates with the same classes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from graphql import ASTValidationRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

from api.config import Settings
from api.graphql.core.cost import query_cost_rule

MAX_DEPTH, MAX_ALIASES, MAX_TOKENS = 12, 30, 5000
MAX_COST = 50_000

_FIXED_RULES: tuple[type[ASTValidationRule], ...] = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


@functools.cache
def _rules(max_page: int, default_page: int) -> tuple[type[ASTValidationRule], ...]:
    return (*_FIXED_RULES, query_cost_rule(MAX_COST, max_page=max_page, default_page=default_page))


def limit_rules(settings: Settings) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules of ``settings``: the same classes for equal page sizes."""
    return _rules(settings.max_page_size, settings.default_page_size)


DEFAULT_RULES = limit_rules(Settings.from_env({}))
"""The rules under the default settings: for a context without settings (tests, tools)."""


class SettingsLimits(SchemaExtension):
    """Adds the limit rules of the request's settings to its validation."""

    def on_operation(self) -> Iterator[None]:
        settings: Any = getattr(self.execution_context.context, "settings", None)
        rules = limit_rules(settings) if isinstance(settings, Settings) else DEFAULT_RULES
        self.execution_context.validation_rules = (*self.execution_context.validation_rules, *rules)
        yield

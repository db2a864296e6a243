"""Nested fields that resolve without a coroutine per row once a page loaded their data.

A 50-row page whose rows each await a DataLoader makes fifty coroutines, and graphql-core
gathers them in fifty tasks: that cost more than the rest of the page. So a connection
first asks its node type to ``prefetch`` what the selected fields need, one batch per
loader (``batch``), and the fields then find their values already loaded
(``via_loader``) and return them directly. Without a prefetch they await as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField, Selection

from api.graphql.core.context import Info

_NOT_LOADED = object()
R = TypeVar("R")


def _loaded(loader: DataLoader[Any, Any], key: Any) -> Any:
    future = loader.cache_map.get(key) if loader.cache else None
    if future is None or not future.done() or future.cancelled() or future.exception():
        return _NOT_LOADED
    return future.result()


def via_loader(loader: DataLoader[Any, Any], key: Any, present: Callable[[Any], R]) -> R:
    """``present(value)`` for ``key``: at once if ``loader`` holds it, else awaitable.

    Typed as ``R`` because graphql-core awaits whatever a resolver returns that is
    awaitable.
    """
    value = _loaded(loader, key)
    if value is _NOT_LOADED:
        return _present_later(loader.load(key), present)  # type: ignore[return-value]
    return present(value)


def batch(loader: DataLoader[Any, Any], keys: Any, pending: list[Awaitable[Any]]) -> None:
    """Load ``keys`` in one batch for a page, if ``loader`` caches (else it would be wasted)."""
    if loader.cache:
        pending.append(loader.load_many(list(keys)))


async def _present_later(pending: Awaitable[Any], present: Callable[[Any], R]) -> R:
    return present(await pending)


def node_fields(info: Info) -> set[str]:
    """Names of the fields selected on ``node`` below the ``edges`` field being resolved."""
    names: set[str] = set()

    def walk(selections: list[Selection], inside_node: bool) -> None:
        for s in selections:
            if isinstance(s, SelectedField):
                if inside_node:
                    names.add(s.name)
                elif s.name == "node":
                    walk(s.selections, True)
            else:
                walk(s.selections, inside_node)

    for field in info.selected_fields:
        walk(field.selections, False)
    return names

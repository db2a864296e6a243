"""Bounds of the read side's inputs: filters of queries, subscriptions and ``GET /events``.

A mutation's inputs are bounded by the domain (each limit stated in the schema's
descriptions); these are the lists and strings that only select what to read. Each
refusal is a ``ValueError``: a client's mistake, answered as a GraphQL error (or 400
by the HTTP feed), logged at DEBUG.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.shared.text import MAX_NAME, clean

MAX_FILTER_ITEMS = 50
MAX_TYPE_NAME = 100
"""A feed filter's bounds: as many names, as long, as a webhook's filter takes."""

NAME_SEARCH = f"at most {MAX_NAME} characters (no name is longer)"
TYPE_NAMES = f"at most {MAX_FILTER_ITEMS} names of at most {MAX_TYPE_NAME} characters"


def name_search(value: str, field: str = "nameContains") -> str:
    """A name fragment to search for: normalised as names are, at most ``MAX_NAME`` long."""
    if len(value) > MAX_NAME:
        raise ValueError(f"{field} has {NAME_SEARCH}")
    return clean(value)


def type_names(values: Iterable[str] | None, field: str) -> frozenset[str] | None:
    """Stream or event type names of a feed filter: ``TYPE_NAMES``; None means all."""
    if values is None:
        return None
    names = list(values)
    if len(names) > MAX_FILTER_ITEMS or any(len(n) > MAX_TYPE_NAME for n in names):
        raise ValueError(f"{field} takes {TYPE_NAMES}")
    return frozenset(names)

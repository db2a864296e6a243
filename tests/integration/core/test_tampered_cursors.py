"""Tampered pagination cursors are the client's mistake on every page of the schema: a
``BAD_CURSOR`` error, never an internal one (48 of 84 decodable forgeries were).

The cursors are fuzzed with hypothesis: base64 of arbitrary JSON, of keys shaped like ours
with values of any kind, and of arbitrary bytes. Each example runs every paged list
(nested ones included) in one operation against the real read models, in-process.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from api.views import MAX_CURSOR
from domain.shared.permissions import Actor, Role
from tests.integration.support import build_world, catch_up, commands

ADMIN = Actor(subject="cursor-forger", name="伪造者", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)

EVERY_PAGE = """query($c: String, $fund: ID!, $hook: ID!) {
  organizations(after: $c) { edges { cursor } } members(after: $c) { edges { cursor } }
  transfers(after: $c) { edges { cursor } } funds(after: $c) { edges { cursor } }
  projects(after: $c) { edges { cursor } } inspections(after: $c) { edges { cursor } }
  webhooks(after: $c) { edges { cursor } } checkpoints(after: $c) { edges { cursor } }
  history(streamId: $fund, after: $c) { edges { cursor } }
  fund(id: $fund) { ledger(after: $c) { edges { cursor } } history(after: $c) { edges { cursor } } }
  webhook(id: $hook) { deliveries(after: $c) { edges { cursor } } }
}"""
PAGES = 12

_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**31 - 2, max_value=2**64)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
            | st.sampled_from(["00000000-0000-0000-0000-000000000000", "2026-03-01 12:00:00+00:00",
                               "2026-13-01", "99999999999999999999", "-1", "a\x00", "\ud800", "1e400"]))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
_keys = st.lists(_scalars, min_size=1, max_size=3)  # the shape of our keys, with values of any kind


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, allow_nan=True).encode()).decode()


cursors = (st.one_of(_json, _keys).map(_b64) | st.text(max_size=60)
           | st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode()))

_WORLDS: dict[str, dict[str, uuid.UUID]] = {}


async def _world(dsn: str, pool: asyncpg.Pool) -> dict[str, uuid.UUID]:
    """Built once per test (the examples share its database)."""
    if dsn not in _WORLDS:
        _WORLDS[dsn] = await build_world(commands(pool))
        for projection in PROJECTIONS.values():
            await catch_up(dsn, projection)
    return _WORLDS[dsn]


async def _every_page(pool: asyncpg.Pool, ids: dict[str, uuid.UUID], cursor: str) -> list[Any]:
    context = Context(actor=ADMIN, pool=pool, commands=None, supervisor=None,  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool),
                      clock=lambda: datetime.now(UTC), position=1)
    result = await schema.execute(EVERY_PAGE, context_value=context, variable_values={
        "c": cursor, "fund": str(ids["fund"]), "hook": str(ids["webhook"])})
    return list(result.errors or [])


async def test_our_own_cursors_page_every_list(dsn: str, pool: asyncpg.Pool) -> None:
    # The check of a cursor's values against its columns lets our cursors through.
    ids = await _world(dsn, pool)
    query = "{ organizations(first: 2) { pageInfo { endCursor } } members(first: 1) { pageInfo { endCursor } }" \
            " webhooks(first: 1) { pageInfo { endCursor } } funds(first: 1) { pageInfo { endCursor } } }"
    context = Context(actor=ADMIN, pool=pool, commands=None, supervisor=None,  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool),
                      clock=lambda: datetime.now(UTC), position=1)
    result = await schema.execute(query, context_value=context)
    assert not result.errors and result.data is not None
    for name, page in result.data.items():
        cursor = page["pageInfo"]["endCursor"]
        assert cursor is not None, name
        follow = await schema.execute(f'{{ {name}(after: "{cursor}") {{ edges {{ cursor }} }} }}',
                                      context_value=context)
        assert not follow.errors, (name, follow.errors)
    assert ids


@settings(max_examples=300, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cursor=cursors)
@example(cursor=_b64([1]))  # the shapes of our keys, so that each page's SQL runs with them
@example(cursor=_b64([2026, "00000000-0000-0000-0000-000000000000"]))
@example(cursor=_b64(["姑苏区委", "00000000-0000-0000-0000-000000000000"]))
@example(cursor=_b64(["2026-03-01 12:00:00+00:00", "00000000-0000-0000-0000-000000000000"]))
@example(cursor=_b64(["2026-03-01", 1]))
@example(cursor=_b64([1, 2]))
@example(cursor=_b64(["99999999999999999999"]))
@example(cursor=base64.urlsafe_b64encode(b"[" * 1500 + b"]" * 1500).decode())  # nested too deep to parse
@example(cursor="A" * (MAX_CURSOR + 4))
async def test_a_tampered_cursor_is_a_bad_cursor_error_on_every_page(
        dsn: str, pool: asyncpg.Pool, cursor: str) -> None:
    ids = await _world(dsn, pool)
    errors = await _every_page(pool, ids, cursor)
    for error in errors:  # BAD_INPUT: a NUL or an unpaired surrogate in the cursor itself
        assert error.extensions in ({"code": "BAD_CURSOR"}, {"code": "BAD_INPUT"}), (
            error.message, error.original_error)
    assert len(errors) <= PAGES

"""The read side: plain SQL against the read-model tables and the log. Never the domain."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from domain.shared.permissions import Actor, reads_by_scope


class BadCursor(ValueError):
    """A pagination cursor that this server did not hand out (a client error, typed
    ``BAD_CURSOR``): malformed, or with values that cannot be a key of the list."""

    def __init__(self, message: str = "after: not a cursor of this list") -> None:
        super().__init__(message)
        self.extensions = {"code": "BAD_CURSOR"}  # graphql-core copies it into the error


# One encoder for every cursor: ``json.dumps(..., default=str)`` builds a new encoder
# per call, which was most of a cursor's cost (fifty per page). Same output.
_CURSOR_JSON = json.JSONEncoder(default=str)
MAX_CURSOR = 2048
"""Characters of a cursor: ours hold a key of one or two short values."""
_INT64 = (-(2**63), 2**63)
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(_CURSOR_JSON.encode(key).encode()).decode()


def _plain(part: Any) -> bool:
    """A value a cursor of ours can hold: an integer within bigint, or a short string
    (a name, a UUID, a timestamp) that PostgreSQL can take, which, if it reads as an
    integer, also lies within bigint (a list may read its key with ``int``)."""
    if isinstance(part, bool):
        return False
    if isinstance(part, int):
        return _INT64[0] <= part < _INT64[1]
    if not isinstance(part, str) or len(part) > MAX_CURSOR or _BAD_CHARACTER.search(part):
        return False
    try:
        number = int(part)
    except ValueError:
        return True
    return _INT64[0] <= number < _INT64[1]


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The key a cursor of ours holds: ``arity`` plain values (``_plain``); anything else
    is a ``BadCursor``. ``page`` checks the values against the key's column types."""
    if cursor is None:
        return None
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR:
        raise BadCursor()
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, RecursionError) as exc:
        raise BadCursor() from exc
    if not isinstance(key, list) or len(key) != arity or not all(_plain(part) for part in key):
        raise BadCursor()
    return key


_RANGES = {"int2": (-(2**15), 2**15), "int4": (-(2**31), 2**31), "int8": _INT64}
_TEXT = frozenset({"text", "varchar", "bpchar", "name", "citext"})
_PARSE: dict[str, Callable[[str], Any]] = {
    "uuid": UUID, "timestamptz": datetime.fromisoformat, "timestamp": datetime.fromisoformat,
    "date": date.fromisoformat,
}


def _as_parameter(value: Any, type_name: str) -> Any:
    """A cursor value as the parameter type PostgreSQL expects, or ``BadCursor``."""
    if type_name in _RANGES:
        low, high = _RANGES[type_name]
        if isinstance(value, int) and low <= value < high:
            return value
    elif type_name in _TEXT:
        if isinstance(value, str):
            return value
    elif type_name in _PARSE:
        if isinstance(value, str):
            try:
                return _PARSE[type_name](value)
            except ValueError:
                pass
    elif type_name == "numeric" and isinstance(value, int | str):
        try:
            number = Decimal(value)
        except ArithmeticError:
            number = Decimal("NaN")
        if number.is_finite():
            return number
    raise BadCursor()


_PARAMETER_TYPES: dict[str, tuple[str, ...]] = {}


async def _parameter_types(conn: Any, sql: str) -> tuple[str, ...]:
    """The types PostgreSQL infers for ``sql``'s parameters (one prepare per statement text)."""
    known = _PARAMETER_TYPES.get(sql)
    if known is None:
        if hasattr(conn, "acquire"):  # a pool
            async with conn.acquire() as c:
                known = tuple(t.name for t in (await c.prepare(sql)).get_parameters())
        else:
            known = tuple(t.name for t in (await conn.prepare(sql)).get_parameters())
        if len(_PARAMETER_TYPES) > 1024:  # the statement texts are the code's: few
            _PARAMETER_TYPES.clear()
        _PARAMETER_TYPES[sql] = known
    return known


@dataclass
class Page:
    rows: list[asyncpg.Record]
    has_next: bool


class Conditions:
    """Builds a WHERE clause with numbered parameters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *values: Any) -> None:
        for value in values:
            self.args.append(value)
            sql = sql.replace("?", f"${len(self.args)}", 1)
        self.parts.append(sql)

    @property
    def where(self) -> str:
        return " AND ".join(self.parts) if self.parts else "true"

    def next_arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def scope_condition(c: Conditions, actor: Actor, column: str) -> None:
    """Limit ``column`` (an organization id) to the actor's subtree: the SQL form of
    ``domain.shared.permissions.may_read`` (tests/integration/core/test_read_rule.py). A
    subject-bound token (a shop operator's) reads nothing by scope: no row."""
    if not reads_by_scope(actor):
        c.add("false")
        return
    within_scope_condition(c, actor, column)


def grid_condition(c: Conditions, actor: Actor, column: str, grid_column: str) -> None:
    """Limit rows of grids (``grid_column`` the grid's id, ``column`` its community) to those
    the actor covers: the SQL form of ``permissions.Actor.covers_grid``. A grid-scoped token
    reads its own grid only, and only while the grid lies in its community; any other actor
    reads by scope (``scope_condition``)."""
    if actor.grid is not None and not actor.system:
        within_scope_condition(c, actor, column)
        c.add(f"{grid_column} = ?", actor.grid)
        return
    scope_condition(c, actor, column)


def within_scope_condition(c: Conditions, actor: Actor, column: str) -> None:
    """Limit ``column`` to the actor's subtree alone (``permissions.within_scope``): for the
    area that shows a subject-bound reader its own objects (a shop operator's shop), which
    adds its own condition on the subject."""
    if actor.scope is not None:
        c.add(f"{column} IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])", actor.scope)


async def page(
    conn: asyncpg.Pool | asyncpg.Connection, select: str, c: Conditions, order: Sequence[str],
    after: list[Any] | None, first: int, descending: bool = False,
) -> Page:
    if after is not None:
        op = "<" if descending else ">"
        cols = ", ".join(order)
        params = ", ".join(c.next_arg(v) for v in after)
        c.parts.append(f"({cols}) {op} ({params})")
    direction = " DESC" if descending else ""
    order_sql = ", ".join(f"{o}{direction}" for o in order)
    sql = f"{select} WHERE {c.where} ORDER BY {order_sql} LIMIT {first + 1}"
    if after is not None:
        # A cursor comes from the client: its values must fit the key's columns, or the
        # query would fail in asyncpg or PostgreSQL (an internal error, not a bad cursor).
        types = await _parameter_types(conn, sql)
        start = len(c.args) - len(after)
        c.args[start:] = [_as_parameter(v, t) for v, t in zip(after, types[start:], strict=True)]
    rows = await conn.fetch(sql, *c.args)
    return Page(rows[:first], len(rows) > first)










async def transfer(pool: asyncpg.Pool, transfer_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM transfers WHERE id = $1", transfer_id)


async def stream_type(pool: asyncpg.Pool, stream_id: UUID) -> str | None:
    return await pool.fetchval("SELECT stream_type FROM streams WHERE stream_id = $1", stream_id)


def overdue_receipt_sql(today: date) -> tuple[str, date]:
    return "state = 'ACCEPTED' AND receipt_due_on < ?", today


def pocket_sql(today: date) -> tuple[str, date]:
    return "state IN ('LETTER_ISSUED', 'EXPIRED') AND valid_until < ?", today

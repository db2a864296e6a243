"""The read side: plain SQL against the read-model tables and the log. Never the domain."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from domain.shared.permissions import Actor


class BadCursor(ValueError):
    """A pagination cursor that this server did not hand out."""


# One encoder for every cursor: ``json.dumps(..., default=str)`` builds a new encoder
# per call, which was most of a cursor's cost (fifty per page). Same output.
_CURSOR_JSON = json.JSONEncoder(default=str)


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(_CURSOR_JSON.encode(key).encode()).decode()


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise BadCursor("malformed cursor") from exc
    if not isinstance(key, list) or len(key) != arity:
        raise BadCursor("malformed cursor")
    return key


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
    ``domain.shared.permissions.may_read`` (tests/integration/core/test_read_rule.py)."""
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

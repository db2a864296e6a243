"""The one read rule and its SQL form agree: for every actor scope and every organization
of a world, ``may_read`` in Python and ``scope_condition`` in SQL admit the same rows."""

from __future__ import annotations

import asyncpg

from api import views
from api.areas import PROJECTIONS
from domain.shared.permissions import ANYWHERE, Actor, Role, may_read
from tests.integration.support import build_world, catch_up, commands


async def test_may_read_and_its_sql_form_admit_the_same_organizations(dsn: str, pool: asyncpg.Pool) -> None:
    await build_world(commands(pool))
    await catch_up(dsn, PROJECTIONS["organizations"])
    rows = await pool.fetch("SELECT id, path FROM organizations")
    assert len(rows) >= 7
    # A shop operator's token reads nothing by scope (its own shop is the shops area's to show).
    for roles in (frozenset({Role.STREET_ADMIN}), frozenset({Role.SHOP_OPERATOR}),
                  frozenset({Role.SHOP_OPERATOR, Role.AUDITOR})):
        for scope in [None, *(r["id"] for r in rows)]:
            actor = Actor("reader", "R", roles, scope)
            c = views.Conditions()
            views.scope_condition(c, actor, "id")
            in_sql = {r["id"] for r in await pool.fetch(f"SELECT id FROM organizations WHERE {c.where}", *c.args)}
            in_python = {r["id"] for r in rows if may_read(actor, list(r["path"]))}
            assert in_sql == in_python, (roles, scope)
            assert bool(in_python) is (roles != {Role.SHOP_OPERATOR}), (roles, scope)


def test_roles_decide_alone_for_objects_of_no_organization_and_nothing_reads_what_is_gone() -> None:
    auditor = Actor("a", "A", frozenset({Role.AUDITOR}), None)
    assert may_read(auditor, ANYWHERE, frozenset({Role.AUDITOR}))
    assert not may_read(auditor, ANYWHERE, frozenset({Role.DISTRICT_ADMIN}))
    assert not may_read(auditor, None)

"""Only an unscoped district admin establishes a root organization (or a whole-system
webhook): unscoped street admins and community secretaries are refused before anything
is appended, in the real store."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.errors import NotAuthorized
from domain.shared.permissions import Actor, Role
from tests.integration.support import commands, head, req

K = OrganizationKind
UNSCOPED = [
    Actor("street", "S", frozenset({Role.STREET_ADMIN}), None),
    Actor("secretary", "C", frozenset({Role.COMMUNITY_SECRETARY}), None),
    Actor("both", "B", frozenset({Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY}), None),
]


@pytest.mark.parametrize("actor", UNSCOPED, ids=lambda a: a.subject)
async def test_an_unscoped_street_admin_or_secretary_establishes_no_root_and_appends_nothing(
    pool: asyncpg.Pool, actor: Actor,
) -> None:
    cmds = commands(pool)
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    before = await head(pool)
    for kind in (K.DISTRICT_COMMITTEE, K.STREET_WORKING_COMMITTEE, K.COMMUNITY_COMMITTEE):
        with pytest.raises(NotAuthorized, match="whole-system district admin"):
            await cmds.establish_organization(Request(actor, uuid4()), kind, "自立区委", None)
    if Role.STREET_ADMIN in actor.roles:
        with pytest.raises(NotAuthorized, match="whole-system district admin"):
            await cmds.register_webhook(Request(actor, uuid4()), url="https://hooks.example.cn/all",
                                        organization_id=None)
    assert await head(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM events WHERE stream_type = 'Organization'") == 1
    # The whole-system district admin may.
    await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "另一区委", None)
    assert await head(pool) == before + 1 and district is not None

"""``fundKinds`` answers with the configured kinds, what each pays for and how its year ends."""

from __future__ import annotations

import asyncpg

from api.config import Settings
from tests.integration.funds.support import query


async def test_fund_kinds_lists_the_configured_kinds(pool: asyncpg.Pool) -> None:
    settings = Settings.from_env({"GRASSROOTS_FUND_KINDS": "SERVICE_FUND=PARTY_BUILDING,PUBLIC_SERVICE;"
                                                           "WELFARE_FUND=PUBLIC_SERVICE"})
    data = await query(pool, "{ fundKinds { kind allowedCategories carriesOver } }", settings=settings)
    assert data["fundKinds"] == [
        {"kind": "SERVICE_FUND", "allowedCategories": ["PARTY_BUILDING", "PUBLIC_SERVICE"], "carriesOver": True},
        {"kind": "WELFARE_FUND", "allowedCategories": ["PUBLIC_SERVICE"], "carriesOver": False},
    ]

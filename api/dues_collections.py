"""What organizations collected in dues, from the members area's read model, for the funds
area's remittances and allocations (``domain.funds.dues_account.DuesCollections``).

The read model may lag the log by the projection's last page; collections are never undone,
so a lagging sum is only ever too small (``domain.funds.dues_account`` explains why that is
safe). One indexed statement (``dues_payments_collected``) instead of folding the log.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import asyncpg

from domain.funds.dues_account import DuesCollections
from domain.shared.ports import EventStore

_COLLECTED = """
SELECT coalesce(sum(amount), 0) FROM dues_payments
 WHERE organization_id = $1 AND paid_on >= make_date($2, 1, 1) AND paid_on < make_date($2 + 1, 1, 1)
"""


class ReadModelDuesCollections(DuesCollections):
    """The sum of an organization's own members' dues payments in a year (``dues_payments``)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def collected(self, store: EventStore, organization_id: UUID, year: int) -> Decimal:
        found: Decimal = await self.pool.fetchval(_COLLECTED, organization_id, year)
        return found

"""Concurrent letters of one issuer, on PostgreSQL: every serial once, none skipped.

Four letters are issued at once by the same community (each a separate command racing
for the register's next version) with refused attempts among them; the serials are
exactly 1..4 of the year, and the register's stream holds one draw per letter.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
import pytest

from domain.members.aggregate import TransferScope
from domain.members.letters import register_id
from domain.shared.errors import InvalidInput, TransferNotAllowed
from tests.integration.support import NOW, build_world, commands, register, req


async def test_concurrent_letters_of_one_issuer_take_consecutive_serials(pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await build_world(cmds)
    # At most four at once: each conflict is retried on fresh state, a bounded number of
    # times (domain.shared.handling.MAX_ATTEMPTS), and one racer wins every round.
    members = [(await register(cmds, ids["east"], f"成员{i}", f"3205081985020{i:02d}00")).id for i in range(4)]
    transfers = []
    for m in members:
        out = await cmds.request_member_transfer(req(), m, ids["west"], TransferScope.WITHIN_CITY, "工作调动")
        transfers.append(UUID(out.extra["transfer_id"]))

    async def refused(m: UUID, t: UUID) -> None:
        # Refused either way, whichever lands first: a validity of 0 days, or (once that
        # transfer's own letter is out) a second letter. Neither may draw a serial.
        with pytest.raises((InvalidInput, TransferNotAllowed)):
            await cmds.issue_transfer_letter(req(), m, t, validity_days=0)

    await asyncio.gather(*[cmds.issue_transfer_letter(req(), m, t) for m, t in zip(members, transfers, strict=True)],
                         *[refused(m, t) for m, t in zip(members[:2], transfers[:2], strict=True)])
    serials = await pool.fetch(
        "SELECT payload->>'letter_serial' AS serial FROM events WHERE event_type = 'Member.TransferLetterIssued'"
        " AND payload->>'transfer_id' = ANY($1::text[])", [str(t) for t in transfers])
    assert sorted(r["serial"] for r in serials) == [f"{NOW.year}-{n:06d}" for n in range(1, 5)]
    drawn = await pool.fetch(
        "SELECT version, payload FROM events WHERE stream_id = $1 ORDER BY version",
        register_id(ids["east"], NOW.year))
    numbers = [int(r["payload"]["number"]) for r in drawn[1:] if "number" in r["payload"]]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers[-1] == 4

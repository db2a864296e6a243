"""Races between concurrent appends: both stores let exactly one contender through.

The PostgreSQL runs use separate pool connections, so the transactions genuinely overlap.
"""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg

from domain.shared.errors import ClaimConflict, VersionConflict
from domain.shared.ports import Append, Claim, EventStore
from eventstore.postgres import PostgresEventStore
from tests.contract.test_event_store_contract import event, meta, store  # noqa: F401


async def test_concurrent_appends_of_the_same_version_let_exactly_one_through(
    store: EventStore,  # noqa: F811
) -> None:
    stream = uuid4()
    await store.append(Append(events=[event(stream, 1, "Race.Start")], metadata=meta()))
    contenders = [event(stream, 2, f"Race.Contender{i}") for i in range(8)]
    outcomes = await asyncio.gather(
        *[store.append(Append(events=[e], metadata=meta())) for e in contenders],
        return_exceptions=True,
    )
    winners = [e for e, o in zip(contenders, outcomes, strict=True) if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, VersionConflict) for o in outcomes if isinstance(o, Exception))
    read = await store.read_stream(stream)
    assert [e.event_id for e in read] == [read[0].event_id, winners[0].event_id]


async def test_concurrent_claims_of_one_key_by_different_owners_let_exactly_one_through(
    store: EventStore,  # noqa: F811
) -> None:
    owners = [uuid4() for _ in range(8)]
    outcomes = await asyncio.gather(
        *[
            store.append(Append(events=[event(o, 1, "Race.Claimed")], metadata=meta(),
                                claims=[Claim("id_number", "RACE-ID-31", o)]))
            for o in owners
        ],
        return_exceptions=True,
    )
    won = [o for o, r in zip(owners, outcomes, strict=True) if not isinstance(r, Exception)]
    assert len(won) == 1
    assert all(isinstance(r, ClaimConflict) for r in outcomes if isinstance(r, Exception))
    assert [e.stream_id for e in await store.read_log(0, 100)] == won


async def test_a_same_owner_claim_waiting_on_a_concurrent_same_owner_claim_succeeds(
    pool: asyncpg.Pool,
) -> None:
    pg = PostgresEventStore(pool)
    owner = uuid4()
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "INSERT INTO claims (scope, key, owner) VALUES ('division_code', 'SAME-OWNER-77', $1)",
            owner,
        )
        pending = asyncio.create_task(pg.append(Append(
            events=[event(owner, 1, "Race.SameOwner")], metadata=meta(),
            claims=[Claim("division_code", "SAME-OWNER-77", owner)],
        )))
        await asyncio.sleep(0.3)  # the append now waits on the uncommitted claim row
        assert not pending.done()
        await tx.commit()
    await pending
    assert len(await pg.read_stream(owner)) == 1

"""One contract, two event stores: PostgreSQL and its in-memory twin behave alike.

Every test here runs against ``InMemoryEventStore`` and ``PostgresEventStore``. A
failure in only one of the two parametrizations is a divergence between them.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.shared.errors import ClaimConflict, OwnerNotVacant, VersionConflict
from domain.shared.ports import (
    Append,
    AppendResult,
    Claim,
    EventStore,
    Idempotency,
    Metadata,
    NewEvent,
    RecordedEvent,
    Release,
)
from eventstore.memory import InMemoryEventStore
from eventstore.postgres import PostgresEventStore


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> EventStore:
    if request.param == "memory":
        return InMemoryEventStore()
    return PostgresEventStore(request.getfixturevalue("pool"))


def event(
    stream_id: UUID,
    version: int,
    event_type: str = "Test.Happened",
    payload: dict[str, Any] | None = None,
    stream_type: str = "Test",
    schema_version: int = 1,
) -> NewEvent:
    return NewEvent(
        stream_id=stream_id, stream_type=stream_type, version=version, event_id=uuid4(),
        event_type=event_type, schema_version=schema_version,
        payload=payload if payload is not None else {"n": version},
    )


def meta(
    actor: str = "contract-actor",
    *,
    actor_roles: tuple[str, ...] = ("clerk",),
    command_id: str | None = None,
) -> Metadata:
    return Metadata(actor=actor, actor_roles=actor_roles, correlation_id=uuid4(),
                    command_id=command_id)


async def all_events(store: EventStore) -> list[RecordedEvent]:
    return await store.read_log(0, 100_000)


# --- append and read ------------------------------------------------------------------


async def test_appended_events_are_read_back_in_version_order_with_all_metadata(
    store: EventStore,
) -> None:
    stream = uuid4()
    correlation, causation = uuid4(), uuid4()
    payloads: list[dict[str, Any]] = [
        {"name": "张三", "note": "Grüße — ünïcödé ✓ 🎉", "nested": {"list": [1, 2.5, None, True]}},
        {"name": "李四", "empty": {}, "quote": "\"'\\", "zero": 0, "neg": -17},
        {"text": "第三条 événement", "big": 9007199254740993, "flag": False},
    ]
    events = [
        event(stream, i + 1, f"Member.Step{i + 1}", p, stream_type="Member", schema_version=i + 1)
        for i, p in enumerate(payloads)
    ]
    metadata = Metadata(
        actor="subject-7f3a", actor_roles=("branch_secretary", "auditor"),
        correlation_id=correlation, causation_id=causation, command_id="cmd-order-1",
        reason="理由: correcting a typo",
    )
    result = await store.append(Append(events=events, metadata=metadata))
    assert result.replayed is False

    read = await store.read_stream(stream)
    assert [e.version for e in read] == [1, 2, 3]
    assert [e.event_id for e in read] == [e.event_id for e in events]
    assert [e.event_type for e in read] == ["Member.Step1", "Member.Step2", "Member.Step3"]
    assert [e.schema_version for e in read] == [1, 2, 3]
    assert [e.payload for e in read] == payloads
    positions = [e.position for e in read]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert result.last_position == positions[-1]
    for e in read:
        assert e.stream_id == stream
        assert e.stream_type == "Member"
        assert e.actor == "subject-7f3a"
        assert e.actor_roles == ("branch_secretary", "auditor")
        assert e.correlation_id == correlation
        assert e.causation_id == causation
        assert e.command_id == "cmd-order-1"
        assert e.reason == "理由: correcting a typo"
        assert isinstance(e.recorded_at, datetime) and e.recorded_at.tzinfo is not None


async def test_optional_metadata_is_read_back_as_none_and_empty_roles_as_empty_tuple(
    store: EventStore,
) -> None:
    stream = uuid4()
    correlation = uuid4()
    await store.append(Append(
        events=[event(stream, 1, "Org.Established", {"k": "v-optional"})],
        metadata=Metadata(actor="system-optional", actor_roles=(), correlation_id=correlation),
    ))
    [e] = await store.read_stream(stream)
    assert e.actor == "system-optional"
    assert e.actor_roles == ()
    assert e.correlation_id == correlation
    assert e.causation_id is None
    assert e.command_id is None
    assert e.reason is None


async def test_read_stream_after_version_returns_only_later_events(store: EventStore) -> None:
    stream = uuid4()
    await store.append(Append(events=[event(stream, v) for v in (1, 2, 3, 4)], metadata=meta()))
    assert [e.version for e in await store.read_stream(stream, after_version=2)] == [3, 4]
    assert await store.read_stream(stream, after_version=4) == []
    assert await store.read_stream(uuid4()) == []


async def test_later_appends_continue_the_stream_and_get_higher_positions(
    store: EventStore,
) -> None:
    stream = uuid4()
    first = await store.append(Append(events=[event(stream, 1)], metadata=meta()))
    second = await store.append(
        Append(events=[event(stream, 2), event(stream, 3)], metadata=meta())
    )
    assert second.last_position > first.last_position
    read = await store.read_stream(stream)
    assert [e.version for e in read] == [1, 2, 3]
    assert read[-1].position == second.last_position


async def test_events_of_one_append_across_streams_keep_the_request_order_in_the_log(
    store: EventStore,
) -> None:
    a, b = uuid4(), uuid4()
    events = [event(a, 1, "Order.A1"), event(b, 1, "Order.B1"), event(a, 2, "Order.A2")]
    await store.append(Append(events=events, metadata=meta()))
    log = await all_events(store)
    assert [e.event_id for e in log] == [e.event_id for e in events]


# --- optimistic concurrency -----------------------------------------------------------


async def test_appending_an_existing_version_raises_version_conflict(store: EventStore) -> None:
    stream = uuid4()
    await store.append(Append(events=[event(stream, 1), event(stream, 2)], metadata=meta()))
    before = await all_events(store)
    with pytest.raises(VersionConflict):
        await store.append(Append(events=[event(stream, 2, "Conflict.Again")], metadata=meta()))
    with pytest.raises(VersionConflict):
        await store.append(Append(events=[event(stream, 1, "Conflict.First")], metadata=meta()))
    assert await all_events(store) == before
    assert [e.version for e in await store.read_stream(stream)] == [1, 2]


async def test_a_stream_must_start_at_version_one(store: EventStore) -> None:
    stream = uuid4()
    with pytest.raises(VersionConflict):
        await store.append(Append(events=[event(stream, 2, "Gap.Start")], metadata=meta()))
    assert await store.read_stream(stream) == []
    assert await store.head() == 0
    # and the stream can still be started properly afterwards
    await store.append(Append(events=[event(stream, 1, "Proper.Start")], metadata=meta()))
    assert [e.version for e in await store.read_stream(stream)] == [1]


async def test_skipping_a_version_in_an_existing_stream_raises_version_conflict(
    store: EventStore,
) -> None:
    stream = uuid4()
    await store.append(Append(events=[event(stream, 1)], metadata=meta()))
    with pytest.raises(VersionConflict):
        await store.append(Append(events=[event(stream, 3, "Gap.Later")], metadata=meta()))
    assert [e.version for e in await store.read_stream(stream)] == [1]


async def test_a_multi_stream_append_is_atomic_when_one_stream_conflicts(
    store: EventStore,
) -> None:
    fresh, busy = uuid4(), uuid4()
    await store.append(Append(events=[event(busy, 1, "Busy.Started")], metadata=meta()))
    head = await store.head()
    with pytest.raises(VersionConflict):
        await store.append(Append(
            events=[event(fresh, 1, "Fresh.Started"), event(busy, 1, "Busy.Duplicate")],
            metadata=meta(),
        ))
    assert await store.read_stream(fresh) == []
    assert [e.event_type for e in await store.read_stream(busy)] == ["Busy.Started"]
    assert await store.head() == head
    # the fresh stream was not left half-created: version 1 is still free
    await store.append(Append(events=[event(fresh, 1, "Fresh.Retried")], metadata=meta()))
    assert [e.event_type for e in await store.read_stream(fresh)] == ["Fresh.Retried"]


async def test_a_multi_stream_append_is_atomic_when_the_conflicting_stream_comes_first(
    store: EventStore,
) -> None:
    busy, fresh = uuid4(), uuid4()
    await store.append(Append(events=[event(busy, 1), event(busy, 2)], metadata=meta()))
    with pytest.raises(VersionConflict):
        await store.append(Append(
            events=[event(busy, 2, "Busy.Stale"), event(fresh, 1, "Fresh.Lost")],
            metadata=meta(),
        ))
    assert await store.read_stream(fresh) == []
    assert [e.version for e in await store.read_stream(busy)] == [1, 2]
    # the busy stream's head was not moved: version 3 is next
    await store.append(Append(events=[event(busy, 3, "Busy.Next")], metadata=meta()))
    assert [e.version for e in await store.read_stream(busy)] == [1, 2, 3]


# --- guards ---------------------------------------------------------------------------


async def test_a_guard_on_an_unchanged_stream_lets_the_append_through(store: EventStore) -> None:
    guarded, written = uuid4(), uuid4()
    await store.append(Append(events=[event(guarded, 1), event(guarded, 2)], metadata=meta()))
    await store.append(Append(
        events=[event(written, 1, "Guarded.Ok")], metadata=meta(), guards={guarded: 2},
    ))
    assert [e.event_type for e in await store.read_stream(written)] == ["Guarded.Ok"]


async def test_a_guard_on_a_stream_whose_version_changed_raises_version_conflict(
    store: EventStore,
) -> None:
    guarded, written = uuid4(), uuid4()
    await store.append(Append(events=[event(guarded, 1)], metadata=meta()))
    await store.append(Append(events=[event(guarded, 2, "Guarded.Moved")], metadata=meta()))
    head = await store.head()
    with pytest.raises(VersionConflict):
        await store.append(Append(
            events=[event(written, 1, "Guarded.Refused")], metadata=meta(), guards={guarded: 1},
        ))
    assert await store.read_stream(written) == []
    assert await store.head() == head


async def test_a_guard_on_a_missing_stream_raises_version_conflict(store: EventStore) -> None:
    written = uuid4()
    with pytest.raises(VersionConflict):
        await store.append(Append(
            events=[event(written, 1, "Guarded.Missing")], metadata=meta(), guards={uuid4(): 1},
        ))
    assert await store.read_stream(written) == []


# --- claims ---------------------------------------------------------------------------


async def test_a_second_claim_of_the_same_key_by_another_owner_raises_claim_conflict(
    store: EventStore,
) -> None:
    first_owner, second_owner = uuid4(), uuid4()
    await store.append(Append(
        events=[event(first_owner, 1, "Member.Registered")], metadata=meta(),
        claims=[Claim("id_number", "110101199001011234", first_owner)],
    ))
    head = await store.head()
    with pytest.raises(ClaimConflict) as info:
        await store.append(Append(
            events=[event(second_owner, 1, "Member.Registered")], metadata=meta(),
            claims=[Claim("id_number", "110101199001011234", second_owner)],
        ))
    assert info.value.scope == "id_number"
    assert info.value.key == "110101199001011234"
    assert await store.read_stream(second_owner) == []
    assert await store.head() == head


async def test_the_same_key_in_another_scope_is_a_different_claim(store: EventStore) -> None:
    a, b = uuid4(), uuid4()
    await store.append(Append(events=[event(a, 1)], metadata=meta(),
                              claims=[Claim("division_code", "D-0042", a)]))
    await store.append(Append(events=[event(b, 1)], metadata=meta(),
                              claims=[Claim("plaque_serial", "D-0042", b)]))
    assert len(await store.read_stream(b)) == 1


async def test_the_same_owner_may_claim_its_own_key_again(store: EventStore) -> None:
    owner = uuid4()
    await store.append(Append(events=[event(owner, 1)], metadata=meta(),
                              claims=[Claim("division_code", "RECLAIM-7", owner)]))
    await store.append(Append(events=[event(owner, 2, "Org.Renamed")], metadata=meta(),
                              claims=[Claim("division_code", "RECLAIM-7", owner)]))
    assert [e.version for e in await store.read_stream(owner)] == [1, 2]
    # still held by the owner: a stranger is refused
    with pytest.raises(ClaimConflict):
        await store.append(Append(events=[event(uuid4(), 1)], metadata=meta(),
                                  claims=[Claim("division_code", "RECLAIM-7", uuid4())]))


async def test_a_claim_with_replace_moves_ownership(store: EventStore) -> None:
    member, old_org, new_org = uuid4(), uuid4(), uuid4()
    await store.append(Append(events=[event(member, 1)], metadata=meta(),
                              claims=[Claim("home_org", str(member), old_org)]))
    await store.append(Append(events=[event(member, 2, "Member.Moved")], metadata=meta(),
                              claims=[Claim("home_org", str(member), new_org, replace=True)]))
    # the new owner now holds it: re-claiming as new owner is fine, as old owner conflicts
    await store.append(Append(events=[event(member, 3, "Member.Touched")], metadata=meta(),
                              claims=[Claim("home_org", str(member), new_org)]))
    with pytest.raises(ClaimConflict):
        await store.append(Append(events=[event(member, 4, "Member.Back")], metadata=meta(),
                                  claims=[Claim("home_org", str(member), old_org)]))
    # and vacancy follows ownership
    with pytest.raises(OwnerNotVacant):
        await store.append(Append(events=[event(new_org, 1)], metadata=meta(),
                                  vacant=[(new_org, ("home_org",))]))
    await store.append(Append(events=[event(old_org, 1, "Org.Dissolved")], metadata=meta(),
                              vacant=[(old_org, ("home_org",))]))
    assert [e.version for e in await store.read_stream(member)] == [1, 2, 3]


async def test_a_claim_with_replace_on_a_free_key_simply_claims_it(store: EventStore) -> None:
    owner = uuid4()
    await store.append(Append(events=[event(owner, 1)], metadata=meta(),
                              claims=[Claim("plaque_serial", "FREE-99", owner, replace=True)]))
    with pytest.raises(ClaimConflict):
        await store.append(Append(events=[event(uuid4(), 1)], metadata=meta(),
                                  claims=[Claim("plaque_serial", "FREE-99", uuid4())]))


async def test_a_release_frees_the_key_for_another_owner(store: EventStore) -> None:
    first, second = uuid4(), uuid4()
    await store.append(Append(events=[event(first, 1)], metadata=meta(),
                              claims=[Claim("division_code", "REL-3", first)]))
    await store.append(Append(events=[event(first, 2, "Org.CodeDropped")], metadata=meta(),
                              releases=[Release("division_code", "REL-3")]))
    await store.append(Append(events=[event(second, 1, "Org.CodeTaken")], metadata=meta(),
                              claims=[Claim("division_code", "REL-3", second)]))
    assert [e.event_type for e in await store.read_stream(second)] == ["Org.CodeTaken"]


async def test_a_release_and_a_claim_in_the_same_append_hand_the_key_over(
    store: EventStore,
) -> None:
    first, second = uuid4(), uuid4()
    await store.append(Append(events=[event(first, 1)], metadata=meta(),
                              claims=[Claim("division_code", "SWAP-5", first)]))
    await store.append(Append(events=[event(second, 1, "Org.Swapped")], metadata=meta(),
                              releases=[Release("division_code", "SWAP-5")],
                              claims=[Claim("division_code", "SWAP-5", second)]))
    with pytest.raises(ClaimConflict):
        await store.append(Append(events=[event(first, 2)], metadata=meta(),
                                  claims=[Claim("division_code", "SWAP-5", first)]))


async def test_a_claim_conflict_rolls_back_the_releases_and_claims_of_the_same_append(
    store: EventStore,
) -> None:
    holder, taker, other = uuid4(), uuid4(), uuid4()
    await store.append(Append(events=[event(holder, 1)], metadata=meta(),
                              claims=[Claim("division_code", "KEEP-1", holder),
                                      Claim("division_code", "TAKEN-2", other)]))
    with pytest.raises(ClaimConflict):
        await store.append(Append(
            events=[event(taker, 1)], metadata=meta(),
            releases=[Release("division_code", "KEEP-1")],
            claims=[Claim("division_code", "NEW-3", taker),
                    Claim("division_code", "TAKEN-2", taker)],
        ))
    # KEEP-1 was not released, NEW-3 was not claimed
    with pytest.raises(ClaimConflict):
        await store.append(Append(events=[event(uuid4(), 1)], metadata=meta(),
                                  claims=[Claim("division_code", "KEEP-1", uuid4())]))
    await store.append(Append(events=[event(uuid4(), 1)], metadata=meta(),
                              claims=[Claim("division_code", "NEW-3", uuid4())]))


async def test_a_version_conflict_does_not_leave_the_claims_of_the_append_behind(
    store: EventStore,
) -> None:
    stream = uuid4()
    await store.append(Append(events=[event(stream, 1)], metadata=meta()))
    with pytest.raises(VersionConflict):
        await store.append(Append(events=[event(stream, 1, "Dup.Start")], metadata=meta(),
                                  claims=[Claim("division_code", "ORPHAN-8", stream)]))
    await store.append(Append(events=[event(uuid4(), 1)], metadata=meta(),
                              claims=[Claim("division_code", "ORPHAN-8", uuid4())]))


# --- vacant ---------------------------------------------------------------------------


async def test_an_owner_holding_a_claim_in_a_listed_scope_is_not_vacant(
    store: EventStore,
) -> None:
    org, member = uuid4(), uuid4()
    await store.append(Append(events=[event(member, 1)], metadata=meta(),
                              claims=[Claim("home_org", str(member), org)]))
    head = await store.head()
    with pytest.raises(OwnerNotVacant):
        await store.append(Append(
            events=[event(org, 1, "Org.Dissolved")], metadata=meta(),
            vacant=[(org, ("child_org", "home_org"))],
        ))
    assert await store.read_stream(org) == []
    assert await store.head() == head


async def test_an_owner_holding_claims_only_in_other_scopes_is_vacant(store: EventStore) -> None:
    org = uuid4()
    await store.append(Append(events=[event(org, 1)], metadata=meta(),
                              claims=[Claim("division_code", "VAC-11", org)]))
    await store.append(Append(events=[event(org, 2, "Org.Dissolved")], metadata=meta(),
                              vacant=[(org, ("home_org", "child_org"))]))
    assert [e.version for e in await store.read_stream(org)] == [1, 2]


async def test_an_owner_whose_last_claim_is_released_in_the_same_append_is_vacant(
    store: EventStore,
) -> None:
    org, member = uuid4(), uuid4()
    await store.append(Append(events=[event(member, 1)], metadata=meta(),
                              claims=[Claim("home_org", f"m-{member}", org)]))
    await store.append(Append(
        events=[event(org, 1, "Org.LastMemberLeftAndDissolved")], metadata=meta(),
        releases=[Release("home_org", f"m-{member}")], vacant=[(org, ("home_org",))],
    ))
    assert len(await store.read_stream(org)) == 1


# --- idempotency ----------------------------------------------------------------------


async def test_repeating_an_idempotency_key_returns_the_first_result_and_appends_nothing(
    store: EventStore,
) -> None:
    stream = uuid4()
    request = Append(
        events=[event(stream, 1, "Transfer.Requested", {"to": "第二支部"})],
        metadata=meta(actor="idem-actor-1", command_id="key-alpha"),
        idempotency=Idempotency("key-alpha", "fp-alpha"),
        result={"transferId": str(stream), "状态": "REQUESTED"},
    )
    first = await store.append(request)
    assert first.replayed is False
    assert first.result == {"transferId": str(stream), "状态": "REQUESTED"}

    second = await store.append(request)
    assert second.replayed is True
    assert second.result == first.result
    assert second.last_position == first.last_position
    assert second.fingerprint == "fp-alpha"

    log = await all_events(store)
    assert [e.event_type for e in log] == ["Transfer.Requested"]


async def test_a_repeat_with_other_events_still_replays_and_appends_nothing(
    store: EventStore,
) -> None:
    stream = uuid4()
    first = await store.append(Append(
        events=[event(stream, 1, "Idem.First")], metadata=meta(actor="idem-actor-2"),
        idempotency=Idempotency("key-beta", "fp-beta-1"), result={"n": 1},
    ))
    # a differently-built repeat (what a retried command would decide now)
    second = await store.append(Append(
        events=[event(stream, 2, "Idem.Second")], metadata=meta(actor="idem-actor-2"),
        idempotency=Idempotency("key-beta", "fp-beta-2"), result={"n": 2},
    ))
    assert second.replayed is True
    assert second.result == {"n": 1}
    assert second.last_position == first.last_position
    assert second.fingerprint == "fp-beta-1"
    assert [e.event_type for e in await store.read_stream(stream)] == ["Idem.First"]


async def test_the_same_idempotency_key_for_another_actor_is_independent(
    store: EventStore,
) -> None:
    a, b = uuid4(), uuid4()
    first = await store.append(Append(
        events=[event(a, 1, "Idem.ActorA")], metadata=meta(actor="actor-a-gamma"),
        idempotency=Idempotency("key-gamma", "fp-gamma"), result={"who": "a"},
    ))
    second = await store.append(Append(
        events=[event(b, 1, "Idem.ActorB")], metadata=meta(actor="actor-b-gamma"),
        idempotency=Idempotency("key-gamma", "fp-gamma"), result={"who": "b"},
    ))
    assert first.replayed is False and second.replayed is False
    assert second.result == {"who": "b"}
    assert second.last_position > first.last_position
    assert [e.event_type for e in await all_events(store)] == ["Idem.ActorA", "Idem.ActorB"]


async def test_recall_returns_the_first_result_with_its_fingerprint(store: EventStore) -> None:
    stream = uuid4()
    assert await store.recall("recall-actor", "key-delta") is None
    first = await store.append(Append(
        events=[event(stream, 1)], metadata=meta(actor="recall-actor"),
        idempotency=Idempotency("key-delta", "fp-delta"), result={"id": str(stream)},
    ))
    recalled = await store.recall("recall-actor", "key-delta")
    assert recalled == AppendResult(first.last_position, {"id": str(stream)}, True, "fp-delta")
    assert await store.recall("other-recall-actor", "key-delta") is None


async def test_a_failed_append_does_not_use_up_its_idempotency_key(store: EventStore) -> None:
    stream = uuid4()
    await store.append(Append(events=[event(stream, 1)], metadata=meta()))
    with pytest.raises(VersionConflict):
        await store.append(Append(
            events=[event(stream, 1, "Idem.Conflicting")], metadata=meta(actor="idem-eps"),
            idempotency=Idempotency("key-eps", "fp-eps"), result={"try": 1},
        ))
    assert await store.recall("idem-eps", "key-eps") is None
    retried = await store.append(Append(
        events=[event(stream, 2, "Idem.Retried")], metadata=meta(actor="idem-eps"),
        idempotency=Idempotency("key-eps", "fp-eps"), result={"try": 2},
    ))
    assert retried.replayed is False
    assert [e.event_type for e in await store.read_stream(stream)][-1] == "Idem.Retried"


async def test_an_idempotent_append_without_events_records_the_current_head(
    store: EventStore,
) -> None:
    await store.append(Append(events=[event(uuid4(), 1), event(uuid4(), 1)], metadata=meta()))
    head = await store.head()
    first = await store.append(Append(
        events=[], metadata=meta(actor="idem-zeta"),
        idempotency=Idempotency("key-zeta", "fp-zeta"), result={"noop": True},
    ))
    assert first == AppendResult(head, {"noop": True})
    again = await store.append(Append(
        events=[], metadata=meta(actor="idem-zeta"),
        idempotency=Idempotency("key-zeta", "fp-zeta"), result={"noop": False},
    ))
    assert again == AppendResult(head, {"noop": True}, True, "fp-zeta")
    assert await store.head() == head


async def test_concurrent_repeats_of_an_idempotent_command_append_once(
    store: EventStore,
) -> None:
    streams = [uuid4() for _ in range(6)]
    results = await asyncio.gather(*[
        store.append(Append(
            events=[event(s, 1, "Idem.Race")], metadata=meta(actor="idem-race"),
            idempotency=Idempotency("key-race", "fp-race"), result={"stream": str(s)},
        ))
        for s in streams
    ])
    fresh = [r for r in results if not r.replayed]
    assert len(fresh) == 1
    assert all(r.result == fresh[0].result for r in results)
    assert all(r.last_position == fresh[0].last_position for r in results)
    assert [e.event_type for e in await all_events(store)] == ["Idem.Race"]


# --- the log --------------------------------------------------------------------------


async def test_read_log_pages_by_position_with_a_limit(store: EventStore) -> None:
    appended = []
    for i in range(7):
        e = event(uuid4(), 1, f"Page.E{i}")
        appended.append(e.event_id)
        await store.append(Append(events=[e], metadata=meta()))
    pages: list[list[RecordedEvent]] = []
    after = 0
    while page := await store.read_log(after, 3):
        pages.append(page)
        after = page[-1].position
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [e for p in pages for e in p]
    assert [e.event_id for e in flat] == appended
    positions = [e.position for e in flat]
    assert all(a < b for a, b in itertools.pairwise(positions))
    assert await store.read_log(positions[-1], 10) == []
    assert [e.event_id for e in await store.read_log(positions[2], 2)] == appended[3:5]


async def test_read_log_filters_by_event_types_and_still_pages_by_position(
    store: EventStore,
) -> None:
    kinds = ["Filter.Kept", "Filter.Dropped", "Filter.AlsoKept"] * 4
    for i, kind in enumerate(kinds):
        await store.append(Append(events=[event(uuid4(), 1, kind, {"i": i})], metadata=meta()))
    wanted = ["Filter.Kept", "Filter.AlsoKept"]
    first = await store.read_log(0, 5, event_types=wanted)
    assert len(first) == 5
    assert {e.event_type for e in first} <= set(wanted)
    rest = await store.read_log(first[-1].position, 100, event_types=wanted)
    got = first + rest
    assert [e.payload["i"] for e in got] == [i for i, k in enumerate(kinds) if k in wanted]
    assert await store.read_log(0, 100, event_types=["Filter.Nobody"]) == []
    assert await store.read_log(0, 100, event_types=[]) == []


async def test_head_is_zero_for_an_empty_log_and_the_last_position_afterwards(
    store: EventStore,
) -> None:
    assert await store.head() == 0
    assert await store.read_log(0, 10) == []
    r1 = await store.append(Append(events=[event(uuid4(), 1)], metadata=meta()))
    assert await store.head() == r1.last_position
    s = uuid4()
    r2 = await store.append(Append(events=[event(s, 1), event(s, 2)], metadata=meta()))
    assert await store.head() == r2.last_position
    assert r2.last_position > r1.last_position
    log = await all_events(store)
    assert log[-1].position == r2.last_position


async def test_a_failed_append_does_not_move_the_head(store: EventStore) -> None:
    s = uuid4()
    await store.append(Append(events=[event(s, 1)], metadata=meta()))
    head = await store.head()
    with pytest.raises(VersionConflict):
        await store.append(Append(events=[event(s, 1)], metadata=meta()))
    assert await store.head() == head


async def test_next_serial_for_transfer_letters_increases(store: EventStore) -> None:
    values = [await store.next_serial("transfer_letter") for _ in range(5)]
    assert values[0] >= 1
    assert all(a < b for a, b in itertools.pairwise(values))
    assert len(set(values)) == 5


async def test_concurrent_next_serial_calls_never_repeat(store: EventStore) -> None:
    values = await asyncio.gather(*[store.next_serial("transfer_letter") for _ in range(20)])
    assert len(set(values)) == 20

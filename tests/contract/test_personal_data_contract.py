"""Both event stores seal personal data on append, open it on read, and shred it on erasure.

What the store keeps is ciphertext (the PostgreSQL row's payload, the in-memory store's
own list); what readers get is plaintext, until an erasure event destroys the stream's
keys in the same append, after which every personal value reads as null.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

import domain.members.aggregate  # noqa: F401  (declares Member.PersonalDataErased an erasure)
from domain.shared.errors import VersionConflict
from domain.shared.ports import Append, EventStore, Idempotency, Metadata, NewEvent
from eventstore.memory import InMemoryEventStore
from eventstore.personal_keys import is_sealed
from eventstore.postgres import PostgresEventStore

ID, PHONE, NEW_PHONE = "32050819790412006X", "13912345678", "13700001111"
ERASED = "Member.PersonalDataErased"


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> EventStore:
    if request.param == "memory":
        return InMemoryEventStore()
    return PostgresEventStore(request.getfixturevalue("pool"))


def ev(stream: UUID, version: int, event_type: str, payload: dict[str, Any]) -> NewEvent:
    return NewEvent(stream_id=stream, stream_type="Member", version=version, event_id=uuid4(),
                    event_type=event_type, schema_version=1, payload=payload)


def meta(command_id: str | None = None) -> Metadata:
    return Metadata(actor="contract", actor_roles=("district_admin",), correlation_id=uuid4(),
                    command_id=command_id)


async def stored(store: EventStore, stream: UUID) -> list[dict[str, Any]]:
    """The payloads as the store keeps them (what is hashed), not as readers get them."""
    if isinstance(store, InMemoryEventStore):
        return [e.payload for e in store.events if e.stream_id == stream]
    assert isinstance(store, PostgresEventStore)
    rows = await store.pool.fetch("SELECT payload FROM events WHERE stream_id = $1 ORDER BY version",
                                  stream)
    return [r["payload"] for r in rows]


async def key_count(store: EventStore, stream: UUID) -> int:
    if isinstance(store, InMemoryEventStore):
        return len(store.personal_keys.get(stream, {}))
    assert isinstance(store, PostgresEventStore)
    return int(await store.pool.fetchval("SELECT count(*) FROM personal_keys WHERE subject_id = $1",
                                         stream))


async def test_personal_data_is_stored_sealed_and_read_back_plain(store: EventStore) -> None:
    stream = uuid4()
    await store.append(Append([ev(stream, 1, "Member.Registered",
                                  {"name": "李秀英", "id_number": ID, "phone": PHONE})], meta()))
    await store.append(Append([ev(stream, 2, "Member.DetailsCorrected",
                                  {"name": "李秀英", "phone": NEW_PHONE})], meta()))
    first, second = await stored(store, stream)
    assert ID not in json.dumps(first) and PHONE not in json.dumps(first)
    assert is_sealed(first["id_number"]) and is_sealed(second["phone"]) and first["name"] == "李秀英"
    # Every append with personal data drew its own key (a new key version).
    assert first["phone"]["kid"] != second["phone"]["kid"] and await key_count(store, stream) == 2
    for read in (await store.read_stream(stream), await store.read_log(0, 100)):
        assert [e.payload for e in read if e.stream_id == stream] == [
            {"name": "李秀英", "id_number": ID, "phone": PHONE}, {"name": "李秀英", "phone": NEW_PHONE}]


async def test_erasure_destroys_the_keys_with_the_append_and_values_read_as_null(
    store: EventStore,
) -> None:
    stream, other = uuid4(), uuid4()
    for s in (stream, other):
        await store.append(Append([ev(s, 1, "Member.Registered", {"id_number": ID, "phone": PHONE})],
                                  meta()))
    before = await stored(store, stream)
    await store.append(Append([ev(stream, 2, ERASED, {"fields": ["id_number", "phone"]})], meta()))
    assert await key_count(store, stream) == 0 and await key_count(store, other) == 1
    assert [e.payload for e in await store.read_stream(stream)] == [
        {"id_number": None, "phone": None}, {"fields": ["id_number", "phone"]}]
    assert [e.payload for e in await store.read_stream(other)] == [{"id_number": ID, "phone": PHONE}]
    # The log itself is unchanged: what was hashed before is what is stored now.
    assert (await stored(store, stream))[:1] == before


async def test_a_replayed_idempotency_key_draws_no_key_and_a_failed_append_keeps_none(
    store: EventStore, request: pytest.FixtureRequest,
) -> None:
    stream = uuid4()
    idem = Idempotency("k-1", "fp")
    registered = ev(stream, 1, "Member.Registered", {"id_number": ID, "phone": PHONE})
    await store.append(Append([registered], meta("k-1"), idempotency=idem))
    repeat = await store.append(Append([ev(stream, 1, "Member.Registered", {"id_number": ID})],
                                       meta("k-1"), idempotency=idem))
    assert repeat.replayed and await key_count(store, stream) == 1
    with pytest.raises(VersionConflict):  # nothing appended, so no key kept
        await store.append(Append([ev(stream, 1, "Member.Registered", {"phone": PHONE})], meta()))
    assert await key_count(store, stream) == 1
    if isinstance(store, PostgresEventStore):
        pool: asyncpg.Pool = request.getfixturevalue("pool")
        assert await pool.fetchval("SELECT count(*) FROM personal_keys") == 1

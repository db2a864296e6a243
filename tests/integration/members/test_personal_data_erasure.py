"""Crypto-shredding end to end on real PostgreSQL, through the real command handling.

A member's ID number and phone are stored sealed, read plain by the aggregate and the
read model, and erased on a lawful request: the keys go in the erasure's own append,
every value reads as null afterwards (read model, rebuild, the store's readers), and the
tamper evidence (Merkle tree, checkpoints, inclusion proofs) verifies unchanged.
"""

from __future__ import annotations

import json
from uuid import UUID, uuid4

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.areas import PROJECTIONS
from domain.members.aggregate import Member
from domain.members.handlers import ID_NUMBER, id_number_key
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.directory import AggregateDirectory
from domain.shared import events as ev
from domain.shared.commands import Request
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Actor, Role
from domain.shared.ports import NewEvent
from eventstore.db import connect
from eventstore.integrity.verify import verify_log, verify_stream
from eventstore.personal_keys import NewKey, PersonalDataKeyError, PersonalKeys, open_payload, rewrap
from eventstore.postgres import EVENT_COLUMNS, PostgresEventStore
from projections.runtime.rebuild import rebuild
from tests.integration.integrity_support import hash_and_sign
from tests.integration.support import catch_up, commands, head, id_number, register, req
from tests.usecases import UseCases

KEY = Ed25519PrivateKey.generate()
ID = id_number("32050819790412006")
PHONE, NEW_PHONE = "13912345678", "13700001111"


def as_(role: Role, scope: UUID | None) -> Request:
    return Request(Actor(subject=f"{role.value}-1", name="X", roles=frozenset({role}), scope=scope), uuid4())


async def world(cmds: UseCases) -> dict[str, UUID]:
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    street = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "平江街道党工委", district, "320508019000")).id
    community = (await cmds.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "平江新村社区党委", street, "320508019001")).id
    member = (await register(cmds, community, "李秀英", "32050819790412006")).id
    await cmds.correct_member_details(req(), member, {"phone": NEW_PHONE}, "换号")
    return {"district": district, "street": street, "community": community, "member": member}


async def stored_payloads(pool: asyncpg.Pool, stream: UUID) -> list[str]:
    return [r[0] for r in await pool.fetch(
        "SELECT payload::text FROM events WHERE stream_id = $1 ORDER BY version", stream)]


async def member_row(pool: asyncpg.Pool, member: UUID) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM members WHERE id = $1", member)
    assert row is not None
    return row


async def test_register_erase_and_the_log_still_verifies(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    member = ids["member"]
    # Stored sealed: no ID number or phone anywhere in the log; read plain by the domain.
    assert await pool.fetchval("SELECT count(*) FROM events WHERE payload::text LIKE ANY($1::text[])",
                               [f"%{v[-8:]}%" for v in (ID, PHONE, NEW_PHONE)]) == 0
    loaded = ev.replay(Member, await cmds.store.read_stream(member))
    assert loaded is not None and (loaded.id_number, loaded.phone) == (ID, NEW_PHONE)
    await catch_up(dsn, PROJECTIONS["members"])
    row = await member_row(pool, member)
    assert (row["id_number"], row["phone"], row["personal_data_erased_at"]) == (ID, NEW_PHONE, None)
    assert await pool.fetchval("SELECT count(*) FROM personal_keys WHERE subject_id = $1", member) == 2
    before = await hash_and_sign(dsn, KEY)
    sealed = await stored_payloads(pool, member)

    # Refused, and nothing appended: another role, a street admin, no reason.
    top = await head(pool)
    for request, reason, error in (
        (as_(Role.STREET_ADMIN, ids["street"]), "依申请删除", NotAuthorized),
        (as_(Role.COMMUNITY_SECRETARY, ids["community"]), "依申请删除", NotAuthorized),
        (as_(Role.DISTRICT_ADMIN, ids["district"]), "  ", InvalidInput),
    ):
        with pytest.raises(error):
            await cmds.erase_member_personal_data(request, member, reason)
    assert await head(pool) == top
    assert await pool.fetchval("SELECT count(*) FROM personal_keys WHERE subject_id = $1", member) == 2

    erased = await cmds.erase_member_personal_data(as_(Role.DISTRICT_ADMIN, ids["district"]), member,
                                                   "依本人申请删除个人信息（申请编号 2026-017）")
    event = await pool.fetchrow("SELECT * FROM events WHERE position = $1", erased.position)
    assert (event["event_type"], event["reason"]) == ("Member.PersonalDataErased",
                                                      "依本人申请删除个人信息（申请编号 2026-017）")
    assert event["payload"] == {"fields": ["declared_income", "id_number", "phone"]}
    # The keys went with the append, and so did the ID number's claim (its digest).
    assert await pool.fetchval("SELECT count(*) FROM personal_keys WHERE subject_id = $1", member) == 0
    assert await pool.fetchval("SELECT count(*) FROM personal_data_erasures WHERE subject_id = $1",
                               member) == 1
    assert await pool.fetchval("SELECT count(*) FROM claims WHERE scope = $1 AND key = $2",
                               ID_NUMBER, id_number_key(ID)) == 0

    # Every reader of the log now reads null; the stored rows are what they were.
    for e in await cmds.store.read_stream(member):
        assert e.payload.get("id_number") is None and e.payload.get("phone") is None
    assert (await stored_payloads(pool, member))[:2] == sealed
    await catch_up(dsn, PROJECTIONS["members"])
    row = await member_row(pool, member)
    assert (row["id_number"], row["phone"]) == (None, None)
    assert row["personal_data_erased_at"] == event["recorded_at"] and row["version"] == 3
    assert await rebuild(dsn, PROJECTIONS["members"]) == await head(pool)
    rebuilt = await member_row(pool, member)
    assert (rebuilt["id_number"], rebuilt["phone"], rebuilt["name"]) == (None, None, "李秀英")
    assert rebuilt["personal_data_erased_at"] == event["recorded_at"]

    # Tamper evidence: the old checkpoint and a new one verify the whole log and the stream.
    after = await hash_and_sign(dsn, KEY)
    report = await verify_log(dsn, KEY.public_key(), workers=2)
    assert report.ok, report.summary()
    assert (report.checkpoints_ok, report.events) == (2, after.tree_size)
    assert after.tree_size == before.tree_size + 1
    conn = await connect(dsn)
    try:
        stream = await verify_stream(conn, member, KEY.public_key())
    finally:
        await conn.close()
    assert stream.ok and stream.events == 3, stream.summary()


async def test_after_erasure_nothing_personal_is_recorded_again_but_the_person_may_reregister(
    pool: asyncpg.Pool,
) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    member, admin = ids["member"], as_(Role.DISTRICT_ADMIN, None)
    await cmds.erase_member_personal_data(admin, member, "依申请删除")
    top = await head(pool)
    with pytest.raises(InvalidInput, match="already erased"):
        await cmds.erase_member_personal_data(admin, member, "再次删除")
    with pytest.raises(InvalidInput) as refused:
        await cmds.correct_member_details(req(), member, {"phone": PHONE}, "补录")
    assert refused.value.field == "phone"
    assert await head(pool) == top
    # Other details can still be corrected; no key is drawn for a correction without any.
    await cmds.correct_member_details(req(), member, {"name": "李秀瑛"}, "更名")
    assert await pool.fetchval("SELECT count(*) FROM personal_keys") == 0
    # The claim was released with the personal data: the same ID number registers again.
    again = await register(cmds, ids["community"], "李秀英", "32050819790412006")
    assert again.id != member


class BeforeSealing(PersonalKeys):
    """The event store as it was before personal data was sealed: plaintext payloads."""

    def seal(self, events: list[NewEvent]) -> tuple[list[NewEvent], list[NewKey]]:  # type: ignore[override]
        return list(events), []


async def test_members_registered_before_sealing_read_as_they_are_until_erased(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    old = UseCases.build(before := PostgresEventStore(pool, BeforeSealing([PersonalKeys.new_kek()])),
                         AggregateDirectory(before), commands(pool).clock)
    ids = await world(old)
    member = ids["member"]
    assert any(ID in p for p in await stored_payloads(pool, member))  # plaintext in the log
    cmds = commands(pool)
    assert [e.payload.get("id_number") for e in await cmds.store.read_stream(member)][:1] == [ID]
    await cmds.erase_member_personal_data(as_(Role.DISTRICT_ADMIN, None), member, "依申请删除")
    # Blanked for every reader; the old rows keep their text (they cannot be shredded).
    assert all(e.payload.get("id_number") is None and e.payload.get("phone") is None
               for e in await cmds.store.read_stream(member))
    assert any(ID in p for p in await stored_payloads(pool, member))
    await catch_up(dsn, PROJECTIONS["members"])
    row = await member_row(pool, member)
    assert (row["id_number"], row["phone"]) == (None, None)
    erasure = json.loads((await stored_payloads(pool, member))[-1])
    assert erasure == {"fields": ["declared_income", "id_number", "phone"]}


async def test_a_new_key_encryption_key_rewraps_every_data_key_and_the_old_one_can_go(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    old, new = PersonalKeys.new_kek(), PersonalKeys.new_kek()
    store = PostgresEventStore(pool, PersonalKeys([old]))
    cmds = UseCases.build(store, AggregateDirectory(store), commands(pool).clock)
    member = (await world(cmds))["member"]
    rows = await pool.fetch(f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version",
                            member)
    before = await pool.fetch("SELECT key_id, wrapped FROM personal_keys ORDER BY key_id")
    conn = await connect(dsn)
    try:
        assert await rewrap(conn, PersonalKeys([new, old])) == len(before) == 2
    finally:
        await conn.close()
    after = await pool.fetch("SELECT key_id, wrapped FROM personal_keys ORDER BY key_id")
    assert [r["key_id"] for r in after] == [r["key_id"] for r in before]
    assert all(a["wrapped"] != b["wrapped"] for a, b in zip(after, before, strict=True))
    state = {"keys": {str(r["key_id"]): r["wrapped"] for r in after}}
    opened = [open_payload(r["payload"], member, state, PersonalKeys([new])) for r in rows]
    assert [(p.get("id_number"), p["phone"]) for p in opened] == [(ID, PHONE), (None, NEW_PHONE)]
    with pytest.raises(PersonalDataKeyError):
        open_payload(rows[0]["payload"], member, state, PersonalKeys([old]))

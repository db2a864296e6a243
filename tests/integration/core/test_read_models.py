"""The read-model tables, fed by real commands and the real projections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from api.areas import PROJECTIONS
from domain.members.aggregate import Gender, Standing, TransferScope
from domain.organizations.aggregate import Organization
from domain.organizations.aggregate import OrganizationKind as K
from domain.shared import events as ev
from domain.shared.commands import Outcome
from domain.shared.ports import Append, Metadata
from projections.runtime.supervisor import Supervisor
from tests.integration.support import NOW, TODAY, catch_up, commands, register, req
from tests.usecases import UseCases


async def central_household_as_recorded_before(cmds: UseCases, building: UUID) -> Outcome:
    """A MEMBER_CENTRAL_HOUSEHOLD organization as recorded before central households became the grids
    area's designations (no longer established): its events still load and project."""
    old = Organization(kind=K.MEMBER_CENTRAL_HOUSEHOLD, name="张家", code=None, parent_id=building,
                       established_on=date(2025, 6, 1))
    done = await cmds.store.append(Append(ev.to_new_events(old), Metadata("t", ("district_admin",), uuid4())))
    return Outcome(old.id, done.last_position)


class World:
    """Commands plus the running projections: ``do`` waits until the read side caught up."""

    def __init__(self, cmds: UseCases, supervisor: Supervisor, pool: asyncpg.Pool) -> None:
        self.cmds = cmds
        self.supervisor = supervisor
        self.pool = pool

    async def do(self, pending) -> Outcome:  # type: ignore[no-untyped-def]
        outcome: Outcome = await pending
        reached = await self.supervisor.wait_for(outcome.position, timeout=10)
        assert reached >= outcome.position, "the read models did not catch up"
        return outcome

    async def org(self, org_id: UUID) -> asyncpg.Record:
        row = await self.pool.fetchrow("SELECT * FROM organizations WHERE id = $1", org_id)
        assert row is not None
        return row

    async def path(self, org_id: UUID) -> list[UUID]:
        return list((await self.org(org_id))["path"])


@pytest.fixture
async def world(dsn: str, pool: asyncpg.Pool) -> AsyncIterator[World]:
    supervisor = Supervisor(dsn, pool, PROJECTIONS)
    await supervisor.start()
    try:
        yield World(commands(pool), supervisor, pool)
    finally:
        await supervisor.stop()


async def _stream_version(pool: asyncpg.Pool, stream_id: UUID) -> int:
    return int(await pool.fetchval("SELECT version FROM streams WHERE stream_id = $1", stream_id))


async def test_organizations_paths_moves_and_dissolution(world: World) -> None:
    c, w = world.cmds, world
    district = (await w.do(c.establish_organization(
        req(), K.DISTRICT_COMMITTEE, "姑苏区委", None))).id
    street = (await w.do(c.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "平江街道党工委", district, "320508019000"))).id
    street2 = (await w.do(c.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "观前街道党工委", district, "320508020000"))).id
    east = (await w.do(c.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "平江新村社区党委", street, "320508019001"))).id
    west = (await w.do(c.establish_organization(
        req(), K.COMMUNITY_BRANCH, "钮家巷社区党支部", street, "320508019002"))).id
    grid = (await w.do(c.establish_organization(req(), K.GRID_BRANCH, "第一网格", east))).id
    building = (await w.do(c.establish_organization(req(), K.BUILDING_GROUP, "3幢", grid))).id
    household = (await w.do(central_household_as_recorded_before(c, building))).id

    row = await w.org(district)
    assert list(row["path"]) == [district]
    assert row["parent_id"] is None and row["kind"] == "DISTRICT_COMMITTEE"
    assert row["status"] == "ACTIVE" and row["dissolved_on"] is None
    assert row["established_on"] == TODAY and row["version"] == 1
    row = await w.org(east)
    assert (row["code"], row["name"]) == ("320508019001", "平江新村社区党委")
    assert row["parent_id"] == street
    assert await w.path(east) == [district, street, east]
    assert await w.path(west) == [district, street, west]
    assert await w.path(household) == [district, street, east, grid, building, household]
    assert (await w.org(household))["established_on"] == date(2025, 6, 1)
    assert (await w.org(household))["created_at"] == (await w.org(household))["updated_at"]

    # Move the community (with three levels below it) to the other street.
    moved = await w.do(c.move_organization(req(), east, street2))
    row = await w.org(east)
    assert row["parent_id"] == street2 and row["version"] == 2
    assert row["last_position"] == moved.position
    assert await w.path(east) == [district, street2, east]
    assert await w.path(grid) == [district, street2, east, grid]
    assert await w.path(building) == [district, street2, east, grid, building]
    assert await w.path(household) == [district, street2, east, grid, building, household]
    # Descendants keep their own parent, version and position; bystanders are untouched.
    assert (await w.org(grid))["parent_id"] == east
    assert (await w.org(grid))["version"] == 1
    assert await w.path(west) == [district, street, west]
    assert await w.path(street) == [district, street]

    # Move a middle piece of the moved subtree again: a grid under the other community.
    await w.do(c.move_organization(req(), grid, west))
    assert await w.path(grid) == [district, street, west, grid]
    assert await w.path(household) == [district, street, west, grid, building, household]
    assert await w.path(east) == [district, street2, east]

    # The subtree query the GIN index on path serves.
    under_west = {r["id"] for r in await world.pool.fetch(
        "SELECT id FROM organizations WHERE path @> ARRAY[$1::uuid]", west)}
    assert under_west == {west, grid, building, household}

    await w.do(c.rename_organization(req(), west, "钮家巷社区第一党支部"))
    row = await w.org(west)
    assert row["name"] == "钮家巷社区第一党支部" and row["version"] == 2

    dissolved = await w.do(c.dissolve_organization(req(), household, "户主迁出",
                                                   dissolved_on=date(2026, 2, 28)))
    row = await w.org(household)
    assert row["status"] == "DISSOLVED"
    assert row["dissolved_on"] == date(2026, 2, 28)
    assert row["version"] == 2 and row["last_position"] == dissolved.position
    assert row["updated_at"] >= row["created_at"]
    assert (await w.org(building))["status"] == "ACTIVE"

    for org_id in (district, street, street2, east, west, grid, building, household):
        assert (await w.org(org_id))["version"] == await _stream_version(world.pool, org_id)
    assert await world.pool.fetchval("SELECT count(*) FROM organizations") == 8


async def test_members_register_correct_and_transfer(world: World) -> None:
    c, w = world.cmds, world
    district = (await w.do(c.establish_organization(req(), K.DISTRICT_COMMITTEE, "区委", None))).id
    street = (await w.do(c.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "街道", district, "320508019000"))).id
    east = (await w.do(c.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "东社区", street, "320508019001"))).id
    west = (await w.do(c.establish_organization(
        req(), K.COMMUNITY_BRANCH, "西社区", street, "320508019002"))).id

    registered = await w.do(register(c, east, " 李秀英 ", "32050819790412002"))
    member = registered.id
    row = await world.pool.fetchrow("SELECT * FROM members WHERE id = $1", member)
    assert row is not None
    assert row["name"] == "李秀英"
    assert row["gender"] == "FEMALE" and row["ethnicity"] == "汉族"
    assert row["birth_date"] == date(1979, 4, 12) and row["joined_on"] == date(2003, 7, 1)
    assert len(row["id_number"]) == 18 and row["id_number"].startswith("32050819790412002")
    assert row["phone"] == "13912345678"
    assert row["standing"] == "PROBATIONARY" and row["converted_on"] is None
    assert row["home_organization_id"] == east
    assert row["dues_paid_through"] == date(2026, 2, 1)  # stored as the month's first day
    assert row["version"] == 1 and row["last_position"] == registered.position
    assert row["registered_at"] == row["updated_at"]

    corrected = await w.do(c.correct_member_details(
        req(), member, {"name": "李秀瑛", "phone": "13800001111", "gender": Gender.MALE,
                        "dues_paid_through": date(2026, 3, 20)}, "户籍信息更正"))
    row = await world.pool.fetchrow("SELECT * FROM members WHERE id = $1", member)
    assert (row["name"], row["phone"], row["gender"]) == ("李秀瑛", "13800001111", "MALE")
    assert row["dues_paid_through"] == date(2026, 3, 1)
    assert row["ethnicity"] == "汉族" and row["birth_date"] == date(1979, 4, 12)
    assert row["id_number"].startswith("32050819790412002")
    assert row["version"] == 2 and row["last_position"] == corrected.position

    await w.do(c.convert_member_to_full(req(), member, date(2025, 12, 1)))
    row = await world.pool.fetchrow("SELECT * FROM members WHERE id = $1", member)
    assert row["standing"] == "FULL" and row["converted_on"] == date(2025, 12, 1)

    requested = await w.do(c.request_member_transfer(
        req(), member, west, TransferScope.WITHIN_CITY, "搬家"))
    transfer = UUID(requested.extra["transfer_id"])
    row = await world.pool.fetchrow("SELECT * FROM members WHERE id = $1", member)
    assert row["home_organization_id"] == east  # still home until accepted
    assert row["version"] == 4  # the version follows the stream for transfer events too
    await w.do(c.issue_transfer_letter(req(), member, transfer))
    assert (await world.pool.fetchrow(
        "SELECT home_organization_id FROM members WHERE id = $1", member))[0] == east

    accepted = await w.do(c.accept_member_transfer(req(), member, transfer))
    row = await world.pool.fetchrow("SELECT * FROM members WHERE id = $1", member)
    assert row["home_organization_id"] == west
    assert row["version"] == 6 and row["last_position"] == accepted.position
    assert row["name"] == "李秀瑛" and row["standing"] == "FULL"

    await w.do(c.confirm_transfer_receipt(req(), member, transfer))
    row = await world.pool.fetchrow("SELECT * FROM members WHERE id = $1", member)
    assert row["home_organization_id"] == west
    assert row["version"] == 7 == await _stream_version(world.pool, member)

    by_home = await world.pool.fetch(
        "SELECT id FROM members WHERE home_organization_id = $1", west)
    assert [r["id"] for r in by_home] == [member]
    assert await world.pool.fetchval(
        "SELECT count(*) FROM members WHERE home_organization_id = $1", east) == 0


async def test_transfers_request_letter_accept_receipt(world: World) -> None:
    c, w = world.cmds, world
    district = (await w.do(c.establish_organization(req(), K.DISTRICT_COMMITTEE, "区委", None))).id
    street = (await w.do(c.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "街道", district, "320508019000"))).id
    east = (await w.do(c.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "东社区", street, "320508019001"))).id
    west = (await w.do(c.establish_organization(
        req(), K.COMMUNITY_BRANCH, "西社区", street, "320508019002"))).id
    member = (await w.do(register(c, east, "王建国", "32050819800101003", Standing.FULL))).id

    async def transfer_row(transfer_id: UUID) -> asyncpg.Record:
        row = await world.pool.fetchrow("SELECT * FROM transfers WHERE id = $1", transfer_id)
        assert row is not None
        return row

    requested = await w.do(c.request_member_transfer(
        req(), member, west, TransferScope.WITHIN_CITY, "工作调动"))
    transfer = UUID(requested.extra["transfer_id"])
    row = await transfer_row(transfer)
    assert row["member_id"] == member
    assert (row["from_organization_id"], row["to_organization_id"]) == (east, west)
    assert row["scope"] == "WITHIN_CITY" and row["state"] == "REQUESTED"
    assert row["reason"] == "工作调动"
    assert row["requested_position"] == requested.position == row["last_position"]
    assert row["requested_at"] == row["updated_at"]
    for column in ("letter_serial", "issued_on", "valid_until", "accepted_on", "receipt_due_on",
                   "receipt_confirmed_on", "late_justification", "return_reason"):
        assert row[column] is None, column

    issued = await w.do(c.issue_transfer_letter(req(), member, transfer))
    row = await transfer_row(transfer)
    assert row["state"] == "LETTER_ISSUED"
    assert row["letter_serial"] == f"{NOW.year}-000001"
    assert row["issued_on"] == TODAY
    assert row["valid_until"] == TODAY + timedelta(days=10)  # WITHIN_CITY default (both codes 320508…)
    assert row["last_position"] == issued.position
    assert row["requested_position"] == requested.position

    await w.do(c.accept_member_transfer(req(), member, transfer))
    row = await transfer_row(transfer)
    assert row["state"] == "ACCEPTED"
    assert row["accepted_on"] == TODAY
    assert row["receipt_due_on"] == TODAY + timedelta(days=30)
    assert row["late_justification"] is None
    assert row["letter_serial"] == f"{NOW.year}-000001"  # earlier columns stay

    confirmed = await w.do(c.confirm_transfer_receipt(req(), member, transfer, date(2026, 3, 1)))
    row = await transfer_row(transfer)
    assert row["state"] == "RECEIPT_CONFIRMED"
    assert row["receipt_confirmed_on"] == date(2026, 3, 1)
    assert row["accepted_on"] == TODAY and row["valid_until"] == TODAY + timedelta(days=10)
    assert row["last_position"] == confirmed.position

    # A second transfer, back again, returned by the receiving side; then a third, withdrawn.
    second = await w.do(c.request_member_transfer(
        req(), member, east, TransferScope.WITHIN_CITY, "回迁"))
    second_id = UUID(second.extra["transfer_id"])
    await w.do(c.issue_transfer_letter(req(), member, second_id, validity_days=5))
    row = await transfer_row(second_id)
    assert row["letter_serial"] == f"{NOW.year}-000001"  # west's first letter: serials count per issuer
    assert row["valid_until"] == TODAY + timedelta(days=5)
    assert (row["from_organization_id"], row["to_organization_id"]) == (west, east)
    await w.do(c.return_member_transfer(req(), member, second_id, "材料不全"))
    row = await transfer_row(second_id)
    assert row["state"] == "RETURNED" and row["return_reason"] == "材料不全"

    third = await w.do(c.request_member_transfer(
        req(), member, east, TransferScope.WITHIN_CITY, "再次回迁"))
    third_id = UUID(third.extra["transfer_id"])
    await w.do(c.withdraw_member_transfer(req(), member, third_id))
    assert (await transfer_row(third_id))["state"] == "WITHDRAWN"

    states = {r["id"]: r["state"] for r in await world.pool.fetch(
        "SELECT id, state FROM transfers WHERE member_id = $1", member)}
    assert states == {transfer: "RECEIPT_CONFIRMED", second_id: "RETURNED", third_id: "WITHDRAWN"}
    home = await world.pool.fetchval(
        "SELECT home_organization_id FROM members WHERE id = $1", member)
    assert home == west


async def test_late_acceptance_records_the_justification(dsn: str, pool: asyncpg.Pool) -> None:
    """The same projections driven by ``ProjectionRunner.step`` instead of a Supervisor."""
    from datetime import UTC, datetime

    from domain.organizations.directory import AggregateDirectory
    from eventstore.postgres import PostgresEventStore

    now = [datetime(2026, 3, 1, tzinfo=UTC)]
    store = PostgresEventStore(pool)
    c = UseCases.build(store, AggregateDirectory(store), lambda: now[0])
    district = (await c.establish_organization(req(), K.DISTRICT_COMMITTEE, "区委", None)).id
    street = (await c.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "街道", district, "320508019000")).id
    east = (await c.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "东社区", street, "320508019001")).id
    west = (await c.establish_organization(
        req(), K.COMMUNITY_BRANCH, "西社区", street, "320508019002")).id
    member = (await register(c, east, "赵敏", "32050819790412004")).id
    t = UUID((await c.request_member_transfer(
        req(), member, west, TransferScope.WITHIN_CITY, "搬家")).extra["transfer_id"])
    await c.issue_transfer_letter(req(), member, t)  # valid until 2026-03-11
    now[0] = datetime(2026, 3, 20, tzinfo=UTC)
    await c.expire_member_transfer(req(), member, t)
    for name in ("transfers", "members"):
        await catch_up(dsn, PROJECTIONS[name], page_size=3)
    assert await pool.fetchval("SELECT state FROM transfers WHERE id = $1", t) == "EXPIRED"

    await c.accept_member_transfer(req(), member, t, justification="病假延误")
    for name in PROJECTIONS:
        await catch_up(dsn, PROJECTIONS[name], page_size=3)
    row = await pool.fetchrow("SELECT * FROM transfers WHERE id = $1", t)
    assert row["state"] == "ACCEPTED"
    assert row["valid_until"] == date(2026, 3, 11)
    assert row["accepted_on"] == date(2026, 3, 20)
    assert row["receipt_due_on"] == date(2026, 4, 19)
    assert row["late_justification"] == "病假延误"
    assert await pool.fetchval("SELECT home_organization_id FROM members WHERE id = $1",
                               member) == west
    head = await pool.fetchval("SELECT max(position) FROM events")
    for name in PROJECTIONS:
        assert await pool.fetchval(
            "SELECT position FROM projection_tracking WHERE name = $1", name) == head

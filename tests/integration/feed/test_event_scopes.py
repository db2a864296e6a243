"""The event_scopes projection and reading the log as the feed shows it."""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg

from api.areas import PROJECTIONS
from api.graphql.webhooks.schema import _READERS as WEBHOOK_READERS
from domain.shared.permissions import Role
from domain.shared.ports import Append, Metadata, NewEvent
from eventstore.postgres import PostgresEventStore
from projections import event_scopes, members, organizations, transfers
from projections.feed.reading import (
    READABLE_PROJECTIONS,
    STREAM_READERS,
    EventFilter,
    read_events,
    read_page,
    readable_head,
)
from tests.integration.support import build_world, catch_up, commands, head, req


async def _catch_up_all(dsn: str) -> None:
    for projection in PROJECTIONS.values():
        await catch_up(dsn, projection)


async def _scopes(pool: asyncpg.Pool) -> dict[int, set[UUID]]:
    found: dict[int, set[UUID]] = {}
    for r in await pool.fetch("SELECT position, organization_id FROM event_scopes"):
        found.setdefault(r["position"], set()).add(r["organization_id"])
    return found


async def _append(pool: asyncpg.Pool, stream_type: str, payloads: list[dict]) -> UUID:
    stream = uuid4()
    events = [NewEvent(stream, stream_type, v, uuid4(), f"{stream_type}.Happened", 1, p)
              for v, p in enumerate(payloads, start=1)]
    await PostgresEventStore(pool).append(Append(events, Metadata("t", (), uuid4())))
    return stream


async def _paths(pool: asyncpg.Pool) -> dict[UUID, set[UUID]]:
    return {r["id"]: set(r["path"]) for r in await pool.fetch("SELECT id, path FROM organizations")}


async def test_each_event_lies_within_the_organizations_it_concerns_now(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await build_world(cmds)
    await cmds.correct_member_details(req(), ids["m1"], {"phone": "13800002222"}, "new phone")
    await _catch_up_all(dsn)
    scopes = await _scopes(pool)
    paths = await _paths(pool)
    within = {fe.position: fe.within for fe in (await read_page(pool, 0, 1000, EventFilter(), None))[0]}
    log = await pool.fetch("SELECT position, stream_id, stream_type, event_type, payload FROM events"
                           " ORDER BY position")
    t1, t2 = str(ids["t1"]), str(ids["t2"])
    west = paths[ids["west"]]
    for e in log:
        got = scopes.get(e["position"])
        if e["event_type"] == "Organization.Moved":
            # The subtree it left hears of the move too.
            assert got == {e["stream_id"], UUID(e["payload"]["previous_parent_id"])}, e
        elif e["event_type"].startswith("Organization."):
            assert got == {e["stream_id"]}, e
        elif e["stream_type"] == "Member":
            assert got is None, "member events are judged when read, not recorded"
        # Both members live in the west community now (m2's transfer was returned):
        # every event of theirs lies there; a transfer's events also on both its sides.
        if e["stream_type"] != "Member":
            continue
        if e["payload"].get("transfer_id") == t1:
            assert within[e["position"]] == paths[ids["grid"]] | west, e
        elif e["payload"].get("transfer_id") == t2:
            assert within[e["position"]] == west | paths[ids["building"]], e
        else:
            assert within[e["position"]] == west, e


async def test_a_street_admin_reads_only_what_the_queries_show_it(dsn: str, pool: asyncpg.Pool) -> None:
    ids = await build_world(commands(pool))
    await _catch_up_all(dsn)
    everything = await read_events(pool, 0, 1000, EventFilter(), None)
    assert [e.position for e in everything] == list(range(1, await head(pool) + 1))

    street2 = await read_events(pool, 0, 1000, EventFilter(), ids["street2"])
    inside = {ids["street2"], ids["east"], ids["grid"], ids["building"]}
    for e in street2:
        if e.stream_type == "Organization":
            assert e.stream_id in inside
    member_events = [(e.stream_id, e.event_type) for e in street2 if e.stream_type == "Member"]
    # m1 was registered in the grid (street 2) and moved to the west community (street 1):
    # street 2 reads its transfer (sent from the grid), not the member any more.
    assert (ids["m1"], "Member.TransferAccepted") in member_events
    assert (ids["m1"], "Member.Registered") not in member_events
    assert (ids["m1"], "Member.DetailsCorrected") not in member_events
    assert (ids["m2"], "Member.TransferReturned") in member_events  # receiving side: building
    assert (ids["m2"], "Member.Registered") not in member_events  # home is the west community
    assert [e.position for e in street2] == sorted(e.position for e in street2)
    street1 = await read_events(pool, 0, 1000, EventFilter(), ids["street"])
    assert (ids["east"], "Organization.Moved") in [(e.stream_id, e.event_type) for e in street1], \
        "the street the community left hears of the move"
    assert {(ids["m1"], "Member.Registered"), (ids["m1"], "Member.DetailsCorrected")} <= \
        {(e.stream_id, e.event_type) for e in street1}, "the member's home reads its whole stream"


async def test_filters_narrow_by_stream_type_event_type_and_subtree(dsn: str, pool: asyncpg.Pool) -> None:
    ids = await build_world(commands(pool))
    await _catch_up_all(dsn)
    members = await read_events(pool, 0, 1000, EventFilter(stream_types=frozenset({"Member"})), None)
    assert members and {e.stream_type for e in members} == {"Member"}
    renamed = await read_events(
        pool, 0, 1000, EventFilter(event_types=frozenset({"Organization.Renamed"})), None)
    assert [(e.stream_id, e.event_type) for e in renamed] == [(ids["west"], "Organization.Renamed")]
    grid = await read_events(pool, 0, 1000, EventFilter(within=ids["grid"]), None)
    assert {e.stream_id for e in grid if e.stream_type in ("Organization", "Member")} == \
        {ids["grid"], ids["building"], ids["m1"], ids["m2"]}
    both = await read_events(
        pool, 0, 1000,
        EventFilter(stream_types=frozenset({"Organization"}), within=ids["grid"]), ids["street"])
    assert both == [], "the grid moved to the other street: outside a street-one admin's scope"


async def test_other_stream_types_take_the_organization_of_their_first_event(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    ids = await build_world(commands(pool))
    fund = await _append(pool, "Fund", [{"organization_id": str(ids["east"]), "name": "red"},
                                        {"amount": "100.00"}])
    orphan = await _append(pool, "Orphan", [{"n": 1}])
    bad = await _append(pool, "Bad", [{"organization_id": "not-a-uuid"}])
    await _catch_up_all(dsn)
    east = await read_events(pool, 0, 1000, EventFilter(), ids["east"])
    assert [e.version for e in east if e.stream_id == fund] == [1, 2]
    admin = await read_events(pool, 0, 1000, EventFilter(), None)
    assert {orphan, bad} <= {e.stream_id for e in admin}
    district = await read_events(pool, 0, 1000, EventFilter(), ids["district"])
    assert orphan not in {e.stream_id for e in district}
    assert bad not in {e.stream_id for e in district}
    assert (await _catch_up_status(pool)) == "RUNNING"


async def _catch_up_status(pool: asyncpg.Pool) -> str:
    return str(await pool.fetchval("SELECT status FROM projection_tracking WHERE name = 'event_scopes'"))


async def test_reads_stop_where_the_scope_projections_have_reached(dsn: str, pool: asyncpg.Pool) -> None:
    await build_world(commands(pool))
    assert await readable_head(pool) == 0
    assert await read_events(pool, 0, 1000, EventFilter(), None) == []
    # Every read model the read rule reads must have applied an event before it shows.
    for projection in (event_scopes.projection, organizations.projection, members.projection):
        await catch_up(dsn, projection)
        assert await readable_head(pool) == 0, f"{projection.name} is not the last to apply it"
    reached = await catch_up(dsn, transfers.projection)
    assert READABLE_PROJECTIONS == ("event_scopes", "organizations", "members", "transfers")
    assert await readable_head(pool) == reached == await head(pool)
    await _append(pool, "Orphan", [{"n": 2}])
    events = await read_events(pool, 0, 1000, EventFilter(), None)
    assert events[-1].position == reached


async def test_a_page_reports_where_the_next_read_starts(dsn: str, pool: asyncpg.Pool) -> None:
    ids = await build_world(commands(pool))
    await _catch_up_all(dsn)
    top = await head(pool)
    renamed = EventFilter(event_types=frozenset({"Organization.Renamed"}))
    events, scanned = await read_page(pool, 0, 5, renamed, None)
    assert [fe.event.stream_id for fe in events] == [ids["west"]]
    assert scanned == top, "a short page scanned everything up to the readable head"
    full, scanned = await read_page(pool, 0, 3, EventFilter(), None)
    assert [fe.position for fe in full] == [1, 2, 3] and scanned == 3
    assert ids["district"] in full[1].within, "an event lies within every ancestor"
    nothing, scanned = await read_page(pool, top, 5, EventFilter(), None)
    assert nothing == [] and scanned == top


async def test_stream_types_some_roles_do_not_read_are_left_out_for_them(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    assert STREAM_READERS == {"Webhook": WEBHOOK_READERS}, "the feed's readers are the queries'"
    ids = await build_world(commands(pool))  # a webhook of the first street, among the rest
    await _catch_up_all(dsn)
    for roles, reads_webhooks in (({Role.STREET_ADMIN}, True), ({Role.AUDITOR}, True),
                                  ({Role.INTEGRATION}, False), ({Role.COMMUNITY_SECRETARY}, False),
                                  ({Role.INTEGRATION, Role.AUDITOR}, True), (set(), False)):
        shown = await read_events(pool, 0, 1000, EventFilter(), ids["street"], roles=frozenset(roles))
        hooks = [e for e in shown if e.stream_type == "Webhook"]
        assert bool(hooks) is reads_webhooks, roles
        assert {e.event_id for e in shown if e.stream_type != "Webhook"} == \
            {e.event_id for e in await read_events(pool, 0, 1000, EventFilter(), ids["street"])
             if e.stream_type != "Webhook"}, "roles leave out nothing else"
    unlimited = await read_events(pool, 0, 1000, EventFilter(stream_types=frozenset({"Webhook"})), None)
    assert {e.stream_id for e in unlimited} == {ids["webhook"]}

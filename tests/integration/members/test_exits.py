"""Exits on real PostgreSQL: the members read model, the rosters and the dissolution rule.

A member who exits (here: removed in two steps, and one who died) keeps the row and the
whole stream, leaves the roster (``members`` lists) and ``memberCount``, and gives up the
home claim in the append's transaction, so the emptied branch can be dissolved. A rebuild
of the read model from the log gives the same rows.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import asyncpg

from api.areas import PROJECTIONS
from api.graphql.organizations.loading import member_count
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from projections.runtime.rebuild import rebuild
from tests.integration.support import catch_up, commands, head, register, req

EXIT_COLUMNS = "id, exit_kind, exited_on, exit_reference, removal_proposed_on, removal_reference, version"


def street_admin(scope: UUID) -> Request:
    return Request(Actor(subject="street-admin", name="街道", roles=frozenset({Role.STREET_ADMIN}), scope=scope),
                   uuid4())


async def test_exited_members_leave_rosters_and_the_emptied_branch_dissolves(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    street = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "双塔街道党工委", district, "320508021000")).id
    branch = (await cmds.establish_organization(
        req(), K.COMMUNITY_BRANCH, "定慧寺巷社区党支部", street, "320508021003")).id
    removed = (await register(cmds, branch, "孙立平", "32050819700203041")).id
    died = (await register(cmds, branch, "周桂英", "32050819450817052")).id
    stays = (await register(cmds, branch, "郑海燕", "32050819880321063")).id

    await cmds.propose_member_removal(req(), removed, date(2026, 2, 16), "定慧寺巷支部〔2026〕1号", "拒不交纳党费")
    await cmds.approve_member_removal(street_admin(street), removed, date(2026, 2, 25))
    await cmds.record_member_death(req(), died, date(2026, 2, 11), "家属告知")
    await catch_up(dsn, PROJECTIONS["members"])

    rows = {r["id"]: r for r in await pool.fetch(f"SELECT {EXIT_COLUMNS} FROM members")}
    assert (rows[removed]["exit_kind"], rows[removed]["exited_on"], rows[removed]["exit_reference"]) == (
        "REMOVAL", date(2026, 2, 25), "定慧寺巷支部〔2026〕1号")
    assert rows[removed]["removal_proposed_on"] is None
    assert (rows[died]["exit_kind"], rows[died]["exited_on"]) == ("DEATH", date(2026, 2, 11))
    assert rows[stays]["exit_kind"] is None
    assert await member_count(pool)([branch]) == [1]

    # Still one member left: the claim keeps the branch from being dissolved.
    await cmds.record_member_withdrawal(req(), stays, date(2026, 2, 28), "本人申请退党")
    await cmds.dissolve_organization(req(), branch, "社区合并")
    await catch_up(dsn, PROJECTIONS["members"])
    assert await member_count(pool)([branch]) == [0]

    live = sorted(map(tuple, await pool.fetch(f"SELECT {EXIT_COLUMNS} FROM members")))
    assert await rebuild(dsn, PROJECTIONS["members"]) == await head(pool)
    assert sorted(map(tuple, await pool.fetch(f"SELECT {EXIT_COLUMNS} FROM members"))) == live
    history = [r[0] for r in await pool.fetch(
        "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY version", removed)]
    assert history == ["Member.Registered", "Member.RemovalProposed", "Member.RemovalApproved"]


async def test_a_rejected_removal_clears_the_pending_proposal(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "吴中区委", None)).id
    street = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "越溪街道党工委", district, "320506100000")).id
    community = (await cmds.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "越溪社区党委", street, "320506100001")).id
    member = (await register(cmds, community, "冯建军", "32050619750505071")).id
    await cmds.propose_member_removal(req(), member, date(2026, 2, 16), "越溪支委〔2026〕2号", "长期失联")
    await catch_up(dsn, PROJECTIONS["members"])
    row = await pool.fetchrow(f"SELECT {EXIT_COLUMNS} FROM members WHERE id = $1", member)
    assert (row["removal_proposed_on"], row["removal_reference"]) == (date(2026, 2, 16), "越溪支委〔2026〕2号")
    await cmds.reject_member_removal(req(), member, "已取得联系")
    await catch_up(dsn, PROJECTIONS["members"])
    row = await pool.fetchrow(f"SELECT {EXIT_COLUMNS} FROM members WHERE id = $1", member)
    assert row["removal_proposed_on"] is None and row["exit_kind"] is None and row["version"] == 3

"""Transfers into the system, approvals, revocations and Party life on real PostgreSQL: the
transfers, members and party_life_meetings read models follow the log, and a rebuild gives
the same rows."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

from api.areas import PROJECTIONS
from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.party_life import MeetingKind
from domain.members.transfers import ExternalOrganization
from domain.organizations.aggregate import OrganizationKind
from projections.runtime.rebuild import rebuild
from tests.integration.support import catch_up, commands, head, id_number, register, req

TABLES = ("transfers", "members", "party_life_meetings")


async def test_the_read_models_follow_incoming_revoked_and_rejected_transfers_and_meetings(
        dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "吴中区委", None)).id
    street = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "长桥街道党工委", district, "320506002000")).id
    home = (await cmds.establish_organization(req(), K.COMMUNITY_BRANCH, "新家社区党支部", street,
                                              "320506002001")).id
    other = (await cmds.establish_organization(req(), K.COMMUNITY_BRANCH, "龙西社区党支部", street,
                                               "320506002002")).id
    came = await cmds.register_incoming_transfer(
        req(), home, ExternalOrganization("杭州市西湖区北山街道党工委", "浙江省", "杭州市", "330106001000"),
        TransferScope.ACROSS_PROVINCES, "浙组转〔2026〕112", date(2026, 2, 24), date(2026, 5, 24), "骆晓峰",
        Gender.MALE, date(1988, 8, 8), "汉族", id_number("33010619880808011"), None, Standing.FULL,
        date(2012, 7, 1), None, "随配偶迁居")
    incoming = UUID(came.extra["transfer_id"])
    await cmds.accept_member_transfer(req(), came.id, incoming)

    moved = (await register(cmds, home, "沈雪梅", "32050619850505022")).id
    wrong = UUID((await cmds.request_member_transfer(req(), moved, other, TransferScope.WITHIN_CITY,
                                                     "调整")).extra["transfer_id"])
    await cmds.approve_member_transfer(req(), moved, wrong, date(2026, 2, 27))
    await cmds.issue_transfer_letter(req(), moved, wrong)
    await cmds.accept_member_transfer(req(), moved, wrong)
    await cmds.propose_transfer_revocation(req(), moved, wrong, other, "错转")
    await cmds.approve_transfer_revocation(req(), moved, wrong)

    refused = (await register(cmds, home, "韦立军", "32050619860606033")).id
    rejected = UUID((await cmds.request_member_transfer(req(), refused, other, TransferScope.WITHIN_CITY,
                                                        "调整")).extra["transfer_id"])
    await cmds.reject_member_transfer(req(), refused, rejected, "材料不全")
    meeting = (await cmds.record_party_life_meeting(req(), home, MeetingKind.THEME_DAY, date(2026, 2, 26),
                                                    "二月主题党日", (came.id, moved), (refused,))).id
    for projection in TABLES:
        await catch_up(dsn, PROJECTIONS[projection])

    t = await pool.fetchrow("SELECT * FROM transfers WHERE id = $1", incoming)
    assert (t["state"], t["from_organization_id"], t["to_organization_id"]) == ("ACCEPTED", None, home)
    assert (t["from_external_name"], t["from_external_code"], t["letter_serial"], t["valid_until"]) == (
        "杭州市西湖区北山街道党工委", "330106001000", "浙组转〔2026〕112", date(2026, 5, 24))
    t = await pool.fetchrow("SELECT * FROM transfers WHERE id = $1", wrong)
    assert (t["state"], t["approved_on"], t["revocation_reason"], t["revocation_proposed_by"]) == (
        "REVOKED", date(2026, 2, 27), "错转", other)
    t = await pool.fetchrow("SELECT * FROM transfers WHERE id = $1", rejected)
    assert (t["state"], t["rejection_reason"]) == ("REJECTED", "材料不全")
    rows = {r["id"]: r for r in await pool.fetch("SELECT * FROM members")}
    assert rows[moved]["home_organization_id"] == home
    assert rows[came.id]["last_party_life_on"] == rows[moved]["last_party_life_on"] == date(2026, 2, 26)
    assert rows[refused]["last_party_life_on"] is None  # absence is no Party life
    m = await pool.fetchrow("SELECT * FROM party_life_meetings WHERE id = $1", meeting)
    assert (m["organization_id"], m["kind"], m["attended"], m["absent_with_leave"]) == (
        home, "THEME_DAY", [came.id, moved], [refused])

    live = {p: sorted(map(tuple, await pool.fetch(f"SELECT * FROM {p}"))) for p in TABLES}
    for projection in TABLES:
        assert await rebuild(dsn, PROJECTIONS[projection]) == await head(pool)
        assert sorted(map(tuple, await pool.fetch(f"SELECT * FROM {projection}"))) == live[projection]

"""Transfers out of the system and re-issued letters on real PostgreSQL: the transfers and
members read models follow the log, and a rebuild gives the same rows."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg

from api import views
from api.areas import PROJECTIONS
from domain.members.aggregate import TransferScope
from domain.members.transfers import ExternalOrganization
from domain.organizations.aggregate import OrganizationKind
from projections.runtime.rebuild import rebuild
from tests.integration.support import NOW, catch_up, commands, head, register, req

TRANSFER_COLUMNS = ("id, state, scope, to_organization_id, to_external_name, to_external_code, to_external_province,"
                    " to_external_city, letter_serial, issued_on, valid_until, voided_serials, receipt_confirmed_on")


async def test_external_and_reissued_transfers_in_the_read_models(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "相城区委", None)).id
    street = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "元和街道党工委", district, "320507001000")).id
    home = (await cmds.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "御窑社区党委", street, "320507001001")).id
    leaving = (await register(cmds, home, "褚建平", "32050719720606081")).id
    pocket = (await register(cmds, home, "卫小红", "32050719830909092")).id

    chengdu = ExternalOrganization("成都市武侯区玉林街道党工委", "四川省", "成都市", "510107001000")
    out = UUID((await cmds.request_member_transfer(req(), leaving, None, TransferScope.ACROSS_PROVINCES, "调往成都",
                                                   chengdu)).extra["transfer_id"])
    await cmds.issue_transfer_letter(req(), leaving, out)
    await cmds.reissue_transfer_letter(req(), leaving, out, "邮寄遗失")
    await cmds.confirm_transfer_receipt(req(), leaving, out, NOW.date())
    carried = UUID((await cmds.request_member_transfer(req(), pocket, None, TransferScope.ACROSS_PROVINCES, "务工",
                                                       chengdu)).extra["transfer_id"])
    await cmds.issue_transfer_letter(req(), pocket, carried, 5)
    for projection in ("transfers", "members"):
        await catch_up(dsn, PROJECTIONS[projection])

    row = await pool.fetchrow(f"SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = $1", out)
    assert row["to_organization_id"] is None
    assert (row["to_external_name"], row["to_external_code"], row["to_external_province"],
            row["to_external_city"]) == ("成都市武侯区玉林街道党工委", "510107001000", "四川省", "成都市")
    assert (row["state"], row["letter_serial"], row["voided_serials"]) == (
        "RECEIPT_CONFIRMED", f"{NOW.year}-000002", [f"{NOW.year}-000001"])
    assert row["receipt_confirmed_on"] == NOW.date()
    member = await pool.fetchrow("SELECT exit_kind, exited_on, exit_reference FROM members WHERE id = $1", leaving)
    assert tuple(member) == ("TRANSFERRED_OUT", NOW.date(), f"{NOW.year}-000002")

    # A letter carried out of the district and never answered is a pocket member's.
    later = NOW.date() + timedelta(days=6)
    sql, value = views.pocket_sql(later)
    pockets = await pool.fetch(f"SELECT id FROM transfers WHERE {sql.replace('?', '$1')}", value)
    assert [r["id"] for r in pockets] == [carried]

    live = {p: sorted(map(tuple, await pool.fetch(f"SELECT * FROM {p}"))) for p in ("transfers", "members")}
    for projection in ("transfers", "members"):
        assert await rebuild(dsn, PROJECTIONS[projection]) == await head(pool)
        assert sorted(map(tuple, await pool.fetch(f"SELECT * FROM {projection}"))) == live[projection]

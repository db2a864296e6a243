"""Letter serials are drawn only by commands that succeed: gap-free per issuer and year.

Before, the serial came from a PostgreSQL sequence drawn before the letter's checks, so
a refused ``issueTransferLetter`` used one up (the first letter of a fresh database was
``…-000002``) and serials counted across all issuers.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.members.aggregate import Member, TransferScope
from domain.members.letters import LetterRegister, register_id
from domain.shared.errors import InvalidInput, TransferNotAllowed
from domain.shared.events import replay
from tests.unit.fakes import World, req, world
from tests.unit.members.test_members_and_transfers import register


async def _requested(w: World, member: UUID, to: UUID) -> UUID:
    out = await w.commands.request_member_transfer(req(w.admin), member, to, TransferScope.WITHIN_CITY, "工作调动")
    return UUID(out.extra["transfer_id"])


async def _serial(w: World, member: UUID, transfer: UUID) -> str:
    found = replay(Member, await w.store.read_stream(member))
    assert found is not None
    serial = found.transfer(transfer).letter_serial
    assert serial is not None
    return serial


async def test_a_refused_letter_draws_no_serial_and_appends_nothing() -> None:
    w = await world()
    member = await register(w, w.east)
    transfer = await _requested(w, member, w.west)
    before = len(w.store.events)
    with pytest.raises(InvalidInput):  # longer than any scope allows
        await w.commands.issue_transfer_letter(req(w.admin), member, transfer, validity_days=9999)
    with pytest.raises(TransferNotAllowed):  # no such transfer
        await w.commands.issue_transfer_letter(req(w.admin), member, UUID(int=7))
    assert len(w.store.events) == before
    await w.commands.issue_transfer_letter(req(w.admin), member, transfer)
    assert await _serial(w, member, transfer) == "2026-000001"


async def test_serials_count_per_issuer_and_year_without_gaps() -> None:
    w = await world()
    east = [await register(w, w.east, serial=10 + i, name=f"东{i}") for i in range(3)]
    west = [await register(w, w.west, serial=20 + i, name=f"西{i}") for i in range(2)]
    issued: dict[UUID, list[str]] = {w.east: [], w.west: []}
    for home, members, to in ((w.east, east, w.west), (w.west, west, w.east)):
        for m in members:
            t = await _requested(w, m, to)
            if m == east[1]:  # a refusal in between changes nothing
                with pytest.raises(InvalidInput):
                    await w.commands.issue_transfer_letter(req(w.admin), m, t, validity_days=0)
            await w.commands.issue_transfer_letter(req(w.admin), m, t)
            issued[home].append(await _serial(w, m, t))
    assert issued[w.east] == ["2026-000001", "2026-000002", "2026-000003"]
    assert issued[w.west] == ["2026-000001", "2026-000002"]
    # The register is in the log: which serial went to which letter.
    rows = await w.store.read_stream(register_id(w.east, 2026))
    assert [r.event_type for r in rows] == ["LetterRegister.Opened"] + ["LetterRegister.SerialDrawn"] * 3
    assert [r.payload["number"] for r in rows[1:]] == [1, 2, 3]
    register_state = replay(LetterRegister, rows)
    assert register_state is not None and register_state.drawn == 3
    # A new year starts again at 1.
    w.clock.advance(365)
    m = await register(w, w.east, serial=30, name="新年")
    t = await _requested(w, m, w.west)
    await w.commands.issue_transfer_letter(req(w.admin), m, t)
    assert await _serial(w, m, t) == "2027-000001"

"""Evidence files prove that nothing they claim to hold is missing (issue 10, item 3).

A fund's export (``GET /export?fund=..&format=jsonl``, ``grassroots export --fund``) holds
the fund's stream whole, from version 1 to the head recorded when it was exported, and
says so in its header; the offline verifier re-checks that rule line by line. So an event
deleted from the database shows as a gap in the stream's versions, whether the attacker
deleted its leaf too or only the row; and a line removed from the file is named the same
way. ``grassroots-evidence/1`` files are still read, with what they cannot prove said.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.areas import PROJECTIONS
from api.export import Selection, lines
from eventstore.db import connect
from eventstore.integrity.encoding import public_key_pem
from eventstore.integrity.evidence import (
    FORMAT,
    FORMAT_V1,
    EvidenceIncomplete,
    verify_evidence,
)
from eventstore.integrity.verify import verify_stream
from tests.integration.integrity.test_evidence_export import export
from tests.integration.integrity.test_log_coverage import as_superuser, grassroots
from tests.integration.integrity_support import hash_and_sign
from tests.integration.support import append_events, build_world, catch_up, commands

KEY = Ed25519PrivateKey.generate()


async def fund_evidence(dsn: str, selection: Selection) -> list[str]:
    """The fund export exactly as the HTTP endpoint and the CLI produce it."""
    conn = await connect(dsn)
    try:
        return [line async for line in lines(conn, selection, "jsonl")]
    finally:
        await conn.close()


async def a_signed_fund(dsn: str, pool: asyncpg.Pool) -> tuple[UUID, list[int]]:
    """A fund with a year of events, hashed and signed; its events' positions by version."""
    ids = await build_world(commands(pool))
    await hash_and_sign(dsn, KEY)
    fund = ids["fund"]
    found = [r[0] for r in await pool.fetch(
        "SELECT position FROM events WHERE stream_id = $1 ORDER BY version", fund)]
    return fund, found


def drop_event(lines_: list[str], position: int) -> list[str]:
    """Remove one event line and fix the end line's count, as a careful editor would."""
    kept = [x for x in lines_ if f'"position": {position},' not in x]
    end = json.loads(kept[-1])
    kept[-1] = json.dumps({**end, "events": end["events"] - 1}) + "\n"
    return kept


@pytest.mark.parametrize("with_leaf", [False, True], ids=["row only", "row and its leaf"])
async def test_a_fund_event_deleted_from_the_database_shows_in_the_funds_evidence(
    dsn: str, pool: asyncpg.Pool, with_leaf: bool
) -> None:
    fund, by_version = await a_signed_fund(dsn, pool)
    clean = verify_evidence(await fund_evidence(dsn, Selection(fund_id=fund)), KEY.public_key())
    assert clean.ok, clean.summary()
    assert clean.events == len(by_version)

    # Version 10: its leaf's sibling in the tree belongs to another stream, so no audit
    # path in the fund's file needs the deleted leaf (see the next test for one that does).
    victim, after = by_version[9], by_version[10]
    statements: list[tuple[Any, ...]] = [("DELETE FROM events WHERE position = $1", victim)]
    if with_leaf:
        statements.append(("DELETE FROM event_leaves WHERE position = $1", victim))
    await as_superuser(dsn, *statements)
    report = verify_evidence(await fund_evidence(dsn, Selection(fund_id=fund)), KEY.public_key())
    assert not report.ok
    assert report.first_position == after
    assert f"version 10 of stream {fund} is missing before position {after}" in report.summary()


async def test_an_export_that_needs_a_deleted_leaf_is_refused_naming_the_event_it_cannot_prove(
    dsn: str, pool: asyncpg.Pool
) -> None:
    fund, by_version = await a_signed_fund(dsn, pool)
    # Versions 4 and 5 are sibling leaves: version 5's audit path starts with version 4's.
    await as_superuser(dsn, ("DELETE FROM events WHERE position = $1", by_version[3]),
                       ("DELETE FROM event_leaves WHERE position = $1", by_version[3]))
    with pytest.raises(EvidenceIncomplete, match=rf"\(positions {by_version[4]}\)"):
        await fund_evidence(dsn, Selection(fund_id=fund))


async def test_the_funds_newest_event_deleted_shows_against_the_recorded_head(
    dsn: str, pool: asyncpg.Pool
) -> None:
    fund, by_version = await a_signed_fund(dsn, pool)
    await as_superuser(dsn, ("DELETE FROM events WHERE position = $1", by_version[-1]))
    report = verify_evidence(await fund_evidence(dsn, Selection(fund_id=fund)), KEY.public_key())
    n = len(by_version)
    assert f"stream {fund} ends at version {n - 1} in the file but its head was version {n}" \
        in (report.problem or ""), report.summary()
    # The streams row deleted as well: no head to compare with, which is itself refused.
    await as_superuser(dsn, ("DELETE FROM streams WHERE stream_id = $1", fund))
    says = f"stream {fund} has no recorded head"
    report = verify_evidence(await fund_evidence(dsn, Selection(fund_id=fund)), KEY.public_key())
    assert says in (report.problem or ""), report.summary()
    conn = await connect(dsn)
    try:
        report = await verify_stream(conn, fund, KEY.public_key())
    finally:
        await conn.close()
    assert says in (report.problem or ""), report.summary()


async def test_the_header_states_the_rule_and_a_line_removed_from_the_file_is_named(
    dsn: str, pool: asyncpg.Pool
) -> None:
    fund, by_version = await a_signed_fund(dsn, pool)
    evidence = await fund_evidence(dsn, Selection(fund_id=fund))
    header = json.loads(evidence[0])
    assert header["format"] == FORMAT
    assert header["selection"] == {
        "rule": "streams", "fund": str(fund), "streams": {str(fund): len(by_version)}}
    report = verify_evidence(drop_event(evidence, by_version[6]), KEY.public_key())
    assert report.first_position == by_version[7]
    assert f"version 7 of stream {fund} is missing" in (report.problem or "")
    # Claiming a stream the file does not hold, or holding one it does not claim:
    other = str(UUID(int=7))
    claims_more = json.dumps({**header, "selection": {
        **header["selection"], "streams": {**header["selection"]["streams"], other: 2}}})
    report = verify_evidence([claims_more + "\n", *evidence[1:]], KEY.public_key())
    assert f"stream {other} ends at version 0 in the file but its head was version 2" \
        in (report.problem or "")
    claims_less = json.dumps({**header, "selection": {**header["selection"], "streams": {}}})
    report = verify_evidence([claims_less + "\n", *evidence[1:]], KEY.public_key())
    assert f"belongs to stream {fund}, which the file does not claim" in (report.problem or "")


async def test_a_period_export_holds_the_whole_stream_and_each_event_carries_its_date(
    dsn: str, pool: asyncpg.Pool
) -> None:
    fund, by_version = await a_signed_fund(dsn, pool)
    await catch_up(dsn, PROJECTIONS["fund_movements"])
    period = Selection(fund_id=fund, from_date=date(2026, 2, 1), to_date=date(2026, 2, 12))
    evidence = await fund_evidence(dsn, period)
    header = json.loads(evidence[0])
    assert header["selection"]["period"] == {"from": "2026-02-01", "to": "2026-02-12"}
    events = [json.loads(x) for x in evidence if '"type": "event"' in x]
    # Business dates do not follow the versions: only the whole stream proves the period.
    assert [e["version"] for e in events] == list(range(1, len(by_version) + 1))
    dated = {e["eventType"]: e["businessDate"] for e in events}
    assert dated["Fund.Allocated"] == "2026-01-15"
    assert dated["Fund.PaymentReversed"] == "2026-02-11"
    in_period = sum("2026-02-01" <= e["businessDate"] <= "2026-02-12" for e in events)
    report = verify_evidence(evidence, KEY.public_key())
    assert report.ok, report.summary()
    assert any(f"{in_period} of {len(events)} events fall in the period 2026-02-01..2026-02-12"
               in n for n in report.notes), report.notes
    # A date moved into (or out of) the period must be one the event itself carries.
    allocation = next(e for e in events if e["eventType"] == "Fund.Allocated")
    moved = [x.replace('"businessDate": "2026-01-15"', '"businessDate": "2026-02-05"')
             for x in evidence]
    report = verify_evidence(moved, KEY.public_key())
    assert report.first_position == allocation["position"]
    assert "is dated '2026-02-05', a date it does not carry" in (report.problem or "")


async def test_a_position_range_names_an_event_missing_from_its_middle(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await append_events(pool, 60, batch=7)
    await hash_and_sign(dsn, KEY)
    evidence = await export(dsn, position_range=(10, 40))
    assert verify_evidence(evidence, KEY.public_key()).ok
    gone = json.loads(evidence[12])["position"]
    report = verify_evidence(drop_event(evidence, gone), KEY.public_key())
    assert not report.ok
    assert "missing" in (report.problem or "")
    # The listed positions of a positions selection must all be there.
    listed = await export(dsn, positions=[5, 6, 7])
    report = verify_evidence(drop_event(listed, 6), KEY.public_key())
    assert "1 claimed position(s) are missing from the file (first 6)" in (report.problem or "")


def as_version_1(lines_: list[str]) -> list[str]:
    """The same export as grassroots-evidence/1 wrote it for a fund: positions, one checkpoint."""
    header = json.loads(lines_[0])
    events = [x for x in lines_ if '"type": "event"' in x]
    cps = [json.loads(x) for x in lines_ if '"type": "checkpoint"' in x]
    v1 = {"type": "evidence", "format": FORMAT_V1, "encoding": header["encoding"],
          "tree": header["tree"], "complete": False, "selection": {"positions": len(events)},
          "streamHead": None}
    return [json.dumps(v1) + "\n",
            json.dumps({"type": "checkpoint", "checkpoint": cps[-1]["checkpoint"]}) + "\n",
            *events, lines_[-1]]


async def test_version_1_files_still_verify_and_say_what_they_cannot_prove(
    dsn: str, pool: asyncpg.Pool
) -> None:
    fund, by_version = await a_signed_fund(dsn, pool)
    old = as_version_1(await fund_evidence(dsn, Selection(fund_id=fund)))
    report = verify_evidence(old, KEY.public_key())
    assert report.ok, report.summary()
    assert f"a {FORMAT_V1} file proves each event it holds and its one checkpoint, but not " \
        "that no event of a fund's or organization's export is missing" in " ".join(report.notes)
    # What /1 could not show (the fault test's "16 events verified"), /2 shows.
    assert verify_evidence(drop_event(old, by_version[3]), KEY.public_key()).ok
    changed = [x.replace('"actor": "', '"actor": "x', 1) if f'"position": {by_version[2]},' in x
               else x for x in old]
    assert verify_evidence(changed, KEY.public_key()).first_position == by_version[2]


async def test_verify_export_with_stream_requires_the_file_to_hold_that_stream_whole(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    fund, by_version = await a_signed_fund(dsn, pool)
    evidence = await fund_evidence(dsn, Selection(fund_id=fund))
    (tmp_path / "key.pem").write_text(public_key_pem(KEY.public_key()))
    env = {"GRASSROOTS_DATA_DIR": str(tmp_path / "offline"),
           "GRASSROOTS_SIGNING_KEY": base64.b64encode(KEY.private_bytes_raw()).decode()}
    good = tmp_path / "fund.jsonl"
    good.write_text("".join(evidence), encoding="utf-8")
    code, out, err = await grassroots(env, "verify", "--export", str(good), "--stream", str(fund),
                                      "--public-key", str(tmp_path / "key.pem"))
    assert code == 0, out + err
    assert out.startswith(f"clean: {len(by_version)} events verified")
    assert f"1 stream(s) whole (fund {fund})" in " ".join(err.split())  # rich wraps lines
    # An editor who turns the claim into "these positions" and drops a line: the file is
    # self-consistent, but it no longer holds the stream the auditor asked for.
    kept = drop_event(evidence, by_version[3])
    events = [json.loads(x)["position"] for x in kept if '"type": "event"' in x]
    header = json.loads(kept[0])
    rewritten = [json.dumps({**header, "selection": {
        "rule": "positions", "positions": events}}) + "\n", *kept[1:]]
    alone = verify_evidence(rewritten, KEY.public_key())
    assert alone.ok and f"complete: the file holds the {len(events)} listed positions" in alone.notes
    forged = tmp_path / "forged.jsonl"
    forged.write_text("".join(rewritten), encoding="utf-8")
    code, out, err = await grassroots(env, "verify", "--export", str(forged), "--stream",
                                      str(fund), "--public-key", str(tmp_path / "key.pem"))
    assert code == 1, out + err
    assert f"the file does not claim to hold stream {fund} whole" in out

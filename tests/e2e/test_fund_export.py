"""Auditors export a fund's year over HTTP: streamed CSV and JSON-lines evidence."""

from __future__ import annotations

import csv
import io
import json

from domain.shared.permissions import Role
from eventstore.integrity.encoding import (
    load_public_key,
)
from eventstore.integrity.evidence import verify_evidence
from tests.e2e.test_funds_auditor import community_fund, decided_project, mutate


async def test_an_auditor_exports_the_funds_year_as_csv_and_as_evidence(server) -> None:  # type: ignore[no-untyped-def]
    w = await community_fund(server)
    pid = await decided_project(server, w)
    await mutate(server, w["street_admin"], "approveProject", {"projectId": pid})
    await mutate(server, w["finance"], "recordPayment", {
        "projectId": pid, "amount": "10000.00", "paidOn": "2026-06-20", "payee": "平江餐饮公司",
        "voucherNo": "PZ-0620"})
    auditor = server.token(Role.AUDITOR, scope=w["district"], subject="auditor-x")
    headers = {"authorization": f"Bearer {auditor}"}

    response = await server.client.get(f"{server.url}/export", headers=headers, params={
        "fund": w["fund"], "from": "2026-01-01", "to": "2026-06-30", "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    money = [(r["event_type"], r["amount"], r["balance_after"]) for r in rows if r["movement"]]
    # The 10 July dues allocation lies outside the period; the 20 June payment inside.
    assert money == [("Fund.Allocated", "120000.00", "120000.00"),
                     ("Fund.PaymentRecorded", "-10000.00", "140000.00")]
    # Events without a business date count on the day they were recorded (today), so the
    # approval falls outside this first half-year; the finance officer's lines are in.
    assert "Fund.ProjectApproved" not in {r["event_type"] for r in rows}
    assert {r["actor"] for r in rows} == {"finance-east"}
    assert all(r["correlation_id"] for r in rows)

    # Sign the log as it stands, then take the street's evidence and check it offline.
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    signed = await server.ok(admin, """mutation { recordCheckpoint { __typename
        ... on CheckpointPayload { position } } }""")
    assert signed["recordCheckpoint"]["__typename"] == "CheckpointPayload", signed
    key = (await server.ok(auditor, "{ signingKey { pem } }"))["signingKey"]["pem"]
    response = await server.client.get(f"{server.url}/export", headers=headers, params={
        "organization": w["street"], "format": "jsonl"})
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[0]["type"] == "evidence" and lines[-1]["type"] == "end"
    events = [line for line in lines if line["type"] == "event"]
    assert lines[-1]["events"] == len(events) > 0
    assert {e["streamId"] for e in events} == {w["fund"]}
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    report = verify_evidence(response.text.splitlines(), load_public_key(key))
    assert report.ok, report.summary()
    assert report.events == len(events)
    # One amount changed in the file, and the offline check names that event.
    payment = next(e for e in events if e["eventType"] == "Fund.PaymentRecorded")
    forged = response.text.replace('"amount": "10000.00"', '"amount": "1000.00"', 1)
    report = verify_evidence(forged.splitlines(), load_public_key(key))
    assert not report.ok and report.first_position == payment["position"], report.summary()


async def test_exports_need_a_token_and_stay_within_scope(server) -> None:  # type: ignore[no-untyped-def]
    w = await community_fund(server)
    anonymous = await server.client.get(f"{server.url}/export", params={"fund": w["fund"]})
    assert anonymous.status_code == 401
    outsider = server.token(Role.AUDITOR, scope=w["west"], subject="auditor-west")
    hidden = await server.client.get(f"{server.url}/export", params={"fund": w["fund"]},
                                     headers={"authorization": f"Bearer {outsider}"})
    assert hidden.status_code == 404
    bad = await server.client.get(f"{server.url}/export", params={"fund": w["fund"], "format": "xls"},
                                  headers={"authorization": f"Bearer {outsider}"})
    assert bad.status_code == 400 and "format" in bad.json()["error"]

"""One event, every way out: the HTTP feed, a subscription, NATS, a webhook, CSV and evidence.

The event is stored in an old shape (schema version 1, flat) whose current shape
(version 2) nests the personal data: a contact object and a list of other contacts.
Every reader gets the current shape from the one event document; readers without a
personal-data role get every nested ID number and phone masked the same way; NATS and
webhooks (system-level) get the same complete bytes; evidence keeps the stored record.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from api.config import IntegrationSettings
from api.export import Selection, csv_lines
from domain.shared import upcasting
from domain.shared.permissions import Actor, Role
from domain.shared.ports import Append, Metadata, NewEvent
from domain.shared.privacy import masked
from eventstore.integrity.evidence import write_evidence
from eventstore.personal_keys import is_sealed
from eventstore.postgres import EVENT_COLUMNS, PostgresEventStore, row_to_event
from projections.feed.document import event_document, integration_body
from projections.feed.reading import readable_head
from tests.e2e.receiver import FAST_RETRIES, app_server, eventually, receiver
from tests.e2e.test_webhooks import establish, register
from tests.e2e.ws import connect
from tests.integration.support import head
from tests.nats_server import nats_server, nats_url, read_stream  # noqa: F401

TYPE = "Test.ContactRecorded"
ID = "320508199001011234"
PHONE, OTHER_PHONE = "13812345678", "0512-6522-1234"
ORG = "organization_id"
"""The stream's creation event names its organization: what places it in a scope."""
STORED = {"name": "李秀英", "id_number": ID, "phone": PHONE, "other_phones": [OTHER_PHONE, None]}
CURRENT = {"contact": {"name": "李秀英", "id_number": ID, "phone": PHONE},
           "others": [{"phone": OTHER_PHONE}, {"phone": None}]}
MASKED = {"contact": {"name": "李秀英", "id_number": "**************1234", "phone": "*******5678"},
          "others": [{"phone": "********1234"}, {"phone": None}]}
ALL_FIELDS = """subscription($filter: EventFilterInput) { events(after: 0, filter: $filter) {
  position eventId type streamId streamType version schemaVersion recordedAt actor actorRoles
  correlationId causationId commandId reason payload } }"""


class ContactRecorded:
    """v1 was flat; v2 nests the contact and lists the other phones as objects."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
        return {"contact": {k: state[k] for k in ("name", "id_number", "phone")},
                "others": [{"phone": p} for p in state["other_phones"]], ORG: state[ORG]}


@pytest.fixture
def contact_v2() -> Iterator[None]:
    upcasting.declare(TYPE, ContactRecorded)
    try:
        yield
    finally:
        upcasting.forget(TYPE)


async def _feed(server: Any, token: str) -> list[dict[str, Any]]:
    response = await server.client.get(f"{server.url}/events", params={"stream_type": "Test"},
                                       headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["events"]  # type: ignore[no-any-return]


async def _nats_message(url: str, event_id: str) -> Any:
    try:
        messages = await read_stream(url)
    except Exception:  # the relay has not created the stream yet
        return None
    return next((m for m in messages if m.headers["Nats-Msg-Id"] == event_id), None)


async def test_every_reader_gets_the_same_document_and_the_same_masking(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path, nats_url: str, contact_v2: None,  # noqa: F811
) -> None:
    integrations = FAST_RETRIES.model_copy(update={"relay_nats": True, "nats_url": nats_url})
    assert isinstance(integrations, IntegrationSettings)
    async with receiver() as rx, app_server(dsn, tmp_path, integrations) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        district = await establish(server, admin, kind="DISTRICT_COMMITTEE", name="姑苏区委")
        auditor = server.token(Role.AUDITOR, subject="auditor", scope=district)
        auditor_actor = Actor(subject="auditor", name="Auditor", roles=frozenset({Role.AUDITOR}),
                              scope=UUID(district))
        hook = await register(server, admin, rx.url, streamTypes=["Test"])
        assert hook["__typename"] == "WebhookRegistration", hook

        stream = uuid4()
        await PostgresEventStore(pool).append(Append(
            [NewEvent(stream_id=stream, stream_type="Test", version=1, event_id=uuid4(),
                      event_type=TYPE, schema_version=1, payload={**STORED, ORG: district})],
            Metadata(actor="secretary-1", actor_roles=("community_secretary",),
                     correlation_id=uuid4(), command_id="key-1", reason="联系方式更正")))
        top = await head(pool)
        await eventually(lambda: _at(pool, top), 20, "the feed to reach the event")
        row = await pool.fetchrow(f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1", stream)
        event = row_to_event(row)
        assert (event.schema_version, event.payload) == (2, {**CURRENT, ORG: district})

        # The HTTP feed and the subscription: the whole document, masked for the auditor.
        (for_auditor,) = await _feed(server, auditor)
        (for_admin,) = await _feed(server, admin)
        assert for_auditor == event_document(event, auditor_actor)
        assert for_auditor["payload"] == {**MASKED, ORG: district} == masked(event.payload)
        # Neither reader issued the command: its idempotency key is not theirs to see.
        assert for_auditor["schemaVersion"] == 2 and for_auditor["commandId"] is None
        assert for_admin == {**for_auditor, "payload": event.payload}
        async with connect(server, auditor) as client:
            await client.subscribe(ALL_FIELDS, {"filter": {"streamTypes": ["Test"]}})
            (subscribed,) = await client.events(1)
        assert subscribed == for_auditor

        # NATS and the webhook: the same bytes, complete, everything but commandId.
        delivered = await eventually(lambda: [h for h in rx.delivered if h.event_id == str(event.event_id)],
                                     20, "the webhook delivery")
        message = await eventually(lambda: _nats_message(nats_url, str(event.event_id)), 20,
                                   "the NATS message")
        assert message.data == delivered[0].body == integration_body(event)
        assert json.loads(message.data) == {k: v for k, v in for_admin.items() if k != "commandId"}

    async with pool.acquire() as conn:
        # CSV: the event's columns from the same document; no payload, so nothing personal.
        text = "".join([line async for line in csv_lines(conn, Selection(fund_id=stream), auditor_actor)])
        (line,) = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
        assert (line["position"], line["recorded_at"], line["event_type"], line["event_id"],
                line["actor"], line["actor_roles"], line["reason"], line["correlation_id"]) == (
            str(for_auditor["position"]), for_auditor["recordedAt"], TYPE, for_auditor["eventId"],
            "secretary-1", "community_secretary", "联系方式更正", for_auditor["correlationId"])
        assert ID not in text and PHONE not in text and "6522" not in text

        # Evidence is the stored record (what the hash covers): stored shape, personal
        # values sealed (eventstore.personal_keys), the rest as written.
        lines: list[str] = []
        await write_evidence(conn, [event.position], lines.append)  # type: ignore[arg-type]
        (stored,) = [json.loads(x) for x in lines if '"type": "event"' in x]
        sealed = {k: stored["payload"][k] for k in ("id_number", "phone")}
        assert all(is_sealed(v) for v in sealed.values())
        assert ID not in json.dumps(stored) and PHONE not in json.dumps(stored)
        assert (stored["schemaVersion"], {**stored["payload"], **STORED}) == (1, {**STORED, ORG: district})
        assert stored["eventId"] == for_auditor["eventId"] and stored["eventType"] == TYPE


async def _at(pool: asyncpg.Pool, position: int) -> bool:
    return await readable_head(pool) >= position

"""The one event document, and the consumers that carry it (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.shared.permissions import Actor, Role
from domain.shared.ports import RecordedEvent
from domain.shared.privacy import TRUSTED, masked
from projections.feed.document import (
    ATTRIBUTE_NAMES,
    DOCUMENT_FIELDS,
    INTEGRATION_FIELDS,
    event_document,
    integration_body,
    select_fields,
)

ID = "320508199001011234"
PAYLOAD = {"member": {"id_number": ID, "phone": "13812345678"},
           "contacts": [{"phone": "13912345678"}], "name": "李秀英"}
AUDITOR = Actor(subject="a", name="A", roles=frozenset({Role.AUDITOR}), scope=None)
SECRETARY = Actor(subject="s", name="S", roles=frozenset({Role.COMMUNITY_SECRETARY}), scope=None)
ISSUER = Actor(subject="secretary-1", name="S1", roles=frozenset({Role.COMMUNITY_SECRETARY}),
               scope=None)
"""The actor who issued the command (``recorded()``'s ``actor``)."""


def recorded(**changes: object) -> RecordedEvent:
    values: dict[str, object] = dict(
        position=42, stream_id=UUID(int=1), stream_type="Member", version=3, event_id=UUID(int=2),
        event_type="Member.Registered", schema_version=1, payload=PAYLOAD,
        recorded_at=datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC), actor="secretary-1",
        actor_roles=("community_secretary",), correlation_id=UUID(int=3), causation_id=None,
        command_id="key-1", reason=None,
    )
    values.update(changes)
    return RecordedEvent(**values)  # type: ignore[arg-type]


def test_the_document_has_every_field_in_order_as_json_values() -> None:
    doc = event_document(recorded(), ISSUER)
    assert list(doc) == list(DOCUMENT_FIELDS) == [
        "position", "eventId", "type", "streamId", "streamType", "version", "schemaVersion",
        "recordedAt", "actor", "actorRoles", "correlationId", "causationId", "commandId",
        "reason", "payload"]
    assert doc == {
        "position": 42, "eventId": str(UUID(int=2)), "type": "Member.Registered",
        "streamId": str(UUID(int=1)), "streamType": "Member", "version": 3, "schemaVersion": 1,
        "recordedAt": "2026-03-01T09:30:00.123456+00:00", "actor": "secretary-1",
        "actorRoles": ["community_secretary"], "correlationId": str(UUID(int=3)),
        "causationId": None, "commandId": "key-1", "reason": None, "payload": PAYLOAD,
    }
    assert json.loads(json.dumps(doc)) == doc
    assert list(ATTRIBUTE_NAMES) == list(DOCUMENT_FIELDS)


def test_the_command_id_is_shown_only_to_the_actor_who_issued_the_command() -> None:
    """The idempotency key is the issuer's: another reader, whatever its roles (the same
    ones included), a system actor and ``TRUSTED`` get null; integration bodies leave it out."""
    event = recorded()
    assert event_document(event, ISSUER)["commandId"] == "key-1"
    colleague = Actor(subject="secretary-2", name="S2", roles=ISSUER.roles, scope=None)
    system = Actor(subject="secretary-1", name="S", roles=frozenset(), scope=None, system=True)
    admin = Actor(subject="admin", name="A", roles=frozenset(Role), scope=None)
    for viewer in (AUDITOR, SECRETARY, colleague, system, admin, TRUSTED):
        doc = event_document(event, viewer)
        assert "commandId" in doc and doc["commandId"] is None, viewer
        assert doc["actor"] == "secretary-1" and doc["correlationId"] == str(UUID(int=3))
    assert "commandId" not in json.loads(integration_body(event))
    assert "key-1" not in integration_body(event).decode()
    assert event_document(recorded(command_id=None), ISSUER)["commandId"] is None


def test_the_payload_is_masked_at_any_depth_for_roles_without_need() -> None:
    doc = event_document(recorded(), AUDITOR)
    assert doc["payload"] == masked(PAYLOAD) == {
        "member": {"id_number": "**************1234", "phone": "*******5678"},
        "contacts": [{"phone": "*******5678"}], "name": "李秀英"}
    assert PAYLOAD["member"]["id_number"] == ID  # type: ignore[index]


def test_consumers_choose_fields_but_never_convert_them() -> None:
    event = recorded()
    full = event_document(event, TRUSTED)
    assert select_fields(without=["commandId"]) == INTEGRATION_FIELDS
    chosen = select_fields("eventId", "position", "payload")
    assert chosen == ("position", "eventId", "payload")
    assert event_document(event, AUDITOR, fields=chosen) == {
        "position": 42, "eventId": full["eventId"], "payload": masked(PAYLOAD)}
    body = integration_body(event)
    assert json.loads(body) == {k: v for k, v in full.items() if k != "commandId"}
    assert body == json.dumps({k: v for k, v in full.items() if k != "commandId"},
                              ensure_ascii=False, separators=(",", ":")).encode()
    with pytest.raises(ValueError, match="eventType"):
        select_fields("eventType")
    with pytest.raises(ValueError, match="nope"):
        event_document(event, TRUSTED, fields=("nope",))


def test_the_nats_relay_body_of_a_log_row_is_the_webhook_body_of_the_event() -> None:
    from projections.integrations.nats import event_body

    event = recorded(schema_version=1)
    row = {name: getattr(event, name) for name in (
        "position", "stream_id", "stream_type", "version", "event_id", "event_type",
        "schema_version", "payload", "recorded_at", "actor", "actor_roles", "correlation_id",
        "causation_id", "command_id", "reason")}
    assert event_body(row) == event_body(event) == integration_body(event)  # type: ignore[arg-type]


def test_the_subscription_event_is_built_from_the_document() -> None:
    from api.graphql.feed.subscriptions import log_event

    event = recorded(event_id=uuid4())
    # Subscribers share one LogEvent per event and masking: never the issuer's own view.
    assert log_event(event, ISSUER).command_id == "key-1"
    assert log_event(event, SECRETARY).command_id is None  # the same masking as the issuer's
    assert log_event(event, ISSUER).command_id == "key-1"
    assert log_event(event, AUDITOR).command_id is None
    for viewer in (AUDITOR, SECRETARY, ISSUER):
        doc = event_document(event, viewer)
        shown = log_event(event, viewer)
        assert shown.payload == doc["payload"]
        assert shown.recorded_at.isoformat() == doc["recordedAt"]
        for name, attribute in (("eventId", "event_id"), ("streamId", "stream_id"),
                                ("correlationId", "correlation_id"), ("commandId", "command_id"),
                                ("actorRoles", "actor_roles"), ("schemaVersion", "schema_version")):
            assert getattr(shown, attribute) == doc[name]
    assert log_event(event, AUDITOR).payload["member"]["phone"] == "*******5678"

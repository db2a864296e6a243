"""The log as GraphQL shows it: one event of a stream's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.scalars import JSON

from api.graphql.core.context import Info


def mask_id_number(value: str | None) -> str | None:
    return None if value is None else value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if value is None:
        return None
    digits = value.replace(" ", "").replace("-", "")
    return digits[:3] + "*" * max(len(digits) - 7, 0) + digits[-4:]


PERSONAL_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}


@strawberry.type(description="One event of the log: what happened, when, who did it and why.")
class HistoryEvent:
    position: int = strawberry.field(description="Global position in the log.")
    event_id: UUID = strawberry.field(description="Unique id of the event (dedupe key).")
    type: str = strawberry.field(description="Event type, e.g. Member.TransferRequested.")
    stream_id: UUID = strawberry.field(description="The aggregate the event belongs to.")
    stream_type: str = strawberry.field(description="Organization or Member.")
    version: int = strawberry.field(description="Version of the stream after this event.")
    schema_version: int = strawberry.field(description="Version of the event's payload schema.")
    recorded_at: datetime = strawberry.field(description="When the log recorded it.")
    actor: str = strawberry.field(description="Token subject of whoever issued the command.")
    actor_roles: list[str] = strawberry.field(description="Roles the actor held.")
    correlation_id: UUID | None = strawberry.field(description="The request that caused it.")
    causation_id: UUID | None = strawberry.field(description="The event or command that caused it.")
    command_id: str | None = strawberry.field(description="Client idempotency key, if any.")
    reason: str | None = strawberry.field(description="Reason stated with the command.")
    payload: JSON = strawberry.field(description="The event's data (personal data masked as on Member).")


def history_event(r: asyncpg.Record, info: Info) -> HistoryEvent:
    payload: dict[str, Any] = dict(r["payload"])
    if not info.context.actor.sees_personal_data:
        for key, mask in PERSONAL_FIELDS.items():
            if key in payload:
                payload[key] = mask(payload[key])
    return HistoryEvent(
        position=r["position"], event_id=r["event_id"], type=r["event_type"],
        stream_id=r["stream_id"], stream_type=r["stream_type"], version=r["version"],
        schema_version=r["schema_version"], recorded_at=r["recorded_at"], actor=r["actor"],
        actor_roles=list(r["actor_roles"]), correlation_id=r["correlation_id"],
        causation_id=r["causation_id"], command_id=r["command_id"], reason=r["reason"],
        payload=payload,
    )

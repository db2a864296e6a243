"""The log as GraphQL shows it: one event of a stream's history."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import strawberry
from strawberry.scalars import JSON

from api.graphql.core.context import Info
from eventstore.postgres import row_to_event
from projections.feed.document import ATTRIBUTE_NAMES, event_document


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
    command_id: str | None = strawberry.field(
        description="Client idempotency key; shown only to the actor who issued the command.")
    reason: str | None = strawberry.field(description="Reason stated with the command.")
    payload: JSON = strawberry.field(description="The event's data (personal data masked as on Member).")


def history_event(r: asyncpg.Record, info: Info) -> HistoryEvent:
    """An events row as history shows it: the one event document (upcast, personal data
    masked by the one privacy policy), as every reader of the log gets it."""
    event = row_to_event(r)
    values = {ATTRIBUTE_NAMES[k]: v for k, v in event_document(event, info.context.actor).items()}
    values["recorded_at"] = event.recorded_at  # the DateTime scalar prints the document's text
    return HistoryEvent(**values)

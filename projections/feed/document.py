"""The event document: one recorded event as every reader of the log receives it.

``event_document`` is the only conversion of a ``RecordedEvent`` into the JSON object
that ``GET /events``, the ``events`` subscription, the NATS relay, webhooks and the
CSV export carry (and GraphQL ``history``, once it builds on it). Each of them chooses
which fields it carries; none converts a field itself. Field names are the GraphQL
``LogEvent``'s, in this order:

``position, eventId, type, streamId, streamType, version, schemaVersion, recordedAt,
actor, actorRoles, correlationId, causationId, commandId, reason, payload``

- ids are strings, ``recordedAt`` ISO-8601 with the zone (``datetime.isoformat``),
  ``actorRoles`` a list, absent ids and texts ``null``;
- ``payload`` is the event's payload in its current shape (a ``RecordedEvent`` from
  ``eventstore.postgres.row_to_event`` or the event store is already upcast; raw log
  rows go through ``row_to_event`` first), with personal data as the viewer may see
  it (``domain.shared.privacy.redact``, at any depth).
- ``commandId`` (the client's idempotency key) is shown only to the actor who issued
  the command (``shows_command_id``: the viewer's token subject is the event's
  ``actor``, the namespace idempotency keys live in); everyone else, ``TRUSTED``
  included, gets ``null``. NATS messages and webhook bodies leave the field out
  altogether (``INTEGRATION_FIELDS``): their receivers are other systems, never the
  issuer. The key is no credential (a repeat never returns a webhook's secret), but
  it is the issuer's, and another reader has no use for it.

Evidence files (``eventstore.integrity.evidence``) are not a reader's document: they
carry the stored columns exactly as hashed (stored payload text and schema version,
canonical UTC timestamp), so they keep their own line format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from domain.shared.permissions import Actor
from domain.shared.ports import RecordedEvent
from domain.shared.privacy import TRUSTED, Viewer, redact


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


_CONVERT: dict[str, Callable[[RecordedEvent], Any]] = {
    "position": lambda e: e.position,
    "eventId": lambda e: str(e.event_id),
    "type": lambda e: e.event_type,
    "streamId": lambda e: str(e.stream_id),
    "streamType": lambda e: e.stream_type,
    "version": lambda e: e.version,
    "schemaVersion": lambda e: e.schema_version,
    "recordedAt": lambda e: e.recorded_at.isoformat(),
    "actor": lambda e: e.actor,
    "actorRoles": lambda e: list(e.actor_roles),
    "correlationId": lambda e: _opt(e.correlation_id),
    "causationId": lambda e: _opt(e.causation_id),
    "commandId": lambda e: e.command_id,  # shown to its issuer only: see event_document
    "reason": lambda e: e.reason,
}

DOCUMENT_FIELDS: tuple[str, ...] = (*_CONVERT, "payload")
"""Every field of the document, in document order (what the HTTP feed carries)."""

INTEGRATION_FIELDS: tuple[str, ...] = tuple(f for f in DOCUMENT_FIELDS if f != "commandId")
"""What NATS messages and webhook bodies carry: everything but the client's idempotency key."""


ATTRIBUTE_NAMES: dict[str, str] = {
    "position": "position", "eventId": "event_id", "type": "type", "streamId": "stream_id",
    "streamType": "stream_type", "version": "version", "schemaVersion": "schema_version",
    "recordedAt": "recorded_at", "actor": "actor", "actorRoles": "actor_roles",
    "correlationId": "correlation_id", "causationId": "causation_id", "commandId": "command_id",
    "reason": "reason", "payload": "payload",
}
"""Document field -> the Python attribute of the GraphQL types that show the document
(``LogEvent``, ``HistoryEvent``; strawberry prints ``event_id`` as ``eventId``)."""


def select_fields(*names: str, without: Iterable[str] = ()) -> tuple[str, ...]:
    """A selection of document fields in document order: ``names`` (all if none given)
    minus ``without``. Unknown names are an error, so a typo cannot drop a field."""
    unknown = (set(names) | set(without)) - set(DOCUMENT_FIELDS)
    if unknown:
        raise ValueError(f"not fields of the event document: {', '.join(sorted(unknown))}")
    chosen = set(names or DOCUMENT_FIELDS) - set(without)
    return tuple(f for f in DOCUMENT_FIELDS if f in chosen)


def shows_command_id(event: RecordedEvent, viewer: Viewer) -> bool:
    """Whether ``viewer`` sees ``event``'s ``commandId``: only the actor who issued it."""
    return isinstance(viewer, Actor) and not viewer.system and viewer.subject == event.actor


def event_document(event: RecordedEvent, viewer: Viewer, *,
                   fields: tuple[str, ...] = DOCUMENT_FIELDS) -> dict[str, Any]:
    """``event`` as the JSON document ``viewer`` may see, with the chosen ``fields``.

    ``viewer`` is the reading actor (personal data masked unless its roles may see it;
    ``commandId`` null unless it issued the command) or
    ``domain.shared.privacy.TRUSTED`` for system-level consumers. ``fields`` is a
    tuple of document field names (``DOCUMENT_FIELDS``, ``INTEGRATION_FIELDS`` or one
    built with ``select_fields``), and the document has them in that order. The payload may
    share structure with ``event.payload``: treat the document as read-only.
    """
    doc: dict[str, Any] = {}
    for name in fields:
        if name == "payload":
            doc["payload"] = redact(event.payload, viewer)
        elif name == "commandId":
            doc["commandId"] = event.command_id if shows_command_id(event, viewer) else None
        else:
            try:
                doc[name] = _CONVERT[name](event)
            except KeyError:
                raise ValueError(f"not a field of the event document: {name!r}") from None
    return doc


def document_bytes(document: dict[str, Any]) -> bytes:
    """A document as compact UTF-8 JSON (NATS messages, webhook bodies)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def integration_body(event: RecordedEvent) -> bytes:
    """The body of a NATS message or a webhook POST: the complete document without
    ``commandId``, for ``TRUSTED`` system-level receivers."""
    return document_bytes(event_document(event, TRUSTED, fields=INTEGRATION_FIELDS))

"""Commands: one frozen object per use case, and what every command carries besides it.

A command class names its use case (``action``, the mutation's name) and who may run it
(``allowed``); its fields are the use case's whole input. The idempotency fingerprint
is computed from every field, so a repeated key with any other input is refused, and
no handler lists its inputs by hand.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from domain.shared.errors import InvalidInput
from domain.shared.permissions import Actor, Role
from domain.shared.ports import JSON


@dataclass(frozen=True)
class Command:
    """Base of every command: subclasses are frozen dataclasses with the use case's input."""

    action: ClassVar[str]
    """The use case as the API names it (the mutation), e.g. ``registerMember``."""
    allowed: ClassVar[frozenset[Role]]
    """Roles that may run it (auditors and integrations read only)."""
    structural: ClassVar[bool] = False
    """Taken only from strictly above the organization it concerns (changing that
    organization itself, approving its projects, inspecting it)."""


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a part of a command (a grid split's)
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def fingerprint(command: Command, key: bytes = b"") -> str:
    """A keyed digest (HMAC-SHA256) of the command's type and every one of its fields
    (but those left at a default of None).

    Keyed with a secret of the server's (``api.bootstrap``): the stored fingerprint covers
    inputs such as a client's webhook secret or a member's ID number, and without the key
    nobody holding a database copy can test guesses of them against it.
    """
    # A field left at a default of None is omitted, so adding an optional field to a command
    # later does not change the fingerprints of the keys stored before (a repeat with the
    # same key would otherwise answer IdempotencyKeyReused after the release).
    fields = {f.name: _plain(value) for f in dataclasses.fields(command)
              if (value := getattr(command, f.name)) is not None or f.default is not None}
    text = json.dumps([type(command).action, fields], sort_keys=True, ensure_ascii=False)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Request:
    """What every command carries besides its own input."""

    actor: Actor
    correlation_id: UUID
    idempotency_key: str | None = None
    expected_version: int | None = None
    """The stream version the client last saw; a mismatch is a VersionConflict."""


@dataclass(frozen=True)
class Outcome:
    """The id of the object the command created or changed, and the log position."""

    id: UUID
    position: int
    replayed: bool = False
    extra: JSON = field(default_factory=dict)


def required_reason(reason: str | None) -> str:
    """A stated reason, trimmed: required for returns, corrections, rejections, reversals."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInput("a reason is required", field="reason")
    if len(cleaned) > 500:
        raise InvalidInput("a reason has at most 500 characters", field="reason")
    return cleaned


def optional_reason(reason: str | None) -> str | None:
    """A reason the command may state: trimmed, at most 500 characters, or None."""
    return required_reason(reason) if reason is not None and reason.strip() else None


__all__: Sequence[str] = [
    "Command", "Outcome", "Request", "fingerprint", "optional_reason", "required_reason",
]

"""Turning aggregate events into log rows and back.

The log stores payloads as JSON that auditors read in plain SQL, so events are
encoded field by field (dates as ISO strings, UUIDs as strings, money as decimal
strings) rather than with the library's tagged transcoder. Decoding uses the event
class's type hints. The event type is ``<Aggregate>.<Event>``, e.g.
``Member.TransferRequested``.

Events evolve: an event class states its current payload shape as ``class_version``
and reads older shapes with ``upcast_vN_vM`` static methods, as in the eventsourcing
library; see ``domain.shared.upcasting``. ``register`` declares them, ``to_new_events``
writes ``class_version`` as the row's ``schema_version``, and ``decode`` upcasts.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

from domain.shared import upcasting
from domain.shared.ports import JSON, NewEvent, RecordedEvent

_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_REGISTRY: dict[str, Any] = {}  # event type name -> event class
A = TypeVar("A", bound=Aggregate)


def register(aggregate: type[Aggregate]) -> None:
    """Make every event class nested in ``aggregate`` decodable by its type name.

    Also declares each class's ``class_version`` and upcasters (a missing
    ``upcast_vN_vM`` step raises ``TypeError`` here).
    """
    for cls in _event_classes(aggregate):
        upcasting.declare(cls.__qualname__, cls)
        _REGISTRY[cls.__qualname__] = cls


def unregister(aggregate: type[Aggregate]) -> None:
    """Undo ``register`` (for tests that define an aggregate of their own)."""
    for cls in _event_classes(aggregate):
        if _REGISTRY.get(cls.__qualname__) is cls:
            del _REGISTRY[cls.__qualname__]
            upcasting.forget(cls.__qualname__)


def _event_classes(aggregate: type[Aggregate]) -> list[type]:
    found = []
    for name in dir(aggregate):
        value = getattr(aggregate, name)
        if (
            isinstance(value, type)
            and issubclass(value, Aggregate.Event)
            and value.__qualname__.startswith(aggregate.__name__ + ".")
        ):
            found.append(value)
    return found


def event_type(event: object) -> str:
    return type(event).__qualname__


def encode_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    return value


def encode(event: Any) -> JSON:
    return {
        f.name: encode_value(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in _ENVELOPE
    }


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return {k: v for k, v in typing.get_type_hints(cls).items() if k not in _ENVELOPE}


def _decode_value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode_value(args[0], value)
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(hint) or (Any,)
        items = [_decode_value(inner, v) for v in value]
        return tuple(items) if origin is tuple else items
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return hint(value)
        if hint is uuid.UUID:
            return uuid.UUID(value)
        if hint is Decimal:
            return Decimal(value)
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
    return value


def decode(row: RecordedEvent, aggregate: type[Aggregate]) -> Any:
    """Rebuild the aggregate event object that a log row records (upcast if it is old)."""
    cls = _REGISTRY.get(row.event_type)
    if cls is None:
        raise LookupError(f"unknown event type {row.event_type!r}")
    hints = _hints(cls)
    # The stores hand out current rows already; this costs a dict lookup and covers
    # RecordedEvents built some other way.
    _, payload = upcasting.upcast(row.event_type, row.schema_version, row.payload)
    kwargs = {k: _decode_value(hints.get(k, Any), v) for k, v in payload.items()}
    kwargs.update(
        originator_id=row.stream_id,
        originator_version=row.version,
        timestamp=row.recorded_at,
    )
    if "originator_topic" in {f.name for f in dataclasses.fields(cls)}:
        kwargs["originator_topic"] = get_topic(aggregate)
    return cls(**kwargs)


def to_new_events(aggregate: Aggregate) -> list[NewEvent]:
    """Collect an aggregate's pending events as rows to append."""
    stream_type = type(aggregate).__name__
    return [
        NewEvent(
            stream_id=e.originator_id,
            stream_type=stream_type,
            version=e.originator_version,
            event_id=uuid.uuid4(),
            event_type=event_type(e),
            schema_version=int(getattr(type(e), "class_version", 1)),
            payload=encode(e),
        )
        for e in aggregate.collect_events()
    ]


def replay(aggregate: type[A], rows: Iterable[RecordedEvent]) -> A | None:
    """Rebuild an aggregate from its recorded events (None if there are none)."""
    state: Any = None
    for row in rows:
        event: CanMutateAggregate[Any] = decode(row, aggregate)
        state = event.mutate(state)
    return typing.cast("A | None", state)

"""Reading old events in today's shape: ``schema_version`` and upcasters.

Events are forever, so the code must read every shape an event type ever had. The
convention is the eventsourcing library's (``persistence.Mapper.to_domain_event``): an
event class states its current shape as ``class_version`` (1 if absent) and carries one
static method per step, ``upcast_v1_v2(state)``, ``upcast_v2_v3(state)``, … that change
``state`` in place from one version to the next::

    class Renamed(Aggregate.Event):
        name: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["name"] = state.pop("title")  # v1 called it "title"

One difference from the library: ``state`` is the event's JSON payload as the log
stores it (``domain.shared.events.encode``: ISO date strings, UUIDs and decimals as
strings, no envelope fields), not the library's decoded ``__dict__``. That is the shape
projections and ``history`` read, and it lets every reader upcast without knowing the
event classes' Python types. (A step may also return a new dict instead of mutating.)

The log column ``schema_version`` holds the version the event was written in; the rows
are never updated. Readers upcast on the way out (``upcast`` / ``upcast_event``, applied
by ``eventstore.postgres.row_to_event`` and the in-memory store), so a ``RecordedEvent``
always carries the current shape and the current version. A stored version newer than
the code knows is refused with ``UnknownSchemaVersion``: older code must not guess at a
newer shape. Event types no aggregate declares (test and tooling types) pass unchanged:
the store itself is generic.

Cost: an event already at its current version pays one dict lookup and one comparison.

Which event types exist is learnt from ``domain.shared.events.register(aggregate)``,
called for every aggregate of the one list of areas when ``api/areas.py`` is imported
(every entry point imports it: the server, the command line, the tests' helpers).

No I/O here: plain functions over plain values.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

from domain.shared.ports import JSON, RecordedEvent

Step = Callable[[JSON], "JSON | None"]


class UnknownSchemaVersion(LookupError):
    """A stored (or to-be-stored) event's ``schema_version`` is one this code cannot read."""


_CURRENT: dict[str, int] = {}
"""Event type -> current schema version, for every registered event type."""
_STEPS: dict[str, tuple[Step, ...]] = {}
"""Event type -> upcasters; ``steps[v - 1]`` turns version ``v`` into ``v + 1``."""


def declare(event_type: str, event_class: type) -> None:
    """Record ``event_class``'s ``class_version`` and its ``upcast_vN_vM`` steps.

    Called by ``domain.shared.events.register`` for every event class of an aggregate.
    A missing step is an error here, when the area is registered, not when an old
    event is first read.
    """
    version = getattr(event_class, "class_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TypeError(f"{event_type}.class_version must be an int >= 1, not {version!r}")
    steps: list[Step] = []
    for v in range(1, version):
        name = f"upcast_v{v}_v{v + 1}"
        step = getattr(event_class, name, None)
        if not callable(step):
            raise TypeError(
                f"{event_type} is at class_version {version} but has no static method {name}"
                f"(state) to read version {v}"
            )
        steps.append(step)
    _CURRENT[event_type] = version
    _STEPS[event_type] = tuple(steps)


def forget(event_type: str) -> None:
    """Undo ``declare`` (for tests that register an event class of their own)."""
    _CURRENT.pop(event_type, None)
    _STEPS.pop(event_type, None)


def current_version(event_type: str) -> int | None:
    """The version ``event_type`` is written in today, or None if no aggregate declares it."""
    return _CURRENT.get(event_type)


def upcast(event_type: str, schema_version: int, payload: JSON) -> tuple[int, JSON]:
    """The payload in the current shape of ``event_type``, and that version.

    ``payload`` is never changed: old payloads are copied before the steps run, and a
    payload already current is returned as it is (the same object).
    """
    if _CURRENT.get(event_type) == schema_version:
        return schema_version, payload
    return _upcast_slow(event_type, schema_version, payload)


def _upcast_slow(event_type: str, schema_version: int, payload: JSON) -> tuple[int, JSON]:
    current = current_version(event_type)
    if current is None:
        return schema_version, payload
    if schema_version > current or schema_version < 1:
        raise UnknownSchemaVersion(
            f"{event_type} stored at schema_version {schema_version}, but this code reads "
            f"versions 1..{current}: it was written by newer code (deploy that before reading)"
            if schema_version > current
            else f"{event_type} stored at schema_version {schema_version}: versions start at 1"
        )
    if schema_version == current:
        return schema_version, payload
    state = copy.deepcopy(payload)
    for step in _STEPS[event_type][schema_version - 1:]:
        result = step(state)
        if result is not None:
            state = result
    return current, state


def upcast_event(event: RecordedEvent) -> RecordedEvent:
    """``event`` in the current shape of its type (the same object if already current)."""
    if _CURRENT.get(event.event_type) == event.schema_version:
        return event
    try:
        version, payload = _upcast_slow(event.event_type, event.schema_version, event.payload)
    except UnknownSchemaVersion as exc:
        exc.add_note(f"event {event.event_id} at position {event.position}, "
                     f"stream {event.stream_id} version {event.version}")
        raise
    if version == event.schema_version:
        return event
    return dataclasses.replace(event, schema_version=version, payload=payload)


def check_writable(event_type: str, schema_version: int) -> None:
    """Refuse to append a version this code could not read back (newer than known, or < 1)."""
    current = _CURRENT.get(event_type)
    if current is not None and not 1 <= schema_version <= current:
        raise UnknownSchemaVersion(
            f"cannot append {event_type} at schema_version {schema_version}: "
            f"this code knows versions 1..{current}"
        )

"""Events evolve: old payload shapes are read back in today's shape (in-memory store).

The event type here is test-only, so that no real event changes the shape or the
``schema_version`` it is stored with. ``Pamphlet.Published`` has had three shapes:

- v1 ``{"title", "pages"}``
- v2 ``title`` renamed ``headline``
- v3 ``language`` added (``"zh"`` for everything published before)
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event

from domain.shared import events as ev
from domain.shared.ports import Append, Metadata, NewEvent, RecordedEvent
from domain.shared.upcasting import UnknownSchemaVersion, upcast, upcast_event
from eventstore.memory import InMemoryEventStore

ROOT = Path(__file__).resolve().parents[3]


class Pamphlet(Aggregate):
    class Published(Aggregate.Created):
        headline: str
        pages: int
        language: str

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["headline"] = state.pop("title")

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state.setdefault("language", "zh")

    @event(Published)
    def __init__(self, headline: str, pages: int, language: str) -> None:
        self.headline = headline
        self.pages = pages
        self.language = language

    class Retitled(Aggregate.Event):
        headline: str

    @event(Retitled)
    def retitle(self, headline: str) -> None:
        self.headline = headline


V1 = {"title": "党员手册", "pages": 12}
V2 = {"headline": "党员手册", "pages": 12}
CURRENT = {"headline": "党员手册", "pages": 12, "language": "zh"}


@pytest.fixture
def pamphlets() -> Iterator[None]:
    ev.register(Pamphlet)
    try:
        yield
    finally:
        ev.unregister(Pamphlet)


def new(stream: UUID, version: int, schema_version: int, payload: dict[str, Any],
        event_type: str = "Pamphlet.Published") -> NewEvent:
    return NewEvent(stream_id=stream, stream_type="Pamphlet", version=version, event_id=uuid4(),
                    event_type=event_type, schema_version=schema_version, payload=payload)


def meta() -> Metadata:
    return Metadata(actor="t", actor_roles=(), correlation_id=uuid4())


async def store_with(*events: NewEvent) -> InMemoryEventStore:
    store = InMemoryEventStore()
    await store.append(Append(events=list(events), metadata=meta()))
    return store


@pytest.mark.parametrize(("schema_version", "payload"), [(1, V1), (2, V2)])
async def test_an_old_shape_reads_back_upcast_step_by_step_at_the_current_version(
    pamphlets: None, schema_version: int, payload: dict[str, Any],
) -> None:
    stream = uuid4()
    store = await store_with(new(stream, 1, schema_version, dict(payload)))

    (by_stream,) = await store.read_stream(stream)
    (by_log,) = await store.read_log(0, 10)
    (by_type,) = await store.read_log(0, 10, ["Pamphlet.Published"])
    for e in (by_stream, by_log, by_type):
        assert e.schema_version == 3
        assert e.payload == CURRENT

    # Events are forever: what the store holds is untouched.
    assert store.events[0].schema_version == schema_version
    assert store.events[0].payload == payload


async def test_an_aggregate_replays_from_old_events_and_writes_the_current_version(
    pamphlets: None,
) -> None:
    stream = uuid4()
    store = await store_with(new(stream, 1, 1, dict(V1)))

    pamphlet = ev.replay(Pamphlet, await store.read_stream(stream))
    assert pamphlet is not None
    assert (pamphlet.headline, pamphlet.pages, pamphlet.language) == ("党员手册", 12, "zh")

    pamphlet.retitle("党员手册（修订版）")
    (retitled,) = ev.to_new_events(pamphlet)
    assert (retitled.event_type, retitled.schema_version) == ("Pamphlet.Retitled", 1)
    fresh = Pamphlet(headline="新编", pages=3, language="en")
    (published,) = ev.to_new_events(fresh)
    assert (published.schema_version, published.payload) == (
        3, {"headline": "新编", "pages": 3, "language": "en"})

    await store.append(Append(events=[retitled, published], metadata=meta()))
    again = ev.replay(Pamphlet, await store.read_stream(stream))
    assert again is not None and again.headline == "党员手册（修订版）"
    other = ev.replay(Pamphlet, await store.read_stream(fresh.id))
    assert other is not None and (other.headline, other.language) == ("新编", "en")


async def test_decode_upcasts_a_recorded_event_built_from_raw_sql(pamphlets: None) -> None:
    store = await store_with(new(uuid4(), 1, 1, dict(V1)))
    raw = store.events[0]  # as a reader with its own SQL would build it: not upcast
    pamphlet = ev.replay(Pamphlet, [raw])
    assert pamphlet is not None and pamphlet.headline == "党员手册"


async def test_an_event_at_the_current_version_is_handed_out_as_stored(pamphlets: None) -> None:
    stream = uuid4()
    store = await store_with(new(stream, 1, 3, dict(CURRENT)))
    (read,) = await store.read_stream(stream)
    assert read is store.events[0]  # no copy, no new RecordedEvent
    payload = dict(CURRENT)
    assert upcast("Pamphlet.Published", 3, payload)[1] is payload


async def test_upcasting_never_changes_the_payload_it_is_given(pamphlets: None) -> None:
    payload = {"title": "x", "pages": 1, "nested": {"a": [1]}}
    version, upcast_payload = upcast("Pamphlet.Published", 1, payload)
    upcast_payload["nested"]["a"].append(2)
    assert version == 3
    assert payload == {"title": "x", "pages": 1, "nested": {"a": [1]}}


async def test_a_version_newer_than_the_code_knows_is_refused_when_read(
    pamphlets: None,
) -> None:
    stream = uuid4()
    store = await store_with(new(stream, 1, 3, dict(CURRENT)))
    # Written by newer code (a later deployment that knows v4), read by this one.
    store.events.append(RecordedEvent(
        position=2, stream_id=stream, stream_type="Pamphlet", version=2, event_id=uuid4(),
        event_type="Pamphlet.Published", schema_version=4, payload={"whatever": 1},
        recorded_at=store.events[0].recorded_at, actor="t", actor_roles=(),
        correlation_id=None, causation_id=None, command_id=None, reason=None,
    ))
    with pytest.raises(UnknownSchemaVersion, match=r"schema_version 4.*versions 1\.\.3") as err:
        await store.read_stream(stream)
    assert any("position 2" in note for note in err.value.__notes__)
    with pytest.raises(UnknownSchemaVersion):
        await store.read_log(0, 10)
    with pytest.raises(UnknownSchemaVersion):
        upcast("Pamphlet.Published", 0, {})


async def test_a_version_newer_than_the_code_knows_is_refused_when_appended(
    pamphlets: None,
) -> None:
    store = InMemoryEventStore()
    with pytest.raises(UnknownSchemaVersion, match=r"cannot append Pamphlet\.Published"):
        await store.append(Append(events=[new(uuid4(), 1, 4, dict(CURRENT))], metadata=meta()))
    assert store.events == [] and store.streams == {}


async def test_event_types_no_aggregate_declares_pass_unchanged() -> None:
    stream = uuid4()
    store = await store_with(new(stream, 1, 7, {"n": 1}, event_type="Tooling.Whatever"))
    (read,) = await store.read_stream(stream)
    assert (read.schema_version, read.payload) == (7, {"n": 1})
    assert upcast_event(read) is read


class Leaflet(Aggregate):
    """Declares version 3 but forgot the step from version 2."""

    class Printed(Aggregate.Event):
        copies: int
        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["copies"] = int(state["copies"])


def test_a_missing_upcaster_is_an_error_when_the_area_registers() -> None:
    with pytest.raises(TypeError, match=r"class_version 3 but has no static method upcast_v2_v3"):
        ev.register(Leaflet)
    ev.unregister(Leaflet)


def test_a_reader_that_imports_the_list_of_areas_knows_every_aggregates_versions() -> None:
    """Every entry point imports ``api.areas``; that alone registers every area's events."""
    code = (
        "import api.areas\n"
        "from domain.shared.upcasting import current_version\n"
        "assert current_version('Organization.Renamed') == 1\n"
        "assert current_version('Fund.PaymentRecorded') == 2\n"  # v2: the payment's use and dues part
        "assert current_version('Webhook.Registered') == 1\n"
        "assert current_version('Tooling.Whatever') is None\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr

"""The canonical event encoding: jsonb's text form, exact numbers, UTC microseconds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from eventstore.integrity.encoding import (
    EncodingError,
    canonical_text,
    event_leaf,
    jsonb_text,
    parse_json,
    timestamp_text,
)

EVENT = {
    "position": 42,
    "stream_id": UUID("6f1c1d2e-0000-4000-8000-00000000a001"),
    "stream_type": "Fund",
    "version": 3,
    "event_id": UUID("6f1c1d2e-0000-4000-8000-00000000e003"),
    "event_type": "Fund.PaymentRecorded",
    "schema_version": 1,
    "payload": {"amount": "1200.50", "memo": '社区"微心愿"', "n": Decimal("1.10")},
    "recorded_at": datetime(2026, 3, 1, 16, 0, 0, 5, tzinfo=timezone(timedelta(hours=8))),
    "actor": "finance-7",
    "actor_roles": ["finance_officer"],
    "correlation_id": UUID("6f1c1d2e-0000-4000-8000-0000000c0001"),
    "causation_id": None,
    "command_id": "cmd-1",
    "reason": None,
}


def test_an_event_encodes_as_a_jsonb_style_array_of_every_column() -> None:
    assert canonical_text(EVENT) == (
        '[1, 42, "6f1c1d2e-0000-4000-8000-00000000a001", "Fund", 3, '
        '"6f1c1d2e-0000-4000-8000-00000000e003", "Fund.PaymentRecorded", 1, '
        '{"n": 1.10, "memo": "社区\\"微心愿\\"", "amount": "1200.50"}, '
        '"2026-03-01T08:00:00.000005Z", "finance-7", ["finance_officer"], '
        '"6f1c1d2e-0000-4000-8000-0000000c0001", null, "cmd-1", null]'
    )


def test_the_leaf_is_the_rfc_6962_hash_of_the_utf8_encoding() -> None:
    data = canonical_text(EVENT).encode("utf-8")
    assert event_leaf(EVENT) == hashlib.sha256(b"\x00" + data).digest()


def test_text_and_typed_columns_give_the_same_leaf() -> None:
    as_text = {
        **EVENT,
        "stream_id": str(EVENT["stream_id"]).upper(),
        "recorded_at": "2026-03-01T08:00:00.000005Z",
        "payload": parse_json('{"memo": "社区\\"微心愿\\"", "amount": "1200.50", "n": 1.10}'),
    }
    assert event_leaf(as_text) == event_leaf(EVENT)


@pytest.mark.parametrize(
    "column, value",
    [
        ("payload", {"amount": "1200.51"}),
        ("recorded_at", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("actor", "finance-8"),
        ("actor_roles", []),
        ("reason", ""),
        ("position", 43),
        ("causation_id", UUID(int=0)),
        ("version", 4),
    ],
)
def test_changing_any_column_changes_the_leaf(column: str, value: object) -> None:
    assert event_leaf({**EVENT, column: value}) != event_leaf(EVENT)


def test_object_keys_sort_by_utf8_length_then_bytes_like_jsonb() -> None:
    assert jsonb_text({"bb": 1, "a": 2, "é": 3, "ab": 4, "b": {"zz": [], "y": {}}}) == (
        '{"a": 2, "b": {"y": {}, "zz": []}, "ab": 4, "bb": 1, "é": 3}'
    )


def test_numbers_keep_their_stored_scale_and_lose_exponents_and_negative_zero() -> None:
    text = "[1.10, 1e2, 1.5E-3, -0, -0.0, 12345678901234567890.123, 0.000]"
    assert jsonb_text(parse_json(text)) == (
        "[1.10, 100, 0.0015, 0, 0.0, 12345678901234567890.123, 0.000]"
    )


def test_strings_escape_what_postgresql_escapes_and_nothing_else() -> None:
    assert jsonb_text('a"b\\c\n\t\b\f\r\x01\x1f\x7f é ✓ /') == (
        '"a\\"b\\\\c\\n\\t\\b\\f\\r\\u0001\\u001f\x7f é ✓ /"'
    )


def test_timestamps_are_utc_with_six_fractional_digits() -> None:
    assert (
        timestamp_text(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    )
    assert timestamp_text("2026-01-02T11:04:05.12+08:00") == "2026-01-02T03:04:05.120000Z"
    with pytest.raises(EncodingError):
        timestamp_text(datetime(2026, 1, 2))


def test_values_jsonb_cannot_hold_are_refused() -> None:
    with pytest.raises(EncodingError):
        parse_json("[NaN]")
    with pytest.raises(EncodingError):
        event_leaf({**EVENT, "actor": "\ud800"})
    with pytest.raises(EncodingError):
        event_leaf({k: v for k, v in EVENT.items() if k != "reason"})

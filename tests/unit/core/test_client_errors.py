"""Client mistakes are typed errors logged at DEBUG; the checks behind them, one by one.

Over the real server: tests/e2e/test_bad_input.py, tests/e2e/test_http_limits.py and
(cursors against the real read models) tests/integration/core/test_tampered_cursors.py.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from api.graphql.core.validation import MAX_JSON_DEPTH, BadJson, load_json, ws_message_problem
from api.schema import schema
from api.views import MAX_CURSOR, BadCursor, decode_cursor, encode_cursor


@dataclass
class _Context:
    """Enough context for errors that stop before any resolver runs."""

    position: int = 1


BALANCE_ON = "query($d: Date!) { funds(first: 1) { edges { node { balanceOn(date: $d) } } } }"
NAMES = "query($n: String) { organizations(filter: {nameContains: $n}) { edges { cursor } } }"


def _loud(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name} {r.levelname}: {r.getMessage()}" for r in caplog.records
            if r.levelno > logging.DEBUG or r.exc_info]


@pytest.mark.parametrize("value", [5, [1], {"a": 1}, True, "2026-13-45"])
async def test_a_variable_the_scalar_refuses_is_logged_at_debug(
        caplog: pytest.LogCaptureFixture, value: Any) -> None:
    # strawberry raises StrawberryInputCoercionError (no ValueError): it was logged at ERROR.
    caplog.set_level(logging.DEBUG)
    result = await schema.execute(BALANCE_ON, variable_values={"d": value}, context_value=_Context())
    assert result.data is None
    assert result.errors and result.errors[0].message.startswith("Variable '$d' has invalid value")
    assert _loud(caplog) == []
    assert any(r.levelno == logging.DEBUG and "client error" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b", "\udfff"])
async def test_nul_or_an_unpaired_surrogate_in_a_variable_is_a_typed_error(
        caplog: pytest.LogCaptureFixture, bad: str) -> None:
    caplog.set_level(logging.DEBUG)
    for variables in ({"n": bad}, {"n": "ok", "other": {bad: 1}}, {"n": "ok", "deep": [[{"x": bad}]]}):
        result = await schema.execute(NAMES, variable_values=variables, context_value=_Context())
        assert result.data is None
        [error] = result.errors or []
        assert error.extensions == {"code": "BAD_INPUT"}, error
        assert "strings must not contain NUL or unpaired surrogates" in error.message
    assert _loud(caplog) == []


async def test_nul_in_a_string_literal_is_a_typed_validation_error() -> None:
    for literal in ('"a\\u0000b"', '"a\\u{0}b"', '"""a\x00b"""'):
        result = await schema.execute(
            f"{{ organizations(filter: {{nameContains: {literal}}}) {{ edges {{ cursor }} }} }}",
            context_value=_Context())
        assert result.data is None
        [error] = result.errors or []
        assert error.extensions == {"code": "BAD_INPUT"} and "U+0000 (NUL)" in error.message, error


async def test_a_syntax_error_on_the_streaming_path_is_an_error_result() -> None:
    # Over WebSocket (schema.subscribe/stream) strawberry's ParserCache raised the syntax
    # error out of the operation: a traceback in the log, a bare `complete` for the client.
    stream = await schema.subscribe("subscription { events { position ", context_value=_Context())
    first = await anext(aiter(stream))  # type: ignore[arg-type]
    assert first.errors and first.errors[0].message == "Syntax Error: Expected Name, found <EOF>."


# -- JSON -----------------------------------------------------------------------------------


def test_json_nested_beyond_the_bound_is_refused() -> None:
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(ok) is not None
    for deep in ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),  # beyond the bound
                 '{"a": ' * 40 + "1" + "}" * 40,
                 "[" * 100_000 + "]" * 100_000):  # beyond Python's parser (a RecursionError)
        with pytest.raises(BadJson, match=f"deeper than {MAX_JSON_DEPTH} levels"):
            load_json(deep, what="the body")


@pytest.mark.parametrize("text", ['{"query": "a\\u0000"}', '{"a\\u0000": 1}', '["\\ud800"]',
                                  '{"v": {"x": [1, "\\udc00 tail"]}}'])
def test_json_with_nul_or_an_unpaired_surrogate_is_refused(text: str) -> None:
    with pytest.raises(BadJson, match="strings must not contain NUL or unpaired surrogates"):
        load_json(text)
    assert load_json(text, strings=False) is not None  # the WebSocket leaves strings to GraphQL
    assert load_json('["\\ud83d\\ude00", "王秀英"]') == ["😀", "王秀英"]  # a pair is one character


@pytest.mark.parametrize("message, problem", [
    ([1], "a message must be a JSON object"),
    ({"type": None}, "a message needs a string type"),
    ({"type": "subscribe", "payload": {"query": "{ me { name } }"}}, "subscribe needs an id"),
    ({"type": "subscribe", "id": "x" * 257, "payload": {"query": "{ me { name } }"}}, "subscribe needs an id"),
    ({"type": "subscribe", "id": "1", "payload": {"query": ["{ me }"]}}, "subscribe needs a payload"),
    ({"type": "subscribe", "id": "1", "payload": {"query": "{ me }", "operationName": 3}}, "the operationName"),
    ({"type": "subscribe", "id": "1", "payload": {"query": "{ me }", "extensions": []}}, "the extensions"),
    ({"type": "complete", "id": 5}, "complete needs an id"),
    ({"type": "connection_init", "payload": "token"}, "the payload of connection_init"),
])
def test_websocket_messages_of_the_wrong_shape_are_named(message: Any, problem: str) -> None:
    found = ws_message_problem(message)
    assert found is not None and found.startswith(problem), found


def test_websocket_messages_of_the_right_shape_pass() -> None:
    for message in ({"type": "connection_init"}, {"type": "connection_init", "payload": {"Authorization": "x"}},
                    {"type": "ping"}, {"type": "pong", "payload": None}, {"type": "complete", "id": "1"},
                    {"type": "subscribe", "id": "1", "payload": {"query": "{ me { name } }", "variables": None}},
                    {"type": "something else"}):  # strawberry closes on unknown types itself
        assert ws_message_problem(message) is None, message


# -- cursors (their values against the key's column types: the integration test) -----------


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_our_cursors_decode_to_their_keys() -> None:
    for key in ((1,), (2026, "6f1c1a52-2f7e-4f3c-9a57-0b1f6f2b7a10"), ("钮家巷社区党支部", "6f1c"), (2**63 - 1,)):
        assert decode_cursor(encode_cursor(*key), len(key)) == list(key)


@pytest.mark.parametrize("cursor", [
    _b64("[true]"), _b64("[1.5]"), _b64("[null]"), _b64("[[1]]"), _b64('[{"a": 1}]'), _b64("[1e400]"),
    _b64(json.dumps([2**63])), _b64(json.dumps(["9" * 30])), _b64('["a\\u0000"]'), _b64('["\\ud800"]'),
    _b64("[1, 2]"), _b64('"1"'), _b64("[" * 3000 + "]" * 3000), "A" * (MAX_CURSOR + 1), "not base64 ✓", "",
])
def test_a_cursor_we_did_not_hand_out_is_a_bad_cursor(cursor: str) -> None:
    with pytest.raises(BadCursor) as refused:
        decode_cursor(cursor, 1)
    assert refused.value.extensions == {"code": "BAD_CURSOR"}

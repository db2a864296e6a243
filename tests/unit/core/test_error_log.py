"""The GraphQL error log: client mistakes at DEBUG, internal errors at ERROR, never personal data."""

from __future__ import annotations

import logging
import uuid

import pytest
from graphql import GraphQLError, parse

from api.graphql.core.error_log import internal_message, is_internal, log_errors, personal_values

NUMBER, PHONE = "32050819790412006X", "13912345678"
DOCUMENT = parse(
    f'mutation($p: String) {{ registerMember(input: {{idNumber: "{NUMBER}", phone: $p}}) {{ __typename }} }}')


def _error(original: Exception | None, message: str) -> GraphQLError:
    return GraphQLError(message, path=["registerMember"], original_error=original)


def test_the_values_a_request_names_are_found_inline_in_variables_and_nested() -> None:
    found = personal_values(DOCUMENT, {"p": PHONE, "other": {"contacts": [{"idNumber": "110101199003071234"}]}})
    assert {("id_number", NUMBER), ("phone", PHONE), ("id_number", "110101199003071234")} <= found


def test_an_internal_error_is_logged_scrubbed_and_answered_generically(caplog: pytest.LogCaptureFixture) -> None:
    correlation = uuid.uuid4()
    try:  # an exception whose own text quotes the values, as database errors do
        raise RuntimeError(f"duplicate key (id_number)=({NUMBER}) for phone {PHONE}")
    except RuntimeError as exc:
        error = _error(exc, str(exc))
    client = _error(ValueError(f"bad phone {PHONE}"), f"Variable '$p' got invalid value '{PHONE}'")
    with caplog.at_level(logging.DEBUG):
        log_errors(logging.getLogger("t"), [error, client], document=DOCUMENT, variables={"p": PHONE},
                   operation="Register", correlation=correlation)
    assert is_internal(error) and not is_internal(client)
    assert error.message == internal_message(correlation)  # what HTTP and WebSocket show
    assert client.message.startswith("Variable")  # a client's mistake is shown as it is
    levels = {r.levelno for r in caplog.records}
    assert levels == {logging.ERROR, logging.DEBUG}
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in text and str(correlation) in text and "path registerMember" in text
    for secret in (NUMBER, NUMBER[:14], PHONE, PHONE[:7]):
        assert secret not in text
    assert all(r.exc_info is None for r in caplog.records)  # no raw traceback beside the scrubbed one

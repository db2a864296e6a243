"""No ID number or phone reaches the server log when an operation fails inside the server.

Before, strawberry logged an internal error as ``str(GraphQLError)``: its message and the
document's line around it, so a ``registerMember`` with inline literals put the member's
ID number and phone into the log (and the exception's text followed in the traceback).
Here the operation really fails (the read model its payload needs is gone), with the
personal values inline and as variables; every log record is checked, at DEBUG.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from api import bootstrap
from api.areas import PROJECTIONS
from api.config import IntegritySettings, Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.organizations.directory import AggregateDirectory
from domain.shared.permissions import Actor, Role
from eventstore.postgres import PostgresEventStore
from projections.runtime.supervisor import Supervisor
from tests.integration.support import build_world, commands, id_number

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ADMIN = Actor(subject="admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
SETTINGS = Settings(integrity=IntegritySettings(signing_key="11" * 32), read_your_writes_timeout=0.05)
GENERIC = re.compile(r"internal error \(correlation id [0-9a-f-]{36}\)")


async def _run(dsn: str, pool: asyncpg.Pool, query: str, variables: dict[str, object] | None = None) -> object:
    supervisor = Supervisor(dsn, pool, PROJECTIONS)  # not started: nothing catches up
    handling = bootstrap.handling(SETTINGS, pool, lambda: NOW, AggregateDirectory(PostgresEventStore(pool)))
    context = Context(actor=ADMIN, pool=pool, commands=handling,
                      supervisor=supervisor, settings=SETTINGS, correlation_id=uuid.uuid4(),
                      loaders=Loaders(pool), clock=lambda: NOW)
    return await schema.execute(query, variable_values=variables, context_value=context)


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    handler = logging.Formatter()
    return "\n".join(handler.format(r) for r in caplog.records)


@pytest.mark.parametrize("inline", [True, False])
async def test_an_internal_error_logs_neither_id_numbers_nor_phones(
    dsn: str, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture, inline: bool,
) -> None:
    ids = await build_world(commands(pool))
    number, phone = id_number("32050819791212003"), "139-8765-4321"
    await pool.execute("ALTER TABLE members RENAME TO members_gone")
    fields = (f'name: "陈静", gender: FEMALE, birthDate: "1979-12-12", ethnicity: "汉族", idNumber: "{number}",'
              f' phone: "{phone}", standing: FULL, joinedOn: "2003-07-01", homeOrganizationId: "{ids["west"]}"')
    selection = "{ __typename ... on MemberPayload { member { id idNumber phone } } }"
    if inline:
        query, variables = f"mutation {{ registerMember(input: {{{fields}}}) {selection} }}", None
    else:
        given = fields.replace(f'"{number}"', "$id").replace(f'"{phone}"', "$p")
        query = f"mutation($id: String!, $p: String) {{ registerMember(input: {{{given}}}) {selection} }}"
        variables = {"id": number, "p": phone}
    with caplog.at_level(logging.DEBUG):
        result = await _run(dsn, pool, query, variables)
    assert result.errors, result.data  # type: ignore[attr-defined]
    (error,) = result.errors  # type: ignore[attr-defined]
    assert GENERIC.fullmatch(error.message), error.message
    text = _logged(caplog)
    assert "internal error [" in text and "UndefinedTableError" in text  # the failure is logged ...
    digits = phone.replace("-", "")
    for secret in (number, number[:14], phone, digits, digits[:7], "8765-4321"):
        assert secret not in text, f"{secret!r} reached the log"  # ... without the personal data
    assert "registerMember(input" not in text  # nor the document

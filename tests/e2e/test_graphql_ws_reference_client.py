"""graphql-transport-ws as its reference client (``graphql-ws`` from npm) speaks it.

``ws-reference/cases.mjs`` drives the real server with ``graphql-ws``'s ``createClient``
(and with raw frames for what that client would never send) and prints what happened;
each test below is one case. The client is vendored in ``ws-reference/node_modules`` (the
versions of ``ws-reference/package-lock.json``; refresh with ``npm ci`` there, by hand): a
test never reaches the npm registry. Without node the tests skip saying why, and fail under
``CI=true``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from domain.shared.permissions import Role
from tests.e2e.conftest import Server
from tests.integration.support import build_world, commands

HERE = Path(__file__).resolve().parent / "ws-reference"
GUARD = 60.0  # a hang guard for the whole node run, not a timing assertion


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the graphql-ws reference client is needed in CI: {why}")
    pytest.skip(f"the graphql-ws reference client is not available: {why}")


@pytest.fixture(scope="session")
def reference_client() -> Path:
    """The fixture folder with ``graphql-ws`` and ``ws`` (vendored: nothing is installed here)."""
    if shutil.which("node") is None:
        _unavailable("node is not on PATH")
    if not (HERE / "node_modules" / "graphql-ws" / "package.json").exists():
        _unavailable("tests/e2e/ws-reference/node_modules is missing (run `npm ci` there)")
    return HERE


@pytest.fixture
async def results(reference_client: Path, server: Server, pool: asyncpg.Pool) -> dict[str, Any]:
    await build_world(commands(pool))
    url = server.url.replace("http://", "ws://") + "/graphql"
    token = server.token(Role.DISTRICT_ADMIN, subject="integration")
    process = await asyncio.create_subprocess_exec(
        "node", str(reference_client / "cases.mjs"), url, token, cwd=reference_client,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), GUARD)
    assert process.returncode == 0, err.decode()
    return json.loads(out)  # type: ignore[no-any-return]


async def test_the_reference_client_gets_what_the_protocol_prescribes(results: dict[str, Any]) -> None:
    # A syntax error: an error message for the operation (the client's error callback), no close.
    syntax = results["syntaxError"]
    assert "Syntax Error" in syntax["error"][0]["message"] and all(c["code"] == 1000 for c in syntax["closed"]), syntax

    # An unknown operationName: an error for that operation only; the socket goes on.
    unknown = results["unknownOperationName"]
    assert unknown["unknown"]["error"] == [{"message": 'Unknown operation named "Nope".',
                                            "extensions": {"code": "BAD_INPUT"}}], unknown
    assert unknown["after"]["next"] == [{"data": {"me": {"name": "Integration"}},
                                         "extensions": unknown["after"]["next"][0]["extensions"]}], unknown
    assert unknown["closed"] == [], unknown

    # connection_init with payload null (the token in the handshake's header) is accepted.
    for case in ("nullInitPayload", "noInitPayload"):
        found = results[case]
        assert [m["type"] for m in found["messages"]] == ["connection_ack", "next", "complete"], (case, found)
        assert found["messages"][1]["payload"]["data"] == {"me": {"name": "Integration"}}, (case, found)
        assert found["close"]["code"] == 1000, (case, found)

    # JSON that is not an object closes with 4400 and a reason.
    for kind in ("array", "string", "number", "null"):
        found = results[f"notAnObject_{kind}"]
        assert found["close"] == {"code": 4400, "reason": "a message must be a JSON object"}, (kind, found)

    # A non-string query or non-object variables: an error for that id, typed; the socket goes on.
    messages = results["badPayloadFields"]["messages"]
    errors = {m["id"]: m["payload"] for m in messages if m["type"] == "error"}
    assert errors == {
        "q": [{"message": "subscribe needs a payload with the query as a string", "extensions": {"code": "BAD_INPUT"}}],
        "v": [{"message": "the variables of subscribe must be an object", "extensions": {"code": "BAD_INPUT"}}],
        "s": [{"message": "the variables of subscribe must be an object", "extensions": {"code": "BAD_INPUT"}}],
    }, messages
    assert [m["type"] for m in messages if m.get("id") == "ok"] == ["next", "complete"], messages
    assert "Traceback" not in json.dumps(messages) and "object has no attribute" not in json.dumps(messages)

    # Numeric or empty ids: closed as the reference server does (4400, "Invalid message received").
    for kind in ("numeric", "empty"):
        found = results[f"id_{kind}"]
        assert found["close"]["code"] == 4400, (kind, found)
        assert found["close"]["reason"].startswith("Invalid message received"), (kind, found)
        assert [m["type"] for m in found["messages"]] == ["connection_ack"], (kind, found)

    # extensions.position of each result is its event's position, not the connection's.
    positions = results["positions"]["next"]
    assert len(positions) == 3, positions
    assert [r["extensions"]["position"] for r in positions] == [r["data"]["events"]["position"] for r in positions]
    assert len({r["extensions"]["position"] for r in positions}) == 3, positions

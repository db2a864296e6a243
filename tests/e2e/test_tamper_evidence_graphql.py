"""An auditor's tool over HTTP: record a checkpoint, then check one event against it with
nothing but GraphQL answers, the public key and RFC 9162's algorithms."""

from __future__ import annotations

import base64
import hashlib
from uuid import uuid4

import asyncpg

from domain.shared.permissions import Role
from eventstore.integrity import merkle
from eventstore.integrity.encoding import (
    load_public_key,
)
from tests.e2e.conftest import Server
from tests.integration.support import append_events, wait_until

CHECKPOINT_FIELDS = "id treeSize rootHash lastPosition keyId publicKey signature signedText origin"
RECORD = f"""mutation {{ recordCheckpoint(input: {{waitForHead: true}}) {{
  __typename ... on CheckpointPayload {{ position checkpoint {{ {CHECKPOINT_FIELDS} }} }}
  ... on Error {{ code message }} }} }}"""
PROOF = f"""query($p: Int!) {{ eventProof(position: $p) {{ position leafIndex canonical leafHash
  auditPath checkpoint {{ {CHECKPOINT_FIELDS} }} }} }}"""


async def test_an_auditor_checks_one_event_against_a_signed_checkpoint(
    server: Server,
    pool: asyncpg.Pool,
) -> None:
    auditor = server.token(Role.AUDITOR, scope=uuid4(), subject="auditor-1")
    # The test events concern no organization: only a whole-system token (a district admin) reads them.
    whole = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    await append_events(pool, 37, batch=10)
    first = (await server.ok(auditor, RECORD))["recordCheckpoint"]
    assert first["__typename"] == "CheckpointPayload"
    assert first["checkpoint"]["treeSize"] == 37
    await append_events(pool, 12)
    second = (await server.ok(auditor, RECORD))["recordCheckpoint"]["checkpoint"]
    assert second["treeSize"] == 49

    key = (await server.ok(auditor, "{ signingKey { keyId publicKey pem } }"))["signingKey"]
    public = load_public_key(key["pem"])
    assert base64.b64decode(second["publicKey"]) == base64.b64decode(key["publicKey"])
    public.verify(base64.b64decode(second["signature"]), second["signedText"].encode())
    assert f"root_hash {second['rootHash']}\n" in second["signedText"]

    position = await pool.fetchval(
        "SELECT position FROM events ORDER BY position OFFSET 20 LIMIT 1"
    )
    proof = (await server.ok(whole, PROOF, {"p": position}))["eventProof"]
    leaf = hashlib.sha256(b"\x00" + proof["canonical"].encode("utf-8")).digest()
    assert leaf.hex() == proof["leafHash"]
    root = merkle.root_from_inclusion(
        proof["leafIndex"],
        proof["checkpoint"]["treeSize"],
        leaf,
        [bytes.fromhex(h) for h in proof["auditPath"]],
    )
    assert root is not None and root.hex() == proof["checkpoint"]["rootHash"] == second["rootHash"]
    forged = hashlib.sha256(b"\x00" + proof["canonical"].replace('"t"', '"u"').encode()).digest()
    assert (
        merkle.root_from_inclusion(
            proof["leafIndex"], 49, forged, [bytes.fromhex(h) for h in proof["auditPath"]]
        )
        != root
    )

    consistency = (
        await server.ok(
            auditor, "{ consistencyProof(fromSize: 37) { fromSize toSize fromRoot toRoot path } }"
        )
    )["consistencyProof"]
    assert consistency["toRoot"] == second["rootHash"]
    assert consistency["fromRoot"] == first["checkpoint"]["rootHash"]
    assert merkle.verify_consistency(
        37,
        49,
        bytes.fromhex(consistency["fromRoot"]),
        bytes.fromhex(consistency["toRoot"]),
        [bytes.fromhex(h) for h in consistency["path"]],
    )

    listed = await server.ok(
        auditor,
        "{ checkpoints(first: 1) { edges { node { treeSize } }"
        " pageInfo { hasNextPage endCursor } } }",
    )
    page = listed["checkpoints"]
    assert [e["node"]["treeSize"] for e in page["edges"]] == [49]
    assert page["pageInfo"]["hasNextPage"] is True
    older = await server.ok(
        auditor,
        "query($a: String) { checkpoints(first: 5, after: $a) {"
        " edges { node { treeSize requestedBy } } } }",
        {"a": page["pageInfo"]["endCursor"]},
    )
    assert older["checkpoints"]["edges"] == [{"node": {"treeSize": 37, "requestedBy": "auditor-1"}}]


async def test_the_server_hashes_in_the_background_and_reports_its_progress(
    server: Server,
    pool: asyncpg.Pool,
) -> None:
    admin = server.token(Role.DISTRICT_ADMIN)
    last = await append_events(pool, 25)
    status = "{ integrityStatus { hashedPosition treeSize logPosition } }"

    async def hashed() -> bool:
        data = await server.ok(admin, status)
        return bool(data["integrityStatus"]["hashedPosition"] >= last)

    await wait_until(hashed, 10, "the background hasher")
    assert (await server.ok(admin, status))["integrityStatus"]["treeSize"] == 25


async def test_others_may_not_checkpoint_and_scoped_readers_see_only_their_streams(
    server: Server,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 5)
    secretary = server.token(Role.COMMUNITY_SECRETARY, scope=uuid4())
    refused = (await server.ok(secretary, RECORD))["recordCheckpoint"]
    assert refused["__typename"] == "NotAuthorized"
    assert (await server.ok(secretary, PROOF, {"p": 1}))["eventProof"] is None
    assert (await server.ok(server.token(Role.DISTRICT_ADMIN), RECORD))["recordCheckpoint"][
        "__typename"
    ] == "CheckpointPayload"
    scoped_auditor = server.token(Role.AUDITOR, scope=uuid4())
    assert (await server.ok(scoped_auditor, PROOF, {"p": 1}))["eventProof"] is None
    assert (await server.ok(server.token(Role.DISTRICT_ADMIN), PROOF, {"p": 1}))["eventProof"] is not None

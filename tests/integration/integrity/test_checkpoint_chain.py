"""Every checkpoint is checked, and consecutive ones are proved consistent (issue 10, item 5).

``verify --stream`` checks every stored checkpoint's signature and the RFC 9162
consistency proof between each consecutive pair; evidence files carry the checkpoints
they rely on with the proofs between them, and the offline verifier checks each. So an
older checkpoint changed, or the history rewritten between two checkpoints (event, leaf
and every node above them rewritten to agree, nothing re-signed: the attacker has no
key), is named by checkpoint id and tree size, not only by whole-log ``verify``.

The log of every test (``three_checkpoints``): streams of 10 events, checkpoint #1 at
tree size 40, #2 at 70, #3 at 90.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.db import connect
from eventstore.integrity import merkle
from eventstore.integrity import store as idb
from eventstore.integrity.encoding import Checkpoint
from eventstore.integrity.evidence import verify_evidence
from eventstore.integrity.verify import VerifyReport, verify_stream
from tests.integration.integrity.test_evidence_export import export
from tests.integration.integrity.test_log_coverage import as_superuser, grassroots
from tests.integration.integrity_support import hash_and_sign
from tests.integration.support import append_events

KEY = Ed25519PrivateKey.generate()


@dataclass
class Log:
    dsn: str
    checkpoints: list[Checkpoint]
    first: UUID  # a stream wholly inside checkpoint #1
    middle: UUID  # a stream between #1 and #2

    async def stream(self, stream: UUID) -> VerifyReport:
        conn = await connect(self.dsn)
        try:
            return await verify_stream(conn, stream, KEY.public_key())
        finally:
            await conn.close()


async def three_checkpoints(dsn: str, pool: asyncpg.Pool) -> Log:
    cps = []
    for n in (40, 30, 20):
        await append_events(pool, n, batch=10)
        cps.append(await hash_and_sign(dsn, KEY))
    assert [c.tree_size for c in cps] == [40, 70, 90]
    at = "SELECT stream_id FROM events ORDER BY position OFFSET $1 LIMIT 1"
    return Log(dsn, cps, await pool.fetchval(at, 5), await pool.fetchval(at, 45))


def name(cp: Checkpoint, size: int | None = None) -> str:
    return f"checkpoint #{cp.id} (tree size {cp.tree_size if size is None else size})"


async def test_stream_verify_checks_every_checkpoint_and_a_clean_log_passes(
    dsn: str, pool: asyncpg.Pool
) -> None:
    log = await three_checkpoints(dsn, pool)
    report = await log.stream(log.middle)
    assert report.ok, report.summary()
    assert (report.checkpoints, report.checkpoints_ok, report.events) == (3, 3, 10)
    evidence = await export(dsn, stream_id=log.middle)
    assert [json.loads(x)["type"] for x in evidence[1:3]] == ["checkpoint", "checkpoint"]
    clean = verify_evidence(evidence, KEY.public_key())
    assert clean.ok, clean.summary()
    assert (clean.checkpoints, clean.checkpoints_ok) == (2, 2)  # #2 sealed it; #3 is the latest


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("tree_size", "tree_size = tree_size + 1"),
        ("root_hash", "root_hash = sha256(root_hash)"),
        ("signature", "signature = sha256(signature) || sha256(signature)"),
    ],
)
async def test_an_older_checkpoint_changed_is_named_by_stream_verify_and_by_evidence(
    dsn: str, pool: asyncpg.Pool, column: str, change: str
) -> None:
    log = await three_checkpoints(dsn, pool)
    old = log.checkpoints[0]
    await as_superuser(dsn, (f"UPDATE checkpoints SET {change} WHERE id = $1", old.id))
    size = old.tree_size + 1 if column == "tree_size" else None
    says = f"{name(old, size)} is not signed by the trusted key"
    report = await log.stream(log.middle)  # the stream itself is fine, and after #1
    assert not report.ok
    assert says in (report.problem or ""), report.summary()
    assert report.checkpoints_ok < 3
    # The evidence of a stream that #1 sealed carries #1, and names it offline.
    evidence = await export(dsn, stream_id=log.first)
    assert json.loads(evidence[1])["checkpoint"]["id"] == old.id
    offline = verify_evidence(evidence, KEY.public_key())
    assert says in (offline.problem or ""), offline.summary()


async def rewrite_history(dsn: str, pool: asyncpg.Pool, position: int) -> None:
    """Change an event and make the recorded tree agree: its leaf and every stored node
    rebuilt from the leaves, as an attacker with the database but not the key would."""
    await as_superuser(
        dsn,
        ("UPDATE events SET payload = '{\"n\": 9000}' WHERE position = $1", position),
        (f"UPDATE event_leaves l SET hash = (SELECT {idb.LEAF_SQL} FROM events e"
         " WHERE e.position = l.position) WHERE l.position = $1", position),
    )
    leaves = [bytes(r[0]) for r in await pool.fetch(
        "SELECT hash FROM event_leaves ORDER BY leaf_index")]
    tree, nodes = merkle.CompactRange(), []
    for leaf in leaves:
        nodes.extend(tree.append(leaf))
    await as_superuser(
        dsn,
        ("DELETE FROM merkle_nodes",),
        ("INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM"
         " unnest($1::smallint[], $2::bigint[], $3::bytea[])",
         [n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]),
    )


async def test_history_rewritten_between_two_checkpoints_is_named_by_that_pair(
    dsn: str, pool: asyncpg.Pool
) -> None:
    log = await three_checkpoints(dsn, pool)
    first, second, _ = log.checkpoints
    victim = await pool.fetchval("SELECT position FROM events ORDER BY position OFFSET 55 LIMIT 1")
    await rewrite_history(dsn, pool, victim)
    says = f"{name(second)} is not consistent with {name(first)}: the log between leaves 40 and 69"
    # A stream sealed by #1, untouched: its proofs and #1 hold, the pair #1 -> #2 does not.
    report = await log.stream(log.first)
    assert not report.ok
    assert says in (report.problem or ""), report.summary()
    # The whole log exported after the rewrite carries #1, #2 and #3 and names the pair.
    whole = await export(dsn)
    assert json.loads(whole[0])["checkpoints"] == 3
    offline = verify_evidence(whole, KEY.public_key())
    assert says in (offline.problem or ""), offline.summary()
    assert offline.problems >= 2  # and the events' rebuilt tree no longer matches #2's root


async def test_evidence_file_edits_to_the_checkpoint_chain_are_caught(
    dsn: str, pool: asyncpg.Pool
) -> None:
    log = await three_checkpoints(dsn, pool)
    first, second, third = log.checkpoints
    whole = await export(dsn)
    assert verify_evidence(whole, KEY.public_key()).ok
    header, chain, rest = json.loads(whole[0]), whole[1:4], whole[4:]

    def with_chain(lines: list[str], count: int | None = None) -> list[str]:
        fixed = {**header, "checkpoints": len(lines) if count is None else count}
        return [json.dumps(fixed) + "\n", *lines, *rest]

    # A middle checkpoint removed (and the header's count fixed): #3's proof starts at #2.
    report = verify_evidence(with_chain([chain[0], chain[2]]), KEY.public_key())
    assert f"{name(third)} is proved consistent from tree size 70, not from {name(first)}" \
        in (report.problem or ""), report.summary()
    # Removed without fixing the count.
    report = verify_evidence(with_chain([chain[0], chain[2]], count=3), KEY.public_key())
    assert "the header announces 3 checkpoints but the file holds 2" in (report.problem or "")
    # The oldest removed: #2 carries a proof from a checkpoint that is not there.
    report = verify_evidence(with_chain(chain[1:]), KEY.public_key())
    assert f"{name(second)} carries a consistency proof from tree size 40 but no checkpoint " \
        "comes before it" in (report.problem or "")
    # One hash of a consistency proof changed.
    line = json.loads(chain[1])
    path = line["consistency"]["path"]
    path[0] = ("0" if path[0][0] != "0" else "1") + path[0][1:]
    report = verify_evidence(with_chain([chain[0], json.dumps(line) + "\n", chain[2]]),
                             KEY.public_key())
    assert f"{name(second)} is not consistent with {name(first)}" in (report.problem or "")
    # An older checkpoint's signed tree size edited in the file.
    line = json.loads(chain[0])
    line["checkpoint"]["treeSize"] = 39
    report = verify_evidence(with_chain([json.dumps(line) + "\n", *chain[1:]]), KEY.public_key())
    assert f"checkpoint #{first.id} (tree size 39) is not signed by the trusted key" \
        in (report.problem or "")


async def test_verify_stream_on_the_command_line_names_the_checkpoint(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    log = await three_checkpoints(dsn, pool)
    old = log.checkpoints[1]
    await as_superuser(dsn, ("UPDATE checkpoints SET signature = sha256(signature)"
                             " || sha256(signature) WHERE id = $1", old.id))
    env = {"DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(tmp_path),
           "GRASSROOTS_SIGNING_KEY": base64.b64encode(KEY.private_bytes_raw()).decode()}
    code, out, err = await grassroots(env, "verify", "--stream", str(log.first))
    assert code == 1, out + err
    assert out.startswith(f"mismatch: {name(old)} is not signed by the trusted key"), out

"""The auditor's witness on the command line: ``grassroots checkpoint`` publishes to the
configured witnesses, ``grassroots witness publish`` catches one up, and ``grassroots
verify --witness DIR`` names a checkpoint deleted from the database (exit 1)."""

from __future__ import annotations

import base64
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.integrity import store as idb
from eventstore.integrity.encoding import public_key_pem, timestamp_text
from tests.integration.integrity.test_verify_cli import grassroots
from tests.integration.support import append_events


async def test_verify_with_a_witness_directory_names_the_checkpoint_deleted_from_the_database(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    key = Ed25519PrivateKey.generate()
    share = tmp_path / "auditor-share"
    share.mkdir()
    (tmp_path / "district.pem").write_text(public_key_pem(key.public_key()))
    alone = {"DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(tmp_path),
             "GRASSROOTS_SIGNING_KEY": base64.b64encode(key.private_bytes_raw()).decode()}
    witnessed = {**alone, "GRASSROOTS_WITNESSES": f"dir:{share}"}

    await append_events(pool, 20)
    code, _, err = await grassroots(witnessed, "checkpoint")
    assert code == 0, err
    assert f"witness dir:{share}: 1 checkpoint(s) published" in err
    await append_events(pool, 10)
    code, _, err = await grassroots(alone, "checkpoint")  # no witness configured: only in the database
    assert code == 0, err
    assert len(list(share.iterdir())) == 1
    code, _, err = await grassroots(witnessed, "witness", "publish")
    assert (code, f"witness dir:{share}: 1 checkpoint(s) published" in err) == (0, True), err
    assert len(list(share.iterdir())) == 2

    code, out, err = await grassroots(alone, "verify", "--public-key", str(tmp_path / "district.pem"),
                                      "--witness", str(share))
    assert code == 0, out + err
    assert out.splitlines()[1] == (f"witness dir:{share}: clean: 2 witnessed checkpoint(s), 2 equal to"
                                   " the database's, the database's latest (tree size 30) extends all of them")

    latest = await idb.latest_checkpoint(pool)
    assert latest is not None
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute("ALTER TABLE checkpoints DISABLE TRIGGER USER")
        await admin.execute("DELETE FROM checkpoints WHERE id = $1", latest.id)
    finally:
        await admin.close()
    code, out, err = await grassroots(alone, "verify", "--public-key", str(tmp_path / "district.pem"),
                                      "--witness", f"dir:{share}")
    assert code == 1, out + err
    database, witness = out.splitlines()[:2]
    assert database.startswith("clean: ") and "1 of 1 checkpoints match" in database  # the database alone
    assert witness.startswith(
        f"witness dir:{share}: checkpoint #{latest.id} (tree size 30, signed at"
        f" {timestamp_text(latest.signed_at)}) is on the witness but not in the database: it was deleted")

    code, _, err = await grassroots(alone, "verify", "--witness", "ftp://auditor.example/checkpoints")
    assert code == 2 and "bad --witness" in err

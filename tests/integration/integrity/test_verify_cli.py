"""The auditor's walk-through on the command line: checkpoint, verify clean, tamper, verify
names the position; exit codes 0 (clean), 1 (mismatch), 2 (bad usage)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.db import connect
from eventstore.integrity.encoding import (
    public_key_pem,
    raw_public_key,
)
from eventstore.integrity.evidence import write_evidence
from tests.integration.integrity_support import positions
from tests.integration.support import append_events

ROOT = Path(__file__).resolve().parents[3]


async def grassroots(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli.main",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_an_auditor_verifies_clean_then_finds_the_tampered_row(
    dsn: str,
    pool: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes_raw()
    env = {
        "DATABASE_URL": dsn,
        "GRASSROOTS_DATA_DIR": str(tmp_path),
        "GRASSROOTS_SIGNING_KEY": base64.b64encode(seed).decode(),
    }
    await append_events(pool, 150, batch=50)

    code, out, err = await grassroots(env, "checkpoint")
    assert code == 0, err
    assert json.loads(out)["treeSize"] == 150
    code, out, err = await grassroots(env, "verify")
    assert (code, out.startswith("clean: 150 events verified")) == (0, True), out + err

    victim = (await positions(pool))[77]
    stream = await pool.fetchval("SELECT stream_id FROM events WHERE position = $1", victim)
    (tmp_path / "key.pem").write_text(public_key_pem(key.public_key()))
    evidence = tmp_path / "fund.jsonl"
    conn = await connect(dsn)
    try:
        with evidence.open("w", encoding="utf-8") as f:
            await write_evidence(conn, None, f.write, stream_id=stream)  # type: ignore[arg-type]
    finally:
        await conn.close()

    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await admin.execute("UPDATE events SET payload = '{\"n\": -1}' WHERE position = $1", victim)
    finally:
        await admin.close()
    code, out, _ = await grassroots(env, "verify")
    assert code == 1
    assert f"first mismatch at position {victim}" in out
    code, out, _ = await grassroots(env, "verify", "--stream", str(stream), "--engine", "python")
    assert code == 1
    assert f"first mismatch at position {victim}" in out

    # Offline, pinned to the public key the auditor got from the district beforehand.
    offline = {"GRASSROOTS_DATA_DIR": str(tmp_path / "elsewhere")}
    code, out, err = await grassroots(
        offline, "verify", "--export", str(evidence), "--public-key", str(tmp_path / "key.pem")
    )
    assert code == 0, out + err
    lines = evidence.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace('"actor": "t"', '"actor": "x"')
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("".join(lines), encoding="utf-8")
    code, out, _ = await grassroots(
        offline,
        "verify",
        "--export",
        str(tampered),
        "--public-key",
        base64.b64encode(raw_public_key(key.public_key())).decode(),
    )
    assert code == 1
    assert f"first mismatch at position {json.loads(lines[5])['position']}" in out
    other = base64.b64encode(raw_public_key(Ed25519PrivateKey.generate().public_key())).decode()
    code, out, _ = await grassroots(
        offline, "verify", "--export", str(evidence), "--public-key", other
    )
    assert code == 1
    assert "is not signed by the trusted key" in out


async def test_bad_usage_exits_with_2(tmp_path: Path) -> None:
    env = {"GRASSROOTS_DATA_DIR": str(tmp_path)}
    code, _, err = await grassroots(
        env, "verify", "--export", str(tmp_path / "x.jsonl"), "--public-key", "not a key"
    )
    assert code == 2
    assert "bad public key" in err
    code, _, _ = await grassroots(
        {**env, "GRASSROOTS_ENV": "production", "GRASSROOTS_JWT_SECRET": "s" * 40}, "checkpoint"
    )
    assert code == 2

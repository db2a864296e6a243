"""Checkpoints are Ed25519-signed over a fixed text; keys come from configuration."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.config import ConfigError, IntegritySettings, Settings
from api.signing import KEY_FILE, configured_public_key, signing_key
from eventstore.integrity.encoding import (
    Checkpoint,
    key_id,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    raw_public_key,
    sign_checkpoint,
)

ROOT = bytes(range(32))
AT = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)


def test_a_checkpoint_signs_its_documented_text() -> None:
    key = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
    cp = sign_checkpoint(key, 1234, ROOT, 1240, AT)
    kid = key_id(raw_public_key(key.public_key()))
    assert cp.text == (
        "grassroots-ledger checkpoint v1\ntree_size 1234\n"
        f"root_hash {ROOT.hex()}\nlast_position 1240\n"
        f"signed_at 2026-03-01T08:00:00.123456Z\nkey_id {kid}\n"
    )
    key.public_key().verify(cp.signature, cp.text.encode())
    assert cp.signed_by(key.public_key())


def test_a_changed_field_or_another_key_fails_the_signature() -> None:
    key = Ed25519PrivateKey.generate()
    cp = sign_checkpoint(key, 10, ROOT, 12, AT)
    assert not dataclasses.replace(cp, tree_size=11).signed_by(key.public_key())
    assert not dataclasses.replace(cp, root_hash=b"\x00" * 32).signed_by(key.public_key())
    assert not cp.signed_by(Ed25519PrivateKey.generate().public_key())


def test_a_checkpoint_survives_its_json_form() -> None:
    key = Ed25519PrivateKey.generate()
    cp = sign_checkpoint(key, 7, ROOT, 9, AT)
    again = Checkpoint.from_json(cp.to_json())
    assert again.text == cp.text
    assert again.signed_by(key.public_key())


def test_keys_load_from_pem_base64_and_hex() -> None:
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes_raw()
    public = raw_public_key(key.public_key())
    for text in (private_key_pem(key), base64.b64encode(seed).decode(), seed.hex()):
        assert raw_public_key(load_private_key(text).public_key()) == public
    for text in (public_key_pem(key.public_key()), base64.b64encode(public).decode(), public.hex()):
        assert raw_public_key(load_public_key(text)) == public
    with pytest.raises(ValueError):
        load_public_key("too short")


def test_development_generates_one_key_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "a")
    assert configured_public_key(settings) is None
    first = signing_key(settings)
    assert (tmp_path / "a" / KEY_FILE).stat().st_mode & 0o777 == 0o600
    again = signing_key(Settings(data_dir=tmp_path / "a", log_level="DEBUG"))
    assert raw_public_key(first.public_key()) == raw_public_key(again.public_key())
    assert configured_public_key(settings) is not None


def test_production_refuses_to_run_without_a_configured_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GRASSROOTS_SIGNING_KEY"):
        signing_key(Settings(data_dir=tmp_path, environment="production"))
    seed = Ed25519PrivateKey.generate().private_bytes_raw().hex()
    configured = Settings(
        data_dir=tmp_path, environment="production", integrity=IntegritySettings(signing_key=seed)
    )
    assert signing_key(configured).private_bytes_raw().hex() == seed
    with pytest.raises(ConfigError):
        signing_key(Settings(data_dir=tmp_path, integrity=IntegritySettings(signing_key="nope")))


def test_checkpoint_settings_come_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "GRASSROOTS_CHECKPOINT_EVERY": "500",
            "GRASSROOTS_CHECKPOINT_INTERVAL": "2.5",
            "GRASSROOTS_SIGNING_KEY_FILE": "/etc/grassroots/key.pem",
        }
    )
    assert s.integrity == IntegritySettings(signing_key_file=Path("/etc/grassroots/key.pem"),
                                         checkpoint_every=500, checkpoint_interval=2.5)
    assert not Settings.from_env({"GRASSROOTS_HASHER": "0"}).integrity.hasher
    with pytest.raises(ConfigError):
        Settings.from_env({"GRASSROOTS_CHECKPOINT_EVERY": "0"})


def test_an_evidence_file_without_a_signed_checkpoint_proves_nothing() -> None:
    import json

    from eventstore.integrity.evidence import FORMAT, verify_evidence

    lines = [json.dumps({"type": "evidence", "format": FORMAT, "complete": False}),
             json.dumps({"type": "checkpoint", "checkpoint": None}),
             json.dumps({"type": "end", "events": 0})]
    report = verify_evidence(lines, None)
    assert not report.ok
    assert "no signed checkpoint" in report.summary()

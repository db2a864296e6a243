"""Append authenticators, the pure part: the append encoding, keys, ids and verdicts."""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from api.append_keys import KEY_FILE, append_keys, configured_append_keys
from api.config import ConfigError, Settings
from eventstore.integrity.authenticators import (
    AppendKeyError,
    AppendKeys,
    append_digest,
    append_key_id,
)
from eventstore.integrity.encoding import EncodingError, append_text

RAW_A = bytes(range(32))
RAW_B = bytes(range(100, 132))
EVENT = {
    "stream_id": UUID("3c1f5c7e-1d2a-4e0b-9a51-0a6f4f0c2b11"),
    "stream_type": "Fund",
    "version": 7,
    "event_id": UUID("9b3e6a0d-8f61-4c2e-b0a7-52d1c7e3f9a4"),
    "event_type": "Fund.PaymentRecorded",
    "schema_version": 2,
    "payload": {"payee": "苏州平江服务有限公司", "amount": Decimal("1200.10"), "lines": [1, 2.5]},
    "actor": "finance-3",
    "actor_roles": ("finance_officer",),
    "correlation_id": UUID("0d6f3a52-7c1b-4a8e-9f20-3b5c6d7e8f90"),
    "causation_id": None,
    "command_id": "cmd-77",
    "reason": "按季度报销",
}


def test_the_append_encoding_covers_what_the_application_supplies_in_jsonb_form() -> None:
    assert append_text(EVENT) == (
        '["grassroots-append", 1, "3c1f5c7e-1d2a-4e0b-9a51-0a6f4f0c2b11", "Fund", 7,'
        ' "9b3e6a0d-8f61-4c2e-b0a7-52d1c7e3f9a4", "Fund.PaymentRecorded", 2,'
        ' {"lines": [1, 2.5], "payee": "苏州平江服务有限公司", "amount": 1200.10},'
        ' "finance-3", ["finance_officer"], "0d6f3a52-7c1b-4a8e-9f20-3b5c6d7e8f90", null,'
        ' "cmd-77", "按季度报销"]'
    )


def test_every_supplied_column_changes_the_digest() -> None:
    base = append_digest(append_text(EVENT))
    changes = {
        "stream_id": UUID(int=1), "stream_type": "Member", "version": 8, "event_id": UUID(int=2),
        "event_type": "Fund.Allocated", "schema_version": 1, "payload": {"amount": "1200.10"},
        "actor": "finance-4", "actor_roles": ("auditor",), "correlation_id": None,
        "causation_id": UUID(int=3), "command_id": None, "reason": "另一个原因",
    }
    for column, value in changes.items():
        assert append_digest(append_text({**EVENT, column: value})) != base, column


def test_a_value_jsonb_cannot_hold_is_an_encoding_error() -> None:
    with pytest.raises(EncodingError):
        append_text({**EVENT, "payload": {1: "a key that is not text"}})
    with pytest.raises(EncodingError):
        append_digest(append_text({**EVENT, "reason": "\ud800"}))


def test_the_first_key_signs_and_every_listed_key_verifies() -> None:
    digest = append_digest(append_text(EVENT))
    old, rotated = AppendKeys([RAW_A]), AppendKeys([RAW_B, RAW_A])
    assert rotated.signing_key_id == append_key_id(RAW_B) != old.signing_key_id
    assert rotated.key_ids == (append_key_id(RAW_B), append_key_id(RAW_A))
    assert rotated.problem(digest, old.signing_key_id, old.sign(digest)) is None
    assert old.problem(digest, rotated.signing_key_id, rotated.sign(digest)) is not None
    assert rotated.sign(digest) == hmac.new(RAW_B, digest, hashlib.sha256).digest()


def test_each_kind_of_bad_authenticator_says_why() -> None:
    keys = AppendKeys([RAW_A])
    digest = append_digest(append_text(EVENT))
    other = append_digest(append_text({**EVENT, "version": 8}))
    assert "carries no append authenticator" in (keys.problem(digest, None, None) or "")
    foreign = AppendKeys([RAW_B])
    assert f"key {foreign.signing_key_id}, which is not one of the configured" in (
        keys.problem(digest, foreign.signing_key_id, foreign.sign(digest)) or ""
    )
    copied = keys.problem(other, keys.signing_key_id, keys.sign(digest))
    assert "copied from another event" in (copied or "")
    assert keys.problem(None, keys.signing_key_id, keys.sign(digest)) is not None


def test_a_key_id_names_a_key_without_revealing_it() -> None:
    kid = append_key_id(RAW_A)
    assert len(kid) == 16 and kid != RAW_A[:8].hex() and kid != hashlib.sha256(RAW_A).hexdigest()[:16]
    assert append_key_id(RAW_A) == kid != append_key_id(RAW_B)


def test_keys_are_read_as_hex_or_base64_and_short_ones_are_refused() -> None:
    text = f"{base64.b64encode(RAW_B).decode()},\n{RAW_A.hex()}"
    assert AppendKeys.parse(text).key_ids == (append_key_id(RAW_B), append_key_id(RAW_A))
    assert AppendKeys.parse(base64.urlsafe_b64encode(RAW_A).decode().rstrip("=")).key_ids == (
        append_key_id(RAW_A),
    )
    assert len(base64.urlsafe_b64decode(AppendKeys.new_key())) == 32
    for bad in ("", "short", base64.b64encode(b"x" * 16).decode()):
        with pytest.raises(AppendKeyError):
            AppendKeys.parse(bad)


def test_development_generates_a_key_into_the_data_dir_and_production_needs_one(
    tmp_path: Path,
) -> None:
    def settings(**env: str) -> Settings:  # this test's variables only, not the session's key
        return Settings.from_env({"GRASSROOTS_DATA_DIR": str(tmp_path / "a"), **env})

    assert configured_append_keys(settings()) is None  # verify never makes one
    made = append_keys(settings())
    assert (tmp_path / "a" / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert append_keys(settings(GRASSROOTS_LOG_LEVEL="DEBUG")).key_ids == made.key_ids
    assert configured_append_keys(settings()) is not None
    production = {"GRASSROOTS_DATA_DIR": str(tmp_path / "b"), "GRASSROOTS_ENV": "production"}
    with pytest.raises(ConfigError, match="GRASSROOTS_APPEND_KEY"):
        append_keys(Settings.from_env(production))
    given = Settings.from_env({**production, "GRASSROOTS_APPEND_KEY": RAW_A.hex()})
    assert append_keys(given).key_ids == (append_key_id(RAW_A),)
    (tmp_path / "keys").write_text(f"{RAW_B.hex()}\n{RAW_A.hex()}\n")
    from_file = Settings.from_env({**production, "GRASSROOTS_APPEND_KEY_FILE": str(tmp_path / "keys")})
    assert append_keys(from_file).key_ids == (append_key_id(RAW_B), append_key_id(RAW_A))
    with pytest.raises(ConfigError, match="append key"):
        append_keys(settings(GRASSROOTS_APPEND_KEY="nope"))

"""Sealing and opening personal data (crypto-shredding), and where its key comes from.

No database: ``PersonalKeys`` and the key state a log row carries, as
``KEYS_COLUMN`` reads it; the configured key-encryption key (``api.keys``).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from typer.testing import CliRunner

from api.areas import DOMAIN_AREAS
from api.cli.main import app as cli
from api.config import ConfigError, Settings
from api.keys import KEY_FILE, personal_keys
from domain.shared.personal import erases, has_personal, map_personal
from domain.shared.ports import NewEvent
from eventstore.personal_keys import (
    ALGORITHM,
    NewKey,
    PersonalDataKeyError,
    PersonalKeys,
    is_sealed,
    open_payload,
)

ID, PHONE = "32050819790412006X", "13912345678"
PAYLOAD = {"name": "李秀英", "id_number": ID, "phone": PHONE, "dues_paid_through": None,
           "contact": {"phone": "0512-6522-1234", "note": "办公室"},
           "others": [{"phone": "13700001111"}, {"phone": None}], "phone_count": 2}


def registered(stream: UUID, payload: dict[str, object] = PAYLOAD, version: int = 1) -> NewEvent:
    return NewEvent(stream_id=stream, stream_type="Member", version=version, event_id=uuid4(),
                    event_type="Member.Registered", schema_version=1, payload=payload)


def state(*keys: NewKey) -> dict[str, object]:
    """The key state a log row is read with, as ``KEYS_COLUMN`` reads it."""
    return {"keys": {str(k.key_id): k.wrapped for k in keys}}


def test_every_personal_value_is_sealed_at_any_depth_and_nothing_else() -> None:
    keys, stream = PersonalKeys.generate(), uuid4()
    (sealed,), (key,) = keys.seal([registered(stream)])
    p = sealed.payload
    stored = json.dumps(p, ensure_ascii=False)
    for plain in (ID, PHONE, "6522", "13700001111"):
        assert plain not in stored
    for value in (p["id_number"], p["phone"], p["contact"]["phone"], p["others"][0]["phone"]):
        assert is_sealed(value) and value["alg"] == ALGORITHM and value["kid"] == str(key.key_id)
    # Not personal, or nothing to hide: kept as it was.
    assert (p["name"], p["contact"]["note"], p["others"][1], p["phone_count"]) == (
        "李秀英", "办公室", {"phone": None}, 2)
    assert key.subject_id == stream and key.wrapped.encode() not in stored.encode()
    assert open_payload(p, stream, state(key), keys) == PAYLOAD


def test_each_append_draws_a_fresh_key_and_an_event_without_personal_data_none() -> None:
    keys, stream = PersonalKeys.generate(), uuid4()
    plain = NewEvent(stream_id=stream, stream_type="Member", version=2, event_id=uuid4(),
                     event_type="Member.ConvertedToFull", schema_version=1,
                     payload={"converted_on": "2026-01-01", "phone": None})
    first, (k1,) = keys.seal([registered(stream), plain])
    assert first[1] is plain
    second, (k2,) = keys.seal([registered(stream, version=3)])
    assert k1.key_id != k2.key_id
    assert second[0].payload["phone"]["kid"] == str(k2.key_id)
    # Old ciphertexts stay readable with their own key while both exist.
    both = state(k1, k2)
    assert open_payload(first[0].payload, stream, both, keys) == PAYLOAD
    assert open_payload(second[0].payload, stream, both, keys) == PAYLOAD
    assert keys.seal([plain]) == ([plain], [])


def test_destroyed_keys_read_as_null_and_erased_subjects_blank_plaintext_too() -> None:
    keys, stream = PersonalKeys.generate(), uuid4()
    (sealed,), (key,) = keys.seal([registered(stream)])
    gone = open_payload(sealed.payload, stream, {"keys": {}}, keys)
    erased = open_payload(sealed.payload, stream, {"erased": True}, keys)
    for p in (gone, erased):
        assert (p["id_number"], p["phone"], p["contact"]["phone"], p["others"][0]["phone"]) == (
            None, None, None, None)
        assert p["name"] == "李秀英" and p["contact"]["note"] == "办公室"
    # A payload written in plaintext before sealing existed reads as it is, until erased.
    assert open_payload(PAYLOAD, stream, None, keys) is PAYLOAD
    assert open_payload(PAYLOAD, stream, state(key), keys) == PAYLOAD
    assert not has_personal(open_payload(PAYLOAD, stream, {"erased": True}, keys))


def test_a_ciphertext_does_not_open_under_another_member_or_field() -> None:
    keys, alice, bob = PersonalKeys.generate(), uuid4(), uuid4()
    (sealed,), (key,) = keys.seal([registered(alice)])
    moved = {**sealed.payload, "phone": sealed.payload["id_number"]}
    with pytest.raises(PersonalDataKeyError):
        open_payload(moved, alice, state(key), keys)
    with pytest.raises(PersonalDataKeyError):
        open_payload(sealed.payload, bob, state(key), keys)


def test_the_key_encryption_key_rotates_and_a_wrong_one_fails_loudly() -> None:
    old, new = PersonalKeys.new_kek(), PersonalKeys.new_kek()
    stream = uuid4()
    (sealed,), (key,) = PersonalKeys([old]).seal([registered(stream)])
    rotating = PersonalKeys([new, old])
    assert open_payload(sealed.payload, stream, state(key), rotating) == PAYLOAD
    rewrapped = NewKey(key.key_id, stream, rotating.rewrapped(key.wrapped))
    assert open_payload(sealed.payload, stream, state(rewrapped), PersonalKeys([new])) == PAYLOAD
    with pytest.raises(PersonalDataKeyError, match="GRASSROOTS_PERSONAL_DATA_KEY"):
        open_payload(sealed.payload, stream, state(key), PersonalKeys([new]))
    with pytest.raises(ValueError, match="Fernet"):
        PersonalKeys(["not a key"])


def test_map_personal_hands_over_whole_values_and_the_members_erasure_is_declared() -> None:
    seen: list[tuple[str, object]] = []
    out = map_personal({"a": [{"phone": ["1", "2"]}], "id_number": {"x": 1}},
                       lambda k, v: seen.append((k, v)) or "sealed")
    assert out == {"a": [{"phone": "sealed"}], "id_number": "sealed"}
    assert seen == [("phone", ["1", "2"]), ("id_number", {"x": 1})]
    assert erases("Member.PersonalDataErased") and not erases("Member.DetailsCorrected")
    assert not erases("Fund.Allocated")


# -- the key-encryption key from configuration ------------------------------------------


def test_development_generates_a_key_into_the_data_dir_once(tmp_path: Path) -> None:
    settings = Settings.from_env({"GRASSROOTS_DATA_DIR": str(tmp_path / "a")})
    keys = personal_keys(settings)
    path = tmp_path / "a" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = personal_keys(Settings.from_env({"GRASSROOTS_DATA_DIR": str(tmp_path / "a")}))
    (sealed,), (key,) = keys.seal([registered(stream := uuid4())])
    assert open_payload(sealed.payload, stream, state(key), again) == PAYLOAD
    elsewhere = personal_keys(Settings.from_env({"GRASSROOTS_DATA_DIR": str(tmp_path / "b")}))
    with pytest.raises(PersonalDataKeyError):
        open_payload(sealed.payload, stream, state(key), elsewhere)


def test_production_refuses_to_start_without_a_key_and_takes_one_or_a_file(tmp_path: Path) -> None:
    production = {"GRASSROOTS_ENV": "production", "GRASSROOTS_DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="GRASSROOTS_PERSONAL_DATA_KEY"):
        personal_keys(Settings.from_env(production))
    assert not (tmp_path / KEY_FILE).exists()
    old, new = PersonalKeys.new_kek(), PersonalKeys.new_kek()
    (sealed,), (key,) = PersonalKeys([old]).seal([registered(stream := uuid4())])
    given = personal_keys(Settings.from_env({**production, "GRASSROOTS_PERSONAL_DATA_KEY": f"{new},{old}"}))
    assert open_payload(sealed.payload, stream, state(key), given) == PAYLOAD
    file = tmp_path / "kek"
    file.write_text(f"{new}\n{old}\n")
    from_file = personal_keys(Settings.from_env({**production,
                                                 "GRASSROOTS_PERSONAL_DATA_KEY_FILE": str(file)}))
    assert open_payload(sealed.payload, stream, state(key), from_file) == PAYLOAD
    with pytest.raises(ConfigError, match="personal-data key") as bad:
        personal_keys(Settings.from_env({**production, "GRASSROOTS_PERSONAL_DATA_KEY": "short"}))
    assert "short" not in str(bad.value)


def test_grassroots_serve_in_production_refuses_to_start_without_it(tmp_path: Path) -> None:
    env = {"GRASSROOTS_ENV": "production", "GRASSROOTS_DATA_DIR": str(tmp_path),
           "GRASSROOTS_JWT_SECRET": "s" * 32, "GRASSROOTS_SIGNING_KEY": "11" * 32,
           "GRASSROOTS_PERSONAL_DATA_KEY": None, "DATABASE_URL": "postgresql://127.0.0.1:9/none"}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 2, result.output
    assert "GRASSROOTS_PERSONAL_DATA_KEY" in result.output
    assert list(tmp_path.iterdir()) == []  # nothing generated in production


def test_only_a_members_a_complainants_and_a_residents_erasure_erase_and_fund_data_never() -> None:
    types = {cls.__qualname__ for a in DOMAIN_AREAS for agg in a.aggregates for cls in vars(agg).values()
             if isinstance(cls, type) and cls.__qualname__.startswith(agg.__name__ + ".")}
    assert {t for t in types if erases(t)} == {"Member.PersonalDataErased", "ShopComplainant.PersonalDataErased",
                                              "RequestContact.PersonalDataErased"}
    assert any(t.startswith("Fund.") for t in types)

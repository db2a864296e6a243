"""``GRASSROOTS_WITNESSES`` and ``verify --witness`` name witnesses one way, checked at
start-up; names (status, metrics, progress rows) never carry credentials."""

from __future__ import annotations

import pytest

from api.config import ConfigError, Settings
from eventstore.integrity.witness_targets import WitnessTarget, parse_target


def test_each_kind_of_target_is_parsed_and_named_without_credentials() -> None:
    assert parse_target("dir:/srv/auditor/witness") == WitnessTarget(
        "dir", "/srv/auditor/witness", "dir:/srv/auditor/witness")
    assert parse_target("/srv/auditor/witness/").name == "dir:/srv/auditor/witness"
    assert parse_target("nats://relay:s3cret@10.8.0.5:4333/AUDIT") == WitnessTarget(
        "nats", "nats://relay:s3cret@10.8.0.5:4333", "nats://10.8.0.5:4333/AUDIT/AUDIT.checkpoints",
        "AUDIT", "AUDIT.checkpoints")
    assert parse_target("nats://witness.example/AUDIT/district.checkpoints").subject == "district.checkpoints"
    https = parse_target("https://notary.example/ledger/checkpoints?token=abc")
    assert (https.kind, https.address, https.name) == (
        "http", "https://notary.example/ledger/checkpoints?token=abc", "https://notary.example/ledger/checkpoints?…")


@pytest.mark.parametrize(("target", "why"), [
    ("ftp://notary.example/x", "use dir:/path, nats://host:port/STREAM or an http(s) URL"),
    ("https://user:pw@notary.example/x", "put no credentials in a witness URL"),
    ("nats://relay:s3cret@10.8.0.5:4222", "expected nats://host:port/STREAM"),
    ("nats://relay:s3cret@10.8.0.5:4222/AU.DIT", "a stream name has 1-64 letters"),
    ("nats://10.8.0.5/AUDIT/checkpoints.>", "the subject must be literal tokens"),
    ("  ", "a witness target is empty"),
])
def test_a_malformed_target_is_refused_by_the_configuration_saying_why(target: str, why: str) -> None:
    with pytest.raises(ValueError) as parsed:
        parse_target(target)
    assert why in str(parsed.value)
    if target.strip():  # (an empty entry of the list is simply left out)
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"GRASSROOTS_WITNESSES": f"dir:/srv/a,{target}"})
        assert why in str(caught.value) and str(caught.value).startswith("GRASSROOTS_WITNESSES: ")
        assert "s3cret" not in str(caught.value)


def test_witnesses_are_a_comma_separated_list_without_repeats() -> None:
    given = Settings.from_env({"GRASSROOTS_WITNESSES": "dir:/srv/a, nats://127.0.0.1:4222/AUDIT"})
    assert given.integrity.witnesses == ("dir:/srv/a", "nats://127.0.0.1:4222/AUDIT")
    with pytest.raises(ConfigError, match="GRASSROOTS_WITNESSES: a witness is listed twice"):
        Settings.from_env({"GRASSROOTS_WITNESSES": "dir:/srv/a,/srv/a/"})


def test_production_refuses_private_http_witness_addresses_unless_allowed() -> None:
    assert Settings.from_env({}).integrity.witness_allow_private
    production = {"GRASSROOTS_ENV": "production"}
    assert not Settings.from_env(production).integrity.witness_allow_private
    allowed = {**production, "GRASSROOTS_WITNESS_ALLOW_PRIVATE": "1"}
    assert Settings.from_env(allowed).integrity.witness_allow_private

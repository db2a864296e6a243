"""A token's scope fails closed: only a district admin may be whole-system, and only by
having no ``org`` claim at all; any other ``org`` that is not a UUID string is refused,
never read as "no scope". ``mint`` and ``grassroots token`` make no other tokens."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import jwt
import pytest
from typer.testing import CliRunner

from api.auth import ALGORITHM, AUDIENCE, ISSUER, InvalidToken, authenticate, mint, verify
from api.cli.main import app
from domain.shared.permissions import Role

SECRET = "unit-secret-" + "y" * 40
ORG = UUID("5b7c3a0e-2f4d-4c1a-9e8b-6d2f1a3c4e5f")
"""A fixed id: the parameters' ids below show it, and they must be the same in every
collection (pytest-xdist's workers each collect the suite and compare)."""

MALFORMED_ORGS: list[Any] = [
    "", 0, False, [], None, {}, 0.0, True, 1, 12.5, [str(ORG)], {"id": str(ORG)},
    "not-a-uuid", "district", " ", f" {ORG}", f"{{{ORG}}}", f"urn:uuid:{ORG}", ORG.hex,
    str(ORG)[:-1], str(ORG) + "0",
]
"""Falsy values, non-strings, and strings that are not an organization id (a UUID in its
canonical form: no braces, ``urn:uuid:``, bare hex or surrounding spaces)."""


def token(**claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "probe", "name": "Probe", "iat": now,
            "exp": now + 600, **claims}
    return jwt.encode(body, SECRET, algorithm=ALGORITHM)


@pytest.mark.parametrize("org", MALFORMED_ORGS, ids=repr)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_a_malformed_org_claim_is_refused_for_every_role(role: Role, org: Any) -> None:
    with pytest.raises(InvalidToken, match="org must be an organization id"):
        verify(SECRET, token(roles=[role.value], org=org))


@pytest.mark.parametrize("roles", [
    [Role.STREET_ADMIN], [Role.COMMUNITY_SECRETARY], [Role.FINANCE_OFFICER], [Role.AUDITOR],
    [Role.INTEGRATION], [], [Role.DISTRICT_ADMIN, Role.AUDITOR],
    [Role.DISTRICT_ADMIN, Role.COMMUNITY_SECRETARY],
], ids=lambda rs: "+".join(r.value for r in rs) or "no-role")
def test_without_an_org_claim_only_a_district_admin_is_accepted(roles: list[Role]) -> None:
    with pytest.raises(InvalidToken, match="only a district_admin token may omit org"):
        verify(SECRET, token(roles=[r.value for r in roles]))


def test_a_district_admin_without_an_org_claim_is_whole_system_and_with_one_is_scoped() -> None:
    assert verify(SECRET, token(roles=["district_admin"])).scope is None
    scoped = verify(SECRET, token(roles=["district_admin"], org=str(ORG).upper()))
    assert scoped.scope == ORG
    secretary = verify(SECRET, token(roles=["community_secretary", "finance_officer"], org=str(ORG)))
    assert secretary.scope == ORG
    assert secretary.roles == {Role.COMMUNITY_SECRETARY, Role.FINANCE_OFFICER}


@pytest.mark.parametrize("claims", [
    {"roles": "district_admin"}, {"roles": None}, {"roles": [1]}, {"roles": [["district_admin"]]},
    {"roles": ["root"]}, {"roles": {"district_admin": True}},
    {"roles": ["district_admin"], "sub": ""}, {"roles": ["district_admin"], "sub": 7},
    {"roles": ["district_admin"], "name": ["x"]},
], ids=repr)
def test_other_malformed_claims_are_invalid_tokens_not_crashes(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken):
        verify(SECRET, token(**claims))


def test_the_header_form_gives_the_actor_and_the_tokens_expiry() -> None:
    minted = mint(SECRET, subject="s-1", name="S", roles=[Role.AUDITOR], scope=ORG, ttl_seconds=90)
    authenticated = authenticate(SECRET, f"Bearer {minted}")
    assert authenticated.actor.scope == ORG and authenticated.actor.subject == "s-1"
    assert authenticated.expires_at == jwt.decode(minted, options={"verify_signature": False})["exp"]
    assert not authenticated.expired() and authenticated.expired(authenticated.expires_at)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.DISTRICT_ADMIN], ids=lambda r: r.value)
def test_mint_refuses_a_whole_system_token_for_any_other_role(role: Role) -> None:
    with pytest.raises(ValueError, match="only a district_admin token may be whole-system"):
        mint(SECRET, subject="s", name="S", roles=[role], scope=None)
    with pytest.raises(ValueError):
        mint(SECRET, subject="s", name="S", roles=[Role.DISTRICT_ADMIN, role], scope=None)
    assert verify(SECRET, mint(SECRET, subject="s", name="S", roles=[role], scope=ORG)).scope == ORG


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> CliRunner:
    monkeypatch.setenv("GRASSROOTS_JWT_SECRET", SECRET)
    monkeypatch.setenv("GRASSROOTS_DATA_DIR", str(tmp_path))
    return CliRunner()


def test_grassroots_token_mints_whole_system_only_for_a_district_admin(cli: CliRunner) -> None:
    admin = cli.invoke(app, ["token", "--role", "district_admin"])
    assert admin.exit_code == 0, admin.output
    assert verify(SECRET, admin.stdout.strip()).scope is None
    secretary = cli.invoke(app, ["token", "--role", "community_secretary", "--org", str(ORG)])
    assert secretary.exit_code == 0, secretary.output
    assert verify(SECRET, secretary.stdout.strip()).scope == ORG


@pytest.mark.parametrize("args", [
    ["--role", "community_secretary"], ["--role", "auditor"], ["--role", "integration"],
    ["--role", "district_admin", "--role", "finance_officer"],
    ["--role", "street_admin", "--org", ""], ["--role", "district_admin", "--org", "not-a-uuid"],
    ["--role", "district_admin", "--org", UUID(int=5).hex],
], ids=" ".join)
def test_grassroots_token_refuses_what_the_server_would_refuse(cli: CliRunner, args: list[str]) -> None:
    result = cli.invoke(app, ["token", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""

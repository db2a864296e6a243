"""A grid scope in a token: a ``grid`` claim beside ``org``, only on grid leaders' and workers'
tokens, only as a UUID string; ``mint`` and ``grassroots token --grid`` make no other."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import jwt
import pytest
from typer.testing import CliRunner

from api.auth import ALGORITHM, AUDIENCE, ISSUER, InvalidToken, mint, verify
from api.cli.main import app
from domain.shared.permissions import Role

SECRET = "grid-unit-secret-" + "g" * 40
# Fixed ids: they appear in parametrize ids, which both pytest-xdist workers must collect alike.
COMMUNITY, GRID = UUID("7d1f0c56-2c1a-4c55-9a53-5b0d1c6f1a01"), UUID("7d1f0c56-2c1a-4c55-9a53-5b0d1c6f1a02")


def token(**claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "gw-1", "name": "网格员", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(body, SECRET, algorithm=ALGORITHM)


def test_a_grid_claim_gives_a_grid_leader_or_worker_its_grid_within_its_community() -> None:
    for role in (Role.GRID_WORKER, Role.GRID_LEADER):
        actor = verify(SECRET, mint(SECRET, subject="gw-1", name="网格员", roles=[role], scope=COMMUNITY, grid=GRID))
        assert (actor.scope, actor.grid, actor.roles) == (COMMUNITY, GRID, frozenset({role}))
    assert verify(SECRET, token(roles=["grid_worker"], org=str(COMMUNITY))).grid is None


@pytest.mark.parametrize("roles", [["community_secretary"], ["grid_worker", "street_admin"], ["district_admin"],
                                   ["shop_operator"], []], ids=lambda rs: "+".join(rs) or "no-role")
def test_a_grid_claim_on_any_other_token_is_refused_and_never_minted(roles: list[str]) -> None:
    with pytest.raises(InvalidToken, match="grid"):
        verify(SECRET, token(roles=roles, org=str(COMMUNITY), grid=str(GRID)))
    with pytest.raises(ValueError, match="grid"):
        mint(SECRET, subject="x", name="x", roles=[Role(r) for r in roles], scope=COMMUNITY, grid=GRID)


@pytest.mark.parametrize("grid", ["", 0, None, [], "not-a-grid", GRID.hex, f"{{{GRID}}}", str(GRID) + "0"], ids=repr)
def test_a_malformed_grid_claim_is_refused(grid: Any) -> None:
    with pytest.raises(InvalidToken, match="grid must be a grid id"):
        verify(SECRET, token(roles=["grid_worker"], org=str(COMMUNITY), grid=grid))


def test_a_grid_claim_without_an_org_is_refused() -> None:
    with pytest.raises(InvalidToken):
        verify(SECRET, token(roles=["grid_worker"], grid=str(GRID)))


def test_grassroots_token_mints_a_grid_scope_and_refuses_a_bad_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRASSROOTS_JWT_SECRET", SECRET)
    runner = CliRunner()
    made = runner.invoke(app, ["token", "--role", "grid_worker", "--org", str(COMMUNITY), "--grid", str(GRID)])
    assert made.exit_code == 0, made.output
    assert verify(SECRET, made.stdout.strip()).grid == GRID
    for bad in (["--role", "grid_worker", "--org", str(COMMUNITY), "--grid", "第一网格"],
                ["--role", "community_secretary", "--org", str(COMMUNITY), "--grid", str(GRID)]):
        refused = runner.invoke(app, ["token", *bad])
        assert refused.exit_code == 2 and not refused.stdout.strip()

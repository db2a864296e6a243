"""Bearer JWTs (PyJWT, HS256): minting for local use and verifying on every request.

Scope fails closed. A token's ``org`` claim is the id (a UUID string) of the root of
the subtree it works in. Only a token whose one role is ``district_admin`` may leave
the claim out, which is what makes it whole-system; every other token without an
``org`` claim, and every token whose ``org`` is not a UUID string (``""``, ``0``,
``false``, ``[]``, ``null``, ``"not-a-uuid"``, ...), is refused (401; over WebSocket the
connection is closed with 4403). ``mint`` (and so ``grassroots token``) refuses to make
such tokens.

A grid scope: a ``grid`` claim (the grid's id, a UUID string) beside ``org`` (the grid's
community), on a token whose roles are only ``grid_leader`` / ``grid_worker``
(``permissions.GRID_SCOPED``); anything else with a ``grid`` claim is refused. The token
reads and acts only on that grid (``Actor.grid``); whether the grid lies in the community
is judged at every use (a grid of another community is read as nothing).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt

from api.config import ConfigError, Settings
from api.local_secrets import generated_once
from domain.shared.permissions import GRID_SCOPED, Actor, Role

ISSUER = "grassroots-ledger"
AUDIENCE = "grassroots-ledger"
ALGORITHM = "HS256"
UNSCOPED = frozenset({Role.DISTRICT_ADMIN})
"""The only roles a token may hold without an ``org`` claim (whole-system scope)."""


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or signed with another key."""


@dataclass(frozen=True)
class Authenticated:
    """A verified token: who it speaks for and until when (``exp``, seconds since the epoch)."""

    actor: Actor
    expires_at: float

    def expired(self, now: float | None = None) -> bool:
        """Whether the token has expired (as PyJWT decides it, with no leeway)."""
        return (time.time() if now is None else now) >= self.expires_at


def signing_secret(settings: Settings) -> str:
    """The configured secret; in development, one generated once into the data directory."""
    if settings.jwt_secret:
        if len(settings.jwt_secret) < 32:
            raise ConfigError("GRASSROOTS_JWT_SECRET must have at least 32 characters")
        return settings.jwt_secret
    if settings.production:
        raise ConfigError("GRASSROOTS_ENV=production needs GRASSROOTS_JWT_SECRET")
    return generated_once(Path(settings.data_dir) / "jwt-secret", lambda: secrets.token_urlsafe(48)).strip()


def may_be_unscoped(roles: Collection[Role]) -> bool:
    """Whether a token with these roles may have whole-system scope (no ``org`` claim)."""
    return bool(roles) and set(roles) <= UNSCOPED


def mint(
    secret: str, *, subject: str, name: str, roles: Sequence[Role], scope: UUID | None,
    ttl_seconds: int = 8 * 3600, grid: UUID | None = None,
) -> str:
    """A signed token; ``scope=None`` (whole system) only for a district admin (ValueError);
    ``grid`` (a grid scope) only for grid leaders and workers, with ``scope`` the grid's community."""
    if scope is None and not may_be_unscoped(roles):
        raise ValueError("only a district_admin token may be whole-system; give the organization"
                         " it works in (--org)")
    if grid is not None and not may_be_grid_scoped(roles, scope):
        raise ValueError("only a grid_leader or grid_worker token may carry a grid, with --org the"
                         " grid's community")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "name": name,
        "roles": [r.value for r in roles], "iat": now, "exp": now + ttl_seconds,
    }
    if scope is not None:
        claims["org"] = str(scope)
    if grid is not None:
        claims["grid"] = str(grid)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def may_be_grid_scoped(roles: Collection[Role], scope: UUID | None) -> bool:
    """Whether a token with these roles and organization scope may carry a ``grid`` claim."""
    return scope is not None and bool(roles) and set(roles) <= GRID_SCOPED


def _uuid_claim(given: Any) -> UUID | None:
    """A claim's value as a UUID in canonical form only (no braces, ``urn:`` or bare hex)."""
    if isinstance(given, str):
        try:
            value = UUID(given)
        except ValueError:
            return None
        if str(value) == given.lower():
            return value
    return None


def _grid(claims: dict[str, Any], roles: frozenset[Role], scope: UUID | None) -> UUID | None:
    if "grid" not in claims:
        return None
    grid = _uuid_claim(claims["grid"])
    if grid is None:
        raise InvalidToken("malformed claims: grid must be a grid id (a UUID string)")
    if not may_be_grid_scoped(roles, scope):
        raise InvalidToken("malformed claims: only a grid_leader or grid_worker token with org may carry a grid")
    return grid


def _roles(claims: dict[str, Any]) -> frozenset[Role]:
    given = claims.get("roles", [])
    if not isinstance(given, list) or not all(isinstance(r, str) for r in given):
        raise InvalidToken("malformed claims: roles must be a list of role names")
    try:
        return frozenset(Role(r) for r in given)
    except ValueError as exc:
        raise InvalidToken(f"malformed claims: {exc}") from exc


def _scope(claims: dict[str, Any], roles: frozenset[Role]) -> UUID | None:
    if "org" not in claims:
        if may_be_unscoped(roles):
            return None
        raise InvalidToken("malformed claims: only a district_admin token may omit org"
                           " (the organization id it works in)")
    given = claims["org"]
    if isinstance(given, str):
        try:
            scope = UUID(given)
        except ValueError:
            pass
        else:
            if str(scope) == given.lower():  # the canonical form only: no braces, urn: or bare hex
                return scope
    raise InvalidToken("malformed claims: org must be an organization id (a UUID string)")


def authenticate_token(secret: str, token: str) -> Authenticated:
    """Verify signature, issuer, audience and expiry, and read the actor out of the claims."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    subject, name = claims["sub"], claims.get("name", claims["sub"])
    if not isinstance(subject, str) or not subject or not isinstance(name, str):
        raise InvalidToken("malformed claims: sub and name must be non-empty strings")
    roles = _roles(claims)
    scope = _scope(claims, roles)
    actor = Actor(subject=subject, name=name, roles=roles, scope=scope, grid=_grid(claims, roles, scope))
    return Authenticated(actor, float(claims["exp"]))


def verify(secret: str, token: str) -> Actor:
    return authenticate_token(secret, token).actor


def authenticate(secret: str, header: str | None) -> Authenticated:
    """The ``Authorization: Bearer <token>`` header, verified."""
    if not header:
        raise InvalidToken("missing Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected Authorization: Bearer <token>")
    return authenticate_token(secret, token.strip())


def from_header(secret: str, header: str | None) -> Actor:
    return authenticate(secret, header).actor

"""Bearer JWTs (PyJWT, HS256): minting for local use and verifying on every request."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

import jwt

from api.config import ConfigError, Settings
from domain.shared.permissions import Actor, Role

ISSUER = "grassroots-ledger"
AUDIENCE = "grassroots-ledger"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or signed with another key."""


def signing_secret(settings: Settings) -> str:
    """The configured secret; in development, one generated once into the data directory."""
    if settings.jwt_secret:
        if len(settings.jwt_secret) < 32:
            raise ConfigError("GRASSROOTS_JWT_SECRET must have at least 32 characters")
        return settings.jwt_secret
    if settings.production:
        raise ConfigError("GRASSROOTS_ENV=production needs GRASSROOTS_JWT_SECRET")
    path = Path(settings.data_dir) / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


def mint(
    secret: str, *, subject: str, name: str, roles: Sequence[Role], scope: UUID | None,
    ttl_seconds: int = 8 * 3600,
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "name": name,
        "roles": [r.value for r in roles], "iat": now, "exp": now + ttl_seconds,
    }
    if scope is not None:
        claims["org"] = str(scope)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str) -> Actor:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
        roles = frozenset(Role(r) for r in claims.get("roles", []))
        scope = UUID(claims["org"]) if claims.get("org") else None
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    except (ValueError, TypeError) as exc:
        raise InvalidToken(f"malformed claims: {exc}") from exc
    return Actor(subject=str(claims["sub"]), name=str(claims.get("name", claims["sub"])),
                 roles=roles, scope=scope)


def from_header(secret: str, header: str | None) -> Actor:
    if not header:
        raise InvalidToken("missing Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected Authorization: Bearer <token>")
    return verify(secret, token.strip())

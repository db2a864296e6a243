"""The Ed25519 key that signs checkpoints: from configuration, or generated for local use.

Like the JWT development secret (api/auth.py): ``GRASSROOTS_SIGNING_KEY`` (PEM, or a
base64/hex 32-byte seed) or ``GRASSROOTS_SIGNING_KEY_FILE``; in development, a key
generated once into ``<data dir>/checkpoint-signing-key.pem`` (mode 0600); production
refuses to start without a configured key. Verifiers should get the *public* key some
other way than from the database they check (``grassroots verify --public-key``).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from api.config import ConfigError, Settings
from api.local_secrets import generated_once
from eventstore.integrity.encoding import (
    load_private_key,
    private_key_pem,
)

KEY_FILE = "checkpoint-signing-key.pem"
_cache: dict[tuple[object, ...], Ed25519PrivateKey] = {}


def _cache_key(settings: Settings) -> tuple[object, ...]:
    i = settings.integrity
    return (i.signing_key, i.signing_key_file, str(settings.data_dir), settings.production)


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The configured key; in development, one generated once into the data directory."""
    found = _cache.get(_cache_key(settings))
    if found is not None:
        return found
    i = settings.integrity
    try:
        if i.signing_key:
            key = load_private_key(i.signing_key)
        elif i.signing_key_file:
            key = load_private_key(Path(i.signing_key_file).read_bytes())
        elif settings.production:
            raise ConfigError(
                "GRASSROOTS_ENV=production needs GRASSROOTS_SIGNING_KEY "
                "or GRASSROOTS_SIGNING_KEY_FILE"
            )
        else:
            key = _local_key(Path(settings.data_dir) / KEY_FILE)
    except (OSError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"checkpoint signing key: {exc}") from exc
    _cache[_cache_key(settings)] = key
    return key


def _local_key(path: Path) -> Ed25519PrivateKey:
    return load_private_key(generated_once(path, lambda: private_key_pem(Ed25519PrivateKey.generate())))


def configured_public_key(settings: Settings) -> Ed25519PublicKey | None:
    """The public half of the configured key, without generating one; None if there is none."""
    i = settings.integrity
    if not (i.signing_key or i.signing_key_file or (Path(settings.data_dir) / KEY_FILE).exists()):
        return None
    return signing_key(settings).public_key()

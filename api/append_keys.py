"""The append key: from configuration, or generated for local use (never into the database).

Like the checkpoint signing key (``api.signing``) and the personal-data key
(``api.keys``): ``GRASSROOTS_APPEND_KEY`` (one or more keys, newest first) or
``GRASSROOTS_APPEND_KEY_FILE``; in development, a key generated once into
``<data dir>/append-key`` (mode 0600); production refuses to start without a configured
key. The application authenticates every append with the first key; the hasher and
``grassroots verify`` accept any key listed (``eventstore.integrity.authenticators``).

The key is what a database superuser must not have: with it, a row written with SQL
could be given an authenticator and would be sealed like a real one. Keep it with the
application's other secrets, not beside the database or in its backups.
"""

from __future__ import annotations

from pathlib import Path

from api.config import ConfigError, Settings
from api.local_secrets import generated_once
from eventstore.integrity.authenticators import AppendKeyError, AppendKeys, install

KEY_FILE = "append-key"
_cache: dict[tuple[object, ...], AppendKeys] = {}


def _cache_key(settings: Settings) -> tuple[object, ...]:
    return (settings.append_key, settings.append_key_file, str(settings.data_dir), settings.production)


def append_keys(settings: Settings) -> AppendKeys:
    """The configured keys; in development, one generated once into the data directory."""
    found = _cache.get(_cache_key(settings))
    if found is not None:
        return found
    try:
        if settings.append_key:
            keys = AppendKeys.parse(settings.append_key)
        elif settings.append_key_file:
            keys = AppendKeys.parse(Path(settings.append_key_file).read_text())
        elif settings.production:
            raise ConfigError(
                "GRASSROOTS_ENV=production needs GRASSROOTS_APPEND_KEY or GRASSROOTS_APPEND_KEY_FILE"
            )
        else:
            path = Path(settings.data_dir) / KEY_FILE
            keys = AppendKeys.parse(generated_once(path, lambda: AppendKeys.new_key() + "\n"))
    except (OSError, AppendKeyError) as exc:
        raise ConfigError(f"append key: {exc}") from exc
    _cache[_cache_key(settings)] = keys
    return keys


def configured_append_keys(settings: Settings) -> AppendKeys | None:
    """The configured keys without generating one (an auditor's ``verify``); None if none."""
    if not (settings.append_key or settings.append_key_file or (Path(settings.data_dir) / KEY_FILE).exists()):
        return None
    return append_keys(settings)


def install_append_keys(settings: Settings) -> AppendKeys:
    """Make the configured keys the process's (``eventstore.integrity.authenticators.install``),
    which the event stores and hashers built without explicit keys use."""
    keys = append_keys(settings)
    install(keys)
    return keys

"""The key-encryption key (KEK) of personal data: from configuration, or generated for local use.

Like the checkpoint signing key (``api.signing``) and the JWT development secret
(``api.auth``): ``GRASSROOTS_PERSONAL_DATA_KEY`` (one or more Fernet keys, newest first)
or ``GRASSROOTS_PERSONAL_DATA_KEY_FILE``; in development, a key generated once into
``<data dir>/personal-data-key`` (mode 0600); production refuses to start without a
configured key. The KEK wraps the per-member data keys of ``personal_keys``
(``eventstore.personal_keys``); without it nothing sealed in the log can be opened, so
keep it (and its backups) apart from the database's.

``grassroots keys new`` prints a fresh KEK; ``grassroots keys rewrap``
re-wraps every data key under the first KEK listed (after a KEK rotation).
"""

from __future__ import annotations

from pathlib import Path

from api.config import ConfigError, Settings
from api.local_secrets import generated_once
from eventstore.personal_keys import PersonalKeys, install

KEY_FILE = "personal-data-key"
_cache: dict[tuple[object, ...], PersonalKeys] = {}


def _cache_key(settings: Settings) -> tuple[object, ...]:
    return (settings.personal_data_key, settings.personal_data_key_file, str(settings.data_dir),
            settings.production)


def _parse(text: str) -> list[str]:
    return [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]


def personal_keys(settings: Settings) -> PersonalKeys:
    """The configured KEK(s); in development, one generated once into the data directory."""
    found = _cache.get(_cache_key(settings))
    if found is not None:
        return found
    try:
        if settings.personal_data_key:
            keys = PersonalKeys(_parse(settings.personal_data_key))
        elif settings.personal_data_key_file:
            keys = PersonalKeys(_parse(Path(settings.personal_data_key_file).read_text()))
        elif settings.production:
            raise ConfigError("GRASSROOTS_ENV=production needs GRASSROOTS_PERSONAL_DATA_KEY"
                              " or GRASSROOTS_PERSONAL_DATA_KEY_FILE")
        else:
            keys = PersonalKeys(_parse(_local_key(Path(settings.data_dir) / KEY_FILE)))
    except (OSError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"personal-data key: {exc}") from exc
    _cache[_cache_key(settings)] = keys
    return keys


def _local_key(path: Path) -> str:
    return generated_once(path, lambda: PersonalKeys.new_kek() + "\n")


def install_personal_keys(settings: Settings) -> PersonalKeys:
    """Make the configured keys the process's (``eventstore.personal_keys.install``)."""
    keys = personal_keys(settings)
    install(keys)
    return keys

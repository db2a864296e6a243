"""Configuration: environment variables with documented defaults, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from domain.members import TransferRules, TransferScope


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


def default_data_dir() -> Path:
    # As root, pgserver widens read/traverse permissions on every parent of its data
    # directory; under /var/lib those parents are world-readable already, whereas the
    # usual per-user location would open up /root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/grassroots-ledger")
    return Path(platformdirs.user_data_dir("grassroots-ledger"))


def _validity(text: str) -> dict[TransferScope, int]:
    defaults = TransferRules().validity_days
    if not text.strip():
        return dict(defaults)
    found = dict(defaults)
    for part in text.split(","):
        key, _, value = part.partition("=")
        try:
            found[TransferScope(key.strip().upper())] = int(value)
        except ValueError as exc:
            raise ConfigError(
                f"GRASSROOTS_TRANSFER_VALIDITY_DAYS: bad entry {part!r} "
                "(expected e.g. WITHIN_CITY=10,OUTSIDE_CITY=30,ACROSS_PROVINCES=90)"
            ) from exc
    return found


@dataclass(frozen=True)
class Settings:
    """Everything the program reads from its environment."""

    database_url: str | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    environment: str = "development"
    jwt_secret: str | None = None
    transfer_rules: TransferRules = field(default_factory=TransferRules)
    read_your_writes_timeout: float = 2.0
    max_page_size: int = 200
    pool_size: int = 10
    log_level: str = "INFO"

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            rules = TransferRules(
                validity_days=_validity(env.get("GRASSROOTS_TRANSFER_VALIDITY_DAYS", "")),
                receipt_due_days=int(env.get("GRASSROOTS_RECEIPT_DUE_DAYS", "30")),
            )
            return cls(
                database_url=env.get("DATABASE_URL") or None,
                data_dir=Path(env["GRASSROOTS_DATA_DIR"]) if env.get("GRASSROOTS_DATA_DIR")
                else default_data_dir(),
                environment=env.get("GRASSROOTS_ENV", "development"),
                jwt_secret=env.get("GRASSROOTS_JWT_SECRET") or None,
                transfer_rules=rules,
                read_your_writes_timeout=float(env.get("GRASSROOTS_RYW_TIMEOUT", "2.0")),
                max_page_size=int(env.get("GRASSROOTS_MAX_PAGE_SIZE", "200")),
                pool_size=int(env.get("GRASSROOTS_DB_POOL_SIZE", "10")),
                log_level=env.get("GRASSROOTS_LOG_LEVEL", "INFO"),
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc

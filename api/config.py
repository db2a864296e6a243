"""Configuration: environment variables with documented defaults, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import platformdirs

from domain.errors import DomainError
from domain.funds import YearEnd
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


def _flag(value: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected 1/0, true/false, yes/no or on/off, got {value!r}")


@dataclass(frozen=True)
class IntegrationSettings:
    """The NATS JetStream relay and webhook delivery (README, "Integrating")."""

    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "GRASSROOTS"
    nats_duplicate_window: float = 120.0
    relay_nats: bool = False
    """Run the relay inside ``serve`` (also ``serve --relay-nats``)."""
    webhook_max_failures: int = 8
    webhook_backoff_initial: float = 1.0
    webhook_backoff_max: float = 300.0
    webhook_timeout: float = 10.0
    webhook_allow_private: bool = True
    """Whether webhooks may POST to loopback, private and link-local addresses."""

    @classmethod
    def from_env(cls, env: Mapping[str, str], production: bool) -> IntegrationSettings:
        allow_private = env.get("GRASSROOTS_WEBHOOK_ALLOW_PRIVATE", "0" if production else "1")
        found = cls(
            nats_url=env.get("GRASSROOTS_NATS_URL", cls.nats_url),
            nats_stream=env.get("GRASSROOTS_NATS_STREAM", cls.nats_stream),
            nats_duplicate_window=float(env.get("GRASSROOTS_NATS_DUPLICATE_WINDOW", "120")),
            relay_nats=_flag(env.get("GRASSROOTS_RELAY_NATS", "0")),
            webhook_max_failures=int(env.get("GRASSROOTS_WEBHOOK_MAX_FAILURES", "8")),
            webhook_backoff_initial=float(env.get("GRASSROOTS_WEBHOOK_BACKOFF_INITIAL", "1")),
            webhook_backoff_max=float(env.get("GRASSROOTS_WEBHOOK_BACKOFF_MAX", "300")),
            webhook_timeout=float(env.get("GRASSROOTS_WEBHOOK_TIMEOUT", "10")),
            webhook_allow_private=_flag(allow_private),
        )
        if found.webhook_max_failures < 1 or found.webhook_backoff_initial <= 0:
            raise ValueError("GRASSROOTS_WEBHOOK_MAX_FAILURES must be ≥ 1 and the backoff > 0")
        return found


@dataclass(frozen=True)
class FundSettings:
    """Local fund policy: the yearly minimum, what a year's end does, disclosure deadline."""

    minimum: Decimal = Decimal("120000.00")
    """The least a community's service fund should receive in a year (local policy)."""
    year_end: YearEnd = YearEnd.CARRY_OVER
    """Default for closeFiscalYear: carry the balance into next year, or return it."""
    disclosure_due_days: int = 30
    """Days after acceptance by which a project's disclosure must be published."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FundSettings:
        from domain.money import parse_money

        try:
            minimum = parse_money(env.get("GRASSROOTS_FUND_MINIMUM", "120000.00"), "minimum")
        except DomainError as exc:
            raise ValueError(f"GRASSROOTS_FUND_MINIMUM: {exc}") from exc
        year_end = env.get("GRASSROOTS_FUND_YEAR_END", "carry_over").upper()
        if year_end not in YearEnd.__members__:
            raise ValueError("GRASSROOTS_FUND_YEAR_END is carry_over or return")
        days = int(env.get("GRASSROOTS_DISCLOSURE_DUE_DAYS", "30"))
        if not 1 <= days <= 366:
            raise ValueError("GRASSROOTS_DISCLOSURE_DUE_DAYS lies between 1 and 366")
        return cls(minimum, YearEnd[year_end], days)


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
    integrations: IntegrationSettings = field(default_factory=IntegrationSettings)
    funds: FundSettings = field(default_factory=FundSettings)

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
                integrations=IntegrationSettings.from_env(
                    env, env.get("GRASSROOTS_ENV", "development") == "production"),
                funds=FundSettings.from_env(env),
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc

"""Configuration: environment variables with documented defaults, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import platformdirs

from domain.funds.aggregate import YearEnd
from domain.members.aggregate import TransferRules, TransferScope
from domain.shared.errors import DomainError


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
        from domain.shared.money import parse_money

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
class IntegritySettings:
    """Tamper evidence: the checkpoint signing key and how often to checkpoint (README)."""

    signing_key: str | None = None
    """Ed25519 private key, PEM or base64/hex 32-byte seed (GRASSROOTS_SIGNING_KEY)."""
    signing_key_file: Path | None = None
    """A file holding that key (GRASSROOTS_SIGNING_KEY_FILE)."""
    checkpoint_every: int = 10_000
    """Sign a checkpoint after this many newly hashed events."""
    checkpoint_interval: float = 300.0
    """... or after this many seconds, if anything new was hashed."""
    hasher: bool = True
    """Run the log hasher in ``serve`` (one process of a deployment suffices: GRASSROOTS_HASHER)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IntegritySettings:
        found = cls(
            signing_key=env.get("GRASSROOTS_SIGNING_KEY") or None,
            signing_key_file=Path(env["GRASSROOTS_SIGNING_KEY_FILE"])
            if env.get("GRASSROOTS_SIGNING_KEY_FILE") else None,
            checkpoint_every=int(env.get("GRASSROOTS_CHECKPOINT_EVERY", "10000")),
            checkpoint_interval=float(env.get("GRASSROOTS_CHECKPOINT_INTERVAL", "300")),
            hasher=_flag(env.get("GRASSROOTS_HASHER", "1")),
        )
        if found.checkpoint_every < 1 or found.checkpoint_interval <= 0:
            raise ValueError("GRASSROOTS_CHECKPOINT_EVERY must be ≥ 1 and the interval > 0")
        return found


@dataclass(frozen=True)
class FeedSettings:
    """The event feed: GraphQL subscriptions and the HTTP feed (README, "Integrating")."""

    buffer_size: int = 4096
    """Recent events held in memory for live subscribers (GRASSROOTS_FEED_BUFFER); a
    live subscriber that falls further behind is closed and told where to resume."""
    max_subscribers: int = 10_000
    """Subscriptions one server process serves at once (GRASSROOTS_FEED_MAX_SUBSCRIBERS)."""
    max_per_connection: int = 20
    """Subscriptions one WebSocket may hold (GRASSROOTS_FEED_MAX_PER_CONNECTION)."""
    max_limit: int = 1000
    """Largest ``limit`` of one ``GET /events`` page (GRASSROOTS_FEED_MAX_LIMIT)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FeedSettings:
        found = cls(
            buffer_size=int(env.get("GRASSROOTS_FEED_BUFFER", "4096")),
            max_subscribers=int(env.get("GRASSROOTS_FEED_MAX_SUBSCRIBERS", "10000")),
            max_per_connection=int(env.get("GRASSROOTS_FEED_MAX_PER_CONNECTION", "20")),
            max_limit=int(env.get("GRASSROOTS_FEED_MAX_LIMIT", "1000")),
        )
        if min(found.buffer_size, found.max_subscribers, found.max_per_connection,
               found.max_limit) < 1:
            raise ValueError("GRASSROOTS_FEED_* settings must be at least 1")
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
    integrations: IntegrationSettings = field(default_factory=IntegrationSettings)
    funds: FundSettings = field(default_factory=FundSettings)
    integrity: IntegritySettings = field(default_factory=IntegritySettings)
    feed: FeedSettings = field(default_factory=FeedSettings)

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
                integrity=IntegritySettings.from_env(env),
                feed=FeedSettings.from_env(env),
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc

"""Configuration: every setting written once, here, with its variable, default and meaning.

``Settings`` (pydantic-settings) reads each field from the environment variable named
beside it (``GRASSROOTS_*``, ``DATABASE_URL``); a variable that is unset or empty keeps
the default. The README's "Configuration" table is generated from these fields
(``settings_table()``, or ``python -m api.config``) and a test fails when it drifts.

``Settings()`` reads ``os.environ``; ``Settings.from_env(mapping)`` reads only the mapping
given; keyword arguments override the environment (``Settings(data_dir=...)``). A bad
value raises ``ConfigError`` naming the variable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import platformdirs
from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from domain.funds.aggregate import SpendingCategory, YearEnd
from domain.funds.screening import DEFAULT_TERMS, check_terms
from domain.members.aggregate import TransferRules, TransferScope
from domain.shared.errors import DomainError
from domain.shared.money import parse_money

DEFAULT_PAGE_SIZE = 50
"""The page a list returns without ``first`` (at most ``max_page_size``); not configurable."""


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


def default_data_dir() -> Path:
    # As root, pgserver widens read/traverse permissions on every parent of its data
    # directory; under /var/lib those parents are world-readable already, whereas the
    # usual per-user location would open up /root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/grassroots-ledger")
    return Path(platformdirs.user_data_dir("grassroots-ledger"))


def setting(default: Any = None, *, env: str, description: str, shown: str | None = None,
            secret: bool = False, default_factory: Any = None, **constraints: Any) -> Any:
    """A field read from the variable ``env``.

    ``shown`` is the default as the README states it, where the value alone would not
    say it (a generated secret, a per-user path); ``secret`` keeps the value out of errors.
    """
    extra: dict[str, Any] = {"env": env, "secret": secret}
    if shown is not None:
        extra["shown"] = shown
    if default_factory is not None:
        return Field(default_factory=default_factory, description=description,
                     json_schema_extra=extra, **constraints)
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def _extra(info: FieldInfo) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _group_of(info: FieldInfo) -> type[BaseModel] | None:
    kind = info.annotation
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


class _Group(BaseModel):
    """A group of related settings (``settings.feed.buffer_size``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class IntegrationSettings(_Group):
    """The NATS JetStream relay and webhook delivery (README, "Integrating")."""

    nats_url: str = setting(
        "nats://127.0.0.1:4222", env="GRASSROOTS_NATS_URL",
        description="NATS server the relay publishes to.")
    nats_stream: str = setting(
        "GRASSROOTS", env="GRASSROOTS_NATS_STREAM", min_length=1,
        description="JetStream stream (subjects `grassroots.>`); created if missing.")
    nats_duplicate_window: float = setting(
        120.0, env="GRASSROOTS_NATS_DUPLICATE_WINDOW", gt=0,
        description="Seconds JetStream drops repeated message ids (set when the relay creates"
                    " the stream).")
    relay_nats: bool = setting(
        False, env="GRASSROOTS_RELAY_NATS",
        description="`1`: `grassroots serve` also runs the relay (same as `--relay-nats`).")
    webhook_max_failures: int = setting(
        8, env="GRASSROOTS_WEBHOOK_MAX_FAILURES", ge=1,
        description="Consecutive failed deliveries after which a webhook is paused.")
    webhook_backoff_initial: float = setting(
        1.0, env="GRASSROOTS_WEBHOOK_BACKOFF_INITIAL", gt=0,
        description="Seconds before the first retry; doubles each time, plus jitter.")
    webhook_backoff_max: float = setting(
        300.0, env="GRASSROOTS_WEBHOOK_BACKOFF_MAX", gt=0,
        description="Longest wait between retries, in seconds.")
    webhook_timeout: float = setting(
        10.0, env="GRASSROOTS_WEBHOOK_TIMEOUT", gt=0,
        description="Seconds a receiver has to answer.")
    webhook_allow_private: bool = setting(
        True, env="GRASSROOTS_WEBHOOK_ALLOW_PRIVATE", shown="`1`; `0` in production",
        description="Whether webhooks may reach addresses that are not globally routable"
                    " (loopback, private, link-local, carrier-grade NAT, cloud metadata, site-local,"
                    " reserved; also inside IPv4-mapped, 6to4 and NAT64 addresses). `0`: such an"
                    " address fails the delivery before anything is sent.")


class FundSettings(_Group):
    """Local fund policy: the yearly minimum, what a year's end does, disclosure deadline."""

    minimum: Decimal = setting(
        Decimal("120000.00"), env="GRASSROOTS_FUND_MINIMUM",
        description="Yearly minimum of a community's service fund (local policy;"
                    " `fundShortfalls`).")
    year_end: YearEnd = setting(
        YearEnd.CARRY_OVER, env="GRASSROOTS_FUND_YEAR_END",
        description="What `closeFiscalYear` does by default: `carry_over` into next year's"
                    " fund, or `return`.")
    disclosure_due_days: int = setting(
        30, env="GRASSROOTS_DISCLOSURE_DUE_DAYS", ge=1, le=366,
        description="Days after acceptance by which a project's disclosure is due.")
    forbidden_purposes: dict[SpendingCategory, tuple[str, ...]] = setting(
        env="GRASSROOTS_FORBIDDEN_PURPOSES", default_factory=lambda: dict(DEFAULT_TERMS),
        shown="built in (`domain/funds/screening.py`)",
        description="What a project's title and purpose may not name, by forbidden category:"
                    " `STAFF_PAY=工资,薪水,?劳务费;OFFICE_COSTS=…` replaces those categories' lists"
                    " (the others keep theirs). A term is refused (`ForbiddenPurpose`); `?term`"
                    " flags the project for the approver (`reviewFlags`); `!phrase` is an innocent"
                    " phrase holding a term (`!社工资格`). Compared after NFKC, invisible characters"
                    " removed, traditional to simplified (OpenCC), case folded.")

    @field_validator("minimum", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Decimal:
        try:
            return parse_money(value, "minimum")
        except DomainError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("forbidden_purposes", mode="before")
    @classmethod
    def _purposes(cls, value: Any) -> Any:
        found: dict[Any, Any] = dict(DEFAULT_TERMS)
        if isinstance(value, str):
            for part in value.split(";"):
                if not part.strip():
                    continue
                key, _, terms = part.partition("=")
                try:
                    category = SpendingCategory[key.strip().upper()]
                except KeyError:
                    raise ValueError(f"bad entry {part.strip()[:40]!r} (expected e.g."
                                     " STAFF_PAY=工资,薪水;OFFICE_COSTS=办公用品)") from None
                found[category] = tuple(t.strip() for t in terms.split(",") if t.strip())
        elif isinstance(value, Mapping):
            found.update(value)
        else:
            return value
        try:
            check_terms(found)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return found

    @field_validator("year_end", mode="before")
    @classmethod
    def _year_end(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return YearEnd[value.strip().upper()]
            except KeyError:
                raise ValueError("expected carry_over or return") from None
        return value


class IntegritySettings(_Group):
    """Tamper evidence: the checkpoint signing key and how often to checkpoint (README)."""

    signing_key: str | None = setting(
        None, env="GRASSROOTS_SIGNING_KEY", secret=True,
        shown="generated into the data dir (development only)",
        description="Ed25519 private key that signs checkpoints: PEM (PKCS#8), or the 32-byte"
                    " seed in base64 or hex. `production` refuses to start without it or the"
                    " next.")
    signing_key_file: Path | None = setting(
        None, env="GRASSROOTS_SIGNING_KEY_FILE",
        description="A file holding that key instead.")
    checkpoint_every: int = setting(
        10_000, env="GRASSROOTS_CHECKPOINT_EVERY", ge=1,
        description="The hasher signs a checkpoint after this many newly hashed events …")
    checkpoint_interval: float = setting(
        300.0, env="GRASSROOTS_CHECKPOINT_INTERVAL", gt=0,
        description="… or after this many seconds, if anything new was hashed.")
    hasher: bool = setting(
        True, env="GRASSROOTS_HASHER",
        description="`0`: this `serve` process does not run the log hasher (one running"
                    " process per database suffices; the others stand by anyway).")


class FeedSettings(_Group):
    """The event feed: GraphQL subscriptions and the HTTP feed (README, "Integrating")."""

    buffer_size: int = setting(
        4096, env="GRASSROOTS_FEED_BUFFER", ge=1,
        description="Recent events each server process keeps in memory for live subscribers;"
                    " a live subscriber further behind is closed with the position to resume"
                    " from.")
    max_subscribers: int = setting(
        10_000, env="GRASSROOTS_FEED_MAX_SUBSCRIBERS", ge=1,
        description="Subscriptions one server process serves at once.")
    max_per_connection: int = setting(
        20, env="GRASSROOTS_FEED_MAX_PER_CONNECTION", ge=1,
        description="Subscriptions one WebSocket may hold.")
    max_limit: int = setting(
        1000, env="GRASSROOTS_FEED_MAX_LIMIT", ge=1,
        description="Largest `limit` of one `GET /events` page.")


class ServerSettings(_Group):
    """What a hostile client may cost: connection limits, rate limits, which operations run
    (``api.server``, ``api.ratelimit``, ``api.persisted``; README, "Security")."""

    max_header_bytes: int = setting(
        32_768, env="GRASSROOTS_MAX_HEADER_BYTES", ge=1024,
        description="Largest request head (request line and headers), in bytes; a larger one"
                    " gets 431 and the connection is closed without reading the rest.")
    header_timeout: float = setting(
        10.0, env="GRASSROOTS_HEADER_TIMEOUT", gt=0,
        description="Seconds a client has to send a request's line and headers (from connecting,"
                    " or from its first byte after a keep-alive pause); then 408 and the"
                    " connection is closed.")
    body_timeout: float = setting(
        30.0, env="GRASSROOTS_BODY_TIMEOUT", gt=0,
        description="Seconds a client has to send a request's whole body after its headers;"
                    " then 408 and the connection is closed.")
    keep_alive: float = setting(
        5.0, env="GRASSROOTS_KEEP_ALIVE", gt=0,
        description="Seconds an idle keep-alive connection stays open between requests.")
    ws_max_message: int = setting(
        1_000_000, env="GRASSROOTS_WS_MAX_MESSAGE", ge=1024,
        description="Largest WebSocket message accepted, in bytes (as for an HTTP body); a"
                    " larger one closes the connection with code 1009.")
    rate_limit: str = setting(
        "1200/minute", env="GRASSROOTS_RATE_LIMIT",
        description="Requests one token subject may make (HTTP requests, WebSocket connections"
                    " and operations; without a valid token, one client address), in the"
                    " `limits` notation (`20/second;1200/minute`); more get 429 with"
                    " `Retry-After`. `0` turns it off.")
    introspection: bool | None = setting(
        None, env="GRASSROOTS_INTROSPECTION", shown="`1`; `0` in production",
        description="Whether `__schema` and `__type` queries are answered.")
    trusted_documents: tuple[Path, ...] = setting(
        (), env="GRASSROOTS_TRUSTED_DOCUMENTS", shown="unset",
        description="Persisted-operation manifests from the frontend build (comma-separated"
                    " JSON files or folders of them: sha256 hash → document). Clients may send"
                    " the hash alone; in production only these operations run.")

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in ("0", "off", "none", ""):
            return "0"
        try:
            parse_many(value)
        except ValueError:
            raise ValueError("expected e.g. 1200/minute or 20/second;1200/minute, or 0") from None
        return value

    @field_validator("trusted_documents", mode="before")
    @classmethod
    def _paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(Path(p.strip()) for p in value.split(",") if p.strip())
        return value


def _from_env(model: type[BaseModel], env: Mapping[str, str]) -> dict[str, Any]:
    """The raw values ``env`` sets for ``model``'s fields, groups as nested dicts."""
    found: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        var = _extra(info).get("env")
        group = _group_of(info)
        if var is not None:
            value = env.get(var)
            if value is not None and value.strip():
                found[name] = value
        elif group is not None and (values := _from_env(group, env)):
            found[name] = values
    return found


_READING: ContextVar[Mapping[str, str] | None] = ContextVar("_READING", default=None)
"""The mapping ``Settings.from_env`` reads instead of ``os.environ``."""


class _Environment(PydanticBaseSettingsSource):
    """Each field from its own variable, group fields included (flat names, as documented)."""

    @staticmethod
    def _env() -> Mapping[str, str]:
        given = _READING.get()
        return os.environ if given is None else given

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        var = _extra(field).get("env")
        return (self._env().get(var) if var else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        return _from_env(self.settings_cls, self._env())


class Settings(BaseSettings):
    """Everything the program reads from its environment."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    database_url: str | None = setting(
        None, env="DATABASE_URL", secret=True,
        description="Use this PostgreSQL instead of the embedded one.")
    data_dir: Path = setting(
        env="GRASSROOTS_DATA_DIR", default_factory=default_data_dir,
        shown="per-user data dir (`~/.local/share/grassroots-ledger`); as root"
              " `/var/lib/grassroots-ledger`",
        description="Embedded server's data (`pgdata/`) and, in development, the generated JWT"
                    " secret (`jwt-secret`), checkpoint signing key"
                    " (`checkpoint-signing-key.pem`) and personal-data key (`personal-data-key`).")
    environment: Literal["development", "production"] = setting(
        "development", env="GRASSROOTS_ENV",
        description="`production` refuses to start without `GRASSROOTS_JWT_SECRET`, a"
                    " personal-data key and a signing key (below), and turns"
                    " `GRASSROOTS_WEBHOOK_ALLOW_PRIVATE` off by default.")
    jwt_secret: str | None = setting(
        None, env="GRASSROOTS_JWT_SECRET", secret=True,
        shown="generated into the data dir (development only)",
        description="HS256 signing secret, at least 32 characters.")
    personal_data_key: str | None = setting(
        None, env="GRASSROOTS_PERSONAL_DATA_KEY", secret=True,
        shown="generated into the data dir (development only)",
        description="Key-encryption key of the per-member keys that seal ID numbers and phones"
                    " in the log: a Fernet key (`grassroots keys new`); several,"
                    " comma-separated and newest first, while rotating. Keep it, and its backups,"
                    " apart from the database's.")
    personal_data_key_file: Path | None = setting(
        None, env="GRASSROOTS_PERSONAL_DATA_KEY_FILE",
        description="A file holding that key (or keys, one a line) instead.")
    transfer_validity_days: dict[TransferScope, int] = setting(
        env="GRASSROOTS_TRANSFER_VALIDITY_DAYS",
        default_factory=lambda: dict(TransferRules().validity_days),
        description="Letter validity by scope (local policy); scopes left out keep their"
                    " default.")
    receipt_due_days: int = setting(
        TransferRules.receipt_due_days, env="GRASSROOTS_RECEIPT_DUE_DAYS", ge=1,
        description="Receipt due this many days after acceptance.")
    read_your_writes_timeout: float = setting(
        2.0, env="GRASSROOTS_RYW_TIMEOUT", gt=0,
        description="Seconds a mutation waits for the read models to show its change.")
    max_page_size: int = setting(
        200, env="GRASSROOTS_MAX_PAGE_SIZE", ge=1,
        description=f"Largest `first` a list accepts (default page {DEFAULT_PAGE_SIZE}, or this if"
                    " smaller); the query cost counts a variable `first` as this.")
    pool_size: int = setting(
        10, env="GRASSROOTS_DB_POOL_SIZE", ge=1,
        description="Connections in the request pool.")
    log_level: str = setting(
        "INFO", env="GRASSROOTS_LOG_LEVEL",
        description="Log level.")
    funds: FundSettings = Field(default_factory=FundSettings)
    integrations: IntegrationSettings = Field(default_factory=IntegrationSettings)
    integrity: IntegritySettings = Field(default_factory=IntegritySettings)
    feed: FeedSettings = Field(default_factory=FeedSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from exc

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings ``env`` gives (``os.environ`` when None), nothing else."""
        token = _READING.set(env)
        try:
            return cls()
        finally:
            _READING.reset(token)

    @model_validator(mode="before")
    @classmethod
    def _production_defaults(cls, data: Any) -> Any:
        """In production, webhooks may not reach private addresses unless told so."""
        if isinstance(data, dict) and data.get("environment") == "production":
            given = data.get("integrations", {})
            if isinstance(given, dict) and "webhook_allow_private" not in given:
                data = {**data, "integrations": {**given, "webhook_allow_private": False}}
        return data

    @field_validator("transfer_validity_days", mode="before")
    @classmethod
    def _validity(cls, value: Any) -> Any:
        found: dict[Any, Any] = dict(TransferRules().validity_days)
        if isinstance(value, str):
            for part in value.split(","):
                key, _, days = part.partition("=")
                try:
                    found[TransferScope(key.strip().upper())] = int(days)
                except ValueError:
                    raise ValueError(
                        f"bad entry {part.strip()!r} (expected e.g. WITHIN_CITY=10,OUTSIDE_CITY=30,"
                        "ACROSS_PROVINCES=90)") from None
        elif isinstance(value, Mapping):
            found.update(value)
        else:
            return value
        return found

    @field_validator("transfer_validity_days")
    @classmethod
    def _positive_days(cls, value: dict[TransferScope, int]) -> dict[TransferScope, int]:
        if any(days < 1 for days in value.values()):
            raise ValueError("validity is at least 1 day")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.strip().upper()), int):
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.strip().upper()

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def transfer_rules(self) -> TransferRules:
        return TransferRules(validity_days=dict(self.transfer_validity_days),
                             receipt_due_days=self.receipt_due_days)

    @property
    def default_page_size(self) -> int:
        """The page a list returns without ``first``."""
        return min(DEFAULT_PAGE_SIZE, self.max_page_size)


# -- errors and the README table, both from the fields ----------------------------------


def _field_at(loc: tuple[int | str, ...]) -> FieldInfo | None:
    """The innermost settings field an error location names."""
    model: type[BaseModel] | None = Settings
    found = None
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            break
        found = model.model_fields[part]
        model = _group_of(found)
    return found


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        info = _field_at(error["loc"])
        extra = _extra(info) if info is not None else {}
        name = extra.get("env") or ".".join(str(p) for p in error["loc"]) or "configuration"
        message = error["msg"].removeprefix("Value error, ")
        shown = "" if extra.get("secret") or "input" not in error or isinstance(
            error["input"], dict) else f"={error['input']!r}"
        lines.append(f"{name}{shown}: {message}")
    return "; ".join(lines)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ",".join(f"{k.name if isinstance(k, Enum) else k}={_text(v)}" for k, v in value.items())
    return str(value)


def _rows(model: type[BaseModel]) -> list[tuple[str, str, str]]:
    rows = []
    for info in model.model_fields.values():
        group = _group_of(info)
        if group is not None:
            rows.extend(_rows(group))
            continue
        extra = _extra(info)
        default = info.get_default(call_default_factory=True)
        shown = extra.get("shown") or ("unset" if default is None else f"`{_text(default)}`")
        rows.append((extra["env"], shown, info.description or ""))
    return rows


def documented_variables() -> list[str]:
    """Every variable ``Settings`` reads, in the order of the README table."""
    return [var for var, _, _ in _rows(Settings)]


def settings_table() -> str:
    """The README's "Configuration" table, generated from the fields."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{var}` | {shown} | {meaning} |" for var, shown, meaning in _rows(Settings)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_table(), end="")

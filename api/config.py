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
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory, YearEnd
from domain.funds.dues_money import DEFAULT_USES, DuesMoneyRules, PaymentUse, parse_uses
from domain.funds.kinds import DEFAULT_KINDS, FundKinds, KindPolicy
from domain.funds.minimums import FISCAL_SOURCES, MinimumRules
from domain.funds.reporting import FundReportingRules
from domain.funds.screening import DEFAULT_TERMS, check_terms
from domain.grids.aggregate import DEFAULT_KINDS as DEFAULT_GRID_KINDS
from domain.grids.aggregate import GridRules
from domain.members.aggregate import TransferRules, TransferScope
from domain.members.dues import Band, DuesRules, parse_bands
from domain.members.party_life import DEFAULT_REQUIRED, PartyLifeRules, Requirement, parse_requirements
from domain.members.reporting import ReportingRules, parse_deadline
from domain.members.revocation import TransferApproval
from domain.members.transfers import MAX_VALIDITY_DAYS
from domain.members.volunteering import VolunteerRules
from domain.requests.rules import DEFAULT_CATEGORIES as DEFAULT_REQUEST_CATEGORIES
from domain.requests.rules import STEPS as REQUEST_STEPS
from domain.requests.rules import Limit, RequestRules, Urgency, parse_deadlines
from domain.shared.errors import DomainError
from domain.shared.money import parse_money
from domain.shops.rules import ShopRules
from eventstore.integrity.witness_targets import MAX_WITNESSES, parse_target

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
        description="Yearly minimum of a community's service fund, the default tier's (local"
                    " policy; `fundShortfalls`). Only the counted sources count toward it.")
    minimum_tiers: dict[str, Decimal] = setting(
        env="GRASSROOTS_FUND_MINIMUM_TIERS", default_factory=dict, shown="none",
        description="Named tiers and their yearly minimums: `central=200000;other=120000`. An"
                    " organization in no tier has `GRASSROOTS_FUND_MINIMUM`.")
    minimum_tier_of: dict[str, str] = setting(
        env="GRASSROOTS_FUND_MINIMUM_TIER_OF", default_factory=dict, shown="none",
        description="Which organizations are in which tier, by 12-digit division code or"
                    " organization id: `320508019001=central;320508019044=central`.")
    minimum_per_grid_branch: Decimal = setting(
        Decimal("0.00"), env="GRASSROOTS_FUND_MINIMUM_PER_GRID_BRANCH",
        description="Added to a community's minimum for each active grid Party branch under it"
                    " (one district: at least 3000 per grid branch).")
    kinds: dict[FundKind, frozenset[SpendingCategory]] = setting(
        env="GRASSROOTS_FUND_KINDS", default_factory=lambda: {k: p.allowed for k, p in DEFAULT_KINDS.items()},
        shown="all six, built in (`domain/funds/kinds.py`)",
        description="The fund kinds in use and what each pays for:"
                    " `SERVICE_FUND=PARTY_BUILDING,PUBLIC_SERVICE,SELF_GOVERNANCE,OTHER_SERVICE;"
                    "WELFARE_FUND=PUBLIC_SERVICE` lists every kind that may be opened (one not listed"
                    " is refused by `openFund`; its existing funds keep the built-in policy). Only the"
                    " four allowed categories may be named.")
    kinds_without_carry_over: frozenset[FundKind] = setting(
        env="GRASSROOTS_FUND_KINDS_WITHOUT_CARRY_OVER", default_factory=lambda: frozenset(
            k for k, p in DEFAULT_KINDS.items() if not p.carry_over), shown="`welfare_fund`",
        description="Kinds whose unspent balance is returned at year end, never carried over"
                    " (comma-separated; empty: every kind may carry over).")
    minimum_sources: frozenset[AllocationSource] = setting(
        env="GRASSROOTS_FUND_MINIMUM_SOURCES", default_factory=lambda: FISCAL_SOURCES,
        shown="`fiscal_budget,fiscal_subsidy`",
        description="Allocation sources counted toward the minimum (a fiscal guarantee:"
                    " sponsorship, dues and carry-over do not count).")
    year_end: YearEnd = setting(
        YearEnd.CARRY_OVER, env="GRASSROOTS_FUND_YEAR_END",
        description="What `closeFiscalYear` does by default: `carry_over` into next year's"
                    " fund, or `return`.")
    disclosure_due_days: int = setting(
        30, env="GRASSROOTS_DISCLOSURE_DUE_DAYS", ge=1, le=366,
        description="Days after acceptance by which a project's disclosure is due.")
    briefing_day: int = setting(
        10, env="GRASSROOTS_FUND_BRIEFING_DAY", ge=1, le=28,
        description="A fund's monthly briefing (每月通报) is due by this day of the following month"
                    " (`fundReportsOverdue`).")
    half_year_check_days: int = setting(
        15, env="GRASSROOTS_FUND_HALF_YEAR_CHECK_DAYS", ge=0, le=184,
        description="Days after 30 June by which the street's half-year check (半年检查) of a fund is due.")
    yearly_evaluation_days: int = setting(
        31, env="GRASSROOTS_FUND_YEARLY_EVALUATION_DAYS", ge=0, le=366,
        description="Days after 31 December by which a fund's yearly evaluation (年度评估) is due.")
    reporting_kinds: frozenset[FundKind] = setting(
        env="GRASSROOTS_FUND_REPORTING_KINDS", default_factory=lambda: frozenset({FundKind.SERVICE_FUND}),
        shown="`service_fund`",
        description="Fund kinds whose projects owe the reporting cycle (comma-separated): the overdue"
                    " list (`fundReportsOverdue`) looks only at funds of these kinds.")
    dues_money_uses: tuple[PaymentUse, ...] = setting(
        env="GRASSROOTS_DUES_MONEY_USES", default_factory=lambda: DEFAULT_USES,
        shown="`training,study_materials,commendation,hardship_support,disaster_relief`",
        description="What dues money (党费) in a fund pays for (comma-separated payment uses): a payment that"
                    " draws on dues money (spent after the fund's other money) must name one of these as its"
                    " `use`, else `DuesMoneyRestricted`, naming the rule. Others: `activities`, `services`,"
                    " `office_equipment`, `other`.")
    forbidden_purposes: dict[SpendingCategory, tuple[str, ...]] = setting(
        env="GRASSROOTS_FORBIDDEN_PURPOSES", default_factory=lambda: dict(DEFAULT_TERMS),
        shown="built in (`domain/funds/screening.py`)",
        description="What a project's title and purpose may not name, by forbidden category:"
                    " `STAFF_PAY=工资,薪水,?劳务费;OFFICE_COSTS=…` replaces those categories' lists"
                    " (the others keep theirs). A term is refused (`ForbiddenPurpose`); `?term`"
                    " flags the project for the approver (`reviewFlags`); `!phrase` is an innocent"
                    " phrase holding a term (`!社工资格`). Compared after NFKC, invisible characters"
                    " removed, traditional to simplified (OpenCC), case folded.")

    @field_validator("minimum", "minimum_per_grid_branch", mode="before")
    @classmethod
    def _money(cls, value: Any, info: ValidationInfo) -> Decimal:
        try:  # a minimum is positive; nothing per grid branch is the usual policy
            return parse_money(value, "minimum", allow_zero=info.field_name == "minimum_per_grid_branch")
        except DomainError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("minimum_tiers", "minimum_tier_of", mode="before")
    @classmethod
    def _pairs(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        found: dict[str, Any] = {}
        for part in value.split(";"):
            if not part.strip():
                continue
            key, sep, given = (x.strip() for x in part.partition("="))
            if not sep or not key or not given:
                raise ValueError(f"bad entry {part.strip()[:40]!r} (expected e.g. central=200000;other=120000)")
            if info.field_name == "minimum_tiers":
                try:
                    found[key] = parse_money(given, "minimum")
                except DomainError as exc:
                    raise ValueError(f"{key}: {exc}") from exc
            else:
                found[key] = given
        return found

    @field_validator("minimum_sources", mode="before")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return frozenset(AllocationSource[v.strip().upper()] for v in value.split(",") if v.strip())
        except KeyError as exc:
            raise ValueError(f"unknown source {exc.args[0]!r} (expected e.g. fiscal_budget,fiscal_subsidy)") from None

    @field_validator("kinds", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        found: dict[FundKind, frozenset[SpendingCategory]] = {}
        for part in value.split(";"):
            if not part.strip():
                continue
            key, _, categories = part.partition("=")
            try:
                kind = FundKind[key.strip().upper()]
                allowed = frozenset(SpendingCategory[c.strip().upper()] for c in categories.split(",") if c.strip())
                KindPolicy(allowed)
            except KeyError as exc:
                raise ValueError(f"bad entry {part.strip()[:60]!r}: unknown {exc.args[0]!r} (expected e.g."
                                 " WELFARE_FUND=PUBLIC_SERVICE,OTHER_SERVICE)") from None
            except ValueError as exc:
                raise ValueError(f"{kind.value}: {exc}") from None
            found[kind] = allowed
        if not found:
            raise ValueError("name at least one fund kind")
        return found

    @field_validator("kinds_without_carry_over", "reporting_kinds", mode="before")
    @classmethod
    def _no_carry(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return frozenset(FundKind[v.strip().upper()] for v in value.split(",") if v.strip())
        except KeyError as exc:
            raise ValueError(f"unknown fund kind {exc.args[0]!r}") from None

    @property
    def kind_rules(self) -> FundKinds:
        """The kinds in use and their policies, as the command handlers apply them."""
        return FundKinds({k: KindPolicy(allowed, carry_over=k not in self.kinds_without_carry_over)
                          for k, allowed in self.kinds.items()})

    @model_validator(mode="after")
    def _tiers_known(self) -> FundSettings:
        try:
            self.minimum_rules  # noqa: B018 - building it checks the tiers and sources
        except ValueError as exc:
            raise ValueError(f"GRASSROOTS_FUND_MINIMUM_TIER_OF/SOURCES: {exc}") from None
        return self

    @property
    def reporting_rules(self) -> FundReportingRules:
        """The reporting cycle's deadlines, as the overdue list applies them."""
        return FundReportingRules(briefing_day=self.briefing_day, half_year_days=self.half_year_check_days,
                              yearly_days=self.yearly_evaluation_days, kinds=frozenset(self.reporting_kinds))

    @property
    def minimum_rules(self) -> MinimumRules:
        """The minimum policy the compliance queries apply."""
        return MinimumRules(default=self.minimum, tiers=dict(self.minimum_tiers),
                            assigned=dict(self.minimum_tier_of), per_grid_branch=self.minimum_per_grid_branch,
                            counted=frozenset(self.minimum_sources))

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

    @field_validator("dues_money_uses", mode="before")
    @classmethod
    def _dues_uses(cls, value: Any) -> Any:
        return parse_uses(value) if isinstance(value, str) else value

    @property
    def dues_money_rules(self) -> DuesMoneyRules:
        """What dues money pays for, as payments are checked."""
        return DuesMoneyRules(tuple(self.dues_money_uses))

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
    witnesses: tuple[str, ...] = setting(
        (), env="GRASSROOTS_WITNESSES", shown="unset", secret=True,
        description="Where every signed checkpoint is also published, outside the database"
                    " (comma-separated): `dir:/path` (a directory the auditors control),"
                    " `nats://host:port/STREAM[/SUBJECT]` (a JetStream stream), an `http(s)://`"
                    " URL (POST). `grassroots verify --witness` checks the database against them.")
    witness_timeout: float = setting(
        10.0, env="GRASSROOTS_WITNESS_TIMEOUT", gt=0,
        description="Seconds a witness has to take a checkpoint; a failed attempt is retried"
                    " with backoff, and the witness's lag shows in `integrityStatus` and `/metrics`.")
    witness_allow_private: bool = setting(
        True, env="GRASSROOTS_WITNESS_ALLOW_PRIVATE", shown="`1`; `0` in production",
        description="Whether an HTTP witness may be at an address that is not globally routable"
                    " (as `GRASSROOTS_WEBHOOK_ALLOW_PRIVATE`); `0`: such an address fails the"
                    " attempt before anything is sent.")

    @field_validator("witnesses", mode="before")
    @classmethod
    def _witness_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    @field_validator("witnesses")
    @classmethod
    def _witness_targets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = [parse_target(t).name for t in value]  # ValueError: the target's problem
        if len(names) > MAX_WITNESSES:
            raise ValueError(f"at most {MAX_WITNESSES} witnesses")
        if len(set(names)) != len(names):
            raise ValueError("a witness is listed twice")
        return value


class GridSettings(_Group):
    """Local grid policy: the kinds of grid a city draws, the tolerance of redrawn boundaries."""

    kinds: tuple[str, ...] = setting(
        DEFAULT_GRID_KINDS, env="GRASSROOTS_GRID_KINDS", shown="`" + ",".join(DEFAULT_GRID_KINDS) + "`",
        description="The kinds a grid may be (comma-separated, each at most 40 characters):"
                    " residential compound 小区, enterprise cluster, institution, mixed by default.")
    tolerance: float = setting(
        0.01, env="GRASSROOTS_GRID_TOLERANCE", ge=0, le=0.5,
        description="How much of a new grid's area (a share) may lie outside the old grids of a"
                    " split or merge, or overlap another new grid, before `BoundariesNotConserved`.")

    @field_validator("kinds", mode="before")
    @classmethod
    def _kind_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(k.strip().upper() for k in value.split(",") if k.strip())
        return value

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(len(k) > 40 for k in value) or len(set(value)) != len(value):
            raise ValueError("one or more distinct kinds of at most 40 characters each")
        return value

    @property
    def rules(self) -> GridRules:
        return GridRules(kinds=tuple(self.kinds), tolerance=self.tolerance)


class MemberSettings(_Group):
    """Local policy of members' dues (党费) and of the six-month review (README, "Dues")."""

    dues_bands: tuple[Band, ...] = setting(
        env="GRASSROOTS_DUES_BANDS", default_factory=lambda: DuesRules().employed,
        shown="`3000:0.5,5000:1,10000:1.5,*:2`",
        description="Monthly dues of employed members: `limit:percent` pairs of the declared monthly after-tax"
                    " income, ascending, the last `*` (above every limit); the whole income pays its band's rate.")
    dues_retired_bands: tuple[Band, ...] = setting(
        env="GRASSROOTS_DUES_RETIRED_BANDS", default_factory=lambda: DuesRules().retired,
        shown="`5000:0.5,*:1`", description="The same for retirees' declared pensions.")
    dues_flat_amount: Decimal = setting(
        DuesRules.flat, env="GRASSROOTS_DUES_FLAT_AMOUNT",
        description="Monthly dues in yuan of students and members on the minimum living allowance (低保).")
    dues_prepay_months: int = setting(
        DuesRules.prepay_months, env="GRASSROOTS_DUES_PREPAY_MONTHS", ge=0, le=24,
        description="Dues may be paid through at most this many months after the current one.")
    dues_late_months: int = setting(
        DuesRules.late_months, env="GRASSROOTS_DUES_LATE_MONTHS", ge=1, le=120,
        description="A payment whose first month lies more than this many months back needs a recorded reason.")
    review_months: int = setting(
        6, env="GRASSROOTS_REVIEW_MONTHS", ge=1, le=24,
        description="Full months without Party life, dues or assigned work that raise the review flag"
                    " (自行脱党 review; never a removal by itself).")
    reporting_deadline: tuple[int, int] = setting(
        ReportingRules.deadline, env="GRASSROOTS_REPORTING_DEADLINE", shown="`03-31`",
        description="Month and day (`MM-DD`) by which in-service members report each year to the community"
                    " where they live (双报到); a later report counts and is marked late.")
    volunteer_min_hours: Decimal = setting(
        VolunteerRules.min_hours, env="GRASSROOTS_VOLUNTEER_MIN_HOURS", ge=0, le=1000,
        description="Confirmed volunteer hours a member needs in a year (seed 003: 24); below it the appraisal"
                    " rates at most basically qualified.")
    volunteer_min_projects: int = setting(
        VolunteerRules.min_projects, env="GRASSROOTS_VOLUNTEER_MIN_PROJECTS", ge=0, le=100,
        description="Distinct volunteer activities (projects) a member needs in a year among the confirmed"
                    " entries (seed 003: 1).")
    party_life_required: tuple[Requirement, ...] = setting(
        env="GRASSROOTS_PARTY_LIFE_REQUIRED", default_factory=lambda: PartyLifeRules().required,
        shown=f"`{DEFAULT_REQUIRED}`",
        description="Meetings of Party life each branch holds (`partyLife`): `KIND:MONTHLY|QUARTERLY:count`,"
                    " comma-separated, a kind at most once (left out: not required).")

    @field_validator("party_life_required", mode="before")
    @classmethod
    def _requirements(cls, value: Any) -> Any:
        return parse_requirements(value) if isinstance(value, str) else value

    @property
    def party_life_rules(self) -> PartyLifeRules:
        return PartyLifeRules(required=tuple(self.party_life_required))

    @field_validator("reporting_deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> Any:
        return parse_deadline(value) if isinstance(value, str) else value

    @property
    def reporting_rules(self) -> ReportingRules:
        return ReportingRules(deadline=tuple(self.reporting_deadline))  # type: ignore[arg-type]

    @property
    def volunteer_rules(self) -> VolunteerRules:
        return VolunteerRules(min_hours=Decimal(self.volunteer_min_hours).quantize(Decimal("0.1")),
                              min_projects=self.volunteer_min_projects)

    @field_validator("dues_bands", "dues_retired_bands", mode="before")
    @classmethod
    def _bands(cls, value: Any) -> Any:
        return parse_bands(value) if isinstance(value, str) else value

    @field_validator("dues_flat_amount", mode="before")
    @classmethod
    def _flat(cls, value: Any) -> Any:
        try:
            return parse_money(value, "dues_flat_amount") if isinstance(value, str) else value
        except DomainError as exc:
            raise ValueError(str(exc)) from exc

    @property
    def dues_rules(self) -> DuesRules:
        return DuesRules(employed=tuple(self.dues_bands), retired=tuple(self.dues_retired_bands),
                         flat=self.dues_flat_amount, prepay_months=self.dues_prepay_months,
                         late_months=self.dues_late_months)


class ShopSettings(_Group):
    """Local policy of demonstration shops: notice, plaque recovery, good standing, star thresholds."""

    notice_days: int = setting(
        ShopRules.notice_days, env="GRASSROOTS_SHOP_NOTICE_DAYS", ge=1, le=60,
        description="Days a demonstration shop's public notice (公示) runs, unless its round states its own.")
    plaque_overdue_days: int = setting(
        ShopRules.plaque_overdue_days, env="GRASSROOTS_PLAQUE_OVERDUE_DAYS", ge=1, le=366,
        description="Days after revocation by which the plaque should be recovered; later it is listed as"
                    " overdue (`shops(filter: {plaqueOverdue: true})`).")
    dues_grace_months: int = setting(
        ShopRules.dues_grace_months, env="GRASSROOTS_SHOP_DUES_GRACE_MONTHS", ge=1, le=24,
        description="A member whose dues are this many months behind or more is not in good standing to run a"
                    " demonstration shop (`NotEligible`).")
    five_stars_from: int = setting(
        ShopRules.five_stars_from, env="GRASSROOTS_SHOP_FIVE_STARS_FROM", ge=1, le=100,
        description="Yearly average of quarterly scores (of 100) that confirms five stars.")
    three_stars_from: int = setting(
        ShopRules.three_stars_from, env="GRASSROOTS_SHOP_THREE_STARS_FROM", ge=1, le=100,
        description="Yearly average that confirms three stars; below it the yearly review revokes the plaque.")

    @model_validator(mode="after")
    def _thresholds(self) -> ShopSettings:
        if self.three_stars_from > self.five_stars_from:
            raise ValueError("three stars are reached at or below the five-star threshold")
        return self

    @property
    def rules(self) -> ShopRules:
        return ShopRules(notice_days=self.notice_days, plaque_overdue_days=self.plaque_overdue_days,
                         dues_grace_months=self.dues_grace_months, five_stars_from=self.five_stars_from,
                         three_stars_from=self.three_stars_from)


class RequestSettings(_Group):
    """Residents' requests: the category catalogue, each step's deadline, the escalation sweep."""

    categories: tuple[str, ...] = setting(
        DEFAULT_REQUEST_CATEGORIES, env="GRASSROOTS_REQUEST_CATEGORIES",
        shown="`" + ",".join(DEFAULT_REQUEST_CATEGORIES) + "`",
        description="The categories a resident's request may have (comma-separated, each at most 40 characters);"
                    " a department handles some of them.")
    deadlines: dict[Urgency, dict[str, Limit]] = setting(
        env="GRASSROOTS_REQUEST_DEADLINES", default_factory=lambda: parse_deadlines(""),
        shown="`NORMAL:respond=24h,handle=5d,dispatch=24h,accept=1wd,resolve=7d;"
              "URGENT:respond=2h,handle=1d,dispatch=4h,accept=4h,resolve=2d`",
        description="Each step's deadline per urgency: `URGENCY:step=limit,...` separated by `;`, limits in hours"
                    " (`h`), days (`d`) or working days (`wd`: Monday–Friday, China time; holidays are not known);"
                    " steps left out keep their default. Steps: respond (the community takes or escalates),"
                    " handle (the community resolves what it took), dispatch (the street), accept and resolve"
                    " (the department).")
    sweep_interval: float = setting(
        60.0, env="GRASSROOTS_REQUEST_SWEEP_INTERVAL", ge=0,
        description="Seconds between the escalation sweeps of `grassroots serve` (overdue requests go to the"
                    " next level, recorded by the system actor with the rule as reason); `0`: no sweeper runs"
                    " (`grassroots requests escalate` runs one sweep).")

    @field_validator("categories", mode="before")
    @classmethod
    def _category_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(k.strip().upper() for k in value.split(",") if k.strip())
        return value

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(len(k) > 40 for k in value) or len(set(value)) != len(value):
            raise ValueError("one or more distinct categories of at most 40 characters each")
        return value

    @field_validator("deadlines", mode="before")
    @classmethod
    def _deadlines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_deadlines(value)
        return value

    @field_validator("deadlines")
    @classmethod
    def _all_steps(cls, value: dict[Urgency, dict[str, Limit]]) -> dict[Urgency, dict[str, Limit]]:
        if set(value) != set(Urgency) or any(set(v) != set(REQUEST_STEPS) for v in value.values()):
            raise ValueError(f"every urgency needs every step ({', '.join(REQUEST_STEPS)})")
        return value

    @property
    def rules(self) -> RequestRules:
        return RequestRules(categories=tuple(self.categories), deadlines=self.deadlines)


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
    ws_keepalive: float = setting(
        10.0, env="GRASSROOTS_WS_KEEPALIVE", gt=0,
        description="Seconds without a ping after which a WebSocket client gets a"
                    " graphql-transport-ws `ping`; a `ping` unanswered this long closes the"
                    " connection (1011), each subscription first with `KEEPALIVE_TIMEOUT`"
                    " and `resumeAfter`.")
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
                    " (`checkpoint-signing-key.pem`), personal-data key (`personal-data-key`) and"
                    " append key (`append-key`).")
    environment: Literal["development", "production"] = setting(
        "development", env="GRASSROOTS_ENV",
        description="`production` refuses to start without `GRASSROOTS_JWT_SECRET`, a"
                    " personal-data key, a signing key and an append key (below), and turns"
                    " `GRASSROOTS_WEBHOOK_ALLOW_PRIVATE` and `GRASSROOTS_WITNESS_ALLOW_PRIVATE` off"
                    " by default.")
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
    append_key: str | None = setting(
        None, env="GRASSROOTS_APPEND_KEY", secret=True,
        shown="generated into the data dir (development only)",
        description="Key with which the application authenticates every event it appends"
                    " (HMAC-SHA256); the hasher seals only authenticated events, so a row"
                    " written with SQL is refused. 32 random bytes in base64 or hex"
                    " (`openssl rand -base64 32`); several, comma-separated and newest"
                    " first, while rotating (the first signs, all verify). Every process that"
                    " appends or hashes needs it; keep it out of the database, its backups and"
                    " its administrators' reach. `production` refuses to start without it or the"
                    " next.")
    append_key_file: Path | None = setting(
        None, env="GRASSROOTS_APPEND_KEY_FILE",
        description="A file holding that key (or keys, one a line) instead.")
    transfer_validity_days: dict[TransferScope, int] = setting(
        env="GRASSROOTS_TRANSFER_VALIDITY_DAYS",
        default_factory=lambda: dict(TransferRules().validity_days),
        description="Letter validity by scope (local policy), also each scope's cap: a letter is"
                    " valid for at most its scope's days (1–180); scopes left out keep their"
                    " default.")
    receipt_due_days: int = setting(
        TransferRules.receipt_due_days, env="GRASSROOTS_RECEIPT_DUE_DAYS", ge=1,
        description="Receipt due this many days after acceptance.")
    transfer_approval: TransferApproval = setting(
        env="GRASSROOTS_TRANSFER_APPROVAL", default_factory=TransferApproval, shown="`off`",
        description="The approval step (审批) before a transfer's letter: `off`, `all`, or comma-separated"
                    " district ids (the sending organization's root). Where on, `issueTransferLetter` answers"
                    " `ApprovalRequired` until the level above the sender runs `approveMemberTransfer`.")
    transfer_expiring_days: int = setting(
        3, env="GRASSROOTS_TRANSFER_EXPIRING_DAYS", ge=0, le=90,
        description="A letter expiring within this many days is listed by `transfers(filter: {expiringSoon:"
                    " true})` and shows `expiringSoon`.")
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
    grids: GridSettings = Field(default_factory=GridSettings)
    shops: ShopSettings = Field(default_factory=ShopSettings)
    requests: RequestSettings = Field(default_factory=RequestSettings)
    members: MemberSettings = Field(default_factory=MemberSettings)
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
        """In production, webhooks and witnesses may not reach private addresses unless told so."""
        if isinstance(data, dict) and data.get("environment") == "production":
            given = data.get("integrations", {})
            if isinstance(given, dict) and "webhook_allow_private" not in given:
                data = {**data, "integrations": {**given, "webhook_allow_private": False}}
            integrity = data.get("integrity", {})
            if isinstance(integrity, dict) and "witness_allow_private" not in integrity:
                data = {**data, "integrity": {**integrity, "witness_allow_private": False}}
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
        if any(not 1 <= days <= MAX_VALIDITY_DAYS for days in value.values()):
            raise ValueError(f"validity is at least 1 day and at most {MAX_VALIDITY_DAYS} days (the longest"
                             " any local rule allows)")
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
                             receipt_due_days=self.receipt_due_days, approval=self.transfer_approval)

    @field_validator("transfer_approval", mode="before")
    @classmethod
    def _approval(cls, value: Any) -> Any:
        return TransferApproval.parse(value) if isinstance(value, str) else value

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

"""Configuration is written once (api/config.py): the README table is generated from it,
every value parses or fails clearly, and the settings reach the code that uses them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from api.auth import signing_secret
from api.config import (
    ConfigError,
    FeedSettings,
    IntegrationSettings,
    Settings,
    documented_variables,
    settings_table,
)
from api.graphql.core.context import Context, Loaders
from api.graphql.core.limits import MAX_COST, limit_rules
from api.schema import schema
from api.signing import signing_key
from domain.funds.aggregate import YearEnd
from domain.members.aggregate import TransferRules, TransferScope
from domain.shared.permissions import Actor, Role

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_table() -> str:
    text = README.read_text()
    section = text[text.index("## Configuration"):]
    lines = section.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("| variable |"))
    end = next(n for n in range(start, len(lines)) if not lines[n].startswith("|"))
    return "\n".join(lines[start:end]) + "\n"


def leaf_fields(model: type[BaseModel] = Settings) -> list[tuple[str, Any]]:
    found = []
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += leaf_fields(kind)
        else:
            found.append((name, info))
    return found


# -- documented once ---------------------------------------------------------------------


def test_the_readme_table_is_the_generated_one() -> None:
    assert readme_table() == settings_table(), (
        "README's Configuration table drifted from api/config.py: regenerate it with "
        "`.venv/bin/python -m api.config`")


def test_every_documented_variable_is_a_field_with_a_description() -> None:
    documented = re.findall(r"^\| `([A-Z_]+)` \|", readme_table(), re.MULTILINE)
    assert documented == documented_variables()
    assert len(set(documented)) == len(documented)
    fields = leaf_fields()
    assert len(fields) == len(documented)
    for name, info in fields:
        assert info.json_schema_extra["env"] in documented, name
        assert info.description and info.description.strip(), name


def test_the_defaults_parse_and_are_what_the_table_says() -> None:
    s = Settings.from_env({})
    assert (s.database_url, s.environment, s.jwt_secret) == (None, "development", None)
    assert s.transfer_rules == TransferRules()
    assert (s.read_your_writes_timeout, s.max_page_size, s.default_page_size, s.pool_size,
            s.log_level) == (2.0, 200, 50, 10, "INFO")
    assert (s.funds.minimum, s.funds.year_end, s.funds.disclosure_due_days) == (
        Decimal("120000.00"), YearEnd.CARRY_OVER, 30)
    assert s.integrations == IntegrationSettings()
    assert s.integrations.webhook_allow_private and not s.integrations.relay_nats
    assert s.feed == FeedSettings(buffer_size=4096, max_subscribers=10_000,
                                  max_per_connection=20, max_limit=1000)
    assert (s.integrity.checkpoint_every, s.integrity.checkpoint_interval, s.integrity.hasher) == (
        10_000, 300.0, True)
    # Each default the table states as a value means the default when given back.
    rows = re.findall(r"^\| `([A-Z_]+)` \| `([^`]*)` \|", settings_table(), re.MULTILINE)
    assert len(rows) > 20
    for var, shown in rows:
        assert Settings.from_env({var: shown}) == s, var


def test_values_come_from_the_variables_and_compound_ones_parse() -> None:
    s = Settings.from_env({
        "DATABASE_URL": "postgresql://127.0.0.1/x",
        "GRASSROOTS_TRANSFER_VALIDITY_DAYS": "within_city=5, ACROSS_PROVINCES=60",
        "GRASSROOTS_RECEIPT_DUE_DAYS": "14",
        "GRASSROOTS_RYW_TIMEOUT": "0.5",
        "GRASSROOTS_FUND_MINIMUM": "80000.5",
        "GRASSROOTS_FUND_YEAR_END": "return",
        "GRASSROOTS_WEBHOOK_MAX_FAILURES": "3",
        "GRASSROOTS_RELAY_NATS": "yes",
        "GRASSROOTS_FEED_BUFFER": "64",
        "GRASSROOTS_HASHER": "0",
        "GRASSROOTS_LOG_LEVEL": "debug",
        "GRASSROOTS_JWT_SECRET": "",  # empty counts as unset
    })
    assert s.database_url == "postgresql://127.0.0.1/x" and s.jwt_secret is None
    assert s.transfer_rules == TransferRules(
        validity_days={TransferScope.WITHIN_CITY: 5, TransferScope.OUTSIDE_CITY: 30,
                       TransferScope.ACROSS_PROVINCES: 60}, receipt_due_days=14)
    assert s.read_your_writes_timeout == 0.5
    assert (s.funds.minimum, s.funds.year_end) == (Decimal("80000.50"), YearEnd.RETURN)
    assert s.integrations.webhook_max_failures == 3 and s.integrations.relay_nats
    assert s.feed.buffer_size == 64 and not s.integrity.hasher and s.log_level == "DEBUG"


@pytest.mark.parametrize(("var", "value", "says"), [
    ("GRASSROOTS_MAX_PAGE_SIZE", "many", "valid integer"),
    ("GRASSROOTS_MAX_PAGE_SIZE", "0", "greater than or equal to 1"),
    ("GRASSROOTS_RYW_TIMEOUT", "-1", "greater than 0"),
    ("GRASSROOTS_TRANSFER_VALIDITY_DAYS", "WITHIN_CITY=ten", "WITHIN_CITY=10,OUTSIDE_CITY=30"),
    ("GRASSROOTS_TRANSFER_VALIDITY_DAYS", "ON_THE_MOON=10", "bad entry 'ON_THE_MOON=10'"),
    ("GRASSROOTS_TRANSFER_VALIDITY_DAYS", "WITHIN_CITY=0", "at least 1 day"),
    ("GRASSROOTS_FUND_MINIMUM", "12.345", "two decimals"),
    ("GRASSROOTS_FUND_MINIMUM", "lots", "not an amount"),
    ("GRASSROOTS_FUND_YEAR_END", "keep", "carry_over or return"),
    ("GRASSROOTS_DISCLOSURE_DUE_DAYS", "400", "less than or equal to 366"),
    ("GRASSROOTS_ENV", "prod", "'development' or 'production'"),
    ("GRASSROOTS_HASHER", "maybe", "valid boolean"),
    ("GRASSROOTS_WEBHOOK_MAX_FAILURES", "0", "greater than or equal to 1"),
    ("GRASSROOTS_CHECKPOINT_EVERY", "0", "greater than or equal to 1"),
    ("GRASSROOTS_FEED_MAX_LIMIT", "1e3", "valid integer"),
    ("GRASSROOTS_LOG_LEVEL", "LOUD", "DEBUG, INFO"),
])
def test_a_bad_value_is_refused_naming_the_variable(var: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({var: value})
    assert str(caught.value).startswith(f"{var}="), caught.value
    assert says in str(caught.value)


def test_settings_read_the_process_environment_and_keywords_override_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRASSROOTS_MAX_PAGE_SIZE", "20")
    monkeypatch.setenv("GRASSROOTS_FEED_BUFFER", "7")
    assert Settings().max_page_size == 20 and Settings.from_env().feed.buffer_size == 7
    assert Settings(max_page_size=30).max_page_size == 30
    assert Settings(feed=FeedSettings(max_limit=5)).feed == FeedSettings(max_limit=5)
    assert Settings.from_env({}).max_page_size == 200  # only the mapping given
    with pytest.raises(ConfigError, match="GRASSROOTS_MAX_PAGE_SIZE"):
        Settings(max_page_size="twenty")


# -- production ---------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_jwt_secret_and_a_signing_key(tmp_path: Path) -> None:
    env = {"GRASSROOTS_ENV": "production", "GRASSROOTS_DATA_DIR": str(tmp_path)}
    bare = Settings.from_env(env)
    with pytest.raises(ConfigError, match="GRASSROOTS_JWT_SECRET"):
        signing_secret(bare)
    with pytest.raises(ConfigError, match="GRASSROOTS_SIGNING_KEY"):
        signing_key(bare)
    ready = Settings.from_env({**env, "GRASSROOTS_JWT_SECRET": "s" * 32,
                               "GRASSROOTS_SIGNING_KEY": "11" * 32})
    assert signing_secret(ready) == "s" * 32
    assert signing_key(ready).private_bytes_raw() == bytes.fromhex("11" * 32)
    assert list(tmp_path.iterdir()) == []  # nothing generated in production


def test_production_turns_private_webhook_addresses_off_unless_told() -> None:
    assert not Settings.from_env({"GRASSROOTS_ENV": "production"}).integrations.webhook_allow_private
    assert Settings.from_env({"GRASSROOTS_ENV": "production",
                              "GRASSROOTS_WEBHOOK_ALLOW_PRIVATE": "1"}).integrations.webhook_allow_private
    assert not Settings.from_env({"GRASSROOTS_WEBHOOK_ALLOW_PRIVATE": "off"}
                                 ).integrations.webhook_allow_private
    assert Settings.from_env({}).integrations.webhook_allow_private


# -- the page size reaches the query cost rule -------------------------------------------


ADMIN = Actor(subject="t", name="t", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)


class NoRows:
    """A pool with an empty database: resolvers run, pages come back empty."""

    async def fetch(self, *_args: Any) -> list[Any]:
        return []


def context(settings: Settings) -> Context:
    pool: Any = NoRows()
    return Context(actor=ADMIN, pool=pool, commands=None, supervisor=None,  # type: ignore[arg-type]
                   settings=settings, correlation_id=uuid.uuid4(), loaders=Loaders(pool),
                   clock=lambda: datetime.now(UTC), position=1)


VARIABLE_PAGES = """query($n: Int) { funds(first: $n) { edges { node { year
    ledger(first: $n) { edges { node { amount } } } } } } }"""


async def run(settings: Settings, query: str, **variables: Any) -> tuple[Any, list[str]]:
    result = await schema.execute(query, variable_values=variables, context_value=context(settings))
    return result.data, [e.message for e in result.errors or []]


async def test_the_configured_page_size_reaches_the_query_cost_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRASSROOTS_MAX_PAGE_SIZE", "20")
    small, default = Settings(), Settings.from_env({})
    assert small.max_page_size == 20 and small.default_page_size == 20

    # A literal page over the configured maximum is refused before anything runs ...
    data, errors = await run(small, "{ funds(first: 50) { edges { node { year } } } }")
    assert data is None and errors == ["first must be 1–20"]
    data, errors = await run(default, "{ funds(first: 50) { edges { node { year } } } }")
    assert errors == [] and data == {"funds": {"edges": []}}

    # ... and a variable page counts as the configured maximum: 20 × 20 rows per page
    # nest well within the cost limit, where 200 × 200 do not.
    data, errors = await run(default, VARIABLE_PAGES, n=20)
    assert data is None and errors == [
        f"the query costs more than {MAX_COST} (nested pages multiply: each field counts once "
        "per row of every page around it); ask for smaller pages"]
    data, errors = await run(small, VARIABLE_PAGES, n=20)
    assert errors == [] and data == {"funds": {"edges": []}}
    # The resolvers hold a variable page to the same maximum.
    data, errors = await run(small, VARIABLE_PAGES, n=50)
    assert errors == ["first must be 1–20"]


def test_the_rules_are_built_once_per_configuration() -> None:
    twenty = Settings.from_env({"GRASSROOTS_MAX_PAGE_SIZE": "20"})
    again = Settings.from_env({"GRASSROOTS_MAX_PAGE_SIZE": "20", "GRASSROOTS_LOG_LEVEL": "DEBUG"})
    assert limit_rules(twenty) is limit_rules(again)  # so ValidationCache hits across requests
    assert limit_rules(twenty) != limit_rules(Settings.from_env({}))

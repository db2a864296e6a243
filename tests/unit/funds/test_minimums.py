"""The minimum policy: tiers by id or division code, per grid branch, counted sources."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from api.config import ConfigError, Settings
from domain.funds.aggregate import AllocationSource
from domain.funds.minimums import Minimum, MinimumRules


def test_an_organization_id_wins_over_its_division_code_and_grid_branches_add_to_the_tier() -> None:
    org = uuid4()
    rules = MinimumRules(tiers={"central": Decimal("200000.00"), "edge": Decimal("80000.00")},
                         assigned={"320508019001": "central", str(org): "edge"},
                         per_grid_branch=Decimal("3000.00"))
    assert rules.minimum_for(org, "320508019001", 2) == Minimum("edge", Decimal("86000.00"))
    assert rules.minimum_for(uuid4(), "320508019001") == Minimum("central", Decimal("200000.00"))
    assert rules.minimum_for(uuid4(), None, 1) == Minimum("default", Decimal("123000.00"))


def test_sponsorship_dues_and_carry_over_do_not_count_by_default() -> None:
    rules = MinimumRules()
    assert [s.value for s in AllocationSource if rules.counts(s)] == ["FISCAL_BUDGET", "FISCAL_SUBSIDY"]
    with pytest.raises(ValueError, match="carry-over"):
        MinimumRules(counted=frozenset({AllocationSource.CARRIED_OVER}))


def test_the_environment_configures_tiers_and_a_tier_nobody_defined_is_refused() -> None:
    s = Settings.from_env({"GRASSROOTS_FUND_MINIMUM_TIERS": "central=200000;other=120000",
                           "GRASSROOTS_FUND_MINIMUM_TIER_OF": "320508019001=central",
                           "GRASSROOTS_FUND_MINIMUM_PER_GRID_BRANCH": "3000",
                           "GRASSROOTS_FUND_MINIMUM_SOURCES": "fiscal_budget"})
    rules = s.funds.minimum_rules
    assert rules.minimum_for(uuid4(), "320508019001").amount == Decimal("200000.00")
    assert rules.counted == frozenset({AllocationSource.FISCAL_BUDGET})
    with pytest.raises(ConfigError, match="undefined tier"):
        Settings.from_env({"GRASSROOTS_FUND_MINIMUM_TIER_OF": "320508019001=centre"})
    with pytest.raises(ConfigError, match="GRASSROOTS_FUND_MINIMUM_TIERS"):
        Settings.from_env({"GRASSROOTS_FUND_MINIMUM_TIERS": "central"})
    with pytest.raises(ConfigError, match="GRASSROOTS_FUND_MINIMUM_SOURCES"):
        Settings.from_env({"GRASSROOTS_FUND_MINIMUM_SOURCES": "sponsorship"})

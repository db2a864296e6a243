"""Money over GraphQL is a decimal string matching the documented pattern, or a ValidationError.

Before, the JSON integer ``5``, ``"1_000"``, ``"1e3"`` and Arabic-Indic digits were all
taken as amounts. Each refusal appends nothing (the fund's balance and version stay).
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Server
from tests.e2e.test_funds_auditor import FUND_RESULT, community_fund, mutate


async def test_only_plain_decimal_strings_are_money(server: Server) -> None:
    w = await community_fund(server)
    before = await server.ok(w["finance"], "query($id: ID!) { fund(id: $id) { balance version } }", {"id": w["fund"]})
    bad: list[Any] = [5, 0.1, "1_000", "1e3", "٥٠٠", "５００", " 500", "500.001", "-5"]
    for amount in bad:
        out = await mutate(server, w["finance"], "allocateFunds", {
            "fundId": w["fund"], "amount": amount, "source": "FISCAL_BUDGET", "effectiveOn": "2026-01-20",
            "documentNo": "文2"}, FUND_RESULT)
        assert out["__typename"] == "ValidationError" and out["field"] == "amount", (amount, out)
    after = await server.ok(w["finance"], "query($id: ID!) { fund(id: $id) { balance version } }", {"id": w["fund"]})
    assert after == before

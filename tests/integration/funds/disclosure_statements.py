"""The period disclosure's case of ``tests/integration/core/test_mutation_statements.py``: the
world ``recordFundDisclosure`` needs, its two runs (warm, then measured) and its pinned count.

Kept beside the area's tests; the core test takes them in (``DISCLOSURE_CASES``, ``DISCLOSURE_EXPECTED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from domain.funds.aggregate import AllocationSource, FundKind
from domain.shared.commands import Request
from tests.integration.support import FINANCE
from tests.usecases import UseCases

DISCLOSURE_EXPECTED: dict[str, int] = {
    # fund stream (the table is computed from it: no second read), path, append, disclosure row
    "recordFundDisclosure": 4,
}
Run = tuple[Any, ...]
"""(actor, the warming document, the measured document, whether the payload shows the change)."""
DISCLOSURE_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}


def doc(fund: uuid.UUID, period: str) -> str:
    return (f'mutation {{ recordFundDisclosure(input: {{fundId: "{fund}", period: "{period}",'
            ' publishedOn: "2026-02-03", place: "社区公示栏"}) { __typename'
            " ... on FundDisclosurePayload { disclosure { period digest } } ... on Error { code message } } }")


async def _disclose(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    fund = (await cmds.open_fund(Request(FINANCE, uuid.uuid4()), ids["east"], 2026, FundKind.SERVICE_FUND)).id
    await cmds.allocate_funds(Request(FINANCE, uuid.uuid4()), fund, "100000.00", AllocationSource.FISCAL_BUDGET,
                              date(2026, 1, 10), "文1")
    return (FINANCE, doc(fund, "2026-01"), doc(fund, "2026-01"),
            lambda p: p["disclosure"]["period"] == "2026-01" and len(p["disclosure"]["digest"]) == 64)


DISCLOSURE_CASES["recordFundDisclosure"] = _disclose

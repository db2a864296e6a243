"""A subscription's executor keeps nothing per event (``with_own_memo``): the memory of a
long subscription does not grow with the events it receives (the whole path, with the
feed and PostgreSQL: tests/integration/feed/test_feed_memory.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from api.graphql.core.execution import EXECUTION_CONTEXT
from api.graphql.feed.subscriptions import sharing_event_results


@strawberry.type
class Reading:
    meter: str
    value: int


@strawberry.type
class Query:
    @strawberry.field
    def nothing(self) -> int:
        return 0


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def readings(self) -> AsyncGenerator[Reading, None]:
        for n in range(300):
            yield Reading(meter="东区-7", value=n)


async def test_a_subscription_keeps_no_memo_entry_for_the_events_it_delivered() -> None:
    subscriptions: list[Any] = []
    per_event: list[Any] = []

    class Recording(EXECUTION_CONTEXT):  # type: ignore[misc, valid-type]
        def build_per_event_executor(self, payload: Any) -> Any:
            subscriptions.append(self)
            return super().build_per_event_executor(payload)

    class Sharing(sharing_event_results(Recording)):  # type: ignore[misc]
        def build_per_event_executor(self, payload: Any) -> Any:
            per_event.append(super().build_per_event_executor(payload))
            return per_event[-1]

    schema = strawberry.Schema(Query, subscription=Subscription, execution_context_class=Sharing)
    stream = await schema.subscribe("subscription { readings { meter value } }")
    assert not isinstance(stream, strawberry.types.ExecutionResult), stream
    values = [r.data["readings"]["value"] async for r in stream]  # type: ignore[index]
    assert values == list(range(300))
    (subscription,) = set(subscriptions)
    assert subscription._relevant_sub_fields == {}
    assert len({id(e._relevant_sub_fields) for e in per_event}) == 300  # each its own, dropped with it

"""An id of another kind of object is a typed refusal for every command, and nothing is
appended: a fund's, member's, webhook's, inspection's or grid's id that names an organization is
NotFound (it used to be replayed as the wrong aggregate: an internal error)."""

from __future__ import annotations

import dataclasses
import typing
from uuid import UUID

import pytest

from api.areas import DOMAIN_AREAS
from domain.shared.commands import Command, Request
from domain.shared.errors import DomainError, NotFound
from domain.webhooks.handlers import WebhookSecrets
from tests.unit.core.test_idempotency_every_command import BUILDERS, Secrets
from tests.unit.fakes import world

COMMANDS = [c for area in DOMAIN_AREAS for c in area.commands]
STREAMS = {"member_id", "fund_id", "webhook_id", "inspection_id", "grid_id", "shop_id", "round_id"}
"""Fields naming the stream a command loads: an organization's id there is NotFound."""


def _id_fields(command: type[Command]) -> list[str]:
    hints = typing.get_type_hints(command)
    return [f.name for f in dataclasses.fields(command) if hints[f.name] in (UUID, UUID | None)]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.action)
async def test_an_organizations_id_in_any_id_field_is_a_typed_refusal(command: type[Command]) -> None:
    w = await world()
    w.commands.handling.services[WebhookSecrets] = Secrets()
    actor, built = await BUILDERS[command](w)
    for name in _id_fields(command):
        wrong = dataclasses.replace(built, **{name: w.street})
        before = len(w.store.events)
        try:
            await w.commands.handling.run(wrong, Request(actor, UUID(int=7)))
        except DomainError as exc:
            assert len(w.store.events) == before, (name, exc)
            if name in STREAMS:
                assert isinstance(exc, NotFound), (name, exc)
        else:
            assert name not in STREAMS, f"{name} = an organization's id was accepted"

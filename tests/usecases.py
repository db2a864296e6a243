"""Use cases by their verb, for tests: ``uc.register_member(req, ...)`` runs ``RegisterMember``.

Tests read as "when a command": this helper lets them name the use case as the domain
does (``request_member_transfer``) and pass its fields in the command's own order,
while everything runs through the one real ``Handling.run``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from api.areas import DOMAIN_AREAS
from api.geometry import SHAPELY
from domain.grids.geometry import Geometry
from domain.shared.area import build_handling
from domain.shared.commands import Command, Outcome, Request
from domain.shared.handling import Directory, Handling
from domain.shared.ports import EventStore
from domain.webhooks.handlers import WebhookSecrets, registered_secret, suspend_failing_webhook


def _verb(cls: type[Command]) -> str:
    name = cls.__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


COMMANDS: dict[str, type[Command]] = {_verb(c): c for a in DOMAIN_AREAS for c in a.commands}


@dataclass(frozen=True)
class Registration:
    outcome: Outcome
    secret: str | None


class UseCases:
    """Every area's use cases as methods over one ``Handling``."""

    def __init__(self, handling: Handling) -> None:
        self.handling = handling

    @classmethod
    def build(cls, store: EventStore, directory: Directory, clock: Callable[[], datetime],
              services: Mapping[type, object] | None = None) -> UseCases:
        # The grid rules' geometry library, as api.bootstrap gives it, unless a test gives its own.
        return cls(build_handling(DOMAIN_AREAS, store, directory, clock, {Geometry: SHAPELY, **(services or {})}))

    @property
    def store(self) -> EventStore:
        return self.handling.store

    @property
    def directory(self) -> Directory:
        return self.handling.directory

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.handling.clock

    async def run(self, command: Command, req: Request) -> Outcome:
        return await self.handling.run(command, req)

    def __getattr__(self, verb: str) -> Callable[..., Awaitable[Outcome]]:
        command = COMMANDS.get(verb)
        if command is None:
            raise AttributeError(verb)

        async def run(req: Request, *args: Any, **kwargs: Any) -> Outcome:
            return await self.handling.run(command(*args, **kwargs), req)

        return run

    async def correct_member_details(self, req: Request, member_id: UUID, changes: dict[str, Any],
                                     reason: str) -> Outcome:
        return await self.__getattr__("correct_member_details")(req, member_id, reason, **changes)

    async def register_webhook(self, req: Request, **fields: Any) -> Registration:
        for many in ("stream_types", "event_types"):
            if fields.get(many) is not None:
                fields[many] = tuple(fields[many])
        outcome = await self.__getattr__("register_webhook")(req, **fields)
        secrets = self.handling.services[WebhookSecrets]
        return Registration(outcome, await registered_secret(outcome, secrets))  # type: ignore[arg-type]

    async def suspend_failing_webhook(self, webhook_id: UUID, reason: str) -> Outcome | None:
        return await suspend_failing_webhook(self.handling, webhook_id, reason)

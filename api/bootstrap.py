"""The one wiring point: builds the command handling and its dependencies, once.

``create_app`` (and the command line, and the tests) call ``build_handling`` at
start-up; nothing here is rebuilt per request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import asyncpg

from api.append_keys import append_keys
from api.areas import DOMAIN_AREAS
from api.config import Settings
from api.dues_collections import ReadModelDuesCollections
from api.geometry import SHAPELY
from api.keys import install_personal_keys
from api.screening import purpose_screen
from domain.funds.dues_account import DuesCollections
from domain.funds.handlers import FundRules
from domain.funds.minimums import MinimumRules
from domain.funds.screening import PurposeScreen
from domain.grids.aggregate import GridRules
from domain.grids.geometry import Geometry
from domain.members.aggregate import TransferRules
from domain.members.dues import DuesRules
from domain.members.reporting import ReportingRules
from domain.members.volunteering import VolunteerRules
from domain.requests.rules import RequestRules
from domain.shared.area import build_handling
from domain.shared.handling import Directory, Handling
from domain.shops.rules import ShopRules
from domain.webhooks.handlers import WebhookSecrets
from eventstore.postgres import PostgresEventStore
from projections.integrations.webhooks import WebhookSecretTable


class ReadModelDirectory:
    """Organization paths from the read model, for authorization."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def path_of(self, organization_id: UUID) -> list[UUID] | None:
        path = await self.pool.fetchval("SELECT path FROM organizations WHERE id = $1", organization_id)
        return None if path is None else list(path)


def handling(settings: Settings, pool: asyncpg.Pool, clock: Callable[[], datetime],
             directory: Directory | None = None, fingerprint_key: bytes = b"") -> Handling:
    """Every area's command handlers on the PostgreSQL event store, with local rules."""
    services: dict[type, object] = {
        TransferRules: settings.transfer_rules,
        DuesRules: settings.members.dues_rules,
        ReportingRules: settings.members.reporting_rules,
        VolunteerRules: settings.members.volunteer_rules,
        FundRules: FundRules(year_end=settings.funds.year_end, kinds=settings.funds.kind_rules,
                             dues_money=settings.funds.dues_money_rules),
        DuesCollections: ReadModelDuesCollections(pool),
        MinimumRules: settings.funds.minimum_rules,  # what a yearly plan may count on (proposeFundPlan)
        PurposeScreen: purpose_screen(settings),
        WebhookSecrets: WebhookSecretTable(pool),
        Geometry: SHAPELY,
        GridRules: settings.grids.rules,
        ShopRules: settings.shops.rules,
        RequestRules: settings.requests.rules,
    }
    # The personal-data keys seal what the store appends and open what every reader of
    # the log reads in this process (eventstore.personal_keys); the append keys
    # authenticate every append (eventstore.integrity.authenticators), given to this store
    # only, never installed process-wide. Production needs both.
    store = PostgresEventStore(pool, install_personal_keys(settings), append_keys(settings))
    return build_handling(DOMAIN_AREAS, store, directory or ReadModelDirectory(pool),
                          clock, services, fingerprint_key)


def fingerprint_key(token_secret: str) -> bytes:
    """The key of idempotency fingerprints, derived from the token signing secret."""
    return hmac.new(token_secret.encode(), b"grassroots idempotency fingerprint", hashlib.sha256).digest()

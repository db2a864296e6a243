"""Webhook subscriptions' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.webhooks.errors import ERRORS
from api.graphql.webhooks.schema import WebhookMutations, WebhookQueries

AREA = ApiArea("webhooks", query=WebhookQueries, mutation=WebhookMutations, errors=ERRORS,
               depends_on=('organizations',))

"""Webhook subscriptions' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.webhooks.errors import ERRORS
from api.graphql.webhooks.schema import WebhookMutations, WebhookQueries
from domain.webhooks.aggregate import MAX_FILTER_ITEMS

AREA = ApiArea("webhooks", query=WebhookQueries, mutation=WebhookMutations, errors=ERRORS,
               list_costs={"Webhook.streamTypes": MAX_FILTER_ITEMS, "Webhook.eventTypes": MAX_FILTER_ITEMS},
               depends_on=('organizations',))

"""The live feed's part of the schema: every subscription."""

from api.graphql.core.area import ApiArea
from api.graphql.feed.subscriptions import Subscription

AREA = ApiArea("feed", subscription=Subscription,
               depends_on=('organizations', 'members'))

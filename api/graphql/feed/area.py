"""The live feed's part of the schema: every subscription."""

from api.graphql.core.area import ApiArea
from api.graphql.feed.subscriptions import Subscription
from domain.shared.permissions import Role

AREA = ApiArea("feed", subscription=Subscription, list_costs={"LogEvent.actorRoles": len(Role)},
               depends_on=('organizations', 'members'))

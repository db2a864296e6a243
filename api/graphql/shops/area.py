"""Demonstration shops' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.shops.errors import ERRORS
from api.graphql.shops.mutations import ShopMutations
from api.graphql.shops.queries import ShopQueries, load_selection_round, load_shop
from api.graphql.shops.types import SelectionRound, Shop

AREA = ApiArea("shops", query=ShopQueries, mutation=ShopMutations, types=(Shop, SelectionRound), errors=ERRORS,
               nodes={"Shop": load_shop, "SelectionRound": load_selection_round},
               loaders={
                   "selection_round": by_id("SELECT * FROM selection_rounds WHERE id = ANY($1::uuid[])"),
                   "objections_of_shop": grouped(
                       "SELECT * FROM shop_objections WHERE shop_id = ANY($1::uuid[]) ORDER BY position", "shop_id"),
                   "complaints_of_shop": grouped(
                       "SELECT * FROM shop_complaints WHERE shop_id = ANY($1::uuid[]) ORDER BY position", "shop_id"),
                   "scores_of_shop": grouped(
                       "SELECT * FROM shop_scores WHERE shop_id = ANY($1::uuid[]) ORDER BY position", "shop_id"),
                   "plaques_of_shop": grouped(
                       "SELECT * FROM shop_tenures WHERE shop_id = ANY($1::uuid[]) ORDER BY awarded_position",
                       "shop_id"),
               },
               list_costs={
                   "Shop.objections": 20,
                   "Shop.complaints": 100,
                   "Shop.scores": 40,
                   "Shop.plaques": 10,
                   "ReconciliationLine.shops": 500,
               },
               depends_on=("organizations", "members"))

"""Demonstration shops: selection rounds with a quota, plaques, complaints, scores, revocation."""

from domain.shared.area import DomainArea
from domain.shops.aggregate import Shop
from domain.shops.complainants import ShopComplainant
from domain.shops.handlers import HANDLERS
from domain.shops.rounds import SelectionRound

AREA = DomainArea("shops", aggregates=(Shop, SelectionRound, ShopComplainant), handlers=HANDLERS,
                  depends_on=("organizations", "members"))

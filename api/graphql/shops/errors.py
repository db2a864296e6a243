"""Shops' typed errors."""

from api.graphql.core.errors import error_type
from domain.shops import errors as se

QuotaExhausted = error_type("QuotaExhausted", "The round's quota is taken: every place is held by an approved shop.",
                            se.QuotaExhausted)
NotEligible = error_type("NotEligible", "The shop or the member behind it does not meet the selection's conditions"
                         " (licence valid at the round's date, no criminal or administrative penalty, no serious"
                         " credit record, a full member in good standing).", se.NotEligible)
NoticePeriodRunning = error_type("NoticePeriodRunning", "The public notice has not run its days, or an objection"
                                 " filed in it is unresolved: the plaque cannot be awarded yet.",
                                 se.NoticePeriodRunning)
PlaqueSerialTaken = error_type("PlaqueSerialTaken", "The plaque serial was issued before: serials are never"
                               " reused.", se.PlaqueSerialTaken)
AlreadyRevoked = error_type("AlreadyRevoked", "The shop's plaque is already revoked (or already recovered).",
                            se.AlreadyRevoked)
ShopNotAllowed = error_type("ShopNotAllowed", "The shop's state does not allow this step (no open application, a"
                            " step out of order, a quarter scored twice, ...).", se.ShopNotAllowed)
RoundNotAllowed = error_type("RoundNotAllowed", "The selection round does not allow this (opened twice for a year,"
                             " the shop outside its business district).", se.RoundNotAllowed)
ERRORS = (QuotaExhausted, NotEligible, NoticePeriodRunning, PlaqueSerialTaken, AlreadyRevoked, ShopNotAllowed,
          RoundNotAllowed)

"""The shops area's typed errors (each answered by a GraphQL error type of the same name)."""

from __future__ import annotations

from domain.shared.errors import AlreadyExists, DomainError


class QuotaExhausted(DomainError):
    """The selection round's quota is taken: every place is held by an approved shop."""

    code = "QUOTA_EXHAUSTED"


class NotEligible(DomainError):
    """The shop or its owner does not meet the selection's conditions (licence valid at the
    round's date, no criminal or administrative penalty, no serious credit record, a full
    member in good standing behind it)."""

    code = "NOT_ELIGIBLE"


class NoticePeriodRunning(DomainError):
    """The public notice (公示) has not run its days yet, or an objection filed in it is not
    resolved: the plaque cannot be awarded."""

    code = "NOTICE_PERIOD_RUNNING"


class PlaqueSerialTaken(AlreadyExists):
    """The plaque serial was issued before (to this or another shop): serials are never reused."""

    code = "PLAQUE_SERIAL_TAKEN"


class AlreadyRevoked(DomainError):
    """The shop's plaque is already revoked (摘牌), or its plaque already recovered."""

    code = "ALREADY_REVOKED"


class ShopNotAllowed(DomainError):
    """The shop's state does not allow this step (no open application, a step out of order,
    an application in another round already, a quarter scored twice, ...)."""

    code = "SHOP_NOT_ALLOWED"


class RoundNotAllowed(DomainError):
    """The selection round does not allow this (opened twice for one year, the shop lies
    outside the round's business district, ...)."""

    code = "ROUND_NOT_ALLOWED"

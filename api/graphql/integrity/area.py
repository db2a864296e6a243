"""Tamper evidence's part of the schema: checkpoints, proofs, the signing key."""

from api.graphql.core.area import ApiArea
from api.graphql.integrity.schema import IntegrityMutations, IntegrityQueries

AREA = ApiArea("integrity", query=IntegrityQueries, mutation=IntegrityMutations)

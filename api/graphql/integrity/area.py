"""Tamper evidence's part of the schema: checkpoints, proofs, the signing key."""

from api.graphql.core.area import ApiArea
from api.graphql.integrity.schema import IntegrityMutations, IntegrityQueries
from eventstore.integrity.witness_targets import MAX_WITNESSES

AREA = ApiArea("integrity", query=IntegrityQueries, mutation=IntegrityMutations,
               # a proof holds one hash per level of a Merkle tree over at most 2^63 events
               list_costs={"EventProof.auditPath": 64, "ConsistencyProof.path": 64,
                           "IntegrityStatus.witnesses": MAX_WITNESSES})

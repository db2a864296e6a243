"""Tamper evidence's GraphQL part: checkpoints, proofs and the signing key."""

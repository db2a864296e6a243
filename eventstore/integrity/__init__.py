"""Tamper evidence: canonical encoding, Merkle tree, its tables, the hasher, verify and evidence files."""

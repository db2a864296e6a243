"""The Merkle tree is RFC 6962's: known roots, and proofs checked against a plain recursion."""

from __future__ import annotations

import hashlib

import pytest

from eventstore.integrity import merkle

# The eight leaf inputs of the RFC 6962 test vectors (certificate-transparency,
# transparency-dev/merkle) and the roots of the trees over their first n.
INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


# -- a deliberately naive RFC 6962 §2.1 implementation to compare with ------------------


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def data(n: int) -> list[bytes]:
    return [f"event {i}".encode() for i in range(n)]


def stored(d: list[bytes]):  # type: ignore[no-untyped-def]
    """A node lookup over complete subtrees, as the database stores them."""

    def get(key: merkle.NodeKey) -> bytes:
        level, idx = key
        return mth(d[idx << level : (idx + 1) << level])

    return get


def test_roots_match_the_rfc_6962_test_vectors() -> None:
    tree = merkle.CompactRange()
    for n, (item, expected) in enumerate(zip(INPUTS, ROOTS, strict=True), start=1):
        tree.append(merkle.leaf_hash(item))
        assert tree.root().hex() == expected, n
        assert mth(INPUTS[:n]).hex() == expected


def test_the_empty_tree_hashes_to_the_hash_of_nothing() -> None:
    assert merkle.CompactRange().root() == hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT


def test_appending_reports_exactly_the_complete_subtrees_it_finishes() -> None:
    d = data(37)
    tree = merkle.CompactRange()
    finished = {}
    for item in d:
        for level, idx, h in tree.append(merkle.leaf_hash(item)):
            finished[(level, idx)] = h
    expected = {(lv, i) for lv in range(1, 6) for i in range(37 >> lv)}
    assert set(finished) == expected
    get = stored(d)
    assert all(h == get(k) for k, h in finished.items())


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 16, 33])
def test_inclusion_proofs_equal_rfc_6962_paths_and_verify(n: int) -> None:
    d = data(n)
    root = mth(d)
    for m in range(n):
        proof = merkle.resolve(merkle.inclusion_keys(m, n), stored(d))
        assert proof == path(m, d)
        assert merkle.root_from_inclusion(m, n, merkle.leaf_hash(d[m]), proof) == root


def test_an_inclusion_proof_fails_for_another_leaf_or_another_index() -> None:
    d = data(11)
    proof = merkle.resolve(merkle.inclusion_keys(6, 11), stored(d))
    root = mth(d)
    assert merkle.root_from_inclusion(6, 11, merkle.leaf_hash(b"forged"), proof) != root
    assert merkle.root_from_inclusion(5, 11, merkle.leaf_hash(d[6]), proof) != root
    assert merkle.root_from_inclusion(6, 11, merkle.leaf_hash(d[6]), proof[:-1]) is None
    assert merkle.root_from_inclusion(11, 11, merkle.leaf_hash(d[6]), proof) is None


@pytest.mark.parametrize("new", [1, 2, 3, 7, 8, 9, 21, 32])
def test_consistency_proofs_equal_rfc_6962_proofs_and_verify(new: int) -> None:
    d = data(new)
    for old in range(1, new + 1):
        proof = merkle.resolve(merkle.consistency_keys(old, new), stored(d))
        assert proof == (subproof(old, d, True) if old < new else [])
        assert merkle.verify_consistency(old, new, mth(d[:old]), mth(d), proof)


def test_a_consistency_proof_fails_when_the_old_tree_was_rewritten() -> None:
    d = data(12)
    proof = merkle.resolve(merkle.consistency_keys(5, 12), stored(d))
    rewritten = [*d[:2], b"changed", *d[3:5]]
    assert not merkle.verify_consistency(5, 12, mth(rewritten), mth(d), proof)
    assert not merkle.verify_consistency(5, 12, mth(d[:5]), mth([*d[:11], b"x"]), proof)


def test_chunk_levels_hold_every_complete_subtree_of_a_chunk() -> None:
    d = data(8)
    levels = merkle.chunk_levels(b"".join(merkle.leaf_hash(x) for x in d))
    assert [len(lv) // 32 for lv in levels] == [8, 4, 2, 1]
    assert levels[3] == mth(d)
    assert levels[1][32:64] == mth(d[2:4])

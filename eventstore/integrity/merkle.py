"""RFC 6962 / RFC 9162 Merkle trees over the event log: hashes, proofs, verification.

Pure: no I/O. The tree over leaves ``d[0..n)`` is exactly RFC 6962's ``MTH``:
``leaf = SHA-256(0x00 || data)``, ``node = SHA-256(0x01 || left || right)``, a tree of
``n > 1`` leaves splits at ``k``, the largest power of two below ``n``; the empty tree's
root is ``SHA-256("")``. So any RFC 6962 / RFC 9162 verifier (e.g. Go's
``transparency-dev/merkle``) checks our inclusion and consistency proofs.

Storage model: a node key ``(level, idx)`` names the *complete* subtree over leaves
``[idx * 2**level, (idx + 1) * 2**level)``; level 0 is the leaves. Only complete
subtrees are stored. Every hash a proof needs is either one complete subtree or the
root of an incomplete right edge, which folds from the O(log n) complete subtrees it
decomposes into (its "peaks"). So a proof costs O(log n) stored rows, which is what
``inclusion_keys`` and ``consistency_keys`` list before anything is fetched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

NodeKey = tuple[int, int]
"""(level, idx): the complete subtree over leaves [idx * 2**level, (idx + 1) * 2**level)."""

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_keys(start: int, end: int) -> list[NodeKey]:
    """Complete subtrees that make up leaves [start, end), largest (leftmost) first.

    ``start`` must be a multiple of a power of two at least ``end - start``, which holds
    for every range RFC 6962's recursion visits (and for [0, n)).
    """
    keys: list[NodeKey] = []
    offset, size = start, end - start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, offset >> level))
            offset += 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """The RFC 6962 root of adjacent complete subtrees given left to right (largest first)."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def inclusion_keys(index: int, size: int) -> list[list[NodeKey]]:
    """For RFC 6962 ``PATH(index, D[size])``: each path element as the keys it folds from."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[list[NodeKey]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(range_keys(start + k, end))
            end = start + k
        else:
            path.append(range_keys(start, start + k))
            start += k
    path.reverse()  # the recursion emits the element nearest the root first
    return path


def consistency_keys(old: int, new: int) -> list[list[NodeKey]]:
    """For RFC 6962 ``PROOF(old, D[new])``: each proof element as the keys it folds from."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to {new}")
    if old == 0 or old == new:
        return []
    proof: list[list[NodeKey]] = []
    start, end, m, complete = 0, new, old, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append(range_keys(start, end))
            break
        k = _split(n)
        if m <= k:
            proof.append(range_keys(start + k, end))
            end = start + k
        else:
            proof.append(range_keys(start, start + k))
            start, m, complete = start + k, m - k, False
    proof.reverse()
    return proof


def resolve(keys: list[list[NodeKey]], get: Callable[[NodeKey], bytes]) -> list[bytes]:
    """Turn proof keys into proof hashes with a node lookup."""
    return [fold([get(k) for k in group]) for group in keys]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root ``path`` proves ``leaf`` into, or None if it is malformed."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether the tree of size ``new`` extends the one of size ``old``."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return old_root == new_root and not proof
    if old == 0:
        return not proof  # everything extends the empty tree
    path = list(proof)
    if not path:
        return False
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


@dataclass
class CompactRange:
    """The right edge of a growing tree: the peaks (complete subtrees) of leaves [0, size).

    ``append`` adds a leaf and returns the complete nodes it finished, so a writer can
    store them; ``root`` folds the peaks. O(log n) memory whatever the size.
    """

    size: int = 0
    peaks: list[bytes] = field(default_factory=list)

    @classmethod
    def load(cls, size: int, get: Callable[[NodeKey], bytes]) -> CompactRange:
        return cls(size, [get(k) for k in range_keys(0, size)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        finished: list[tuple[int, int, bytes]] = []
        index, h, level = self.size, leaf, 0
        self.size += 1
        while index & 1:  # the new node completes its parent while it is a right child
            h = node_hash(self.peaks.pop(), h)
            level, index = level + 1, index >> 1
            finished.append((level, index, h))
        self.peaks.append(h)
        return finished

    def root(self) -> bytes:
        return fold(self.peaks)


def chunk_levels(leaves: bytes) -> list[bytes]:
    """Every complete level of the subtree over concatenated leaf hashes, level 0 first.

    Level ``L`` holds the hashes of the complete ``2**L``-leaf subtrees from the first
    leaf on, concatenated; used to build a whole chunk of a tree at C speed per node.
    """
    levels = [leaves]
    current = leaves
    sha = hashlib.sha256
    while len(current) >= 2 * HASH_SIZE:
        pairs = len(current) // (2 * HASH_SIZE)
        current = b"".join(
            sha(b"\x01" + current[i : i + 2 * HASH_SIZE]).digest()
            for i in range(0, pairs * 2 * HASH_SIZE, 2 * HASH_SIZE)
        )
        levels.append(current)
    return levels

"""RFC 9162 Merkle tree hashing, inclusion and consistency proofs (generation, checking).

* leaf hash ``SHA-256(0x00 || data)``, node hash ``SHA-256(0x01 || left || right)``:
  the prefixes keep a leaf from ever passing for an inner node (second preimages);
* the tree head of ``n`` leaves is the RFC's ``MTH``: the empty tree hashes to
  ``SHA-256("")``; otherwise the left subtree holds the largest power of two below ``n``;
* proofs are lists of 32-byte hashes in the RFC's order (``PATH`` and ``PROOF``,
  section 2.1.3.1 and 2.1.4.1); the checks are the RFC's algorithms (2.1.3.2, 2.1.4.2);
* digests are compared in constant time.

Pure: no storage, no I/O. :class:`MerkleTree` keeps every perfect subtree's hash, so
roots and proofs for any earlier size cost ``O(log n)`` hashes after an ``O(n)`` build.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only list of leaf hashes with every perfect subtree's hash kept."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def append(self, leaf_hash_: bytes) -> int:
        """Add a leaf hash (not data); returns its index."""
        if len(leaf_hash_) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        levels = self._levels
        levels[0].append(leaf_hash_)
        level = 0
        while len(levels[level]) % 2 == 0:
            row = levels[level]
            if level + 1 == len(levels):
                levels.append([])
            levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1
        return len(levels[0]) - 1

    def _subtree(self, start: int, size: int) -> bytes:
        """MTH of leaves ``[start, start + size)``; ``start`` is a multiple of the
        smallest power of two not below ``size`` (true of every range the RFC asks for)."""
        if size & (size - 1) == 0:  # a perfect subtree: kept
            level = size.bit_length() - 1
            return self._levels[level][start >> level]
        k = _split(size)
        return node_hash(self._subtree(start, k), self._subtree(start + k, size - k))

    def root(self, size: int | None = None) -> bytes:
        """The tree head of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} outside 0..{self.size}")
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 ``PATH(index, D[size])``: the audit path, leaf level first."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")
        path: list[bytes] = []
        start, n, m = 0, size, index
        stack: list[bytes] = []
        while n > 1:
            k = _split(n)
            if m < k:
                stack.append(self._subtree(start + k, n - k))
                n = k
            else:
                stack.append(self._subtree(start, k))
                start, n, m = start + k, n - k, m - k
        path.extend(reversed(stack))
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """RFC 9162 ``PROOF(first, D[second])``: empty when ``first`` is 0 or ``second``."""
        second = self.size if second is None else second
        if not 0 <= first <= second <= self.size:
            raise ValueError(f"no consistency proof from {first} to {second}")
        if first in (0, second):
            return []
        stack: list[bytes] = []
        start, n, m, whole = 0, second, first, True
        while m != n:
            k = _split(n)
            if m <= k:
                stack.append(self._subtree(start + k, n - k))
                n = k
            else:
                stack.append(self._subtree(start, k))
                start, n, m, whole = start + k, n - k, m - k, False
        if not whole:
            stack.append(self._subtree(start, m))
        return list(reversed(stack))


def _ok_hashes(hashes: Sequence[bytes]) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def root_from_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes]
                        ) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2), or ``None`` if malformed."""
    if not 0 <= index < size or not _ok_hashes([leaf, *path]):
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


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes],
                     root: bytes) -> bool:
    """Does ``path`` prove leaf hash ``leaf`` is leaf ``index`` of the tree ``root``?"""
    got = root_from_inclusion(leaf, index, size, path)
    return got is not None and hmac.compare_digest(got, root)


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> bool:
    """Does ``path`` prove tree ``second_root`` (``second`` leaves) extends ``first_root``
    (RFC 9162 2.1.4.2; equal sizes need equal roots and an empty path)?"""
    if not 0 <= first <= second or not _ok_hashes([first_root, second_root, *path]):
        return False
    if first == second:
        return not path and hmac.compare_digest(first_root, second_root)
    if first == 0:
        return not path and hmac.compare_digest(first_root, EMPTY_ROOT)
    if not path:
        return False
    nodes = list(path)
    if first & (first - 1) == 0:
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
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
    return (sn == 0 and hmac.compare_digest(fr, first_root)
            and hmac.compare_digest(sr, second_root))

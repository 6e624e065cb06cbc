"""RFC 9162 hashing and proofs: pinned vectors, pymerkle as an oracle, the RFC checks,
and the leaf/node confusion attack."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree
from pymerkle.proof import InvalidProof

from vitalstat.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

GOLDEN = json.loads((Path(__file__).parent / "golden" / "audit.json").read_text("utf-8"))
CT = [bytes.fromhex(x) for x in GOLDEN["ct_leaves"]]

#: Published roots of the Certificate Transparency reference leaves (Trillian's
#: testonly vectors), typed in here rather than computed: an oracle outside this code.
CT_PUBLISHED_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def tree_of(data: list[bytes]) -> MerkleTree:
    return MerkleTree(leaf_hash(d) for d in data)


def oracle(data: list[bytes]) -> InmemoryTree:
    """pymerkle configured RFC 9162 style: SHA-256, 0x00/0x01 prefixes (its default
    "security" mode, checked below), leaves hashed from the raw bytes."""
    tree = InmemoryTree(algorithm="sha256", disable_security=False)
    assert (tree.leaf_prefix, tree.node_prefix) == (b"\x00", b"\x01")
    for d in data:
        tree.append_entry(d)
    return tree


def test_domain_separated_hashes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32
                                                             ).digest()
    assert MerkleTree().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_published_vectors_and_pinned_golden_values() -> None:
    tree = tree_of(CT)
    for size, root in CT_PUBLISHED_ROOTS.items():
        assert tree.root(size).hex() == root
    assert [tree.root(n).hex() for n in range(9)] == GOLDEN["ct_roots"]
    for case in GOLDEN["ct_inclusion"]:
        assert [p.hex() for p in tree.inclusion_proof(case["index"], case["size"])] == case[
            "path"]
    for case in GOLDEN["ct_consistency"]:
        assert [p.hex() for p in tree.consistency_proof(case["first"], case["second"])
                ] == case["path"]


blobs = st.lists(st.binary(max_size=40), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(blobs, st.data())
def test_roots_and_proofs_agree_with_pymerkle(data: list[bytes], draw: st.DataObject) -> None:
    ours, theirs = tree_of(data), oracle(data)
    n = len(data)
    for size in range(n + 1):
        assert ours.root(size) == theirs.get_root(size)
    size = draw.draw(st.integers(1, n))
    index = draw.draw(st.integers(0, size - 1))
    proof = theirs.prove_inclusion(index + 1, size)  # pymerkle counts leaves from 1
    # pymerkle's path is [the leaf itself, then the RFC audit path, leaf level first]
    assert proof.path[0] == ours.leaf(index)
    assert proof.path[1:] == ours.inclusion_proof(index, size)
    first = draw.draw(st.integers(1, size))
    mine = ours.consistency_proof(first, size)
    assert verify_consistency(first, size, ours.root(first), ours.root(size), mine)
    # pymerkle's own consistency proof checks against our two roots
    theirs.prove_consistency(first, size).verify(ours.root(first), ours.root(size))


@settings(max_examples=40, deadline=None)
@given(blobs, st.data())
def test_pymerkle_rejects_a_root_we_reject(data: list[bytes], draw: st.DataObject) -> None:
    """Change one leaf: both implementations refuse the old proof against the new root."""
    n = len(data)
    i = draw.draw(st.integers(0, n - 1))
    changed = [*data[:i], data[i] + b"!", *data[i + 1:]]
    old, new = tree_of(data), tree_of(changed)
    assert old.root() != new.root()
    assert not verify_inclusion(old.leaf(i), i, n, old.inclusion_proof(i), new.root())
    with pytest.raises(InvalidProof):
        oracle(data).prove_inclusion(i + 1).verify(old.leaf(i), new.root())


def test_every_proof_up_to_33_leaves_checks_and_no_wrong_claim_does() -> None:
    tree = tree_of([bytes([i]) for i in range(33)])
    for size in range(1, 34):
        root = tree.root(size)
        for index in range(size):
            path = tree.inclusion_proof(index, size)
            assert verify_inclusion(tree.leaf(index), index, size, path, root)
            other = (index + 1) % size
            if other != index:
                assert not verify_inclusion(tree.leaf(index), other, size, path, root)
                assert not verify_inclusion(tree.leaf(other), index, size, path, root)
            assert not verify_inclusion(tree.leaf(index), index, size, [*path, root], root)
            if path:
                assert not verify_inclusion(tree.leaf(index), index, size, path[:-1], root)
        for first in range(1, size + 1):
            path = tree.consistency_proof(first, size)
            assert verify_consistency(first, size, tree.root(first), root, path)
            if first < size:
                assert not verify_consistency(first, size, tree.root(first - 1) if first > 1
                                              else b"\x00" * 32, root, path)
                assert not verify_consistency(first, size, tree.root(first),
                                              tree.root(size - 1), path)
                assert not verify_consistency(first, size, tree.root(first), root, path[1:])
                assert not verify_consistency(first, size, tree.root(first), root, [])


@settings(max_examples=80, deadline=None)
@given(blobs, st.data())
def test_a_flipped_bit_anywhere_in_a_proof_fails(data: list[bytes], draw: st.DataObject
                                                 ) -> None:
    tree = tree_of(data)
    size = draw.draw(st.integers(1, len(data)))
    index = draw.draw(st.integers(0, size - 1))
    path = tree.inclusion_proof(index, size)
    first = draw.draw(st.integers(1, size))
    cons = tree.consistency_proof(first, size)
    if path:
        k = draw.draw(st.integers(0, len(path) - 1))
        bit = draw.draw(st.integers(0, 255))
        bad = bytearray(path[k])
        bad[bit // 8] ^= 1 << (bit % 8)
        broken = [*path[:k], bytes(bad), *path[k + 1:]]
        assert not verify_inclusion(tree.leaf(index), index, size, broken, tree.root(size))
    if cons:
        k = draw.draw(st.integers(0, len(cons) - 1))
        bad = bytearray(cons[k])
        bad[0] ^= 0x80
        broken = [*cons[:k], bytes(bad), *cons[k + 1:]]
        assert not verify_consistency(first, size, tree.root(first), tree.root(size), broken)


def test_malformed_inputs_are_refused_not_crashed_on() -> None:
    tree = tree_of(CT)
    path = tree.inclusion_proof(2, 8)
    assert root_from_inclusion(tree.leaf(2), 8, 8, path) is None  # index past the end
    assert root_from_inclusion(tree.leaf(2), -1, 8, path) is None
    assert root_from_inclusion(tree.leaf(2), 2, 8, [*path[:-1], b"short"]) is None
    assert not verify_consistency(5, 3, tree.root(5), tree.root(3), [])
    assert verify_consistency(0, 8, EMPTY_ROOT, tree.root(8), [])
    assert not verify_consistency(4, 4, tree.root(4), tree.root(5), [])
    with pytest.raises(ValueError):
        tree.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        tree.root(9)
    with pytest.raises(ValueError):
        tree.append(b"not 32 bytes")


def test_second_preimage_by_leaf_node_confusion_is_refused() -> None:
    """The classic attack on unprefixed trees: present an inner node's 64 bytes (its two
    children's hashes) as if they were a leaf's data, one level up."""
    data = [b"alpha", b"bravo", b"charlie", b"delta"]
    tree = tree_of(data)
    root = tree.root()
    inner = tree.leaf(0) + tree.leaf(1)  # 64 bytes: the left inner node's children
    right = node_hash(tree.leaf(2), tree.leaf(3))
    # Against a tree that hashes leaves and nodes alike (no prefixes), it works: the
    # 64 bytes of the unprefixed left node, taken as leaf 0 of a 2-leaf tree, give its root.
    def plain(b: bytes) -> bytes:
        return hashlib.sha256(b).digest()

    p = [plain(d) for d in data]
    plain_root = plain(plain(p[0] + p[1]) + plain(p[2] + p[3]))
    plain_inner = p[0] + p[1]
    assert plain(plain(plain_inner) + plain(p[2] + p[3])) == plain_root
    # RFC 9162 hashing: the forged leaf (index 0 of size 2, path [right]) does not verify,
    for index, size, path in ((0, 2, [right]), (0, 4, [right]), (1, 2, [right])):
        assert not verify_inclusion(leaf_hash(inner), index, size, path, root)
    # nor does any "leaf" made of the node's bytes equal the node itself,
    assert leaf_hash(inner) != node_hash(tree.leaf(0), tree.leaf(1))
    # nor does a tree of two leaves whose data are the two inner nodes share the root.
    left = node_hash(tree.leaf(0), tree.leaf(1))
    assert tree_of([left, right]).root() != root
    # pymerkle (the oracle) agrees
    with pytest.raises(InvalidProof):
        oracle(data).prove_inclusion(1, 4).verify(leaf_hash(inner), root)

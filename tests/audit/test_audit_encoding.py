"""Canonical JSON, event leaves, signed checkpoints and proof documents (pure)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.audit.checkpoint import Checkpoint, SignedCheckpoint, sign_checkpoint
from vitalstat.audit.encoding import canonical_bytes, canonical_json, event_leaf
from vitalstat.audit.merkle import MerkleTree, leaf_hash
from vitalstat.audit.proofs import check_proof, consistency_document, inclusion_document
from vitalstat.errors import ProofError, ValidationError
from vitalstat.store import repo

GOLDEN = json.loads((Path(__file__).parent / "golden" / "audit.json").read_text("utf-8"))
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
RAW = KEY.public_key().public_bytes_raw()
TRUSTED = {"0123456789ABCDEF": RAW}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def test_the_store_writes_event_details_with_this_one_definition() -> None:
    assert repo.canonical_json is canonical_json


@given(json_values)
def test_canonical_json_is_a_fixed_point_with_sorted_keys_and_no_spaces(value: object
                                                                        ) -> None:
    text = canonical_json(value)
    assert json.loads(text) == value
    assert canonical_json(json.loads(text)) == text
    assert canonical_bytes(value) == text.encode("utf-8")
    if isinstance(value, dict):
        assert canonical_json(dict(reversed(list(value.items())))) == text
        assert list(json.loads(text)) == sorted(value)
    outside_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    assert not re.search(r"\s", outside_strings)


def test_canonical_json_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError):
        canonical_json(float("nan"))
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes("\ud800")
    assert canonical_json({"b": 1, "a": "é\n"}) == '{"a":"é\\n","b":1}'


event_rows = st.fixed_dictionaries({
    "id": st.integers(1, 2**62), "occurred_at": st.text(max_size=32),
    "actor": st.text(max_size=20), "kind": st.text(max_size=20),
    "subject": st.text(max_size=20), "detail": json_values.map(canonical_json)})


@given(event_rows, st.sampled_from(["id", "occurred_at", "actor", "kind", "subject",
                                    "detail"]))
def test_an_event_leaf_round_trips_and_any_changed_field_changes_it(row: dict, name: str
                                                                    ) -> None:
    leaf = event_leaf(row)
    assert json.loads(leaf) == row
    changed = {**row, name: row[name] + 1 if name == "id" else row[name] + "x"}
    assert event_leaf(changed) != leaf
    assert event_leaf({**row, "extra": "ignored"}) == leaf


def test_golden_event_leaves_and_checkpoint() -> None:
    leaves = [event_leaf(e) for e in GOLDEN["events"]]
    assert [x.decode() for x in leaves] == GOLDEN["event_leaves"]
    assert [leaf_hash(x).hex() for x in leaves] == GOLDEN["event_leaf_hashes"]
    tree = MerkleTree(leaf_hash(x) for x in leaves)
    assert tree.root().hex() == GOLDEN["events_root"]
    cp = Checkpoint(3, tree.root(), GOLDEN["events"][-1]["occurred_at"])
    assert cp.body().decode() == GOLDEN["checkpoint_body"]
    signed = sign_checkpoint(cp, KEY, "0123456789ABCDEF")
    assert signed.as_json() == GOLDEN["checkpoint"]  # Ed25519 is deterministic
    assert SignedCheckpoint.from_json(GOLDEN["checkpoint"]) == signed
    assert signed.verifies(TRUSTED)


def test_a_checkpoint_verifies_only_as_signed_by_a_trusted_key() -> None:
    signed = SignedCheckpoint.from_json(GOLDEN["checkpoint"])
    cp = signed.checkpoint
    for other in (Checkpoint(cp.size + 1, cp.root, cp.time),
                  Checkpoint(cp.size, bytes(32), cp.time),
                  Checkpoint(cp.size, cp.root, cp.time + "0")):
        assert not SignedCheckpoint(other, signed.key_id, signed.signature).verifies(TRUSTED)
    assert not signed.verifies({})
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert not signed.verifies({signed.key_id: stranger})
    assert not SignedCheckpoint(cp, signed.key_id, bytes(64)).verifies(TRUSTED)


@pytest.mark.parametrize(("field", "value"), [
    ("format", "other/1"), ("size", -1), ("size", "3"), ("size", True), ("root", "AB" * 32),
    ("root", "00"), ("time", "a\nb"), ("key_id", "0123"), ("signature", "!!"),
    ("signature", "AAAA")])
def test_malformed_checkpoint_json_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field if field != "format" else "not a"):
        SignedCheckpoint.from_json({**GOLDEN["checkpoint"], field: value})


def _tree() -> tuple[MerkleTree, list[bytes]]:
    leaves = [event_leaf({**GOLDEN["events"][0], "id": i, "subject": f"s{i}"})
              for i in range(1, 12)]
    return MerkleTree(leaf_hash(x) for x in leaves), leaves


def _signed(tree: MerkleTree, size: int) -> SignedCheckpoint:
    return sign_checkpoint(Checkpoint(size, tree.root(size), f"t{size}"), KEY,
                           "0123456789ABCDEF")


def test_proof_documents_check_and_tampered_ones_are_refused_with_the_reason() -> None:
    tree, leaves = _tree()
    cp = _signed(tree, 11)
    doc = inclusion_document(5, 4, leaves[4], tree.inclusion_proof(4, 11), cp)
    assert check_proof(json.loads(json.dumps(doc)), TRUSTED).startswith("ok: event 5")
    assert check_proof(doc, TRUSTED, pinned=cp)
    with pytest.raises(ProofError, match="pinned"):
        check_proof(doc, TRUSTED, pinned=_signed(tree, 10))
    edited = doc["leaf"].replace("s5", "s6")
    for bad, match in (({"leaf": edited}, "NOT proven"), ({"leaf_index": 3}, "NOT proven"),
                       ({"event_id": 6}, "not event 6"), ({"path": doc["path"][1:]}, "NOT"),
                       ({"path": ["zz"]}, "path"), ({"proof": "x"}, "inclusion"),
                       ({"format": "x"}, "not a"), ({"leaf": "{"}, "not JSON")):
        with pytest.raises(ProofError, match=match):
            check_proof({**doc, **bad}, TRUSTED)
    with pytest.raises(ProofError, match="signature does not verify"):
        check_proof({**doc, "checkpoint": {**doc["checkpoint"], "size": 10}}, TRUSTED)
    with pytest.raises(ProofError, match="signature does not verify"):
        check_proof(doc, {})
    cons = consistency_document(_signed(tree, 6), cp, tree.consistency_proof(6, 11))
    assert "extends the log of 6" in check_proof(cons, TRUSTED, pinned=_signed(tree, 6))
    with pytest.raises(ProofError, match="NOT proven"):
        check_proof({**cons, "path": list(reversed(cons["path"]))}, TRUSTED)
    fork = MerkleTree(leaf_hash(x + b" ") for x in leaves)
    forged = consistency_document(_signed(fork, 6), cp, tree.consistency_proof(6, 11))
    with pytest.raises(ProofError, match="NOT proven"):
        check_proof(forged, TRUSTED)


def test_public_api_lists_exist() -> None:
    import vitalstat.audit as package
    from vitalstat.audit import checkpoint, encoding, log, merkle, proofs, verify

    for module in (package, checkpoint, encoding, log, merkle, proofs, verify):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"

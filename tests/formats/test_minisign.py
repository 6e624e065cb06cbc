"""Signatures in minisign's format: golden bytes over a fixed key, tampering, interop."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.errors import SignatureError
from vitalstat.formats import minisign

GOLDEN = Path(__file__).parent / "golden" / "signed"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # a test key, nothing else
REQUIRE_TOOLS = os.environ.get("VITALSTAT_REQUIRE_TOOLS") == "1"


def test_golden_signature_over_a_fixed_key_and_manifest() -> None:
    data = (GOLDEN / "manifest.json").read_bytes()
    sig = minisign.sign(KEY, data, trusted_comment="vitalstat release 7")
    assert sig == (GOLDEN / "manifest.json.minisig").read_text()
    pub = minisign.public_key_of(KEY)
    assert pub.file_text() == (GOLDEN / "release.pub").read_text()
    assert pub.key_id_hex == "F54A440919E13A1F"
    verified = minisign.verify(minisign.parse_public_key(pub.file_text()), data, sig)
    assert verified.trusted_comment == "vitalstat release 7"


@given(st.binary(max_size=300), st.text(alphabet="abc 123:", max_size=40))
def test_sign_verify_round_trip_and_any_flipped_byte_fails(data: bytes, comment: str) -> None:
    pub = minisign.public_key_of(KEY)
    sig = minisign.sign(KEY, data, trusted_comment=comment)
    assert minisign.verify(pub, data, sig).trusted_comment == comment
    if data:
        flipped = bytes([data[0] ^ 1]) + data[1:]
        with pytest.raises(SignatureError, match="does not match"):
            minisign.verify(pub, flipped, sig)


def test_tampered_comment_wrong_key_and_junk_are_refused() -> None:
    data = b"manifest"
    sig = minisign.sign(KEY, data, trusted_comment="release 1")
    pub = minisign.public_key_of(KEY)
    with pytest.raises(SignatureError, match="does not match"):
        minisign.verify(pub, data, sig.replace("release 1", "release 2"))
    other = minisign.public_key_of(minisign.generate_private_key())
    with pytest.raises(SignatureError, match="signed with key"):
        minisign.verify(other, data, sig)
    with pytest.raises(SignatureError, match="not a minisign signature"):
        minisign.verify(pub, data, "hello\n")
    with pytest.raises(SignatureError, match="public key"):
        minisign.parse_public_key("untrusted comment: x\nAAAA\n")
    with pytest.raises(SignatureError, match="PEM"):
        minisign.load_private_key(b"not a key")


def test_private_key_pem_round_trip() -> None:
    pem = minisign.private_key_pem(KEY)
    again = minisign.load_private_key(pem)
    assert minisign.public_key_of(again) == minisign.public_key_of(KEY)


def minisign_tool() -> str:
    exe = shutil.which("minisign")
    if exe is None:
        if REQUIRE_TOOLS:
            pytest.fail("minisign is not installed (scripts/test.sh installs it)")
        pytest.skip("minisign is not installed")
    return exe


def test_debian_minisign_verifies_the_golden_signature(tmp_path: Path) -> None:
    exe = minisign_tool()
    ok = subprocess.run([exe, "-Vm", str(GOLDEN / "manifest.json"), "-p",
                         str(GOLDEN / "release.pub")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "vitalstat release 7" in ok.stdout
    bad = tmp_path / "manifest.json"
    bad.write_bytes((GOLDEN / "manifest.json").read_bytes().replace(b'"release": 7',
                                                                    b'"release": 8'))
    shutil.copy(GOLDEN / "manifest.json.minisig", tmp_path)
    refused = subprocess.run([exe, "-Vm", str(bad), "-p", str(GOLDEN / "release.pub")],
                             capture_output=True, text=True)
    assert refused.returncode != 0

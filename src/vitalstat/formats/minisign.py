"""Ed25519 signatures in minisign's file format, so Debian's ``minisign -V`` checks them too.

Formats (minisign 0.8+; all base64 lines follow an ``untrusted comment:`` line):

* public key: ``"Ed" || key_id (8 bytes) || public key (32 bytes)``;
* signature file: ``"ED" || key_id || Ed25519(BLAKE2b-512(file))``, then
  ``trusted comment: TEXT`` and the global signature ``Ed25519(signature || TEXT)``,
  which binds the comment to the file's signature.

The private key is kept as an unencrypted PKCS#8 PEM file (owner-only permissions);
only its public half appears anywhere else. Ed25519 signatures are deterministic, so
the same key and file always give the same signature file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vitalstat.errors import SignatureError, ValidationError

__all__ = [
    "PublicKey",
    "Verified",
    "generate_private_key",
    "key_id_for",
    "load_private_key",
    "parse_public_key",
    "private_key_pem",
    "public_key_of",
    "sign",
    "signature_key_id",
    "verify",
]

_PK_ALG = b"Ed"
_SIG_PREHASHED = b"ED"
_SIG_LEGACY = b"Ed"


@dataclass(frozen=True, slots=True)
class PublicKey:
    key_id: bytes  # 8 bytes
    raw: bytes  # 32 bytes

    @property
    def key_id_hex(self) -> str:
        """minisign prints the key id as the little-endian number in upper-case hex."""
        return self.key_id[::-1].hex().upper()

    def line(self) -> str:
        return base64.b64encode(_PK_ALG + self.key_id + self.raw).decode("ascii")

    def file_text(self) -> str:
        return f"untrusted comment: minisign public key {self.key_id_hex}\n{self.line()}\n"


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private_key(pem: bytes, *, source: str = "private key") -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"{source}: not an unencrypted PEM private key ({exc})",
                             field="key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{source}: not an Ed25519 key", field="key")
    return key


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def key_id_for(raw_public: bytes) -> bytes:
    """A stable 8-byte key id derived from the public key (minisign itself picks randomly)."""
    return hashlib.blake2b(raw_public, digest_size=8, person=b"vitalstat-keyid").digest()


def public_key_of(key: Ed25519PrivateKey) -> PublicKey:
    raw = _raw_public(key)
    return PublicKey(key_id_for(raw), raw)


def parse_public_key(text: str, *, source: str = "public key") -> PublicKey:
    """A minisign public key: the file's text, or just its base64 line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("untrusted comment:")]
    if len(lines) != 1:
        raise SignatureError(f"{source}: expected one base64 key line", field="key")
    blob = _b64(lines[0], source)
    if len(blob) != 42 or blob[:2] != _PK_ALG:
        raise SignatureError(f"{source}: not a minisign Ed25519 public key", field="key")
    return PublicKey(blob[2:10], blob[10:])


def _b64(text: str, source: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{source}: not valid base64", field="signature") from None


def sign(key: Ed25519PrivateKey, data: bytes, *, trusted_comment: str,
         untrusted_comment: str = "signature from vitalstat secret key") -> str:
    """The ``.minisig`` text for ``data`` (prehashed form, as minisign 0.11 writes)."""
    if "\n" in trusted_comment or "\n" in untrusted_comment:
        raise ValidationError("comments are one line", field="comment")
    pub = public_key_of(key)
    signature = key.sign(hashlib.blake2b(data, digest_size=64).digest())
    global_sig = key.sign(signature + trusted_comment.encode("utf-8"))
    return (f"untrusted comment: {untrusted_comment}\n"
            f"{base64.b64encode(_SIG_PREHASHED + pub.key_id + signature).decode()}\n"
            f"trusted comment: {trusted_comment}\n"
            f"{base64.b64encode(global_sig).decode()}\n")


@dataclass(frozen=True, slots=True)
class Verified:
    key_id_hex: str
    trusted_comment: str


def signature_key_id(sig_text: str, *, source: str = "signature") -> bytes:
    """The key id a ``.minisig`` file names (to pick the key to check it with)."""
    return _parse_sig(sig_text, source)[1]


def _parse_sig(sig_text: str, source: str) -> tuple[bytes, bytes, bytes, str, bytes]:
    lines = sig_text.splitlines()
    if len(lines) < 4 or not lines[0].startswith("untrusted comment:") or not lines[
            2].startswith("trusted comment: "):
        raise SignatureError(f"{source}: not a minisign signature file", field="signature")
    blob = _b64(lines[1].strip(), source)
    if len(blob) != 74 or blob[:2] not in (_SIG_PREHASHED, _SIG_LEGACY):
        raise SignatureError(f"{source}: not a minisign Ed25519 signature", field="signature")
    comment = lines[2][len("trusted comment: "):]
    global_sig = _b64(lines[3].strip(), source)
    return blob[:2], blob[2:10], blob[10:], comment, global_sig


def verify(pub: PublicKey, data: bytes, sig_text: str, *, source: str = "signature"
           ) -> Verified:
    """Check ``sig_text`` over ``data`` with ``pub``; raise :class:`SignatureError` if not."""
    alg, key_id, signature, comment, global_sig = _parse_sig(sig_text, source)
    if not hmac.compare_digest(key_id, pub.key_id):
        raise SignatureError(
            f"{source}: signed with key {key_id[::-1].hex().upper()}, not {pub.key_id_hex}",
            field="signature")
    message = hashlib.blake2b(data, digest_size=64).digest() if alg == _SIG_PREHASHED else data
    verifier = Ed25519PublicKey.from_public_bytes(pub.raw)
    try:
        verifier.verify(signature, message)
        verifier.verify(global_sig, signature + comment.encode("utf-8"))
    except InvalidSignature:
        raise SignatureError(f"{source}: signature does not match the signed file",
                             field="signature") from None
    return Verified(pub.key_id_hex, comment)

"""Signed checkpoints: "the log had ``size`` entries with root ``root``", Ed25519-signed.

The signed bytes (UTF-8 text, four lines, each ending in ``\\n``)::

    vitalstat-audit-checkpoint/1
    <size, decimal>
    <root, 64 lower-case hex digits>
    <time: occurred_at of the newest entry covered>

The first line separates these signatures from every other use of the key (the release
key also signs manifests, in minisign's form, over a BLAKE2b digest). The time is the
log's own (its newest entry's), not the signer's clock: the same log and key always give
the same checkpoint, byte for byte (Ed25519 is deterministic).

As JSON (``checkpoint.json`` in a release, inside every proof): canonical JSON of
``{"format", "size", "root", "time", "key_id", "signature"}`` with the signature in
base64 and ``key_id`` the minisign key id (16 hex digits) of the signing key.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vitalstat.audit.merkle import HASH_SIZE
from vitalstat.errors import ValidationError

__all__ = ["FORMAT", "Checkpoint", "SignedCheckpoint", "sign_checkpoint"]

FORMAT = "vitalstat-audit-checkpoint/1"
_KEY_ID = re.compile(r"[0-9A-F]{16}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int
    root: bytes
    time: str

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.root) != HASH_SIZE or "\n" in self.time:
            raise ValidationError("a checkpoint needs a size >= 0, a 32-byte root and a "
                                  "one-line time", field="checkpoint")

    def body(self) -> bytes:
        """The bytes that are signed."""
        return f"{FORMAT}\n{self.size}\n{self.root.hex()}\n{self.time}\n".encode()


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    key_id: str
    signature: bytes

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        return self.checkpoint.root

    def verifies(self, trusted: Mapping[str, bytes]) -> bool:
        """Is the signature good under the trusted key (raw 32-byte Ed25519) of its id?"""
        raw = trusted.get(self.key_id)
        if raw is None:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(self.signature,
                                                           self.checkpoint.body())
        except (InvalidSignature, ValueError):
            return False
        return True

    def as_json(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {"format": FORMAT, "size": cp.size, "root": cp.root.hex(), "time": cp.time,
                "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode("ascii")}

    @classmethod
    def from_json(cls, data: Any, *, source: str = "checkpoint") -> SignedCheckpoint:
        """Parse :meth:`as_json` output; raises :class:`ValidationError` naming the field."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValidationError(f"{source}: not a {FORMAT} object", field="format")
        size, root, time = data.get("size"), data.get("root"), data.get("time")
        key_id, sig = data.get("key_id"), data.get("signature")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationError(f"{source}: size must be a whole number >= 0", field="size")
        if not isinstance(root, str) or not re.fullmatch(r"[0-9a-f]{64}", root):
            raise ValidationError(f"{source}: root must be 64 lower-case hex digits",
                                  field="root")
        if not isinstance(time, str) or "\n" in time:
            raise ValidationError(f"{source}: time must be one line of text", field="time")
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise ValidationError(f"{source}: key_id must be 16 upper-case hex digits",
                                  field="key_id")
        try:
            signature = base64.b64decode(sig if isinstance(sig, str) else "", validate=True)
        except (binascii.Error, ValueError):
            signature = b""
        if len(signature) != 64:
            raise ValidationError(f"{source}: signature must be 64 bytes in base64",
                                  field="signature")
        return cls(Checkpoint(size, bytes.fromhex(root), time), key_id, signature)


def sign_checkpoint(checkpoint: Checkpoint, key: Ed25519PrivateKey, key_id: str
                    ) -> SignedCheckpoint:
    return SignedCheckpoint(checkpoint, key_id, key.sign(checkpoint.body()))

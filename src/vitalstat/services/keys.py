"""Release signing keys: generate, rotate, load. The private key never leaves its file.

Layout of the key directory (``VITALSTAT_KEYS``, default ``./keys``):

* ``release.key``: the active private key (PKCS#8 PEM, owner read/write only);
* ``release.pub``: its public half in minisign's format (give it to subscribers);
* ``retired/KEYID.pub``: public halves of earlier keys, so older releases still verify.

The registry records every public key (``signing_keys``) with an event naming the actor;
the private key is in neither, nor in any release or log.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vitalstat.errors import ConflictError, NotFoundError
from vitalstat.formats import minisign
from vitalstat.store import Store
from vitalstat.store.repo import utc_now

__all__ = ["KeyInfo", "generate_key", "load_signing_key", "public_keys", "rotate_key"]

PRIVATE = "release.key"
PUBLIC = "release.pub"
RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    public_file: Path
    retired: str | None = None


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, minisign.private_key_pem(key))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _write_public(path: Path, pub: minisign.PublicKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(pub.file_text(), encoding="ascii")
    os.replace(tmp, path)


def generate_key(store: Store, keys: Path, *, actor: str) -> KeyInfo:
    """Create the signing key pair in ``keys``; refuses if one is already there."""
    store.check_schema()
    if (keys / PRIVATE).exists():
        raise ConflictError(f"{keys / PRIVATE} already exists: use `vitalstat release "
                            "rotate-key` to replace it")
    key = minisign.generate_private_key()
    pub = minisign.public_key_of(key)
    now = utc_now()
    with store.transaction() as tx:
        tx.insert_signing_key(pub.key_id_hex, pub.line(), now)
        tx.append_event(actor=actor, kind="signing_key.generated",
                        subject=f"signing_key:{pub.key_id_hex}",
                        detail={"key_id": pub.key_id_hex, "public_key": pub.line()}, at=now)
        _write_public(keys / PUBLIC, pub)
        _write_private(keys / PRIVATE, key)
    return KeyInfo(pub.key_id_hex, keys / PUBLIC)


def rotate_key(store: Store, keys: Path, *, actor: str) -> tuple[KeyInfo, KeyInfo]:
    """Replace the active key; the old public key moves to ``retired/``, the old private
    key is deleted. Returns (old, new)."""
    store.check_schema()
    old_key, old_pub = load_signing_key(keys)
    key = minisign.generate_private_key()
    pub = minisign.public_key_of(key)
    now = utc_now()
    retired = keys / RETIRED / f"{old_pub.key_id_hex}.pub"
    with store.transaction() as tx:
        tx.retire_signing_key(old_pub.key_id_hex, now)
        tx.insert_signing_key(pub.key_id_hex, pub.line(), now)
        tx.append_event(actor=actor, kind="signing_key.rotated",
                        subject=f"signing_key:{pub.key_id_hex}",
                        detail={"retired_key_id": old_pub.key_id_hex,
                                "key_id": pub.key_id_hex, "public_key": pub.line()}, at=now)
        _write_public(retired, old_pub)
        _write_private(keys / PRIVATE, key)
        _write_public(keys / PUBLIC, pub)
    del old_key
    return KeyInfo(old_pub.key_id_hex, retired, now), KeyInfo(pub.key_id_hex, keys / PUBLIC)


def load_signing_key(keys: Path) -> tuple[Ed25519PrivateKey, minisign.PublicKey]:
    path = keys / PRIVATE
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no signing key at {path}: run `vitalstat release keygen`"
                            ) from None
    key = minisign.load_private_key(pem, source=str(path))
    return key, minisign.public_key_of(key)


def public_keys(keys: Path) -> dict[str, minisign.PublicKey]:
    """Every public key in ``keys`` (active and retired), by key id."""
    found: dict[str, minisign.PublicKey] = {}
    candidates = [keys / PUBLIC, *sorted((keys / RETIRED).glob("*.pub"))]
    for path in candidates:
        with contextlib.suppress(FileNotFoundError):
            pub = minisign.parse_public_key(path.read_text(encoding="ascii"), source=str(path))
            found[pub.key_id_hex] = pub
    return found

"""A directory of files with a signed ``manifest.json``: written crash-safely, verified.

Used by releases and deliveries. The manifest lists every file with its size, record
count and SHA-256; ``manifest.json.minisig`` signs it in minisign's format (so
``minisign -Vm manifest.json -p release.pub`` checks it independently).

Writing: files go into a hidden temporary directory beside the target, are fsynced, the
directory is fsynced, then renamed into place in one step: a crash leaves either no
directory or a complete one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vitalstat.errors import ChecksumError, NotFoundError, SignatureError, ValidationError
from vitalstat.formats import file_sha256, minisign

__all__ = [
    "MANIFEST",
    "SIGNATURE",
    "FileEntry",
    "VerifyReport",
    "file_entry",
    "fsync_dir",
    "publish_dir",
    "staging_dir",
    "verify_dir",
    "write_manifest",
]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"


@dataclass(frozen=True, slots=True)
class FileEntry:
    name: str
    bytes: int
    records: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "bytes": self.bytes, "records": self.records,
                "sha256": self.sha256}



def file_entry(path: Path, records: int, sha256: str | None = None) -> FileEntry:
    """The manifest entry for ``path`` (hashing it unless ``sha256`` is known)."""
    return FileEntry(path.name, path.stat().st_size, records, sha256 or file_sha256(path))


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def manifest_bytes(body: dict[str, Any]) -> bytes:
    """Canonical: sorted keys, two-space indent, one trailing newline (byte-stable)."""
    return (json.dumps(body, sort_keys=True, indent=2, ensure_ascii=True) + "\n").encode()


def write_manifest(directory: Path, body: dict[str, Any], files: list[FileEntry],
                   key: Ed25519PrivateKey, *, trusted_comment: str) -> tuple[bytes, str]:
    """Write ``manifest.json`` (``body`` plus ``files``) and its signature.

    Returns the manifest's bytes and SHA-256.
    """
    pub = minisign.public_key_of(key)
    data = manifest_bytes({**body, "signing_key": pub.key_id_hex,
                           "files": [f.as_json() for f in sorted(files, key=lambda f: f.name)]})
    sha = hashlib.sha256(data).hexdigest()
    (directory / MANIFEST).write_bytes(data)
    comment = f"{trusted_comment} manifest-sha256:{sha}"
    # minisign's comments are UTF-8 text (a subscriber's name may not be ASCII)
    (directory / SIGNATURE).write_text(minisign.sign(key, data, trusted_comment=comment),
                                       encoding="utf-8")
    return data, sha


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A hidden empty directory beside ``final``; removed if the block fails."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".partial-{final.name}-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish_dir(tmp: Path, final: Path) -> None:
    """fsync every file in ``tmp`` and ``tmp`` itself, rename it to ``final``, fsync."""
    for path in tmp.iterdir():
        fsync_file(path)
    fsync_dir(tmp)
    os.rename(tmp, final)
    fsync_dir(final.parent)


def remove_stale_partials(parent: Path) -> None:
    """Remove hidden directories left by builds that crashed (callers hold the build lock)."""
    if parent.is_dir():
        for stale in parent.glob(".partial-*"):
            shutil.rmtree(stale, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    directory: Path
    key_id: str
    trusted_comment: str
    manifest: dict[str, Any]
    files: list[FileEntry]


def _record_count(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # a damaged file: the checksum reports it
            return -1
    if path.suffix == ".dmf":
        return path.stat().st_size // 101
    with path.open("rb") as fh:  # text files: lines after the header
        return max(sum(1 for _ in fh) - 1, 0)


def verify_dir(directory: Path, keys: dict[str, minisign.PublicKey]) -> VerifyReport:
    """Check the signature of ``manifest.json``, then every file's size, count and SHA-256.

    ``keys`` are the trusted public keys by key id. Raises :class:`SignatureError` or
    :class:`ChecksumError` naming the file (and field) that failed.
    """
    manifest_path, sig_path = directory / MANIFEST, directory / SIGNATURE
    for path in (manifest_path, sig_path):
        if not path.is_file():
            raise NotFoundError(f"{path}: missing (is {directory} a release or delivery?)")
    data = manifest_path.read_bytes()
    sig_text = sig_path.read_text(encoding="utf-8", errors="replace")
    key_id = minisign.signature_key_id(sig_text, source=str(sig_path))[::-1].hex().upper()
    pub = keys.get(key_id)
    if pub is None:
        raise SignatureError(f"{sig_path}: signed by key {key_id}, which is not a trusted key "
                             f"(known: {', '.join(sorted(keys)) or 'none'})", field="signature")
    verified = minisign.verify(pub, data, sig_text, source=str(sig_path))
    try:
        manifest = json.loads(data)
        entries = [FileEntry(f["name"], int(f["bytes"]), int(f["records"]), str(f["sha256"]))
                   for f in manifest["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"{manifest_path}: malformed manifest ({exc})",
                              field="manifest") from None
    listed = {e.name for e in entries} | {MANIFEST, SIGNATURE}
    extra = sorted(p.name for p in directory.iterdir() if p.name not in listed)
    if extra:
        raise ChecksumError(f"{directory}: files not in the manifest: {', '.join(extra)}",
                            field="files")
    for entry in entries:
        path = directory / entry.name
        if not path.is_file():
            raise ChecksumError(f"{path}: listed in the manifest but missing", field="files")
        size = path.stat().st_size
        if size != entry.bytes:
            raise ChecksumError(f"{path}: {size} bytes, manifest says {entry.bytes}",
                                field="bytes")
        if file_sha256(path) != entry.sha256:
            raise ChecksumError(f"{path}: SHA-256 differs from the manifest", field="sha256")
        count = _record_count(path)
        if count != entry.records:
            raise ChecksumError(f"{path}: {count} records, manifest says {entry.records}",
                                field="records")
    return VerifyReport(directory, verified.key_id_hex, verified.trusted_comment, manifest,
                        entries)

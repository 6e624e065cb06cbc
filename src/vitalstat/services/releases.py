"""Releases: immutable, numbered, signed snapshots of every published record.

A release directory ``release-NNNNNN`` holds

* ``records.parquet``: every published record at build time, in SSN order, with exactly
  the columns of ``RECORD_ARROW_SCHEMA`` (what matching and exports read);
* ``full.dmf``: the same records as a 100-byte DMF full file;
* ``delta.parquet`` and ``delta.dmf``: what changed since the previous release
  (``A`` new, ``C`` changed, ``D`` withdrawn; absent in the first release);
* ``checkpoint.json``: the audit log's signed checkpoint at build time (``services.audit``);
* ``manifest.json`` (every file's size, record count, SHA-256) and its minisign-format
  Ed25519 signature ``manifest.json.minisig``.

Building is deterministic (the same registry state and key give byte-identical files:
no clock, host or path inside any file) and crash-safe (see ``signed_dir``). A build that
finds nothing changed since the latest release makes no new release. The registry is the
list of releases: a directory the registry does not know (a crash between the rename and
the commit) is not a release, and the next build replaces it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vitalstat.audit.encoding import canonical_json
from vitalstat.domain.records import RecordStatus
from vitalstat.errors import ConflictError, NotFoundError
from vitalstat.services import keys as signing
from vitalstat.services.audit import write_checkpoint
from vitalstat.services.pipeline import read_ahead
from vitalstat.services.signed_dir import (
    FileEntry,
    VerifyReport,
    file_entry,
    publish_dir,
    remove_stale_partials,
    staging_dir,
    verify_dir,
    write_manifest,
)
from vitalstat.services.snapshot import SnapshotWriter, write_delta
from vitalstat.store import Store
from vitalstat.store.repo import utc_now

__all__ = [
    "CHECKPOINT",
    "FORMAT",
    "BuildResult",
    "Release",
    "build_release",
    "get_release",
    "latest_release",
    "list_releases",
    "release_dir_name",
    "verify_release",
]

FORMAT = "vitalstat-release/1"
CHECKPOINT = "checkpoint.json"


@dataclass(frozen=True, slots=True)
class Release:
    id: int
    path: Path
    built_at: str
    record_count: int
    previous_id: int | None = None
    adds: int = 0
    changes: int = 0
    deletes: int = 0
    manifest_sha256: str = ""
    key_id: str = ""
    built_by: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Release:
        return cls(id=int(row["id"]), path=Path(row["directory"]), built_at=row["built_at"],
                   record_count=int(row["record_count"]), previous_id=row["previous_id"],
                   adds=int(row["adds"]), changes=int(row["changes"]),
                   deletes=int(row["deletes"]), manifest_sha256=row["manifest_sha256"],
                   key_id=row["key_id"], built_by=row["built_by"])

    @property
    def records_parquet(self) -> Path:
        return self.path / "records.parquet"


@dataclass(frozen=True, slots=True)
class BuildResult:
    release: Release
    built: bool  # False: nothing changed since ``release``, which is the latest
    seconds: dict[str, float] = field(default_factory=dict)


def release_dir_name(release_id: int) -> str:
    return f"release-{release_id:06d}"


def latest_release(store: Store) -> Release | None:
    store.check_schema()
    with store.transaction(write=False) as tx:
        row = tx.latest_release_row()
    return Release.from_row(row) if row is not None else None


def get_release(store: Store, release_id: int) -> Release:
    store.check_schema()
    with store.transaction(write=False) as tx:
        row = tx.get_release_row(release_id)
    if row is None:
        raise NotFoundError(f"no release {release_id}")
    return Release.from_row(row)


def list_releases(store: Store) -> list[Release]:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [Release.from_row(r) for r in tx.release_rows()]


@contextlib.contextmanager
def _build_lock(parent: Path) -> Iterator[None]:
    parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(parent / ".build.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(f"another release build is running in {parent}") from None
        yield
    finally:
        os.close(fd)


def build_release(store: Store, *, actor: str, releases: Path, keys: Path,
                  batch_rows: int = 100_000) -> BuildResult:
    """Build the next release from every published record; see the module docstring."""
    store.check_schema()
    key, pub = signing.load_signing_key(keys)
    releases = releases.resolve()
    with _build_lock(releases):
        remove_stale_partials(releases)
        with store.transaction(write=False) as tx:
            prev_row = tx.latest_release_row()
            release_id = tx.next_release_id()
        previous = Release.from_row(prev_row) if prev_row is not None else None
        if previous is not None and not previous.records_parquet.is_file():
            raise NotFoundError(f"release {previous.id}'s snapshot {previous.records_parquet} "
                                "is missing: the next delta is computed from it")
        final = releases / release_dir_name(release_id)
        if final.exists():  # complete but never recorded (crashed before the commit)
            shutil.rmtree(final)
        with staging_dir(final) as tmp:
            writer = SnapshotWriter(tmp, previous.records_parquet if previous else None)
            with store.transaction(write=False) as tx:
                # reading the registry overlaps with writing the files (two cores)
                snap = writer.write(read_ahead(tx.record_batches(
                    statuses=[RecordStatus.PUBLISHED], batch_rows=batch_rows)))
            counts = snap.counts
            if previous is not None and not any(counts.values()):
                shutil.rmtree(tmp)
                return BuildResult(previous, built=False, seconds=dict(snap.seconds))
            t = time.perf_counter()
            entries = [file_entry(tmp / "full.dmf", snap.records, snap.dmf_sha256),
                       _write_checkpoint(store, tmp, keys=keys, actor=actor)]
            if snap.delta is not None:
                delta_parquet, delta_dmf = write_delta(tmp, snap.delta)
                snap.seconds["delta"] += time.perf_counter() - t
                t = time.perf_counter()
                n = snap.delta.num_rows
                entries += [file_entry(delta_parquet, n), file_entry(delta_dmf, n)]
            entries.append(file_entry(tmp / "records.parquet", snap.records))
            snap.seconds["hash"] += time.perf_counter() - t
            t = time.perf_counter()
            body = {"format": FORMAT, "release": release_id,
                    "previous_release": previous.id if previous else None,
                    "record_count": snap.records, "delta": counts if previous else None}
            _, manifest_sha = write_manifest(
                tmp, body, entries, key, trusted_comment=f"vitalstat release {release_id}")
            snap.seconds["sign"] += time.perf_counter() - t
            t = time.perf_counter()
            publish_dir(tmp, final)
            snap.seconds["fsync"] += time.perf_counter() - t
        now = utc_now()
        row = {"id": release_id, "built_at": now, "built_by": actor, "directory": str(final),
               "previous_id": previous.id if previous else None, "record_count": snap.records,
               **counts, "manifest_sha256": manifest_sha, "key_id": pub.key_id_hex}
        try:
            with store.transaction() as tx:
                tx.insert_release(row)
                tx.append_event(actor=actor, kind="release.built",
                                subject=f"release:{release_id}",
                                detail={k: v for k, v in row.items() if k != "built_at"},
                                at=now)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
    return BuildResult(Release.from_row(row), built=True, seconds=dict(snap.seconds))


def _write_checkpoint(store: Store, directory: Path, *, keys: Path, actor: str) -> FileEntry:
    """Sign a checkpoint of the audit log into ``checkpoint.json`` (one line of canonical
    JSON, so 0 records): deterministic, like every file here (its time is the log's)."""
    signed = write_checkpoint(store, keys=keys, actor=actor).signed
    path = directory / CHECKPOINT
    path.write_text(canonical_json(signed.as_json()) + "\n", encoding="utf-8")
    return file_entry(path, 0)


def verify_release(directory: Path, *, keys: Path, public_key: Path | None = None
                   ) -> VerifyReport:
    """Check a release (or delivery) directory's signature and every file's sums.

    The signing key is looked up by the signature's key id among the key directory's
    active and retired public keys, or is the given ``public_key`` file.
    """
    from vitalstat.formats import minisign

    if public_key is not None:
        pub = minisign.parse_public_key(public_key.read_text(encoding="ascii"),
                                        source=str(public_key))
        trusted = {pub.key_id_hex: pub}
    else:
        trusted = signing.public_keys(keys)
    return verify_dir(directory, trusted)

"""Tier files and deliveries: what a recipient receives, filtered by ``domain.policy``.

* :func:`export_release` writes an ad-hoc tier file (DMF, CSV or Parquet) from a
  release, optionally as changes since an earlier release. An ``open`` file may be
  anonymous; a ``certified`` or ``benefits-agency`` file goes to a named subscriber, is
  filtered by that subscriber's standing on the day, and is logged in the ledger.
* :func:`deliver` sends a subscriber what changed since what it holds (a full file the
  first time), from the latest release, filtered by its standing *at delivery time*.

What a subscriber holds is read from the delivery ledger: per SSN its last entry, unless
that was a ``D``. A held record that the subscriber may no longer receive (withdrawn,
moved into a restricted source, or its tier dropped) gets a ``D`` carrying the version it
was sent, so no ``D`` reveals anything it did not already have. Outputs and results count
only what was sent: nothing says how many records were withheld.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vitalstat.domain.policy import (
    DEFAULT_EMBARGO,
    EmbargoRule,
    RecordFilter,
    Standing,
    Tier,
    entitlement,
    release_filter,
)
from vitalstat.errors import ConflictError, NotFoundError, RefusedError, ValidationError
from vitalstat.formats.dmf_columnar import dmf_lines
from vitalstat.services import keys as signing
from vitalstat.services.cases import NOTICE_COLUMNS, close_notified_cases, correction_notices
from vitalstat.services.record_filter import admitted
from vitalstat.services.releases import Release, get_release, latest_release
from vitalstat.services.signed_dir import (
    FileEntry,
    file_entry,
    publish_dir,
    staging_dir,
    write_manifest,
)
from vitalstat.services.snapshot import rows_at, ssn_numbers
from vitalstat.services.subscribers import Subscriber, get_subscriber
from vitalstat.store import Store
from vitalstat.store.distribution import HOLDINGS_SCHEMA
from vitalstat.store.repo import utc_now

__all__ = ["EXPORT_FORMATS", "PUBLIC_COLUMNS", "DeliveryResult", "ExportResult", "deliver",
           "export_release"]

EXPORT_FORMATS = ("dmf", "csv", "parquet")
#: The columns of CSV and Parquet tier files: the DMF's public fields (readable by
#: ``vitalstat ingest`` as they are).
PUBLIC_COLUMNS = ("action", "ssn", "last_name", "first_name", "middle_name", "suffix",
                  "date_of_death", "date_of_birth", "proof", "state", "zip_residence",
                  "zip_payment")
_KEY_COLUMNS = ["ssn", "version", "status", "restricted", "date_of_death"]


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    release_id: int
    since_id: int | None
    tier: Tier
    records: int
    counts: dict[str, int]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivery_id: int
    subscriber: str
    release_id: int
    kind: str  # full | update
    tier: Tier
    directory: Path
    records: int
    counts: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------ file sinks


class _Sink:
    """Writes tier rows (records columns plus ``action``) to one file in one format."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self.part = path.with_name(path.name + ".part")
        self.records = 0
        self._fh = self.part.open("wb") if fmt == "dmf" else None
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None
        self._schema = pa.schema([pa.field(c, pa.string()) for c in PUBLIC_COLUMNS])

    def write(self, rows: pa.Table, actions: np.ndarray) -> None:
        if rows.num_rows == 0:
            return
        self.records += rows.num_rows
        if self._fh is not None:
            self._fh.write(dmf_lines(rows, actions))
            return
        codes = np.char.strip(actions.astype("U1"))
        cols = [pa.array(codes.tolist(), pa.string()),
                *(rows.column(c).cast(pa.string()) for c in PUBLIC_COLUMNS[1:])]
        self._table_writer().write_table(pa.Table.from_arrays(cols, schema=self._schema))

    def _table_writer(self) -> pq.ParquetWriter | pacsv.CSVWriter:
        if self._writer is None:
            self._writer = (pq.ParquetWriter(self.part, self._schema, compression="zstd")
                            if self.fmt == "parquet" else pacsv.CSVWriter(self.part, self._schema))
        return self._writer

    def close(self) -> None:
        """Finish the file (an empty CSV or Parquet file still has its header/schema)."""
        if self._fh is not None:
            self._fh.close()
        else:
            self._table_writer().close()
        os.replace(self.part, self.path)

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
        elif self._writer is not None:
            self._writer.close()
        self.part.unlink(missing_ok=True)


# ------------------------------------------------------------------- the views


def _filtered_batches(release: Release, rule: RecordFilter) -> Iterator[pa.Table]:
    """The release's records that ``rule`` admits, one row group at a time."""
    if rule.nothing:
        return
    file = pq.ParquetFile(release.records_parquet)
    for g in range(file.num_row_groups):
        table = file.read_row_group(g)
        yield table.filter(pa.array(admitted(table, rule)))


def _view(release: Release, rule: RecordFilter, also: RecordFilter | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(SSN numbers, versions, row positions) of the records ``rule`` (and ``also``) admit."""
    keys = pq.read_table(release.records_parquet, columns=_KEY_COLUMNS)
    mask = admitted(keys, rule)
    if also is not None:
        mask &= admitted(keys, also)
    where = np.flatnonzero(mask)
    ssn = ssn_numbers(keys.column("ssn"))[where]
    return ssn, keys.column("version").to_numpy()[where], where


def _diff(old_ssn: np.ndarray, old_version: np.ndarray, new_ssn: np.ndarray,
          new_version: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions in new of adds and of changes, positions in old of deletes (sorted keys)."""
    at = np.searchsorted(old_ssn, new_ssn)
    inside = at < len(old_ssn)
    found = np.zeros(len(new_ssn), bool)
    found[inside] = old_ssn[at[inside]] == new_ssn[inside]
    matched = np.zeros(len(old_ssn), bool)
    matched[at[found]] = True
    changed = np.zeros(len(new_ssn), bool)
    changed[found] = old_version[at[found]] != new_version[found]
    return np.flatnonzero(~found), np.flatnonzero(changed), np.flatnonzero(~matched)


def _update_rows(new_release: Release, add_rows: np.ndarray, change_rows: np.ndarray,
                 deleted: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """A, C rows from ``new_release`` (by row position) and the ``D`` rows, in SSN order."""
    positions = np.concatenate([add_rows, change_rows])
    order = np.argsort(positions, kind="stable")
    actions = np.concatenate([np.full(len(add_rows), b"A"), np.full(len(change_rows), b"C")])
    parts, codes = [], []
    if len(positions):
        parts.append(rows_at(new_release.records_parquet, positions[order]))
        codes.append(actions[order])
    if deleted.num_rows:
        parts.append(deleted)
        codes.append(np.full(deleted.num_rows, b"D"))
    if not parts:
        return pq.read_schema(new_release.records_parquet).empty_table(), np.array([], "S1")
    table = pa.concat_tables(parts)
    action = np.concatenate(codes).astype("S1")
    order = np.argsort(ssn_numbers(table.column("ssn")), kind="stable")
    return table.take(pa.array(order)), action[order]


def _counts(actions: np.ndarray) -> dict[str, int]:
    return {"adds": int((actions == b"A").sum()), "changes": int((actions == b"C").sum()),
            "deletes": int((actions == b"D").sum())}


def _ledger(rows: pa.Table, actions: np.ndarray) -> pa.Table:
    return pa.table({"ssn": rows.column("ssn"), "version": rows.column("version"),
                     "action": pa.array(actions.astype("U1").tolist(), pa.string())})


# ---------------------------------------------------------------------- export


def _recipient(store: Store, tier: Tier, subscriber: str | None, today: date
               ) -> tuple[Subscriber | None, Standing, tuple[str, ...]]:
    if subscriber is None:
        if tier is not Tier.OPEN:
            raise RefusedError(f"a {tier.value} file goes to a named recipient: pass "
                               "--subscriber NAME (every record sent is logged)")
        return None, Standing(Tier.OPEN), ()
    sub = get_subscriber(store, subscriber)
    ent = entitlement(sub.standing, today)
    if ent.tier is None:
        raise RefusedError(f"subscriber {sub.name!r} is suspended: nothing may be sent")
    return sub, sub.standing, ent.notes


def export_release(store: Store, *, release_id: int, tier: str, fmt: str, out: Path,
                   actor: str, since: int | None = None, subscriber: str | None = None,
                   today: date | None = None, rule: EmbargoRule = DEFAULT_EMBARGO
                   ) -> ExportResult:
    """Write a tier file from release ``release_id`` (see the module docstring)."""
    fmt = fmt.strip().lower()
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"unknown format {fmt!r}; one of: {', '.join(EXPORT_FORMATS)}",
                              field="format")
    today = today or date.today()
    asked = Tier.parse(tier)
    release = get_release(store, release_id)
    base = get_release(store, since) if since is not None else None
    if base is not None and base.id >= release.id:
        raise ValidationError(f"--since {base.id} must be an earlier release than "
                              f"{release.id}", field="since")
    sub, standing, notes = _recipient(store, asked, subscriber, today)
    given = entitlement(standing, today).tier
    applied = asked if given is None or asked.rank <= given.rank else given
    rule_now = release_filter(standing, today, rule, at_most=asked)
    out.parent.mkdir(parents=True, exist_ok=True)
    sink = _Sink(out, fmt)
    ledger: list[pa.Table] = []
    try:
        if base is None:
            for rows in _filtered_batches(release, rule_now):
                actions = np.full(rows.num_rows, b" ")
                sink.write(rows, actions)
                ledger.append(_ledger(rows, actions))
            counts = {"adds": 0, "changes": 0, "deletes": 0}
        else:
            # What a recipient of this standing received from ``base`` when it was built,
            # and may still receive today: a D never carries what it may not have now.
            then = date.fromisoformat(base.built_at[:10])
            old_ssn, old_ver, old_pos = _view(
                base, release_filter(standing, then, rule, at_most=asked), also=rule_now)
            new_ssn, new_ver, new_pos = _view(release, rule_now)
            adds, changes, gone = _diff(old_ssn, old_ver, new_ssn, new_ver)
            deleted = rows_at(base.records_parquet, old_pos[gone]) if len(gone) else \
                pq.read_schema(base.records_parquet).empty_table()
            rows, actions = _update_rows(release, new_pos[adds], new_pos[changes], deleted)
            sink.write(rows, actions)
            ledger.append(_ledger(rows, actions))
            counts = _counts(actions)
        sink.close()
    except BaseException:
        sink.abort()
        raise
    if sub is not None:
        now = utc_now()
        with store.transaction() as tx:
            did = tx.insert_delivery({"subscriber_id": sub.id, "release_id": release.id,
                                      "kind": "export", "tier": applied.value,
                                      "delivered_at": now, "delivered_by": actor,
                                      "path": str(out.resolve()), "record_count": sink.records})
            for part in ledger:
                tx.insert_ledger(delivery_id=did, subscriber_id=sub.id, release_id=release.id,
                                 at=now, entries=part)
            tx.append_event(actor=actor, kind="release.exported", subject=f"subscriber:{sub.name}",
                            detail={"delivery": did, "release": release.id, "since": since,
                                    "tier": applied.value, "format": fmt,
                                    "records": sink.records, **counts}, at=now)
    return ExportResult(out, release.id, since, applied, sink.records, counts, notes)


# --------------------------------------------------------------------- deliver


def _held_rows(store: Store, holdings: pa.Table, gone: np.ndarray) -> pa.Table:
    """The rows a subscriber was sent for the held SSNs at ``gone``, from their releases."""
    picked = holdings.take(pa.array(gone))
    parts = []
    for rid in sorted(set(picked.column("release_id").to_pylist())):
        mine = picked.filter(pc.equal(picked.column("release_id"), rid))
        source = get_release(store, rid)
        all_ssn = ssn_numbers(pq.read_table(source.records_parquet, columns=["ssn"]).column(0))
        positions = np.searchsorted(all_ssn, ssn_numbers(mine.column("ssn")))
        parts.append(rows_at(source.records_parquet, np.sort(positions)))
    return pa.concat_tables(parts)


def deliver(store: Store, name: str, *, out: Path, actor: str, keys: Path,
            today: date | None = None, rule: EmbargoRule = DEFAULT_EMBARGO) -> DeliveryResult:
    """Send subscriber ``name`` what changed since its last delivery (see module docstring)."""
    today = today or date.today()
    sub = get_subscriber(store, name)
    ent = entitlement(sub.standing, today)
    if ent.tier is None:
        raise RefusedError(f"subscriber {sub.name!r} is suspended: nothing was delivered")
    release = latest_release(store)
    if release is None:
        raise NotFoundError("no release yet: run `vitalstat release build` first")
    key, _ = signing.load_signing_key(keys)
    rule_now = release_filter(sub.standing, today, rule)
    out = out.resolve()
    with store.transaction(write=False) as tx:  # columnar read of what it holds
        holdings = tx.holdings(sub.id)
        seen = tx.last_ledger_id(sub.id)
        full = holdings.num_rows == 0 and not tx.delivery_rows(sub.id)
    kind = "full" if full else "update"
    published: list[Path] = []
    try:
        with store.transaction() as tx:
            if tx.last_ledger_id(sub.id) != seen:
                raise ConflictError(f"another delivery to {sub.name!r} ran at the same time: "
                                    "nothing was delivered; run it again")
            now = utc_now()
            did = tx.insert_delivery({"subscriber_id": sub.id, "release_id": release.id,
                                      "kind": kind, "tier": ent.tier.value,
                                      "delivered_at": now, "delivered_by": actor, "path": "",
                                      "record_count": 0})
            final = out / f"delivery-{did:06d}"
            if final.exists():  # written by a delivery that crashed before its commit
                shutil.rmtree(final)
            deleted: set[str] = set()
            with staging_dir(final) as tmp:
                sink = _Sink(tmp / f"{kind}.dmf", "dmf")
                if full:
                    for rows in _filtered_batches(release, rule_now):
                        actions = np.full(rows.num_rows, b" ")
                        sink.write(rows, actions)
                        tx.insert_ledger(delivery_id=did, subscriber_id=sub.id,
                                         release_id=release.id, at=now,
                                         entries=_ledger(rows, actions))
                    counts = {"adds": 0, "changes": 0, "deletes": 0}
                else:
                    rows, actions = _changes_for(store, release, rule_now, holdings)
                    sink.write(rows, actions)
                    tx.insert_ledger(delivery_id=did, subscriber_id=sub.id,
                                     release_id=release.id, at=now,
                                     entries=_ledger(rows, actions))
                    counts = _counts(actions)
                    deleted = set(rows.column("ssn").filter(
                        pa.array(actions == b"D")).to_pylist())
                sink.close()
                files = [file_entry(sink.path, sink.records)]
                notices = correction_notices(tx, deleted)
                if notices:  # Privacy Act 552a(c)(4): tell every earlier recipient
                    files.append(_write_notices(tmp / "corrections.csv", notices))
                body = {"format": "vitalstat-delivery/1", "delivery": did,
                        "subscriber": sub.name, "release": release.id, "kind": kind,
                        "tier": ent.tier.value, "delivered_on": today.isoformat(),
                        "notes": list(ent.notes), "record_count": sink.records,
                        "delta": None if full else counts}
                body["corrections"] = len(notices)
                write_manifest(tmp, body, files, key,
                               trusted_comment=f"vitalstat delivery {did} to {sub.name}")
                publish_dir(tmp, final)
                published.append(final)
            tx.finish_delivery(did, path=str(final), record_count=sink.records)
            close_notified_cases(tx, deleted, actor=actor, now=now)
            tx.append_event(actor=actor, kind="subscriber.delivered",
                            subject=f"subscriber:{sub.name}",
                            detail={"delivery": did, "release": release.id, "kind": kind,
                                    "tier": ent.tier.value, "records": sink.records,
                                    **counts}, at=now)
    except BaseException:
        for path in published:  # not committed: the delivery did not happen
            shutil.rmtree(path, ignore_errors=True)
        raise
    return DeliveryResult(did, sub.name, release.id, kind, ent.tier, final, sink.records,
                          counts, ent.notes)


def _write_notices(path: Path, notices: list[dict[str, str]]) -> FileEntry:
    table = pa.Table.from_pylist(notices, schema=pa.schema(
        [pa.field(c, pa.string()) for c in NOTICE_COLUMNS]))
    pacsv.write_csv(table, path)
    return file_entry(path, table.num_rows)


def _changes_for(store: Store, release: Release, rule: RecordFilter, holdings: pa.Table
                 ) -> tuple[pa.Table, np.ndarray]:
    """A, C and D rows that bring ``holdings`` to what ``rule`` admits of ``release``."""
    new_ssn, new_ver, new_pos = _view(release, rule)
    held = holdings.cast(HOLDINGS_SCHEMA)
    adds, changes, gone = _diff(ssn_numbers(held.column("ssn")),
                                held.column("version").to_numpy(), new_ssn, new_ver)
    deleted = _held_rows(store, held, gone) if len(gone) else \
        pq.read_schema(release.records_parquet).empty_table()
    return _update_rows(release, new_pos[adds], new_pos[changes], deleted)


"""Releases: snapshot contents, delta, signature and sums, determinism, keys (both backends)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from release_helpers import ingest_rows, ssn

from vitalstat.errors import ChecksumError, NotFoundError, SignatureError
from vitalstat.formats.dmf import parse_line
from vitalstat.services import keys as signing
from vitalstat.services.releases import (
    build_release,
    get_release,
    latest_release,
    list_releases,
    verify_release,
)
from vitalstat.services.snapshot import delta_between
from vitalstat.store import Store
from vitalstat.store.repo import RECORD_ARROW_SCHEMA


@pytest.fixture
def keys(tmp_path: Path, store: Store) -> Path:
    signing.generate_key(store, tmp_path / "keys", actor="keeper")
    return tmp_path / "keys"


def build(store: Store, tmp_path: Path, keys: Path):
    return build_release(store, actor="builder", releases=tmp_path / "releases", keys=keys)


def test_a_release_holds_every_published_record(store: Store, tmp_path: Path, keys: Path) -> None:
    assert latest_release(store) is None
    ingest_rows(store, tmp_path, [(ssn(3), "Cole", "Cy", "2001-02-03"),
                                  (ssn(1), "Avery", "Ann", "1999-00-00"),
                                  (ssn(2), "Bell", "Bo", "2010-07")])
    ingest_rows(store, tmp_path, [(ssn(2), "Bell", "Bob", "2010-07")], kind="funeral-home",
                source_id="fh-1")  # conflicting first name: held, not published
    result = build(store, tmp_path, keys)
    r = result.release
    assert result.built and r.id == 1 and r.record_count == 2 and r.previous_id is None
    assert r.path.name == "release-000001" and r.path.is_dir()
    assert latest_release(store) == r == get_release(store, 1)
    table = pq.read_table(r.path / "records.parquet")
    assert table.schema.names == RECORD_ARROW_SCHEMA.names
    assert table.column("ssn").to_pylist() == [ssn(1), ssn(3)]
    assert set(table.column("status").to_pylist()) == {"published"}
    lines = (r.path / "full.dmf").read_text().splitlines()
    assert [parse_line(x).ssn for x in lines] == [ssn(1), ssn(3)]
    assert parse_line(lines[0]).date_of_death.iso() == "1999-00-00"
    assert sorted(p.name for p in r.path.iterdir()) == [
        "checkpoint.json", "full.dmf", "manifest.json", "manifest.json.minisig",
        "records.parquet"]
    report = verify_release(r.path, keys=keys)
    assert {f.name: f.records for f in report.files} == {"checkpoint.json": 0, "full.dmf": 2,
                                                         "records.parquet": 2}
    with store.transaction(write=False) as tx:
        (event,) = [e for e in tx.events() if e["kind"] == "release.built"]
    assert event["actor"] == "builder" and event["subject"] == "release:1"
    with pytest.raises(NotFoundError) as missing:
        get_release(store, 9)
    assert missing.value.code == "not-found"


def test_delta_has_adds_changes_and_withdrawals(store: Store, tmp_path: Path,
                                                keys: Path) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", "1999-01-01"),
                                  (ssn(2), "Bell", "Bo", "2010-07-01"),
                                  (ssn(3), "Cole", "Cy", "2001-02-03")])
    build(store, tmp_path, keys)
    ingest_rows(store, tmp_path, [(ssn(4), "Dunn", "Di", "2020-01-01"),
                                  (ssn(2), "Bell", "Bo", "2010-07-01", "D")])
    ingest_rows(store, tmp_path, [(ssn(3), "Cole", "Cy", "2001-02-03")],
                kind="state-vital-records", source_id="OH")  # now restricted: a change
    r = build(store, tmp_path, keys).release
    assert (r.id, r.previous_id, r.adds, r.changes, r.deletes) == (2, 1, 1, 1, 1)
    delta = (r.path / "delta.dmf").read_text().splitlines()
    assert [(x[0], parse_line(x).ssn) for x in delta] == [
        ("D", ssn(2)), ("C", ssn(3)), ("A", ssn(4))]
    assert parse_line(delta[0]).last_name == "BELL"  # the D carries what was published
    table = pq.read_table(r.path / "delta.parquet")
    assert table.column("action").to_pylist() == ["D", "C", "A"]
    assert table.schema.names[1:] == RECORD_ARROW_SCHEMA.names
    assert verify_release(r.path, keys=keys).manifest["delta"] == {
        "adds": 1, "changes": 1, "deletes": 1}
    assert [x.id for x in list_releases(store)] == [1, 2]
    # the same delta, from the two snapshots alone
    again = delta_between(tmp_path / "releases" / "release-000001" / "records.parquet",
                          r.records_parquet)
    assert again.equals(table)


def test_nothing_changed_makes_no_new_release(store: Store, tmp_path: Path, keys: Path) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", "1999-01-01")])
    first = build(store, tmp_path, keys)
    again = build(store, tmp_path, keys)
    assert again.built is False and again.release == first.release
    assert [p.name for p in (tmp_path / "releases").iterdir() if not p.name.startswith(".")
            ] == ["release-000001"]


@pytest.mark.parametrize("victim", ["full.dmf", "records.parquet", "manifest.json"])
def test_verify_fails_on_a_flipped_byte(store: Store, tmp_path: Path, keys: Path,
                                        victim: str) -> None:
    ingest_rows(store, tmp_path, [(ssn(n), "Avery", "Ann", "1999-01-01") for n in range(5)])
    path = build(store, tmp_path, keys).release.path
    target = path / victim
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    error = SignatureError if victim == "manifest.json" else ChecksumError
    with pytest.raises(error, match=victim):
        verify_release(path, keys=keys)


def test_verify_refuses_extra_missing_files_and_unknown_keys(store: Store, tmp_path: Path,
                                                             keys: Path) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", "1999-01-01")])
    path = build(store, tmp_path, keys).release.path
    (path / "extra.txt").write_text("x")
    with pytest.raises(ChecksumError, match=r"not in the manifest: extra\.txt"):
        verify_release(path, keys=keys)
    (path / "extra.txt").unlink()
    other = tmp_path / "other-keys"
    signing.generate_key(store, other, actor="keeper")
    with pytest.raises(SignatureError, match="not a trusted key"):
        verify_release(path, keys=other)
    with pytest.raises(SignatureError, match="not a trusted key"):
        verify_release(path, keys=keys, public_key=other / "release.pub")
    (path / "full.dmf").unlink()
    with pytest.raises(ChecksumError, match="missing"):
        verify_release(path, keys=keys)


def test_rotation_keeps_old_releases_verifiable(store: Store, tmp_path: Path,
                                                keys: Path) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", "1999-01-01")])
    old = build(store, tmp_path, keys).release
    retired, new = signing.rotate_key(store, keys, actor="keeper")
    assert retired.key_id == old.key_id != new.key_id
    ingest_rows(store, tmp_path, [(ssn(2), "Bell", "Bo", "1999-01-01")])
    fresh = build(store, tmp_path, keys).release
    assert fresh.key_id == new.key_id
    assert verify_release(old.path, keys=keys).key_id == old.key_id
    assert verify_release(fresh.path, keys=keys).key_id == new.key_id
    with pytest.raises(SignatureError):
        verify_release(old.path, keys=keys, public_key=keys / "release.pub")
    with store.transaction(write=False) as tx:
        kinds = [e["kind"] for e in tx.events() if e["kind"].startswith("signing_key")]
        stored = tx.signing_key_rows()
    assert kinds == ["signing_key.generated", "signing_key.rotated"]
    assert [k["retired_at"] is not None for k in stored] == [True, False]


def test_the_private_key_never_enters_a_release_or_the_log(store: Store, tmp_path: Path,
                                                           keys: Path) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", "1999-01-01")])
    path = build(store, tmp_path, keys).release.path
    pem = (keys / "release.key").read_bytes()
    assert (keys / "release.key").stat().st_mode & 0o077 == 0
    body = b"".join(pem.splitlines()[1:-1])  # the base64 of the key itself
    for file in path.iterdir():
        assert body not in file.read_bytes().replace(b"\n", b""), file
    with store.transaction(write=False) as tx:
        log = repr(tx.events())
    assert body.decode() not in log


def test_missing_key_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="release keygen"):
        build(store, tmp_path, tmp_path / "no-keys")
    signing.generate_key(store, tmp_path / "k", actor="keeper")
    with pytest.raises(Exception, match="rotate-key"):
        signing.generate_key(store, tmp_path / "k", actor="keeper")


def test_same_state_same_bytes(sqlite_store: Store, tmp_path: Path) -> None:
    """Two builds from the same registry state (a copy of the database) are byte-identical."""
    store = sqlite_store
    keys = tmp_path / "keys"
    signing.generate_key(store, keys, actor="keeper")
    ingest_rows(store, tmp_path, [(ssn(n), f"Name{n % 7}", "Ann",
                                   f"19{50 + n % 40}-01-0{1 + n % 9}") for n in range(200)])
    build(store, tmp_path, keys)
    ingest_rows(store, tmp_path, [(ssn(n), f"Name{n % 7}", "Ann",
                                   f"19{50 + n % 40}-01-0{1 + n % 9}") for n in range(150, 260)],
                kind="state-vital-records", source_id="OH")
    ingest_rows(store, tmp_path, [(ssn(n), "Other", "Bo", "2001-01-01") for n in range(10)],
                kind="funeral-home", source_id="fh")
    db = Path(store.engine.url.database)
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    a = build(store, tmp_path, keys).release
    twin = Store.open(f"sqlite:///{copy}")
    b = build_release(twin, actor="someone-else", releases=tmp_path / "twin", keys=keys,
                      batch_rows=7).release  # read in other batch sizes: same bytes
    twin.close()
    assert a.id == b.id == 2 and (a.adds, a.changes, a.deletes) == (60, 50, 10)
    names = sorted(p.name for p in a.path.iterdir())
    assert names == sorted(p.name for p in b.path.iterdir())
    for name in names:
        assert (a.path / name).read_bytes() == (b.path / name).read_bytes(), name


def test_debian_minisign_verifies_a_built_release(store: Store, tmp_path: Path,
                                                  keys: Path) -> None:
    exe = shutil.which("minisign")
    if exe is None:
        if os.environ.get("VITALSTAT_REQUIRE_TOOLS") == "1":
            pytest.fail("minisign is not installed (scripts/test.sh installs it)")
        pytest.skip("minisign is not installed")
    ingest_rows(store, tmp_path, [(ssn(n), "Avery", "Ann", "1999-01-01") for n in range(3)])
    path = build(store, tmp_path, keys).release.path
    command = [exe, "-Vm", str(path / "manifest.json"), "-p", str(keys / "release.pub")]
    ok = subprocess.run(command, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "vitalstat release 1 manifest-sha256:" in ok.stdout
    data = bytearray((path / "manifest.json").read_bytes())
    data[10] ^= 0x01
    (path / "manifest.json").write_bytes(bytes(data))
    assert subprocess.run(command, capture_output=True, text=True).returncode != 0


def test_a_missing_previous_snapshot_is_a_clear_error(store: Store, tmp_path: Path,
                                                      keys: Path) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", "1999-01-01")])
    first = build(store, tmp_path, keys).release
    first.records_parquet.unlink()
    with pytest.raises(NotFoundError, match="release 1's snapshot"):
        build(store, tmp_path, keys)


def test_a_second_build_at_the_same_time_is_refused(store: Store, tmp_path: Path,
                                                    keys: Path) -> None:
    import fcntl

    from vitalstat.errors import ConflictError

    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", "1999-01-01")])
    (tmp_path / "releases").mkdir()
    with (tmp_path / "releases" / ".build.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running build holds it
        with pytest.raises(ConflictError, match="another release build is running"):
            build(store, tmp_path, keys)
    assert build(store, tmp_path, keys).release.id == 1

"""A release build killed with SIGKILL at a random point leaves no half release visible,
and building again gives byte-for-byte the release an uninterrupted build gives."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registered import ensure_source
from vitalstat.services import keys as signing
from vitalstat.services.ingest import ingest_file
from vitalstat.services.releases import build_release, list_releases, verify_release
from vitalstat.store import Store
from vitalstat.synth import write_dmf_full_file

CHILD = """
import sys
from pathlib import Path
from vitalstat.services.releases import build_release
from vitalstat.store import Store
r = build_release(Store.open(sys.argv[1]), actor="crash-test", releases=Path(sys.argv[2]),
                  keys=Path(sys.argv[3]), batch_rows=2000)
print("BUILT", r.release.id, flush=True)
"""


def run_child(url: str, releases: Path, keys: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-c", CHILD, url, str(releases), str(keys)],
                            stdout=subprocess.PIPE, text=True, env=env)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with release 1 built and changes waiting for release 2 (made once)."""
    base = tmp_path_factory.mktemp("crash-base")
    store = Store.open(f"sqlite:///{base / 'registry.db'}")
    store.migrate()
    signing.generate_key(store, base / "keys", actor="keeper")
    write_dmf_full_file(base / "full.dmf", 40_000, seed=5)
    ensure_source(store, "legacy-dmf", "old")
    ensure_source(store, "funeral-home", "fh")
    ingest_file(store, base / "full.dmf", source_kind="legacy-dmf", source_id="old",
                actor="loader")
    build_release(store, actor="builder", releases=base / "releases", keys=base / "keys")
    write_dmf_full_file(base / "more.dmf", 4_000, seed=6)
    ingest_file(store, base / "more.dmf", source_kind="funeral-home", source_id="fh",
                actor="loader")
    store.close()
    return base


def copy_registry(base: Path, to: Path) -> str:
    to.mkdir()
    with sqlite3.connect(base / "registry.db") as src, sqlite3.connect(to / "registry.db") as dst:
        src.backup(dst)  # release 1 stays where the registry says it is (in base)
    return f"sqlite:///{to / 'registry.db'}"


@pytest.mark.slow
@pytest.mark.parametrize("round_no", range(3))
def test_sigkill_mid_build_leaves_no_half_release(prepared: Path, tmp_path: Path,
                                                  round_no: int) -> None:
    keys = prepared / "keys"
    # the reference: an uninterrupted build from the same state, timed as a child
    ref_url = copy_registry(prepared, tmp_path / "ref")
    start = time.perf_counter()
    ref = run_child(ref_url, prepared / "releases-ref", keys)
    out, _ = ref.communicate()
    duration = time.perf_counter() - start
    assert "BUILT 2" in out

    seed = random.randrange(1 << 30)
    url = copy_registry(prepared, tmp_path / "crash")
    releases = tmp_path / "crash-releases"
    child = run_child(url, releases, keys)
    kill_after = random.Random(seed).uniform(0.3, duration)
    time.sleep(kill_after)
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate()
    note = f"seed={seed} killed after {kill_after:.2f}s of {duration:.2f}s; {out.strip()!r}"

    store = Store.open(url)
    recorded = {r.path.name for r in list_releases(store)}
    visible = {p.name for p in releases.iterdir() if not p.name.startswith(".")} \
        if releases.exists() else set()
    for name in visible:  # a visible directory is always whole and signed
        verify_release(releases / name, keys=keys)
    assert recorded - visible <= {"release-000001"}, note  # no recorded release is missing

    result = build_release(store, actor="again", releases=releases, keys=keys)
    assert result.release.id == 2, note
    reference = prepared / "releases-ref" / "release-000002"
    names = sorted(p.name for p in reference.iterdir())
    assert sorted(p.name for p in result.release.path.iterdir()) == names, note
    for name in names:
        assert (reference / name).read_bytes() == (result.release.path / name).read_bytes(), (
            f"{name}: {note}")
    assert not [p for p in releases.iterdir() if p.name.startswith(".partial")], note
    store.close()

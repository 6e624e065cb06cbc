"""The audit commands as a user (and an outside checker) runs them, and a DBA's hand edit
of the SQLite file caught by ``vitalstat audit verify``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vitalstat.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VITALSTAT_DB": str(tmp_path / "cli.db"), "VITALSTAT_USER": "clara",
            "VITALSTAT_RELEASES": str(tmp_path / "releases"),
            "VITALSTAT_KEYS": str(tmp_path / "keys"), "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def _save(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "printed.json"
    path.write_text(json.dumps(doc))
    return path


def test_checkpoint_verify_prove_and_check_then_catch_a_hand_edit(
        tmp_path: Path, env: dict[str, str]) -> None:
    run(env, "init")
    path = tmp_path / "family.csv"
    path.write_text("ssn,last_name,first_name,date_of_death,proof\n"
                    "123-45-6789,Smith,Ann,1999-05-01,V\n223-45-6789,Jones,Bo,2025-01-02,V\n")
    run(env, "source", "register", "family", "fam-7")
    run(env, "ingest", str(path), "--source-kind", "family", "--source-id", "fam-7")
    assert "release keygen" in run(env, "audit", "checkpoint", code=1)
    run(env, "release", "keygen")
    made = run(env, "audit", "checkpoint")
    assert made.startswith("checkpoint 1: size ")
    size = int(made.split()[3])
    assert "no new events; latest checkpoint 1" in run(env, "audit", "checkpoint")
    assert "audit log verified" in run(env, "audit", "verify")
    assert f"checkpoint 1  size {size}  root " in run(env, "audit", "list")

    path.write_text("ssn,last_name,first_name,date_of_death,proof\n"
                    "323-45-6789,Young,Cy,2001-02-03,V\n")
    run(env, "source", "register", "family", ":smile: [b]x")
    run(env, "ingest", str(path), "--source-kind", "family", "--source-id", ":smile: [b]x")
    run(env, "release", "build")
    printed = json.loads(run(env, "audit", "prove-inclusion", "6"))  # reports.ingested
    assert ":smile: [b]x" in printed["leaf"]  # printed verbatim, no console markup
    assert "ok: event 6 (reports.ingested)" in run(env, "audit", "check-proof",
                                                   str(_save(tmp_path, printed)))
    release = tmp_path / "releases" / "release-000001"
    pinned = release / "checkpoint.json"
    grown = json.loads(pinned.read_text())["size"]
    assert grown > size
    assert "verified" in run(env, "audit", "verify", "--checkpoint", str(pinned))

    proof = tmp_path / "proof.json"
    run(env, "audit", "prove-inclusion", "2", "--out", str(proof))
    pub = tmp_path / "keys" / "release.pub"
    assert "ok: event 2" in run(env, "audit", "check-proof", str(proof), "--key", str(pub),
                                "--checkpoint", str(pinned))
    # the stand-alone checker, as a third party runs it: no registry, only the key
    outside = subprocess.run([sys.executable, "-m", "vitalstat.audit.verify", str(proof),
                              "--key", str(pub), "--checkpoint", str(pinned)],
                             capture_output=True, text=True, cwd=tmp_path, env={})
    assert outside.returncode == 0 and outside.stdout.startswith("ok: event 2"), outside
    printed = json.loads(run(env, "audit", "prove-consistency", str(size), str(grown)))
    assert printed["proof"] == "consistency" and printed["first"]["size"] == size
    assert "no checkpoint of size 3" in run(env, "audit", "prove-inclusion", "1", "--size",
                                            "3", code=1)

    forged = json.loads(proof.read_text())
    forged["leaf"] = forged["leaf"].replace("fam-7", "fam-8")
    proof.write_text(json.dumps(forged))
    refused = run(env, "audit", "check-proof", str(proof), code=1)
    assert "error [bad-proof]" in refused and "NOT proven" in refused
    outside = subprocess.run([sys.executable, "-m", "vitalstat.audit.verify", str(proof),
                              "--key", str(pub)], capture_output=True, text=True, env={})
    assert outside.returncode == 1 and "error [bad-proof]" in outside.stderr

    # No command alters the log; the database refuses it; a DBA dropping the trigger can,
    # and verify names the event.
    with sqlite3.connect(env["VITALSTAT_DB"]) as db:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE events SET actor = 'mallory' WHERE id = 3")
        db.execute("DROP TRIGGER events_no_update")
        db.execute("UPDATE events SET actor = 'mallory' WHERE id = 3")
    failed = run(env, "audit", "verify", code=1)
    assert "error [audit-log]" in failed and "first bad entry: event 3: " in failed, failed

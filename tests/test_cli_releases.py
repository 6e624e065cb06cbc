"""Release, subscriber and delivery commands, as a user runs them."""

from __future__ import annotations

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


def run(env: dict[str, str], *args: str, code: int = 0):
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_release_subscriber_and_delivery_commands(tmp_path: Path, env: dict[str, str]) -> None:
    run(env, "init")
    path = tmp_path / "family.csv"
    path.write_text("ssn,last_name,first_name,date_of_death,proof\n"
                    "123-45-6789,Smith,Ann,1999-05-01,V\n223-45-6789,Jones,Bo,2025-01-02,V\n")
    run(env, "source", "register", "family", "fam-7")
    run(env, "ingest", str(path), "--source-kind", "family", "--source-id", "fam-7")
    assert "release keygen" in run(env, "release", "build", code=1)
    assert "signing key" in run(env, "release", "keygen")
    built = run(env, "release", "build")
    assert "release 1 " in built and "release-000001" in built and "2 records" in built
    assert "nothing changed since release 1" in run(env, "release", "build")
    release = tmp_path / "releases" / "release-000001"
    verified = run(env, "release", "verify", str(release))
    assert "verified: signature by key" in verified and "full.dmf" in verified
    assert "release-000001" in run(env, "release", "list")

    data = bytearray((release / "full.dmf").read_bytes())
    data[15] ^= 1
    (release / "full.dmf").write_bytes(bytes(data))
    flipped = run(env, "release", "verify", str(release), code=1)
    assert "error [bad-checksum]" in flipped and "full.dmf" in flipped
    assert "Traceback" not in flipped

    run(env, "subscriber", "add", "acme", "--tier", "open")
    run(env, "subscriber", "add", "bank", "--tier", "certified", "--certified-until",
        "2099-12-31")
    assert "certified-until" in run(env, "subscriber", "add", "x", "--tier", "certified",
                                    code=1)
    listed = run(env, "subscriber", "list")
    assert "acme" in listed and "certified until 2099-12-31" in listed
    out = run(env, "deliver", "acme", "--out", str(tmp_path / "d"))
    assert "1 records from release 1 at open tier (full file)" in out
    out = run(env, "deliver", "bank", "--out", str(tmp_path / "d"))
    assert "2 records" in out and "certified tier" in out
    delivery = next((tmp_path / "d").glob("delivery-*"))
    assert "verified" in run(env, "release", "verify", str(delivery))

    export = tmp_path / "open.csv"
    out = run(env, "release", "export", "--release", "1", "--tier", "open", "--format", "csv",
              "--out", str(export))
    assert "wrote 1 records" in out and export.read_text().count("\n") == 2
    refused = run(env, "release", "export", "--release", "1", "--tier", "certified",
                  "--format", "dmf", "--out", str(tmp_path / "x.dmf"), code=1)
    assert "error [refused]" in refused and "--subscriber" in refused
    assert "SUSPENDED" in run(env, "subscriber", "suspend", "acme")
    assert "error [refused]" in run(env, "deliver", "acme", code=1)
    run(env, "subscriber", "resume", "acme")
    assert "benefits-agency" in run(env, "subscriber", "update", "bank", "--tier",
                                    "benefits-agency", "--agreement", "CMA-1",
                                    "--agreement-start", "2020-01-01", "--agreement-end",
                                    "2099-01-01")
    rotated = run(env, "release", "rotate-key")
    assert "retired key" in rotated
    assert "error [not-found]" in run(env, "release", "export", "--release", "9", "--tier",
                                      "open", "--format", "dmf", "--out", "x", code=1)

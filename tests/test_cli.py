"""The command line, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vitalstat.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VITALSTAT_DB": str(tmp_path / "cli.db"), "VITALSTAT_USER": "clara"}


def run(env: dict[str, str], *args: str):
    return runner.invoke(app, list(args), env=env)


def test_init_ingest_show_stats(tmp_path: Path, env: dict[str, str]) -> None:
    assert "migrated to schema" in run(env, "init").output
    assert "already at schema" in run(env, "init").output
    path = tmp_path / "family.csv"
    path.write_text("ssn,last_name,first_name,date_of_death,reporter_name,reporter_relationship\n"
                    "123-45-6789,Smith,Ann,2020-05,Bob Smith,son\n")
    result = run(env, "ingest", str(path), "--source-kind", "family", "--source-id", "fam-7")
    assert result.exit_code == 0, result.output
    assert "1 new reports" in result.output and "1 records created" in result.output
    again = run(env, "ingest", str(path), "--source-kind", "family", "--source-id", "fam-7")
    assert again.exit_code == 0 and "already ingested" in again.output
    assert "nothing changed" in again.output
    shown = run(env, "show", "123456789")
    assert shown.exit_code == 0
    # a lone family report without proof waits out the grace period
    for text in ("SMITH", "pending", "single-unverified", "family/fam-7", "Bob Smith",
                 "2020-05"):
        assert text in shown.output
    stats = run(env, "stats", "--sample")
    assert stats.exit_code == 0 and "records: 1" in stats.output and "sample record" in stats.output
    queue = run(env, "holds", "list")
    assert queue.exit_code == 0 and "123456789" in queue.output
    assert "grace period" in queue.output
    assert "nothing is waiting" in run(env, "holds", "list", "--reason", "open-case").output
    wrong = run(env, "holds", "list", "--reason", "bogus")
    assert wrong.exit_code == 1 and "error [invalid]" in wrong.output
    recheck = run(env, "holds", "recheck")
    assert recheck.exit_code == 0 and "0 pending records changed" in recheck.output


def test_errors_are_one_line_with_a_code_and_exit_1(tmp_path: Path, env: dict[str, str]) -> None:
    run(env, "init")
    bad = tmp_path / "bad.csv"
    bad.write_text("ssn,last_name,date_of_death\n123456789,Smith,2020-13-01\n")
    result = run(env, "ingest", str(bad), "--source-kind", "family", "--source-id", "f")
    assert result.exit_code == 1
    assert "error [bad-lines]" in result.output and "bad.csv:2: date_of_death" in result.output
    assert "Traceback" not in result.output
    anon = run(env, "ingest", str(bad), "--source-kind", "family", "--source-id", "")
    assert anon.exit_code == 1 and "error [anonymous-report]" in anon.output
    assert "error [invalid-ssn]" in run(env, "show", "666-12-3456").output
    assert run(env, "show", "123-45-6789").exit_code == 1


def test_uninitialised_registry_says_what_to_do(env: dict[str, str]) -> None:
    result = run(env, "stats")
    assert result.exit_code == 1 and "vitalstat init" in result.output


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("vitalstat")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for command in ("init", "ingest", "show", "stats", "synth"):
        assert command in proc.stdout


def test_help_keeps_defaults_and_environment_variables() -> None:
    result = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("default: by file extension", "env VITALSTAT_DB", "env VITALSTAT_USER"):
        assert text in result.output

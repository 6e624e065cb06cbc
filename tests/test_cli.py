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
    refused = run(env, "ingest", str(path), "--source-kind", "family", "--source-id", "fam-7")
    assert refused.exit_code == 1 and "error [unregistered-source]" in refused.output
    assert "vitalstat source register family fam-7" in refused.output
    registered = run(env, "source", "register", "family", "fam-7", "--surge-ceiling", "50",
                     "--note", "test family desk")
    assert registered.exit_code == 0 and "ceiling 50" in registered.output
    assert run(env, "source", "register", "family", "fam-7").exit_code == 1
    assert "error [not-found]" in run(env, "source", "set-ceiling", "family", "x", "9").output
    assert "now 5000 (the default)" in run(env, "source", "set-ceiling", "family", "fam-7",
                                           "default").output
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
    run(env, "source", "register", "family", "f")
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


def test_a_case_from_open_to_letter_and_a_two_person_release(tmp_path: Path,
                                                             env: dict[str, str]) -> None:
    env = {**env, "VITALSTAT_CASES_DIR": str(tmp_path / "cases")}
    run(env, "init")
    path = tmp_path / "fh.csv"
    path.write_text("ssn,last_name,first_name,date_of_death,date_of_birth,proof\n"
                    "123-45-6789,Smith,Ann,2020-05-01,1950-01-01,V\n"
                    "223-45-6789,Lee,Bo,2020-05-01,1900-01-01,V\n")
    run(env, "source", "register", "funeral-home", "fh-1")
    assert run(env, "ingest", str(path), "--source-kind", "funeral-home",
               "--source-id", "fh-1").exit_code == 0
    opened = run(env, "case", "open", "--ssn", "123-45-6789", "--kind", "erroneous-death",
                 "--by", "person", "--contact", "ann@example.org")
    assert opened.exit_code == 0 and "C-000001" in opened.output, opened.output
    proof = tmp_path / "id.txt"
    proof.write_text("synthetic ID\n")
    filed = run(env, "case", "evidence", "C-000001", str(proof), "--type", "identity-document")
    assert filed.exit_code == 0, filed.output
    both = run(env, "case", "decide", "C-000001", "--reinstate", "--reject", "--reason", "x")
    assert both.exit_code == 1 and "exactly one" in both.output
    decided = run(env, "case", "decide", "C-000001", "--reinstate", "--reason", "ID seen")
    assert decided.exit_code == 0 and "state: closed" in decided.output, decided.output
    letter = tmp_path / "cases" / "letters" / "C-000001.html"
    code = letter.read_text().split('class="code">')[1].split("<")[0]
    check = run(env, "letter", "verify", code, "--file", str(letter))
    assert check.exit_code == 0 and "unaltered" in check.output
    assert "C-000001" in run(env, "case", "list").output
    assert "identity-document" in run(env, "case", "show", "C-000001").output
    first = runner.invoke(app, ["holds", "release", "223456789", "--reason", "seen"],
                          env={**env, "VITALSTAT_USER": "cw1"})
    assert first.exit_code == 0 and "needs a second" in first.output
    same = runner.invoke(app, ["holds", "release", "223456789", "--reason", "seen"],
                         env={**env, "VITALSTAT_USER": "cw1"})
    assert same.exit_code == 1 and "error [self-approval]" in same.output
    assert "attempt.refused" in run(env, "show", "223456789").output  # and audited
    second = runner.invoke(app, ["holds", "release", "223456789", "--reason", "ok"],
                           env={**env, "VITALSTAT_USER": "cw2"})
    assert second.exit_code == 0 and "now published" in second.output
    corrections = run(env, "stats", "corrections")
    assert corrections.exit_code == 0 and "1 closed" in corrections.output
    assert "C-000001" in corrections.output
    assert run(env, "stats", "bogus").exit_code == 1
    shown = run(env, "holds", "show", "223456789").output
    assert "status: published" in shown and "cw1: hold.release-proposed" in shown


def test_a_bulk_release_by_two_users_from_the_command_line(tmp_path: Path,
                                                           env: dict[str, str]) -> None:
    run(env, "init")
    run(env, "source", "register", "funeral-home", "fh-2", "--surge-ceiling", "1")
    listed = run(env, "source", "list")
    assert "funeral-home/fh-2" in listed.output and "1" in listed.output
    path = tmp_path / "fh.csv"
    path.write_text("ssn,last_name,first_name,date_of_death,proof\n"
                    "123-45-6789,Smith,Ann,2020-05-01,V\n223-45-6789,Lee,Bo,2020-05-01,V\n")
    ingested = run(env, "ingest", str(path), "--source-kind", "funeral-home",
                   "--source-id", "fh-2")
    assert "the whole batch is held" in ingested.output and "source-surge" in ingested.output
    proposed = run(env, "holds", "bulk", "propose", "release", "--batch", "1", "--reason",
                   "a genuine catch-up file")
    assert proposed.exit_code == 0 and "B-000001: release of 2 records" in proposed.output
    own = run(env, "holds", "bulk", "approve", "B-000001")
    assert own.exit_code == 1 and "error [self-approval]" in own.output
    approved = runner.invoke(app, ["holds", "bulk", "approve", "B-000001"],
                             env={**env, "VITALSTAT_USER": "dora"})
    assert approved.exit_code == 0 and "outcome: 2 published" in approved.output
    shown = run(env, "holds", "bulk", "show", "B-000001")
    assert "123456789  published" in shown.output and "applied by dora" in shown.output
    assert "B-000001" in run(env, "holds", "bulk", "list", "--state", "applied").output
    assert "no held or pending record" in run(env, "holds", "bulk", "propose", "reject",
                                              "--code", "source-surge", "--reason",
                                              "x").output
    assert run(env, "holds", "bulk", "refuse", "B-000001", "--reason", "late").exit_code == 1

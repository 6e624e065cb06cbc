"""``vitalstat disclosure``, ``accounting`` and ``transparency`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vitalstat.cli import app

runner = CliRunner()

REQUEST = """agency = "Office of the Inspector General"
agency_address = "1 Example Plaza, Washington, DC 20500"
signer = "Dana Reyes"
signer_rank = "section-chief"
basis = "court-order"
court_order = "US District Court 26-cv-1"
purpose = "estate litigation"
relevance = "the court needs the date of death"
letter_reference = "ORDER-26-1"
fields = ["name", "date_of_death"]

[[subjects]]
ssn = "123-45-6789"
first_name = "Ann"
last_name = "Smith"
date_of_birth = "1950-04-11"
"""


def test_request_approve_answer_account_report(tmp_path: Path) -> None:
    env = {"VITALSTAT_DB": str(tmp_path / "cli.db"), "VITALSTAT_USER": "clerk",
           "VITALSTAT_PRIVACY_OFFICERS": "pat", "VITALSTAT_ADMINS": ""}

    def run(*args: str):
        return runner.invoke(app, list(args), env=env)

    assert run("init").exit_code == 0
    reports = tmp_path / "fh.csv"
    reports.write_text("ssn,last_name,first_name,date_of_death,date_of_birth,proof,"
                       "reporter_name\n123456789,Smith,Ann,2025-10-02,1950-04-11,P,J. Doe\n")
    assert run("source", "register", "funeral-home", "fh-1").exit_code == 0
    assert run("ingest", str(reports), "--source-kind", "funeral-home",
               "--source-id", "fh-1").exit_code == 0
    (tmp_path / "req.toml").write_text(REQUEST.replace('signer_rank = "section-chief"',
                                                       'signer_rank = "judge"'))
    made = run("disclosure", "request", str(tmp_path / "req.toml"))
    assert made.exit_code == 0, made.output
    assert "D-000001  pending" in made.output and "waiting for: second-user" in made.output
    own = run("disclosure", "approve", "D-000001")
    assert own.exit_code == 1 and "cannot approve" in own.output
    ok = run("disclosure", "approve", "D-000001", "--as", "sup")
    assert ok.exit_code == 0 and "D-000001  approved" in ok.output
    out = tmp_path / "answer.json"
    answered = run("disclosure", "answer", "D-000001", "--out", str(out))
    assert answered.exit_code == 0 and "1 found" in answered.output
    record = json.loads(out.read_text())["subjects"][0]["record"]
    assert set(record) == {"name", "date_of_death"}
    mine = run("accounting", "123-45-6789")  # a court order is shown to the person
    assert mine.exit_code == 0 and "Office of the Inspector General" in mine.output
    assert "1 disclosure(s)" in mine.output
    assert run("accounting", "123456789", "--all").exit_code == 1  # clerk is no officer
    staff = run("accounting", "123456789", "--all", "--as", "pat")
    assert staff.exit_code == 0 and "0 of them withheld" in staff.output
    report = run("transparency", "--year", "2026")
    assert report.exit_code == 0 and "court-order" in report.output
    (tmp_path / "bad.toml").write_text(REQUEST.replace('court_order = "US District Court '
                                                       '26-cv-1"\n', ""))
    bad = run("disclosure", "request", str(tmp_path / "bad.toml"))
    assert bad.exit_code == 1 and "disclosure-refused" in bad.output
    assert "missing court_order" in bad.output and "below judge" in bad.output
    listed = run("disclosure", "list", "--state", "refused")
    assert "D-000002  refused" in listed.output and "1 requests" in listed.output
    (tmp_path / "more.csv").write_text("ssn,first_name,last_name,date_of_birth\n"
                                       "223-45-6789,Bob,Jones,1940-01-01\n")
    by_options = run("disclosure", "request", "--agency", "City Court",
                     "--agency-address", "3 Court Sq", "--signer", "Judge Roe",
                     "--signer-rank", "judge", "--basis", "court-order",
                     "--court-order", "26-cv-2", "--purpose", "probate",
                     "--relevance", "date of death", "--letter-reference", "ORDER-2",
                     "--field", "date_of_death", "--agreement", "",
                     "--subject", "ssn=123-45-6789,first_name=Ann,last_name=Smith,"
                     "date_of_birth=1950-04-11", "--subjects-file", str(tmp_path / "more.csv"))
    assert by_options.exit_code == 0, by_options.output
    assert "D-000003  pending  basis court-order  City Court  2 subject(s)" in by_options.output
    assert "missing court_order" in run("disclosure", "show", "D-000002").output
    edit = run("disclosure", "basis", "set", "court-order", "--field", "name")
    assert edit.exit_code == 1 and "role-required" in edit.output
    env["VITALSTAT_ADMINS"] = "root"
    edit = run("disclosure", "basis", "set", "court-order", "--field", "name",
               "--field", "status", "--as", "root")
    assert edit.exit_code == 0, edit.output
    assert "fields: name, status" in run("disclosure", "basis", "show", "court-order").output
    purge = run("disclosure", "purge", "--before", "2030-01-01", "--as", "root")
    assert purge.exit_code == 1 and "retention" in purge.output

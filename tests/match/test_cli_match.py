"""``vitalstat match``, ``match-explain`` and ``match-model train`` as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from vitalstat.cli import app
from vitalstat.match import OUTPUT_COLUMNS
from vitalstat.store import Store

runner = CliRunner()


def run(env: dict[str, str], *args: str):
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def env(tmp_path: Path, fixture_dir: Path) -> dict[str, str]:
    """A registry holding the fixture's records, ingested as family reports."""
    e = {"VITALSTAT_DB": str(tmp_path / "m.db"), "VITALSTAT_USER": "mia"}
    assert run(e, "init").exit_code == 0
    reports = tmp_path / "family.csv"
    with (fixture_dir / "records.csv").open() as src, reports.open("w", newline="") as dst:
        w = csv.writer(dst, lineterminator="\n")
        w.writerow(("ssn", "first_name", "middle_name", "last_name", "date_of_birth",
                    "date_of_death", "reporter_name", "reporter_relationship", "proof"))
        for rec in csv.DictReader(src):  # verified: no grace period to wait out
            w.writerow((rec["ssn"], rec["first_name"], rec["middle_name"], rec["last_name"],
                        rec["date_of_birth"], rec["date_of_death"], "Pat Doe", "child", "V"))
    run(e, "source", "register", "family", "f1")
    run(e, "source", "register", "funeral-home", "h")
    result = run(e, "ingest", str(reports), "--source-kind", "family", "--source-id", "f1")
    assert result.exit_code == 0, result.output
    # A second source disagreeing on a date of death puts that record on hold.
    other = tmp_path / "funeral.csv"
    other.write_text("ssn,last_name,first_name,date_of_death\n399223345,LEWIS,FRANK,2001-01-01\n")
    result = run(e, "ingest", str(other), "--source-kind", "funeral-home", "--source-id", "h")
    assert result.exit_code == 0 and "1 held" in result.output, result.output
    return e


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def test_match_csv_explain_and_event(env, tmp_path, fixture_dir) -> None:
    out = tmp_path / "decisions.csv"
    result = run(env, "match", str(fixture_dir / "subscriber.csv"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "26 rows" in result.output and "match" in result.output
    with out.open() as fh:
        assert next(csv.reader(fh)) == list(OUTPUT_COLUMNS)
    rows = _rows(out)
    assert len(rows) == 26
    assert rows["exact"]["decision"] == "match" and rows["exact"]["dmf_ssn"] == "123456781"
    assert rows["exact"]["date_of_death"] == "2019-06-01"
    assert float(rows["exact"]["match_probability"]) > 0.99
    assert rows["held"]["decision"] == "review" and "on hold" in rows["held"]["reasons"]
    assert rows["twin"]["decision"] == "none" and rows["twin"]["dmf_ssn"] == ""
    assert "SSN not usable" in rows["bad-ssn"]["reasons"]

    explained = run(env, "match-explain", "nickname")
    assert explained.exit_code == 0, explained.output
    for text in ("212345678", "nickname", "prior", "total", "insurer"):
        assert text in explained.output
    assert run(env, "match-explain", "no-such-row").exit_code == 1

    with Store.open(f"sqlite:///{env['VITALSTAT_DB']}").transaction(write=False) as tx:
        ev = [e for e in tx.events() if e["kind"] == "match.run"][-1]
    detail = json.loads(ev["detail"])
    assert ev["actor"] == "mia" and detail["rows"] == 26 and len(detail["input_sha256"]) == 64
    assert detail["counts"]["match"] == sum(r["decision"] == "match" for r in rows.values())


def test_match_parquet_in_and_out(env, tmp_path, fixture_dir) -> None:
    src = tmp_path / "subs.parquet"
    with (fixture_dir / "subscriber.csv").open() as fh:
        data = list(csv.DictReader(fh))
    pq.write_table(pa.Table.from_pylist(data), src)
    out = tmp_path / "out.parquet"
    result = run(env, "match", str(src), "--out", str(out), "--profile", "bank")
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == list(OUTPUT_COLUMNS) and table.num_rows == 26
    decided = dict(zip(table.column("id").to_pylist(), table.column("decision").to_pylist(),
                       strict=True))
    assert decided["ssn-missing"] == "review" and decided["exact"] == "match"
    assert run(env, "match-explain", "exact", "--results", str(out)).exit_code == 0


def test_bad_files_and_options_are_clear_errors(env, tmp_path, fixture_dir) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,ssn,surname,phone\n1,123456789,Smith,555\n")
    result = run(env, "match", str(bad), "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 1
    assert "invalid-file" in result.output and "surname, phone" in result.output
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('"id","ssn","last_name"\n"q1","123-45-6781","Smith"\n')
    ok = run(env, "match", str(quoted), "--out", str(tmp_path / "q.csv"))
    assert ok.exit_code == 0, ok.output
    noid = tmp_path / "noid.csv"
    noid.write_text("ssn\n123456789\n")
    assert "missing column: id" in run(env, "match", str(noid), "--out",
                                       str(tmp_path / "o.csv")).output
    sub = str(fixture_dir / "subscriber.csv")
    released = run(env, "match", sub, "--out", str(tmp_path / "o.csv"), "--release", "7")
    assert released.exit_code == 1 and "not-found" in released.output
    assert "no release 7" in released.output
    prof = run(env, "match", sub, "--out", str(tmp_path / "o.csv"), "--profile", "x")
    assert prof.exit_code == 1 and "unknown profile" in prof.output
    eng = run(env, "match", sub, "--out", str(tmp_path / "o.csv"), "--engine", "x")
    assert eng.exit_code == 1 and "unknown engine" in eng.output
    txt = run(env, "match", sub, "--out", str(tmp_path / "o.txt"))
    assert txt.exit_code == 1 and ".csv or .parquet" in txt.output


def test_model_train_reports_m_u_and_calibration(env, tmp_path, fixture_dir) -> None:
    model = tmp_path / "model.json"
    result = run(env, "match-model", "train", "--out", str(model), "--rows", "60")
    assert result.exit_code == 0, result.output
    for text in ("m and u per level", "calibration", "nickname", "transposed"):
        assert text in result.output
    out = tmp_path / "o.csv"
    result = run(env, "match", str(fixture_dir / "subscriber.csv"), "--out", str(out),
                 "--model", str(model))
    assert result.exit_code == 0, result.output

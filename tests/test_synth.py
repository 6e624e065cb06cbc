"""Synthetic scenario generator: deterministic, valid under the domain rules, realistic mix."""

from __future__ import annotations

import csv
import hashlib
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from vitalstat.domain.identity import PartialDate, normalize_name, normalize_ssn
from vitalstat.errors import LineProblem
from vitalstat.formats import read_reports
from vitalstat.formats.dmf import read_dmf
from vitalstat.formats.rows import ReportRow
from vitalstat.synth import Manifest, generate, write_dmf_full_file

PEOPLE = 2000
TODAY = date(2026, 11, 1)


@dataclass
class Loaded:
    manifest: Manifest
    rows: dict[str, list[ReportRow]]  # file name -> valid rows
    problems: list[LineProblem]


def _load(manifest: Manifest) -> Loaded:
    rows: dict[str, list[ReportRow]] = {}
    problems: list[LineProblem] = []
    for rf in manifest.files:
        rows[rf.path.name] = []
        for chunk in read_reports(rf.path, rf.format):
            rows[rf.path.name] += chunk.rows
            problems += chunk.problems
    return Loaded(manifest, rows, problems)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    out = tmp_path_factory.mktemp("synth")
    return _load(generate(out, people=PEOPLE, seed=7, today=TODAY))


def _digest(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


def _current_reports(loaded: Loaded) -> dict[str, dict[str, ReportRow]]:
    """SSN -> {source: report} after applying the legacy update (C replaces, D removes)."""
    by_ssn: dict[str, dict[str, ReportRow]] = defaultdict(dict)
    for rf in loaded.manifest.files:
        source = f"{rf.source_kind}/{rf.source_id}"
        for row in loaded.rows[rf.path.name]:
            if row.action == "D":
                del by_ssn[row.ssn][source]
            else:
                by_ssn[row.ssn][source] = row
    return {ssn: reports for ssn, reports in by_ssn.items() if reports}


# ----------------------------------------------------------------------- layout


def test_files_and_manifest(scenario: Loaded) -> None:
    m = scenario.manifest
    names = [rf.path.name for rf in m.files]
    assert names[:2] == ["legacy-dmf.dmf", "legacy-dmf-update.dmf"]
    assert {"family.csv", "federal-agency.parquet", "financial-institution.csv"} <= set(names)
    assert any(n.startswith("state-vital-records-") and n.endswith(".csv") for n in names)
    assert any(n.startswith("funeral-home-") for n in names)
    lines = (m.out_dir / "manifest.tsv").read_text().splitlines()
    assert lines[0] == "file\tformat\tsource_kind\tsource_id"
    assert lines[1:] == [f"{rf.path.name}\t{rf.format}\t{rf.source_kind}\t{rf.source_id}"
                         for rf in m.files]
    assert m.people == PEOPLE
    assert m.subscriber.exists() and m.truth.exists()
    assert "subscriber.csv" not in names


def test_every_report_line_is_valid(scenario: Loaded) -> None:
    assert scenario.problems == []
    dmf = scenario.manifest.out_dir / "legacy-dmf.dmf"
    assert all(len(line) == 101 for line in dmf.read_bytes().splitlines(keepends=True))


def test_dates_are_plausible(scenario: Loaded) -> None:
    partial = 0
    for rows in scenario.rows.values():
        for row in rows:
            assert row.date_of_death is not None
            dod = PartialDate.parse(row.date_of_death)
            assert dod is not None
            assert date(*dod.earliest()) < TODAY
            partial += not dod.is_complete
            if row.date_of_birth is not None:
                dob = PartialDate.parse(row.date_of_birth)
                assert dob is not None and dob.earliest() <= dod.latest()
    assert partial > 0


def test_legacy_files(scenario: Loaded) -> None:
    full = scenario.rows["legacy-dmf.dmf"]
    ssns = [r.ssn for r in full]
    assert ssns == sorted(set(ssns))
    assert {r.proof for r in full} == {"P", "V", ""}
    assert all(r.date_of_death is not None and r.date_of_death < "2011-11" for r in full)
    update = scenario.rows["legacy-dmf-update.dmf"]
    actions = Counter(r.action for r in update)
    assert actions["A"] and actions["C"] and actions["D"]
    in_full = set(ssns)
    assert all(r.ssn in in_full for r in update if r.action in "CD")
    assert not any(r.ssn in in_full for r in update if r.action == "A")


def test_reporters_and_proof(scenario: Loaded) -> None:
    for rf in scenario.manifest.files:
        rows = scenario.rows[rf.path.name]
        assert len({r.ssn for r in rows}) == len(rows)  # one report per person per file
        if rf.source_kind == "state-vital-records":
            assert {r.proof for r in rows} == {"P"} and {r.state for r in rows} == {rf.source_id}
        if rf.source_kind == "family":
            assert {r.proof for r in rows} == {"V"}
            assert {"spouse", "child"} <= {r.reporter_relationship for r in rows}
        if rf.source_kind in ("funeral-home", "family", "financial-institution"):
            assert all(r.reporter_name and r.reporter_contact for r in rows)


# -------------------------------------------------------------------- multi-source


def test_multi_source_share_conflicts_and_coarser_dates(scenario: Loaded) -> None:
    current = _current_reports(scenario)
    multi = {ssn: reps for ssn, reps in current.items() if len(reps) > 1}
    assert 0.12 < len(multi) / len(current) < 0.18
    conflicts = coarser = 0
    for reps in multi.values():
        rows = list(reps.values())
        dates = [PartialDate.parse(r.date_of_death or "") for r in rows]
        names = {(r.first_name, r.last_name) for r in rows}
        dod_clash = any(not a.compatible(b) for a in dates for b in dates if a and b)
        conflicts += dod_clash or len(names) > 1
        coarser += not dod_clash and len({d.precision() for d in dates if d}) > 1
    assert 1 <= conflicts <= max(3, len(multi) // 20)
    assert coarser >= 1


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = _digest(generate(tmp_path / "a", people=300, seed=3).out_dir)
    b = _digest(generate(tmp_path / "b", people=300, seed=3).out_dir)
    c = _digest(generate(tmp_path / "c", people=300, seed=4).out_dir)
    assert a == b
    assert a["legacy-dmf.dmf"] != c["legacy-dmf.dmf"]
    assert a["subscriber.csv"] != c["subscriber.csv"]


def test_progress_is_reported(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate(tmp_path, people=200, subscriber_rows=50,
             progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = {stage for stage, _, _ in calls}
    assert {"people", "files", "subscriber"} <= stages
    for stage in stages:
        last = [c for c in calls if c[0] == stage][-1]
        assert last[1] == last[2]


# ---------------------------------------------------------------------- subscriber


def test_subscriber_file_and_truth(scenario: Loaded) -> None:
    m = scenario.manifest
    with m.subscriber.open(encoding="utf-8", newline="") as fh:
        subs = list(csv.DictReader(fh))
    with m.truth.open(encoding="utf-8", newline="") as fh:
        truth = {row["id"]: row for row in csv.DictReader(fh)}
    assert list(subs[0]) == ["id", "ssn", "first_name", "middle_name", "last_name", "dob",
                             "sex", "state"]
    assert len(subs) == min(PEOPLE, 20_000) == len(truth)
    reported = {r.ssn for rows in scenario.rows.values() for r in rows}
    on_file = set(_current_reports(scenario))
    labels: Counter[str] = Counter()
    dashed = 0
    for row in subs:
        t = truth[row["id"]]
        labels.update(t["perturbation"].split("+"))
        date.fromisoformat(row["dob"])
        dashed += "-" in row["ssn"]
        ssn = normalize_ssn(row["ssn"]) if row["ssn"] else ""
        if t["dmf_ssn"]:
            assert t["dmf_ssn"] in on_file
            assert ssn in ("", t["dmf_ssn"]) or t["perturbation"].startswith("ssn-") or (
                "+ssn-" in t["perturbation"])
        else:
            assert ssn and ssn not in reported
    assert dashed > 0
    assert {"exact", "nickname", "initial-first", "first-middle-swap", "surname-typo",
            "surname-change", "dob-transposed", "ssn-one-digit", "ssn-transposed",
            "ssn-missing", "living", "twin", "namesake"} <= set(labels)
    dead = sum(1 for t in truth.values() if t["dmf_ssn"])
    assert 0.3 < dead / len(truth) < 0.5


def test_twins_share_surname_and_birth_date(scenario: Loaded) -> None:
    m = scenario.manifest
    with m.truth.open(encoding="utf-8", newline="") as fh:
        twins = {r["id"] for r in csv.DictReader(fh) if r["perturbation"] == "twin"}
    with m.subscriber.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["id"] in twins]
    assert rows
    current = _current_reports(scenario)
    for row in rows:
        ssn = normalize_ssn(row["ssn"])
        last = normalize_name(row["last_name"])
        # the dead twin: SSN a few serial numbers away, same surname and date of birth
        near = [r for other, reps in current.items() if other[:5] == ssn[:5]
                for r in reps.values() if r.last_name == last]
        assert near, row
        dob = PartialDate.parse(row["dob"])
        assert dob is not None
        assert any(r.date_of_birth is None or dob.compatible(PartialDate.parse(r.date_of_birth)
                                                             or dob) for r in near)
        assert all(r.first_name != normalize_name(row["first_name"]) for r in near)


# --------------------------------------------------------------- fast DMF full file


def test_write_dmf_full_file(tmp_path: Path) -> None:
    path = tmp_path / "big.dmf"
    assert write_dmf_full_file(path, 30_000, seed=1) == 30_000
    data = path.read_bytes()
    assert len(data) == 30_000 * 101
    lines = data.splitlines(keepends=True)
    assert all(len(line) == 101 and line.endswith(b"\n") for line in lines)
    rows: list[ReportRow] = []
    for chunk in read_dmf(path):
        assert chunk.problems == []
        rows += chunk.rows
    ssns = [r.ssn for r in rows]
    assert len(rows) == 30_000
    assert all(a < b for a, b in itertools.pairwise(ssns))
    assert any(r.date_of_birth is None for r in rows)
    assert any(r.date_of_death and r.date_of_death.endswith("-00") for r in rows)
    assert {r.proof for r in rows} == {"P", "V", ""}

    again = tmp_path / "again.dmf"
    write_dmf_full_file(again, 30_000, seed=1)
    assert again.read_bytes() == data
    write_dmf_full_file(again, 30_000, seed=2)
    assert again.read_bytes() != data


def test_write_dmf_full_file_edges(tmp_path: Path) -> None:
    assert write_dmf_full_file(tmp_path / "empty.dmf", 0) == 0
    assert (tmp_path / "empty.dmf").read_bytes() == b""
    assert write_dmf_full_file(tmp_path / "one.dmf", 1) == 1
    with pytest.raises(ValueError):
        write_dmf_full_file(tmp_path / "too-many.dmf", 10**9)

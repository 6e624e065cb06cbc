"""Every hard case of the insurer rules on a hand-written fixture, against a golden file."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pyarrow as pa

from vitalstat.match import PROFILES, Reference, load_model, match_rows

GOLDEN = Path(__file__).parent / "fixture" / "golden.csv"


def _decisions(run, ids) -> list[tuple[str, str, str]]:
    return [(i, r.decision.label, r.candidate.ssn if r.candidate and r.decision.label != "none"
             else "") for i, r in zip(ids, run.rows, strict=True)]


def test_every_hard_case_matches_the_golden_file(reference, subscriber) -> None:
    run = match_rows(subscriber, reference, model=load_model(), profile=PROFILES["insurer"])
    got = _decisions(run, subscriber.column("id").to_pylist())
    if os.environ.get("VITALSTAT_REGOLD"):
        with GOLDEN.open("w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(("id", "decision", "dmf_ssn"))
            w.writerows(got)
    with GOLDEN.open() as fh:
        golden = [tuple(row) for row in csv.reader(fh)][1:]
    assert got == golden


def test_hard_cases_by_name(reference, subscriber) -> None:
    run = match_rows(subscriber, reference, model=load_model(), profile=PROFILES["insurer"])
    by_id = dict(zip(subscriber.column("id").to_pylist(), run.rows, strict=True))
    for case in ("exact", "nickname", "initials", "swap", "compound-surname", "apostrophe",
                 "maiden-married", "transposed-dob", "partial-dob", "ssn-one-digit",
                 "ssn-transposed", "ssn-missing", "bad-ssn", "bad-dob", "two-rows-1",
                 "two-rows-2", "blank-surname"):
        assert by_id[case].decision.label == "match", (case, by_id[case].reasons)
    for case in ("namesake", "twin", "living-dead-ssn", "near-ssn", "living"):
        assert by_id[case].decision.label == "none", (case, by_id[case].reasons)
    for case in ("held", "claim-1", "claim-2", "married-no-ssn"):
        assert by_id[case].decision.label == "review", (case, by_id[case].reasons)
    assert "nickname" in by_id["nickname"].reasons
    assert "interchanged" in by_id["swap"].reasons
    assert "maiden/married" in by_id["maiden-married"].reasons
    assert "month and day swapped" in by_id["transposed-dob"].reasons
    assert "twin" in by_id["twin"].reasons
    assert by_id["living-dead-ssn"].candidate is None  # far below every threshold
    assert "SSN not usable (must be 9 digits)" in by_id["bad-ssn"].reasons
    assert "date of birth not usable" in by_id["bad-dob"].reasons
    assert "on hold" in by_id["held"].reasons
    assert "different people" in by_id["claim-1"].reasons
    assert by_id["exact"].candidate.date_of_death == "2019-06-01"


def test_a_record_held_now_never_matches_even_if_the_release_lists_it(
        subscriber, records_table) -> None:
    ref = Reference("release", table=records_table, held_now=frozenset({"123456781"}))
    run = match_rows(subscriber.slice(0, 1), ref, model=load_model(),
                     profile=PROFILES["insurer"])
    assert run.rows[0].decision.label == "review"


def test_bank_profile_wants_a_usable_ssn(reference, subscriber) -> None:
    run = match_rows(subscriber, reference, model=load_model(), profile=PROFILES["bank"])
    by_id = dict(zip(subscriber.column("id").to_pylist(), run.rows, strict=True))
    assert by_id["ssn-missing"].decision.label == "review"
    assert by_id["bad-ssn"].decision.label == "review"
    assert by_id["exact"].decision.label == "match"
    assert by_id["ssn-one-digit"].decision.label == "match"


def test_an_empty_file_and_a_file_nobody_matches(reference) -> None:
    empty = pa.table({"id": pa.array([], pa.string()), "ssn": pa.array([], pa.string())})
    assert match_rows(empty, reference, model=load_model(),
                      profile=PROFILES["insurer"]).rows == []
    alone = pa.table({"id": ["x"], "last_name": ["Zzyzx"]})
    run = match_rows(alone, reference, model=load_model(), profile=PROFILES["insurer"])
    assert run.rows[0].decision.label == "none"

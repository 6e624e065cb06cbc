"""The plain-SQL scorer (the API's one-row match) decides exactly as Splink does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.match import PROFILES, load_model, match_rows

ssns = st.sampled_from(["123456789", "123456780", "923456789", "123400000", "000056789"])
dobs = st.sampled_from(["1950-04-11", "1950-11-04", "1950-04-00", "1950-00-00", "1951-04-11",
                        ""])


@pytest.mark.parametrize("profile", ["insurer", "bank", "research"])
def test_sql_and_splink_score_the_fixture_identically(reference, subscriber,
                                                      profile) -> None:
    model = load_model()
    splink = match_rows(subscriber, reference, model=model, profile=PROFILES[profile])
    sql = match_rows(subscriber, reference, model=model, profile=PROFILES[profile],
                     engine="sql")
    assert splink.pairs_scored == sql.pairs_scored

    def decisions(run):
        return [(r.decision.label, r.candidate.ssn if r.candidate else None,
                 round(r.candidate.weight, 6) if r.candidate else None, r.reasons, r.rules)
                for r in run.rows]

    assert decisions(sql) == decisions(splink)
    assert splink.counts["match"] > 10 and splink.counts["review"] >= 3


def test_one_row_against_its_narrowed_reference_decides_as_against_all(
        reference, subscriber) -> None:
    from vitalstat.match import Reference
    from vitalstat.match.engine import narrow_reference
    from vitalstat.match.normalise import normalise_input

    model, profile = load_model(), PROFILES["insurer"]
    whole = match_rows(subscriber, reference, model=model, profile=profile, engine="sql")
    clean, _ = normalise_input(subscriber)
    assert reference.table is not None
    narrowed_sizes = []
    for i in range(subscriber.num_rows):
        row = {k: v[0] for k, v in clean.slice(i, 1).to_pydict().items()}
        small = narrow_reference(reference.table, ssn=row["ssn"], dob=row["dob"],
                                 first=row["first_name"], last=row["last_name"])
        narrowed_sizes.append(small.num_rows)
        one = match_rows(subscriber.slice(i, 1), Reference("n", table=small), model=model,
                         profile=profile, engine="sql").rows[0]
        full = whole.rows[i]
        if "claim" in " ".join(full.rules):  # a rule across rows: not one row's business
            continue
        assert (one.decision, one.candidate and one.candidate.ssn, one.reasons) == (
            full.decision, full.candidate and full.candidate.ssn, full.reasons), i
    assert min(narrowed_sizes) < reference.table.num_rows


def test_the_reference_index_finds_what_narrow_reference_finds(reference,
                                                              subscriber) -> None:
    from vitalstat.match.engine import narrow_reference
    from vitalstat.match.normalise import normalise_input
    from vitalstat.match.reference_index import ReferenceIndex

    assert reference.table is not None
    index = ReferenceIndex(reference.table)
    clean, _ = normalise_input(subscriber)
    for i in range(clean.num_rows):
        row = {k: v[0] for k, v in clean.slice(i, 1).to_pydict().items()}
        keys = {"ssn": row["ssn"], "dob": row["dob"], "first": row["first_name"],
                "last": row["last_name"]}
        want = sorted(narrow_reference(reference.table, **keys).column("ssn").to_pylist())
        got = sorted(index.candidates(**keys).column("ssn").to_pylist())
        assert got == want, i


@given(st.lists(st.tuples(ssns, dobs, st.sampled_from(["ANN", "BOB", ""]),
                          st.sampled_from(["SMITH", "JONES", ""])), min_size=1, max_size=30),
       ssns | st.none(), dobs | st.none(), st.sampled_from(["ANN", "BOB", None]),
       st.sampled_from(["SMITH", "JONES", None]))
@settings(max_examples=60, deadline=None)
def test_index_and_scan_agree_on_any_records(records, ssn, dob, first, last) -> None:
    import pyarrow as pa

    from vitalstat.match.engine import narrow_reference
    from vitalstat.match.reference_index import ReferenceIndex

    table = pa.table({"ssn": pa.array([r[0] for r in records], pa.string()),
                      "date_of_birth": pa.array([r[1] or None for r in records], pa.string()),
                      "first_name": pa.array([r[2] for r in records], pa.string()),
                      "last_name": pa.array([r[3] for r in records], pa.string())})
    keys = {"ssn": ssn, "dob": dob, "first": first, "last": last}
    want = sorted(narrow_reference(table, **keys).column("ssn").to_pylist())
    got = sorted(ReferenceIndex(table).candidates(**keys).column("ssn").to_pylist())
    assert got == want

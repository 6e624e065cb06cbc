"""Normalisers against the domain's identity rules (one home per rule)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.domain.identity import PartialDate, normalize_ssn
from vitalstat.errors import InvalidDate, InvalidSSN
from vitalstat.match.normalise import (
    INPUT_COLUMNS,
    first_keys,
    normalise_dob,
    normalise_input,
    normalise_row,
    normalise_ssn,
)


@given(st.text(alphabet="0123456789- A", max_size=12))
def test_ssn_agrees_with_the_domain_rule(raw) -> None:
    value, problem = normalise_ssn(raw)
    try:
        assert value == normalize_ssn(raw)
        assert problem is None
    except InvalidSSN:
        assert value is None
        blank = raw.strip().translate(str.maketrans("", "", "- ")) == ""
        assert (problem is None) == blank


@given(st.text(alphabet="0123456789-", max_size=11))
def test_dob_never_raises_and_agrees_with_partial_date(raw) -> None:
    value, problem = normalise_dob(raw)
    try:
        assert value == PartialDate.parse(raw)
    except InvalidDate:
        assert value is None and problem


def test_nicknames_and_compound_first_names_meet() -> None:
    assert set(first_keys("BILL")) & set(first_keys("WILLIAM"))
    assert set(first_keys("BOB")) & set(first_keys("ROBERT"))
    assert set(first_keys("MARY ANN")) & set(first_keys("MARY"))
    assert not set(first_keys("JOHN")) & set(first_keys("MARY"))


def test_bad_values_become_missing_with_the_reason() -> None:
    table = pa.table({"id": ["a", "b", "c"], "ssn": ["12A-45-6789", "123-45-6789", ""],
                      "dob": ["1961-02-30", "1961-02", ""],
                      "last_name": ["O'Brien Jr", "  smith-jones ", ""]})
    clean, problems = normalise_input(table)
    assert clean.column("ssn").to_pylist() == [None, "123456789", None]
    assert clean.column("dob").to_pylist() == [None, "1961-02-00", None]
    assert clean.column("last_name").to_pylist() == ["OBRIEN", "SMITH JONES", None]
    assert problems[0] == ["SSN not usable (must be 9 digits)",
                           "date of birth not usable (day 30 does not exist in 1961-02)"]
    assert problems[1] == problems[2] == []


_cell = st.one_of(st.none(), st.text(max_size=12),
                  st.sampled_from([" 123-45-6789 ", "12345678X", "1961-02-30", "1950-04",
                                   "O'Brien Jr", "José", "\u3000f\u2028", "mary-ann"]))


@given(st.fixed_dictionaries({c: _cell for c in INPUT_COLUMNS[1:]}))
@settings(max_examples=300, deadline=None)
def test_one_row_is_cleaned_as_in_a_file(values) -> None:
    """``normalise_row`` (the API's one row) gives what ``normalise_input`` gives the
    same values as a one-row file: values and problems, in order."""
    table = pa.table({"id": ["1"], **{k: ["" if v is None else v] for k, v in values.items()}})
    clean, problems = normalise_input(table)
    want = {k: v[0] for k, v in clean.to_pydict().items()}
    assert normalise_row(values) == (want, problems[0])

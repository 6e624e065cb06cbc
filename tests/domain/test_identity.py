from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.domain.identity import (
    PartialDate,
    PersonName,
    normalize_name,
    normalize_ssn,
    split_suffix,
    ssn_problem,
)
from vitalstat.errors import InvalidDate, InvalidName, InvalidSSN

valid_ssns = st.builds(
    lambda a, g, s: f"{a:03d}{g:02d}{s:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("000-12-3456", "area number 000"),
        ("666-12-3456", "area number 666"),
        ("900-12-3456", "900-999"),
        ("999-12-3456", "900-999"),
        ("123-00-4567", "group number 00"),
        ("123-45-0000", "serial number 0000"),
        ("12345678", "9 digits"),
        ("1234567890", "9 digits"),
        ("12345678O", "9 digits"),
        ("１２３４５６７８９", "9 digits"),  # full-width digits are not ASCII digits
        ("", "9 digits"),
    ],
)
def test_ssn_rejections_name_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidSSN) as info:
        normalize_ssn(raw)
    assert reason in str(info.value)
    assert info.value.field == "ssn"


@pytest.mark.parametrize("raw", ["123-45-6789", "123 45 6789", " 123456789 ", "123-45 6789"])
def test_ssn_separators_are_accepted(raw: str) -> None:
    assert normalize_ssn(raw) == "123456789"


@given(valid_ssns)
def test_valid_ssns_normalise_to_themselves_with_or_without_dashes(ssn: str) -> None:
    assert ssn_problem(ssn) is None
    assert normalize_ssn(f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}") == ssn


@given(st.text(max_size=12))
def test_ssn_rule_never_accepts_a_forbidden_number(raw: str) -> None:
    try:
        ssn = normalize_ssn(raw)
    except InvalidSSN:
        return
    assert len(ssn) == 9 and ssn.isdigit()
    assert ssn[:3] not in ("000", "666") and ssn[0] != "9"
    assert ssn[3:5] != "00" and ssn[5:] != "0000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("José", "JOSE"),
        ("o'brien", "OBRIEN"),
        ("O’Brien", "OBRIEN"),
        ("Smith-Jones", "SMITH JONES"),
        ("  de   la  Cruz ", "DE LA CRUZ"),
        ("St. John", "ST JOHN"),
        ("Zoë", "ZOE"),
        ("Strauß", "STRAUSS"),
        ("123", ""),
    ],
)
def test_name_normalisation(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@given(st.text(max_size=40))
def test_name_normalisation_is_idempotent_and_plain(raw: str) -> None:
    once = normalize_name(raw)
    assert normalize_name(once) == once
    assert all(c == " " or "A" <= c <= "Z" for c in once)
    assert "  " not in once and once == once.strip()


@pytest.mark.parametrize(
    ("last", "expected"),
    [("SMITH JR", ("SMITH", "JR")), ("SMITH III", ("SMITH", "III")), ("SMITH", ("SMITH", "")),
     ("V", ("V", "")), ("DE LA CRUZ", ("DE LA CRUZ", ""))],
)
def test_suffix_split(last: str, expected: tuple[str, str]) -> None:
    assert split_suffix(last) == expected


def test_person_name_parse_splits_suffix_and_rejects_empty_last_name() -> None:
    parsed = PersonName.parse(last="King, Jr.", first="Martin")
    assert parsed == PersonName("KING", "MARTIN", "", "JR")
    with pytest.raises(InvalidName):
        PersonName.parse(last="--", first="Ann")


partial_dates = st.builds(
    lambda y, m, d: PartialDate(y, m, min(d, 28) if m else 0),
    st.integers(1800, 2199), st.integers(0, 12), st.integers(0, 28),
)


@given(partial_dates)
def test_partial_date_round_trips_through_iso_and_mmddccyy(d: PartialDate) -> None:
    assert PartialDate.parse(d.iso()) == d
    assert PartialDate.parse(str(d)) == d
    assert PartialDate.from_mmddccyy(d.mmddccyy()) == d


@given(partial_dates, partial_dates)
def test_compatibility_is_symmetric_and_reflexive(a: PartialDate, b: PartialDate) -> None:
    assert a.compatible(a)
    assert a.compatible(b) == b.compatible(a)
    if a.compatible(b):
        assert a.earliest() <= b.latest() and b.earliest() <= a.latest()


@pytest.mark.parametrize(
    "text", ["2001-02-29", "2001-13-01", "2001-00-05", "1799-01-01", "01/02/2001", "2001-1-1"]
)
def test_impossible_dates_are_rejected(text: str) -> None:
    with pytest.raises(InvalidDate):
        PartialDate.parse(text)


def test_dmf_dates() -> None:
    assert PartialDate.from_mmddccyy("03002001") == PartialDate(2001, 3, 0)
    assert PartialDate.from_mmddccyy("00000000") is None
    assert PartialDate.from_mmddccyy("        ") is None
    assert PartialDate(2000, 2, 29).is_complete
    with pytest.raises(InvalidDate):
        PartialDate.from_mmddccyy("60006200")  # the junk date seen in a real 2012 update

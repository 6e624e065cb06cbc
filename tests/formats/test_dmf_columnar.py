"""The vectorised DMF writer writes exactly what the per-line reference writes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.domain.identity import PartialDate
from vitalstat.errors import ValidationError
from vitalstat.formats.dmf import DmfEntry, format_line, parse_line
from vitalstat.formats.dmf_columnar import dmf_lines

names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ abcxyz", max_size=25)
ssns = st.from_regex(r"\A[0-9]{9}\Z")


@st.composite
def dates(draw: st.DrawFn) -> PartialDate | None:
    if draw(st.booleans()):
        return None
    year = draw(st.integers(1800, 2199))
    month = draw(st.integers(0, 12))
    day = draw(st.integers(0, 28)) if month else 0
    return PartialDate(year, month, day)


entries = st.builds(
    DmfEntry, action=st.sampled_from([" ", "A", "C", "D"]), ssn=ssns, last_name=names,
    suffix=st.sampled_from(["", "JR", "III"]), first_name=names, middle_name=names,
    proof=st.sampled_from(["", "P", "V"]), date_of_death=dates(), date_of_birth=dates(),
    state=st.sampled_from(["", "OH"]), zip_residence=st.sampled_from(["", "43210"]),
    zip_payment=st.sampled_from(["", "12345"]))


def table(rows: list[DmfEntry]) -> pa.Table:
    def iso(d: PartialDate | None) -> str | None:
        return d.iso() if d else None

    return pa.table({
        "ssn": [e.ssn for e in rows], "last_name": [e.last_name for e in rows],
        "suffix": [e.suffix for e in rows], "first_name": [e.first_name for e in rows],
        "middle_name": [e.middle_name for e in rows], "proof": [e.proof for e in rows],
        "date_of_death": pa.array([iso(e.date_of_death) for e in rows], pa.string()),
        "date_of_birth": pa.array([iso(e.date_of_birth) for e in rows], pa.string()),
        "state": [e.state for e in rows], "zip_residence": [e.zip_residence for e in rows],
        "zip_payment": [e.zip_payment for e in rows],
    })


@given(st.lists(entries, min_size=1, max_size=30))
def test_columnar_lines_equal_format_line(rows: list[DmfEntry]) -> None:
    actions = np.array([e.action for e in rows], dtype="S1")
    written = dmf_lines(table(rows), actions)
    expected = "".join(format_line(e) + "\n" for e in rows).encode("ascii")
    assert written == expected
    for line, entry in zip(written.decode().splitlines(), rows, strict=True):
        assert parse_line(line).ssn == entry.ssn


def test_one_action_for_a_full_file_and_no_rows() -> None:
    rows = [DmfEntry(" ", "123456789", "SMITH", first_name="ANN",
                     date_of_death=PartialDate(2020, 5))]
    assert dmf_lines(table(rows)) == (format_line(rows[0]) + "\n").encode()
    assert dmf_lines(table(rows).slice(0, 0)) == b""
    with pytest.raises(ValidationError, match="action"):
        dmf_lines(table(rows), "X")


def test_bad_values_name_their_field() -> None:
    base = table([DmfEntry(" ", "123456789", "SMITH")])
    with pytest.raises(ValidationError, match="last_name: is not printable ASCII"):
        dmf_lines(base.set_column(1, "last_name", pa.array(["SMÏTH"])))
    with pytest.raises(ValidationError, match="state: a value is longer than 2"):
        dmf_lines(base.set_column(base.schema.get_field_index("state"), "state",
                                  pa.array(["OHIO"])))
    with pytest.raises(ValidationError, match="date_of_death"):
        dmf_lines(base.set_column(base.schema.get_field_index("date_of_death"),
                                  "date_of_death", pa.array(["2020/01/01"])))

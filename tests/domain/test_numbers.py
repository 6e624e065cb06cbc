"""Case, request and bulk-action numbers: formatted once, read back leniently, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.domain.numbers import format_number, parse_number
from vitalstat.errors import ValidationError

PREFIXES = st.sampled_from("CDB")


@given(PREFIXES, st.integers(1, 10**17))
def test_a_formatted_number_reads_back_however_it_is_typed(prefix: str, row_id: int) -> None:
    text = format_number(prefix, row_id)
    assert text.startswith(f"{prefix}-") and len(text) >= 8
    for typed in (text, text.lower(), f"  {text} ", text.replace("-", ""), str(row_id)):
        assert parse_number(typed, prefix, what="number", field="f") == row_id


@given(PREFIXES, st.text(max_size=25))
def test_anything_else_is_a_validation_error_naming_the_field(prefix: str, text: str) -> None:
    try:
        row_id = parse_number(text, prefix, what="case number", field="case")
    except ValidationError as exc:
        assert exc.field == "case" and "case number" in str(exc)
    else:
        assert 0 <= row_id < 10**18


@pytest.mark.parametrize("text", ["B-²", "C-12a", "", "D-" + "9" * 19, "X-000001"])
def test_non_digits_and_overlong_ids_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_number(text, "B" if text.startswith("B") else "C", what="number", field="f")

"""The hand-written matching fixture: 21 death records and a subscriber file of hard cases."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from vitalstat.match import Reference, read_input

FIXTURE = Path(__file__).parent / "fixture"


def fixture_records() -> pa.Table:
    names = (FIXTURE / "records.csv").read_text().splitlines()[0].split(",")
    return pcsv.read_csv(FIXTURE / "records.csv", convert_options=pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False))


@pytest.fixture
def records_table() -> pa.Table:
    return fixture_records()


@pytest.fixture
def fixture_dir() -> Path:
    return FIXTURE


@pytest.fixture
def reference() -> Reference:
    return Reference("fixture", table=fixture_records())


@pytest.fixture
def subscriber() -> pa.Table:
    return read_input(FIXTURE / "subscriber.csv")

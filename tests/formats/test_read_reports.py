"""The format dispatcher: one entry point for DMF, CSV and Parquet files."""

from __future__ import annotations

from pathlib import Path

import pytest

import vitalstat.formats as formats
from vitalstat.domain.identity import PartialDate
from vitalstat.errors import ValidationError
from vitalstat.formats import detect_format, dmf, read_reports, tabular
from vitalstat.formats.dmf import DmfEntry, write_dmf
from vitalstat.formats.rows import ReportRow, iter_rows
from vitalstat.formats.tabular import write_csv, write_parquet

ROW = {"ssn": "501234567", "last_name": "DOE", "first_name": "JANE", "date_of_death": "2015-03"}
ENTRY = DmfEntry(" ", "501234567", "DOE", "", "JANE", "", "", PartialDate(2015, 3))


def test_public_api() -> None:
    assert formats.__all__ == ["FORMATS", "copy_lines", "detect_format", "file_sha256",
                               "read_reports"]
    for module in (formats, dmf, tabular):
        assert all(hasattr(module, name) for name in module.__all__)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
        ("a.dmf", "dmf"),
        ("ssdm1", "dmf"),
        ("update.txt", "dmf"),
        ("dir.csv/file", "dmf"),
    ],
)
def test_detect_format_by_extension(name: str, fmt: str) -> None:
    assert detect_format(Path(name)) == fmt
    assert detect_format(name) == fmt


@pytest.mark.parametrize("suffix", [".dmf", ".csv", ".parquet"])
def test_read_reports_dispatches(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"in{suffix}"
    if suffix == ".dmf":
        write_dmf(path, [ENTRY])
    elif suffix == ".csv":
        write_csv(path, [ROW])
    else:
        write_parquet(path, [ROW])
    [row] = list(iter_rows(read_reports(path)))
    assert isinstance(row, ReportRow)
    assert (row.ssn, row.last_name, row.first_name, row.date_of_death) == (
        "501234567", "DOE", "JANE", "2015-03-00",
    )  # fmt: skip


def test_explicit_format_overrides_the_name(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    write_csv(path, [ROW, ROW])
    chunks = list(read_reports(path, "CSV", chunk_lines=1))
    assert [c.lines for c in chunks if c.lines] == [1, 1]


def test_unknown_format_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        read_reports(tmp_path / "missing.xlsx", "xlsx")
    assert info.value.field == "format"


def test_file_sha256_is_the_digest_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 9000  # more than one 1 MiB block
    path.write_bytes(data)
    assert formats.file_sha256(path) == hashlib.sha256(data).hexdigest()

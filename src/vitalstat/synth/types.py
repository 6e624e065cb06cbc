"""The public types of the generator: the progress callback and what ``generate`` wrote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

#: ``progress(stage, done, total)``: called now and then so a CLI can draw a bar.
Progress = Callable[[str, int, int], None]


class ReportFile(NamedTuple):
    """One report file, as listed in ``manifest.tsv``."""

    path: Path
    format: str  # "dmf", "csv" or "parquet"
    source_kind: str
    source_id: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """What :func:`generate` wrote. ``files`` are in ingest order."""

    out_dir: Path
    files: list[ReportFile]
    people: int
    subscriber: Path
    truth: Path
